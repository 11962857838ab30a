import { describe, expect, it } from 'vitest'
import { backoffCeilingMs, backoffMs, backoffText, parseBackoffRange } from './backoff.ts'
import { UsageError } from './cli-support.ts'
import { Mulberry32 } from './rng.ts'

const range = { baseMs: 1000, capMs: 30_000 }

describe('exponential backoff with full jitter', () => {
  it('ceilings double from the base up to the cap, and stay there', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 100, 5000].map((n) => backoffCeilingMs(range, n))).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000])
  })

  it('each wait is the seeded draw times its ceiling, exactly, below the ceiling', () => {
    const a = new Mulberry32(42)
    const b = new Mulberry32(42)
    for (let n = 0; n < 10; n++) {
      const wait = backoffMs(range, n, a)
      expect(wait).toBe(b.next() * backoffCeilingMs(range, n))
      expect(wait).toBeLessThan(backoffCeilingMs(range, n))
    }
  })

  it('a base of 0 never waits (all at once), whatever the attempt', () => {
    const zero = { baseMs: 0, capMs: 0 }
    expect([0, 1, 2000].map((n) => backoffMs(zero, n, new Mulberry32(1)))).toEqual([0, 0, 0])
  })
})

describe('parseBackoffRange', () => {
  it('reads base..cap durations, and 0 where allowed', () => {
    expect(parseBackoffRange('reconnect-backoff', '1s..30s')).toEqual(range)
    expect(parseBackoffRange('reconnect-backoff', '250ms..2m', 0)).toEqual({ baseMs: 250, capMs: 120_000 })
    expect(parseBackoffRange('reconnect-backoff', '0', 0)).toEqual({ baseMs: 0, capMs: 0 })
    expect(parseBackoffRange('reconnect-backoff', '0..0', 0)).toEqual({ baseMs: 0, capMs: 0 })
    expect(backoffText(range)).toBe('1s..30s')
    expect(backoffText({ baseMs: 0, capMs: 0 })).toBe('0')
  })

  it.each([
    ['30s..1s', 1, /^--reconnect-backoff: the cap \(1s\) must not be below the base \(30s\)/],
    ['1s', 1, /^--reconnect-backoff must be base\.\.cap, two durations like 50ms\.\.2s, got "1s"$/],
    ['0', 1, /^--reconnect-backoff must be base\.\.cap/],
    ['0..1s', 1, /^--reconnect-backoff must be a duration/],
    ['fast..slow', 0, /^--reconnect-backoff must be a duration/],
  ])('refuses %j (min %d ms) with one line naming the option', (raw, min, message) => {
    expect(() => parseBackoffRange('reconnect-backoff', raw, min)).toThrow(UsageError)
    expect(() => parseBackoffRange('reconnect-backoff', raw, min)).toThrow(message)
  })
})
