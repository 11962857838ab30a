import { describe, expect, it } from 'vitest'
import { ManualClock } from '../test/support/manual-clock.ts'
import { hashedPhase, PhasedSchedule } from './phased-schedule.ts'

describe('PhasedSchedule on a ManualClock', () => {
  it('fires each item once per period at its phase, m times in m periods, and is done at the end', async () => {
    const clock = new ManualClock()
    const fired: Array<[number, number, number]> = []
    let doneAt = -1
    const s = new PhasedSchedule({ clock, periodMs: 100, phasesMs: [50, 0, 99.5], startMs: 20, endMs: 520, fire: (i, due) => fired.push([i, due, clock.now()]), done: () => (doneAt = clock.now()) })
    s.start()
    await clock.runAll()
    expect(fired).toHaveLength(15)
    for (const i of [0, 1, 2]) expect(fired.filter((f) => f[0] === i).map((f) => f[1])).toEqual([0, 1, 2, 3, 4].map((k) => 20 + [50, 0, 99.5][i]! + 100 * k))
    for (const [, due, at] of fired) expect(at).toBe(due)
    expect(doneAt).toBe(520)
    expect(s.running).toBe(false)
    expect(clock.pendingTimers).toBe(0)
  })

  it('fires every item that came due meanwhile when its timer is late, in due order, with its own due time', async () => {
    const clock = new ManualClock()
    const fired: Array<[number, number]> = []
    let lag = 0
    const late = { now: () => clock.now() + lag, setTimeout: clock.setTimeout.bind(clock), clearTimeout: clock.clearTimeout.bind(clock) }
    const s = new PhasedSchedule({ clock: late, periodMs: 10, phasesMs: [0, 5], startMs: 0, endMs: 100, fire: (i, due) => fired.push([i, due]) })
    s.start()
    await clock.advance(1)
    lag = 30
    await clock.advance(5)
    expect(fired.map((f) => f[1])).toEqual([0, 5, 10, 15, 20, 25, 30, 35])
    lag = 0
    s.stop()
    await clock.runAll()
    expect(s.fired).toBe(8)
  })

  it('refuses a phase outside the period and spreads hashed phases over it', () => {
    const clock = new ManualClock()
    expect(() => new PhasedSchedule({ clock, periodMs: 10, phasesMs: [10], startMs: 0, endMs: 10, fire: () => {} })).toThrow(/phase must be in \[0, 10\)/)
    expect(hashedPhase(50, 0)).toBe(0)
    expect(hashedPhase(50, 0xffffffff)).toBeLessThan(50)
  })
})
