/**
 * Where every call ends up. A strategy calls `recordSent` when it sends a call (or a batch of
 * items) and `recordResult` exactly once per sent call; the recorder keeps the counts, the device
 * error codes behind `device-error`, the latency histogram and the per-interval series.
 *
 * Latency (the histogram and the series' p99) is that of successful calls only, like the series:
 * failures are counted by kind, so a fast failure cannot make latency look good.
 *
 * Hot path: plain number counters, an error-kind record built once, no allocation per call
 * (a device error code costs a Map update).
 */
import { ERROR_KINDS, type CallResult, type ErrorKind } from '../clients/types.ts'
import { createHistogram, destroyHistogram, recordUs, type Histogram } from '../../core/histogram.ts'
import { IntervalSeries, type IntervalSeriesOptions } from '../../core/series.ts'
import type { AttemptCounts } from '../../core/result.ts'
import type { Retrier } from '../strategies/retry.ts'
import { emptyCounts, type Counts } from './types.ts'

export interface CallRecorderOptions {
  /** Clock, start and interval of the series. Call `destroy()` when done (WebAssembly histograms in workers). */
  series?: IntervalSeriesOptions
  /** Retries of failed calls (every strategy asks the recorder's retrier); none without it. */
  retrier?: Retrier
}

export class CallRecorder {
  sent = 0
  ok = 0
  dropped = 0
  readonly errors: Record<ErrorKind, number> = emptyCounts(ERROR_KINDS).errors
  /** Call latency of successful calls, µs. */
  readonly latency: Histogram
  readonly series: IntervalSeries
  readonly retrier: Retrier | undefined
  /** Failed attempts that were retried, by kind; with the calls' own results they are every attempt's outcome. */
  readonly retriedErrors: Record<ErrorKind, number> = emptyCounts(ERROR_KINDS).errors
  retries = 0
  /** Calls that took more than one attempt, and those of them that ended ok. */
  retriedCalls = 0
  retriedOk = 0
  private readonly codes = new Map<string, number>()

  constructor(opts: CallRecorderOptions = {}) {
    this.retrier = opts.retrier
    this.latency = createHistogram()
    try {
      this.series = new IntervalSeries(opts.series)
    } catch (err) {
      destroyHistogram(this.latency)
      throw err
    }
  }

  /** `count` calls were sent (a batch of n items counts n). */
  recordSent(count = 1): void {
    this.sent += count
  }

  /** Calls accepted but never sent (bounded channel policies). */
  recordDropped(count = 1): void {
    this.dropped += count
  }

  /** A failed attempt of a sent call that is about to be retried (its call is still pending). */
  recordRetry(result: CallResult): void {
    if (result.ok) return
    this.retries++
    this.retriedErrors[result.kind]++
  }

  /** The outcome of one sent call, `latencyUs` from its send to its result, after `attempts` attempts. */
  recordResult(result: CallResult, latencyUs: number, attempts = 1): void {
    if (attempts > 1) {
      this.retriedCalls++
      if (result.ok) this.retriedOk++
    }
    if (result.ok) {
      this.ok++
      recordUs(this.latency, latencyUs)
      this.series.recordOk(latencyUs)
      return
    }
    this.errors[result.kind]++
    if (result.kind === 'device-error') {
      const code = result.code ?? 'unknown'
      this.codes.set(code, (this.codes.get(code) ?? 0) + 1)
    }
    this.series.recordError()
  }

  /** Failed calls, all kinds together. */
  get errorTotal(): number {
    return finished(this) - this.ok - this.dropped
  }

  /** Sent calls without a result yet (negative if results were recorded for calls never sent). */
  get pending(): number {
    return this.sent - finished(this)
  }

  counts(): Counts {
    return { sent: this.sent, ok: this.ok, dropped: this.dropped, errors: { ...this.errors } }
  }

  /** Every attempt: the calls' own (last) attempts plus the retried ones. */
  attempts(): AttemptCounts {
    const errors: Record<string, number> = {}
    for (const k of ERROR_KINDS) errors[k] = this.errors[k] + this.retriedErrors[k]
    return { sent: this.sent - this.dropped + this.retries, ok: this.ok, errors, retried: this.retriedCalls, retriedOk: this.retriedOk }
  }

  deviceErrors(): Record<string, number> {
    return Object.fromEntries(this.codes)
  }

  /** Frees the histograms (matters for WASM ones). */
  destroy(): void {
    destroyHistogram(this.latency)
    this.series.destroy()
  }
}

function finished(c: Pick<Counts, 'ok' | 'dropped' | 'errors'>): number {
  let n = c.ok + c.dropped
  for (const kind of ERROR_KINDS) n += c.errors[kind]
  return n
}

/**
 * The accounting invariant: sent = ok + Σ errors + dropped, so nothing is left pending. Throws an
 * Error with the numbers when it does not hold (a bug in a strategy, a client or the recorder).
 */
export function checkAccounting(counts: Counts, where = 'slice'): void {
  const done = finished(counts)
  if (counts.sent === done) return
  const errors = ERROR_KINDS.reduce((n, kind) => n + counts.errors[kind], 0)
  const gap = counts.sent - done
  const what = gap > 0 ? `${gap} call(s) left pending` : `${-gap} more result(s) than calls sent`
  throw new Error(
    `accounting invariant broken in ${where}: sent ${counts.sent} ≠ ` +
      `ok ${counts.ok} + errors ${errors} + dropped ${counts.dropped} = ${done} (${what}); ` +
      'every sent call must end as exactly one of ok, an error or dropped',
  )
}
