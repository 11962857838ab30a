/**
 * What the gateways did around one fault, from the fleet's connection events: every gateway's
 * recovery (broker back → all its filters acknowledged again), CONNACK latency, CONNECTs per
 * second, subscriptions restored. Pure bookkeeping on the events' own times, so it is tested exactly.
 */
import { createHistogram, destroyHistogram, encodeHistogram, recordUs, summarizeEncoded, type Histogram } from '../../core/histogram.ts'
import type { RecoveryStats } from '../../core/result.ts'

/** The events a fleet reports (simulator/connection-observer.ts), as this book takes them. */
export interface ConnectionEvents {
  attempt(gatewayId: string, at: number): void
  connected(gatewayId: string, at: number, connackMs: number): void
  subscribed(gatewayId: string, at: number, filters: number): void
  lost(gatewayId: string, at: number): void
}

export class RecoveryBook implements ConnectionEvents {
  private faultAt: number | undefined
  private backAt: number | undefined
  private readonly recoveredAt = new Map<string, number>()
  private lastRecoveredAt = Number.NEGATIVE_INFINITY
  private readonly attemptsBySecond = new Map<number, number>()
  private attempts = 0
  private filters = 0
  private readonly connack: Histogram
  private readonly recovery: Histogram

  constructor(private readonly gateways: number) {
    this.connack = createHistogram()
    this.recovery = createHistogram()
  }

  /** The fault began (the broker closed, or the proxy cut every connection). */
  fault(at: number): void {
    this.faultAt = at
  }

  /** The broker is reachable again: recoveries are timed from here. */
  back(at: number): void {
    this.backAt = at
  }

  get recovered(): number {
    return this.recoveredAt.size
  }

  /** When the last gateway recovered; undefined until all have. */
  get allRecoveredAt(): number | undefined {
    return this.recoveredAt.size >= this.gateways ? this.lastRecoveredAt : undefined
  }

  attempt(_gatewayId: string, at: number): void {
    if (this.faultAt === undefined || at < this.faultAt) return
    this.attempts++
    const second = Math.floor((at - this.faultAt) / 1000)
    this.attemptsBySecond.set(second, (this.attemptsBySecond.get(second) ?? 0) + 1)
  }

  connected(_gatewayId: string, at: number, connackMs: number): void {
    if (this.faultAt === undefined || at < this.faultAt) return
    recordUs(this.connack, connackMs * 1000)
  }

  subscribed(gatewayId: string, at: number, filters: number): void {
    if (this.faultAt === undefined || at < this.faultAt || this.recoveredAt.has(gatewayId)) return
    this.recoveredAt.set(gatewayId, at)
    this.lastRecoveredAt = Math.max(this.lastRecoveredAt, at)
    this.filters += filters
    recordUs(this.recovery, Math.max(0, at - (this.backAt ?? this.faultAt)) * 1000)
  }

  lost(): void {}

  /** The figures, the window ending at the last recovery or at `endAt` (the deadline) if some never recovered. */
  stats(fault: RecoveryStats['fault'], downtimeMs: number, endAt: number, calls: { calls: number; failed: number }): RecoveryStats {
    const back = this.backAt ?? this.faultAt ?? endAt
    const last = this.allRecoveredAt ?? endAt
    return {
      fault,
      gateways: this.gateways,
      recovered: this.recoveredAt.size,
      downtimeMs: Math.round(downtimeMs),
      recoveryUs: summarizeEncoded(encodeHistogram(this.recovery)),
      connackUs: summarizeEncoded(encodeHistogram(this.connack)),
      attempts: this.attempts,
      peakAttemptsPerSec: Math.max(0, ...this.attemptsBySecond.values()),
      filtersRestored: this.filters,
      recoveryWindowMs: Math.max(0, Math.round(last - back)),
      callsDuringRecovery: calls.calls,
      callsFailedDuringRecovery: calls.failed,
    }
  }

  destroy(): void {
    destroyHistogram(this.connack)
    destroyHistogram(this.recovery)
  }
}
