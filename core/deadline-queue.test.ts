import { describe, expect, it } from 'vitest'
import { ManualClock } from '../test/support/manual-clock.ts'
import { DeadlineQueue, type DeadlineEntry } from './deadline-queue.ts'

interface E extends DeadlineEntry {
  name: string
}
const entry = (name: string, deadline: number): E => ({ name, deadline, heapIndex: -1, queueSeq: 0 })

function setup() {
  const clock = new ManualClock(0)
  const fired: string[] = []
  const q = new DeadlineQueue<E>(clock, (e) => fired.push(`${e.name}@${clock.now()}`))
  return { clock, fired, q }
}

describe('DeadlineQueue', () => {
  it('expires entries in deadline order with one timer', async () => {
    const { clock, fired, q } = setup()
    for (const [n, d] of [['c', 30], ['a', 10], ['d', 40], ['b', 20], ['a2', 10]] as const) q.add(entry(n, d))
    expect(clock.pendingTimers).toBe(1)
    await clock.runAll()
    expect(fired).toEqual(['a@10', 'a2@10', 'b@20', 'c@30', 'd@40'])
    expect(q.size).toBe(0)
    expect(q.armed).toBe(false)
  })

  it('re-arms earlier for an earlier entry and removes entries anywhere in the heap', async () => {
    const { clock, fired, q } = setup()
    const entries = Array.from({ length: 100 }, (_, i) => entry(`e${i}`, 1000 - i * 5))
    for (const e of entries) q.add(e)
    for (const e of entries) if (Number(e.name.slice(1)) % 2 === 1) expect(q.remove(e)).toBe(true)
    expect(q.remove(entries[1]!)).toBe(false)
    expect(entries[1]!.heapIndex).toBe(-1)
    expect(clock.pendingTimers).toBe(1)
    await clock.runAll()
    const times = fired.map((f) => Number(f.split('@')[1]))
    expect(fired).toHaveLength(50)
    expect(times).toEqual([...times].sort((a, b) => a - b))
  })

  it('lets onExpire add and remove entries', async () => {
    const clock = new ManualClock(0)
    const fired: string[] = []
    const later = entry('later', 5)
    const q: DeadlineQueue<E> = new DeadlineQueue<E>(clock, (e) => {
      fired.push(e.name)
      if (e.name === 'first') {
        q.remove(later)
        q.add(entry('added', 3))
      }
    })
    q.add(entry('first', 1))
    q.add(later)
    await clock.runAll()
    expect(fired).toEqual(['first', 'added'])
  })

  it('does not expire an entry before its deadline and frees the timer when emptied', async () => {
    const { clock, fired, q } = setup()
    const e = entry('x', 10)
    q.add(e)
    await clock.advance(9)
    expect(fired).toEqual([])
    q.remove(e)
    expect(clock.pendingTimers).toBe(0)
    q.add(entry('y', 12))
    expect(q.clear()).toHaveLength(1)
    expect(clock.pendingTimers).toBe(0)
    expect(() => {
      const z = entry('z', 1)
      q.add(z)
      q.add(z)
    }).toThrow(/already queued/)
  })
})
