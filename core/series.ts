/**
 * Per-interval series (1 s by default) of completed calls, errors and p99 latency, for throughput
 * and latency-over-time charts. Each interval keeps its encoded histogram too, so series from
 * several workers, repeats or shards merge exactly (`mergeSeries`).
 *
 * Alignment: interval i covers [startMs + i·intervalMs, startMs + (i+1)·intervalMs) and is reported
 * as `t = (i+1)·intervalMs / 1000`, the end of the interval in seconds. Series only align across
 * threads if they share `startMs` on a common time base: the default clock is `epochClock`
 * (performance.timeOrigin + performance.now(), comparable between worker threads, unlike a bare
 * performance.now()), so the main thread can pass one `startMs` to every worker.
 */
import {
  addInto,
  createHistogram,
  decodeHistogram,
  destroyHistogram,
  encodeHistogram,
  recordUs,
  type Histogram,
} from './histogram.ts'

export interface NowClock {
  /** Milliseconds. */
  now(): number
}

/** Milliseconds since the epoch at sub-millisecond resolution, monotonic within a thread. */
export const epochClock: NowClock = { now: () => performance.timeOrigin + performance.now() }

export type SeriesPoint = {
  /** Seconds since start at the end of the interval (1, 2, 3, … with 1 s intervals). */
  t: number
  ok: number
  errors: number
  /** p99 of the ok calls' latency in µs; 0 when there were none. */
  p99Us: number
  /** Encoded histogram of the ok calls' latency; absent when there were none (or not kept). */
  hist?: string
}

export interface IntervalSeriesOptions {
  clock?: NowClock
  /** Default 1000. */
  intervalMs?: number
  /** Default: clock.now() at construction. */
  startMs?: number
  /** Keep each interval's encoded histogram (needed for exact merges). Default true. */
  keepHistograms?: boolean
  /** The interval histogram's build; default: the thread's (see createHistogram). */
  build?: 'js' | 'wasm'
}

export class IntervalSeries {
  readonly intervalMs: number
  readonly startMs: number
  private readonly clock: NowClock
  private readonly keepHistograms: boolean
  private readonly hist: Histogram
  private readonly closed: SeriesPoint[] = []
  private current = 0
  private ok = 0
  private errors = 0

  constructor(opts: IntervalSeriesOptions = {}) {
    const intervalMs = opts.intervalMs ?? 1000
    if (!Number.isFinite(intervalMs) || intervalMs <= 0) {
      throw new Error(`intervalMs must be a positive number of milliseconds, got ${intervalMs}`)
    }
    this.intervalMs = intervalMs
    this.clock = opts.clock ?? epochClock
    this.startMs = opts.startMs ?? this.clock.now()
    this.keepHistograms = opts.keepHistograms ?? true
    this.hist = createHistogram({ build: opts.build })
  }

  /**
   * One successful call of `latencyUs`, completed at `nowMs` (default: the clock's now). Time only
   * moves forward: a `nowMs` earlier than the current interval counts in the current interval.
   */
  recordOk(latencyUs: number, nowMs: number = this.clock.now()): void {
    this.advance(nowMs)
    this.ok++
    recordUs(this.hist, latencyUs)
  }

  /** One failed call, completed at `nowMs` (default: the clock's now). */
  recordError(nowMs: number = this.clock.now()): void {
    this.advance(nowMs)
    this.errors++
  }

  /**
   * Every completed interval since start (empty ones as zeros), plus the current, partial interval
   * if anything was recorded in it.
   */
  snapshot(nowMs: number = this.clock.now()): SeriesPoint[] {
    this.advance(nowMs)
    const points = this.closed.map((p) => ({ ...p }))
    if (this.ok + this.errors > 0) points.push(this.pointOfCurrent())
    return points
  }

  /** Frees the interval histogram (matters for WebAssembly histograms). */
  destroy(): void {
    destroyHistogram(this.hist)
  }

  /** Closes intervals up to the one containing `nowMs`; times before start count as interval 0. */
  private advance(nowMs: number): void {
    const index = Math.floor((nowMs - this.startMs) / this.intervalMs)
    if (!(index > this.current)) return
    this.closed.push(this.pointOfCurrent())
    while (this.closed.length < index) {
      this.closed.push({ t: this.tOf(this.closed.length), ok: 0, errors: 0, p99Us: 0 })
    }
    this.current = index
    this.ok = 0
    this.errors = 0
    this.hist.reset()
  }

  private pointOfCurrent(): SeriesPoint {
    const point: SeriesPoint = { t: this.tOf(this.current), ok: this.ok, errors: this.errors, p99Us: 0 }
    if (this.ok > 0) {
      point.p99Us = this.hist.getValueAtPercentile(99)
      if (this.keepHistograms) point.hist = encodeHistogram(this.hist)
    }
    return point
  }

  private tOf(index: number): number {
    return ((index + 1) * this.intervalMs) / 1000
  }
}

/**
 * Merges two series by `t`, adding counts. p99 is exact when every side with ok calls carries its
 * histogram; otherwise it is max(p99a, p99b), an upper bound of the true p99, and `hist` is dropped.
 */
export function mergeSeries(a: readonly SeriesPoint[], b: readonly SeriesPoint[]): SeriesPoint[] {
  const byT = new Map<number, SeriesPoint>()
  for (const p of [...a, ...b]) {
    const seen = byT.get(p.t)
    byT.set(p.t, seen === undefined ? { ...p } : mergePoint(seen, p))
  }
  return [...byT.values()].sort((x, y) => x.t - y.t)
}

function mergePoint(x: SeriesPoint, y: SeriesPoint): SeriesPoint {
  const merged: SeriesPoint = { t: x.t, ok: x.ok + y.ok, errors: x.errors + y.errors, p99Us: 0 }
  const withOk = [x, y].filter((p) => p.ok > 0)
  const hists = withOk.flatMap((p) => (p.hist === undefined ? [] : [p.hist]))
  if (hists.length < withOk.length) {
    merged.p99Us = Math.max(x.p99Us, y.p99Us)
  } else if (hists.length === 1) {
    merged.p99Us = withOk[0]?.p99Us ?? 0
    merged.hist = hists[0]
  } else if (hists.length === 2) {
    const acc = createHistogram()
    for (const h of hists) addInto(acc, decodeHistogram(h))
    merged.p99Us = acc.getValueAtPercentile(99)
    merged.hist = encodeHistogram(acc)
  }
  return merged
}
