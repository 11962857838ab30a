/** What the caller and the broker meter measured in one cell, as the result file's telemetry cell. */
import { failedCellCommon } from '../cell-runner.ts'
import { perSec, withAccountingChecked } from '../../core/accounting.ts'
import { packetCounts, type BrokerCounts } from '../../core/counters.ts'
import { summarizeEncoded } from '../../core/histogram.ts'
import type { TelemetryCell } from '../../core/result.ts'
import { emptyTelemetryMeasures, telemetryStats, type PublishTraffic } from '../../core/telemetry.ts'
import type { CallerCellData } from '../../loadgen/telemetry/messages.ts'
import type { TelemetryCellSpec } from './options.ts'

/** One run of one cell: the caller's figures, and the broker's PUBLISH traffic during the load. */
export interface TelemetryPart {
  data: CallerCellData
  traffic: PublishTraffic
  /** The cell's planned load time (samples/s are per second of it). */
  durationMs: number
}

export function telemetryCellResult(cell: TelemetryCellSpec, part: TelemetryPart, broker: BrokerCounts | undefined): TelemetryCell {
  const { data: d, traffic: t } = part
  const elapsedMs = Math.round(Math.min(d.loadMs, part.durationMs))
  return withAccountingChecked<TelemetryCell>({
    kind: 'telemetry',
    id: cell.id,
    labels: cell.labels,
    status: 'ok',
    counts: { sent: d.counts.sent, ok: d.counts.ok, dropped: d.counts.dropped, errors: { ...d.counts.errors } },
    elapsedMs,
    throughput: { callsPerSec: perSec(d.counts.ok, elapsedMs) },
    latencyUs: summarizeEncoded(d.freshness),
    deviceErrors: { ...d.deviceErrors },
    // Every packet of the cell, set-up included (the load's PUBLISH traffic is in telemetry.broker*).
    ...(broker ? { broker: { ...packetCounts(broker), source: 'broker' as const } } : {}),
    telemetry: telemetryStats(d.counts, {
      published: d.published,
      received: d.received,
      duplicates: d.duplicates,
      lateReplies: d.lateReplies,
      messagesMissed: d.messagesMissed,
      brokerPublishIn: t.publishIn,
      brokerPublishOut: t.publishOut,
      brokerPayloadIn: t.payloadIn,
      brokerPayloadOut: t.payloadOut,
      callerCpuUs: d.callerCpuUs,
      loadMs: Math.round(d.loadMs),
    }),
    series: d.series,
  })
}

/** A cell that could not run (the caller process failed or timed out): kept with its reason. */
export function failedTelemetryCell(cell: TelemetryCellSpec, error: string): TelemetryCell {
  const common = failedCellCommon(cell, error)
  return {
    kind: 'telemetry',
    ...common,
    deviceErrors: {},
    telemetry: telemetryStats(common.counts, emptyTelemetryMeasures()),
  }
}
