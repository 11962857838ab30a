/**
 * Retries with exponential backoff and full jitter (core/backoff.ts): before retry n (0-based)
 * wait a uniform draw in [0, min(cap, base · 2^n)). A retry is made only for a result the policy
 * names (`on`: an error kind such as `timeout` or `disconnected`, or a device's error code such as
 * `connect_timeout`), only while retries are left, and only if the wait ends before the round's
 * shared deadline. Each attempt may have its own timeout, shorter
 * than the round's (otherwise a timed-out call has no time left to be retried).
 *
 * Data plus functions: a policy is a plain object crossing to the worker threads; `Retrier` binds
 * it to a seeded rng there.
 */
import { backoffMs } from '../../core/backoff.ts'
import type { Rng } from '../../core/rng.ts'
import { ERROR_CODES } from '../../core/protocol.ts'
import { ERROR_KINDS, type CallOptions, type CallResult } from '../clients/types.ts'

export interface RetryPolicy {
  /** Retries after the first attempt (0 = none). */
  retries: number
  baseMs: number
  capMs: number
  /** Error kinds and device error codes that are retried. */
  on: readonly string[]
  /** Each attempt's own timeout; undefined = the round's deadline only. */
  attemptTimeoutMs?: number | undefined
}

/** What `--retry-on` accepts: transport error kinds (not device-error as a whole, nor cancelled) and device error codes. */
export const RETRY_ON_CHOICES: readonly string[] = [...ERROR_KINDS.filter((k) => k !== 'device-error' && k !== 'cancelled'), ...ERROR_CODES]

export const DEFAULT_RETRY_ON: readonly string[] = ['timeout', 'connect_timeout', 'disconnected']

/** True when the policy retries this failure. */
export function isRetryable(p: Pick<RetryPolicy, 'on'>, r: CallResult): boolean {
  if (r.ok) return false
  if (r.kind === 'device-error') return r.code !== undefined && p.on.includes(r.code)
  return p.on.includes(r.kind)
}

export class Retrier {
  constructor(
    readonly policy: RetryPolicy,
    private readonly rng: Rng,
  ) {}

  /**
   * How long to wait before retry `n` of a call that ended in `r` at `now`, or undefined when it is
   * not retried (not retryable, no retries left, or the wait would reach the deadline).
   */
  waitBefore(n: number, r: CallResult, now: number, deadline: number): number | undefined {
    if (n >= this.policy.retries || !isRetryable(this.policy, r)) return undefined
    const wait = backoffMs(this.policy, n, this.rng)
    return now + wait < deadline ? wait : undefined
  }

  /** The options of an attempt starting at `now` within the round's `opts`. */
  attempt(opts: CallOptions, now: number): CallOptions {
    const t = this.policy.attemptTimeoutMs
    if (t === undefined || now + t >= opts.deadline) return opts
    return { deadline: now + t, signal: opts.signal }
  }
}
