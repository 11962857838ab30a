import { describe, expect, it } from 'vitest'
import { Radio } from './radio.ts'

describe('Radio', () => {
  it('hands slots out in FIFO order as they are released', async () => {
    const radio = new Radio(2)
    const order: number[] = []
    const waits = [0, 1, 2, 3].map((i) => radio.acquire().then(() => order.push(i)))
    await Promise.resolve()
    expect(order).toEqual([0, 1])
    expect(radio.queued).toBe(2)
    radio.release()
    radio.release()
    await Promise.all(waits)
    expect(order).toEqual([0, 1, 2, 3])
    expect(radio.peakInUse).toBe(2)
  })

  it('refuses a radio without slots', () => {
    expect(() => new Radio(0)).toThrow(/at least 1/)
  })
})
