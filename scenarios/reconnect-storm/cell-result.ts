/** What one storm cell measured, as the result file's recovery cell. */
import { failedCellCommon } from '../cell-runner.ts'
import { perSec, withAccountingChecked } from '../../core/accounting.ts'
import type { BrokerCounts } from '../../core/counters.ts'
import { emptySummary, summarizeEncoded } from '../../core/histogram.ts'
import type { CellCounts, RecoveryCell, RecoveryStats } from '../../core/result.ts'
import type { SeriesPoint } from '../../core/series.ts'
import type { ReconnectStormOptions, StormCellSpec } from './options.ts'

export interface RecoveryPart {
  counts: CellCounts
  deviceErrors: Record<string, number>
  /** Encoded HDR histogram of the caller's successful calls, µs. */
  latency: string
  series: Array<SeriesPoint & { hist?: string }>
  elapsedMs: number
  stats: RecoveryStats
}

export function recoveryCellResult(cell: StormCellSpec, part: RecoveryPart, _broker: BrokerCounts | undefined): RecoveryCell {
  const elapsedMs = Math.round(part.elapsedMs)
  return withAccountingChecked<RecoveryCell>({
    kind: 'recovery',
    id: cell.id,
    labels: cell.labels,
    status: 'ok',
    counts: { sent: part.counts.sent, ok: part.counts.ok, dropped: part.counts.dropped, errors: { ...part.counts.errors } },
    elapsedMs,
    throughput: { callsPerSec: perSec(part.counts.ok, elapsedMs) },
    latencyUs: summarizeEncoded(part.latency),
    deviceErrors: { ...part.deviceErrors },
    recovery: part.stats,
    series: part.series.map(({ hist: _hist, ...p }) => p),
  })
}

export function failedRecoveryCell(cell: StormCellSpec, o: Pick<ReconnectStormOptions, 'fault' | 'gateways'>, error: string): RecoveryCell {
  const empty = emptySummary()
  return {
    kind: 'recovery',
    ...failedCellCommon(cell, error),
    deviceErrors: {},
    recovery: {
      fault: o.fault, gateways: o.gateways, recovered: 0, downtimeMs: 0, recoveryUs: empty, connackUs: empty, attempts: 0,
      peakAttemptsPerSec: 0, filtersRestored: 0, recoveryWindowMs: 0, callsDuringRecovery: 0, callsFailedDuringRecovery: 0,
    },
  }
}
