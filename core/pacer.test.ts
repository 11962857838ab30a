import { describe, expect, it } from 'vitest'
import { ManualClock } from '../test/support/manual-clock.ts'
import { UsageError } from './cli-support.ts'
import type { TimerHandle } from './clock.ts'
import { Pacer, parseRate } from './pacer.ts'

/** Takes `n` grants at once and records the clock time each one was granted at. */
function takeAll(pacer: Pacer, clock: ManualClock, n: number, signal?: AbortSignal): { at: Array<number | string> } {
  const at: Array<number | string> = []
  for (let i = 0; i < n; i++) pacer.take(signal).then(() => void (at[i] = clock.now()), () => void (at[i] = 'aborted'))
  return { at }
}

describe('Pacer (token bucket on an injected clock)', () => {
  it('rate 10/s, burst 1: one grant at once, then exactly one every 100 ms, in FIFO order', async () => {
    const clock = new ManualClock(1000)
    const pacer = new Pacer({ ratePerSec: 10, clock })
    const { at } = takeAll(pacer, clock, 5)
    await clock.runAll()
    expect(at).toEqual([1000, 1100, 1200, 1300, 1400])
    expect(clock.pendingTimers).toBe(0)
    expect(pacer.granted).toBe(5)
  })

  it('burst 3: three at once, then one per interval; a quiet spell refills the bucket, never beyond its size', async () => {
    const clock = new ManualClock(0)
    const pacer = new Pacer({ ratePerSec: 20, burst: 3, clock })
    const first = takeAll(pacer, clock, 5)
    await clock.runAll()
    expect(first.at).toEqual([0, 0, 0, 50, 100])
    await clock.advance(10_000)
    const second = takeAll(pacer, clock, 5)
    await clock.runAll()
    expect(second.at).toEqual([10_100, 10_100, 10_100, 10_150, 10_200])
  })

  it('a take after a partial refill waits only for the rest of its interval', async () => {
    const clock = new ManualClock(0)
    const pacer = new Pacer({ ratePerSec: 4, clock })
    await pacer.take()
    await clock.advance(100)
    const { at } = takeAll(pacer, clock, 2)
    await clock.runAll()
    expect(at).toEqual([250, 500])
  })

  it('rate 0 grants everything at once, with no timer', async () => {
    const clock = new ManualClock(0)
    const pacer = new Pacer({ ratePerSec: 0, clock })
    const { at } = takeAll(pacer, clock, 1000)
    await clock.advance(0)
    expect(at.every((t) => t === 0)).toBe(true)
    expect(clock.pendingTimers).toBe(0)
  })

  it('an abandoned take rejects with the signal\'s reason and its turn passes to the next', async () => {
    const clock = new ManualClock(0)
    const pacer = new Pacer({ ratePerSec: 10, clock })
    const stop = new AbortController()
    const a = takeAll(pacer, clock, 1)
    const b = takeAll(pacer, clock, 2, stop.signal)
    const c = takeAll(pacer, clock, 1)
    await clock.advance(50)
    stop.abort(new Error('stopped'))
    await clock.runAll()
    expect([a.at, b.at, c.at]).toEqual([[0], ['aborted', 'aborted'], [100]])
    await expect(pacer.take(stop.signal)).rejects.toThrow('stopped')
    expect(pacer.waiting).toBe(0)
  })

  it('a rate whose interval is not a whole number of ms still grants on time, with one timer per grant', async () => {
    const clock = new ManualClock(0)
    let timers = 0
    const counting = { now: () => clock.now(), clearTimeout: (h: TimerHandle) => clock.clearTimeout(h), setTimeout: (fn: () => void, ms: number) => (timers++, clock.setTimeout(fn, ms)) }
    const pacer = new Pacer({ ratePerSec: 3, clock: counting })
    const { at } = takeAll(pacer, clock, 4)
    await clock.runAll()
    expect(at.map((t) => Math.round(Number(t) * 1000) / 1000)).toEqual([0, 333.333, 666.667, 1000])
    expect(timers).toBe(3)
  })

  it('refuses a negative rate or a burst below 1', () => {
    expect(() => new Pacer({ ratePerSec: -1 })).toThrow(/rate must be a finite number >= 0/)
    expect(() => new Pacer({ ratePerSec: 10, burst: 0 })).toThrow(/burst must be a whole number >= 1/)
  })
})

describe('parseRate (--connect-rate)', () => {
  it.each([['200/s', 200], ['200', 200], [' 0 ', 0], ['2.5/s', 2.5]])('%j is %d per second', (raw, n) => expect(parseRate('connect-rate', raw)).toBe(n))
  it.each(['-1', 'fast', '10/m', '2000000', ''])('refuses %j with a UsageError naming the option', (raw) => {
    expect(() => parseRate('connect-rate', raw)).toThrow(UsageError)
    expect(() => parseRate('connect-rate', raw)).toThrow(/^--connect-rate must be a rate like 200\/s/)
  })
})
