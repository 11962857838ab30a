import { describe, expect, it } from 'vitest'
import { Semaphore } from './semaphore.ts'

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('Semaphore', () => {
  it('holds at most `permits` at once and hands permits on in FIFO order', async () => {
    const s = new Semaphore(2)
    const order: string[] = []
    const releases = new Map<string, () => void>()
    for (const name of ['a', 'b', 'c', 'd', 'e']) void s.acquire().then((release) => (order.push(name), releases.set(name, release)))
    await settle()
    expect([order, s.inUse, s.waiting]).toEqual([['a', 'b'], 2, 3])
    releases.get('b')!()
    releases.get('b')!() // a second release of the same permit does nothing
    await settle()
    expect([order, s.inUse]).toEqual([['a', 'b', 'c'], 2])
    releases.get('a')!()
    releases.get('c')!()
    await settle()
    expect(order).toEqual(['a', 'b', 'c', 'd', 'e'])
    releases.get('d')!()
    releases.get('e')!()
    expect([s.inUse, s.waiting, s.peak]).toEqual([0, 0, 2])
  })

  it('an abandoned wait rejects with its reason and never takes a permit', async () => {
    const s = new Semaphore(1)
    const release = await s.acquire()
    const stop = new AbortController()
    const gone = s.acquire(stop.signal)
    const next = s.acquire()
    stop.abort(new Error('lost'))
    await expect(gone).rejects.toThrow('lost')
    release()
    const r2 = await next
    expect(s.inUse).toBe(1)
    r2()
    await expect(s.acquire(stop.signal)).rejects.toThrow('lost')
    expect([s.inUse, s.waiting, s.peak]).toEqual([0, 0, 1])
  })

  it('refuses fewer than one permit', () => {
    expect(() => new Semaphore(0)).toThrow(/at least 1 permit/)
  })
})
