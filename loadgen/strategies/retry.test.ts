import { describe, expect, it } from 'vitest'
import { Mulberry32 } from '../../core/rng.ts'
import type { CallResult } from '../clients/types.ts'
import { backoffCeilingMs, backoffMs } from '../../core/backoff.ts'
import { isRetryable, Retrier, type RetryPolicy } from './retry.ts'

const policy: RetryPolicy = { retries: 5, baseMs: 50, capMs: 2000, on: ['timeout', 'connect_timeout', 'disconnected'] }
const timeout: CallResult = { ok: false, kind: 'timeout', message: 'no reply' }
const gatt: CallResult = { ok: false, kind: 'device-error', code: 'gatt_error', message: 'gatt' }
const connectTimeout: CallResult = { ok: false, kind: 'device-error', code: 'connect_timeout', message: 'slow' }

describe('exponential backoff with full jitter', () => {
  it('ceilings double from the base up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => backoffCeilingMs(policy, n))).toEqual([50, 100, 200, 400, 800, 1600, 2000])
  })

  it('each wait is the seeded draw times its ceiling, exactly', () => {
    const a = new Mulberry32(9)
    const b = new Mulberry32(9)
    for (let n = 0; n < 8; n++) expect(backoffMs(policy, n, a)).toBe(b.next() * backoffCeilingMs(policy, n))
  })

  it('retries only what the policy names: error kinds and device codes', () => {
    expect([isRetryable(policy, timeout), isRetryable(policy, connectTimeout), isRetryable(policy, gatt), isRetryable(policy, { ok: true, result: 1 })]).toEqual([true, true, false, false])
  })

  it('stops when retries are spent or the wait would reach the deadline', () => {
    const r = new Retrier({ ...policy, retries: 2 }, { next: () => 0.5 })
    expect(r.waitBefore(0, timeout, 0, 1000)).toBe(25)
    expect(r.waitBefore(1, timeout, 0, 1000)).toBe(50)
    expect(r.waitBefore(2, timeout, 0, 1000)).toBeUndefined()
    expect(r.waitBefore(1, timeout, 960, 1000)).toBeUndefined()
    expect(r.waitBefore(0, gatt, 0, 1000)).toBeUndefined()
  })

  it('gives each attempt its own timeout inside the round\'s deadline', () => {
    const r = new Retrier({ ...policy, attemptTimeoutMs: 300 }, new Mulberry32(1))
    expect(r.attempt({ deadline: 1000 }, 100)).toEqual({ deadline: 400, signal: undefined })
    const late = { deadline: 1000 }
    expect(r.attempt(late, 800)).toBe(late)
    expect(new Retrier(policy, new Mulberry32(1)).attempt(late, 0)).toBe(late)
  })
})
