/**
 * What a channel cell measures: where every produced request ended (delivered, dropped, failed by
 * kind), send blocking and end-to-end latency histograms (µs), a 1 s series of deliveries, losses
 * and queue depth, and peak memory sampled every 100 ms: the process's RSS, and the cell worker's
 * own V8 heap plus array buffers (payload Buffers live there), from a baseline taken before the cell
 * built anything. Deliveries are de-duplicated by sequence number (a QoS 1 publish resent after a
 * reconnect can arrive twice).
 */
import type { Clock, TimerHandle } from '../../core/clock.ts'
import { createHistogram, destroyHistogram, encodeHistogram, recordUs, type Histogram } from '../../core/histogram.ts'
import { IntervalSeries } from '../../core/series.ts'
import type { ChannelSeriesPoint } from '../../core/result.ts'

export const LOSS_KINDS = ['try-full', 'closed', 'cancelled', 'deadlock', 'undelivered'] as const
export type LossKind = (typeof LOSS_KINDS)[number]

export interface CellMetricsOptions {
  clock: Clock
  /** Expected number of sends, to size the de-duplication map (it grows if needed). */
  expected: number
  /** Queue depth (channel + ring) and blocked producers, sampled every `sampleMs`. */
  depth(): number
  blocked(): number
  sampleMs?: number
}

export class CellMetrics {
  delivered = 0
  dropped = 0
  duplicates = 0
  readonly errors: Record<LossKind, number> = { 'try-full': 0, closed: 0, cancelled: 0, deadlock: 0, undelivered: 0 }
  readonly blocking: Histogram
  readonly latency: Histogram
  readonly latencyUncorrected: Histogram
  peakRssBytes = 0
  /** heapUsed + arrayBuffers of this thread. */
  peakMemoryBytes = 0
  baselineMemoryBytes = 0
  private series: IntervalSeries | undefined
  private start = 0
  private seen: Uint8Array
  private readonly depthMax: number[] = []
  private readonly blockedAtEnd: number[] = []
  private timer: TimerHandle | undefined
  private readonly sampleMs: number

  constructor(private readonly opts: CellMetricsOptions) {
    this.sampleMs = opts.sampleMs ?? 100
    this.seen = new Uint8Array(Math.max(1024, Math.ceil(opts.expected * 1.25)))
    this.blocking = createHistogram()
    this.latency = createHistogram()
    this.latencyUncorrected = createHistogram()
    const m = process.memoryUsage()
    this.baselineMemoryBytes = m.heapUsed + m.arrayBuffers
    this.peakMemoryBytes = this.baselineMemoryBytes
    this.peakRssBytes = m.rss
  }

  /** Starts the series and the sampler; intervals count from `startMs`. */
  begin(startMs: number): void {
    this.start = startMs
    this.series = new IntervalSeries({ clock: this.opts.clock, startMs, keepHistograms: false })
    this.sample()
  }

  get failed(): number {
    let n = 0
    for (const k of LOSS_KINDS) n += this.errors[k]
    return n
  }

  recordBlockingMs(ms: number): void {
    recordUs(this.blocking, ms * 1000)
  }

  /** A data publish reached the subscriber; false if it is a duplicate. */
  recordDelivery(seq: number, intendedAt: number, calledAt: number, now: number): boolean {
    if (seq >= this.seen.length) {
      const next = new Uint8Array(Math.max(seq + 1, this.seen.length * 2))
      next.set(this.seen)
      this.seen = next
    }
    if (this.seen[seq] === 1) {
      this.duplicates++
      return false
    }
    this.seen[seq] = 1
    this.delivered++
    const us = (now - intendedAt) * 1000
    // A real timer can fire a fraction of a millisecond early: never measure from after the call.
    recordUs(this.latency, intendedAt <= calledAt ? us : (now - calledAt) * 1000)
    recordUs(this.latencyUncorrected, (now - calledAt) * 1000)
    this.series?.recordOk(us, now)
    return true
  }

  recordDropped(now: number): void {
    this.dropped++
    this.series?.recordError(now)
  }

  recordLoss(kind: LossKind, now: number, count = 1): void {
    this.errors[kind] += count
    for (let i = 0; i < count; i++) this.series?.recordError(now)
  }

  /** Stops sampling; returns the series with queue depth and blocked producers per interval. */
  finish(now: number): ChannelSeriesPoint[] {
    if (this.timer) this.opts.clock.clearTimeout(this.timer)
    this.timer = undefined
    this.sample(false)
    const points = this.series?.snapshot(now) ?? []
    return points.map(({ hist: _hist, ...p }, i) => ({ ...p, queueDepth: this.depthMax[i] ?? 0, blocked: this.blockedAtEnd[i] ?? 0 }))
  }

  encoded(): { blocking: string; latency: string; latencyUncorrected: string } {
    return { blocking: encodeHistogram(this.blocking), latency: encodeHistogram(this.latency), latencyUncorrected: encodeHistogram(this.latencyUncorrected) }
  }

  destroy(): void {
    if (this.timer) this.opts.clock.clearTimeout(this.timer)
    this.timer = undefined
    destroyHistogram(this.blocking)
    destroyHistogram(this.latency)
    destroyHistogram(this.latencyUncorrected)
    this.series?.destroy()
  }

  private sample(rearm = true): void {
    const now = this.opts.clock.now()
    const i = Math.max(0, Math.floor((now - this.start) / 1000))
    const depth = this.opts.depth()
    if (depth > (this.depthMax[i] ?? -1)) this.depthMax[i] = depth
    this.blockedAtEnd[i] = this.opts.blocked()
    for (let j = 0; j < i; j++) this.depthMax[j] ??= 0
    const m = process.memoryUsage()
    if (m.rss > this.peakRssBytes) this.peakRssBytes = m.rss
    if (m.heapUsed + m.arrayBuffers > this.peakMemoryBytes) this.peakMemoryBytes = m.heapUsed + m.arrayBuffers
    if (rearm) this.timer = this.opts.clock.setTimeout(() => this.sample(), this.sampleMs)
  }
}
