/**
 * Turns what a channel worker measured into the result file's cell: sent = produced,
 * ok = delivered, dropped = dropped, errors by kind (try-full, closed, cancelled, deadlock,
 * undelivered), so `sent = ok + Σ errors + dropped` is the cell's accounting invariant.
 */
import { failedCellCommon } from '../cell-runner.ts'
import { perSec, withAccountingChecked } from '../../core/accounting.ts'
import { packetCounts, type BrokerCounts } from '../../core/counters.ts'
import { emptySummary, summarizeEncoded } from '../../core/histogram.ts'
import { channelMeasures, emptyChannelMeasures } from '../../core/channel-measures.ts'
import type { ChannelCell } from '../../core/result.ts'
import type { ChannelCellData } from '../../loadgen/channel/messages.ts'
import type { ChannelCellSpec } from './cells.ts'

export function channelCellResult(cell: ChannelCellSpec, d: ChannelCellData, brokerDelta: BrokerCounts | undefined): ChannelCell {
  return withAccountingChecked<ChannelCell>({
    kind: 'channel',
    id: cell.id,
    labels: cell.labels,
    status: d.status,
    ...(d.reason === undefined ? {} : { error: d.reason }),
    counts: { sent: d.produced, ok: d.delivered, dropped: d.dropped, errors: { ...d.errors } },
    // An external broker's packets are not counted, so not reported.
    ...(brokerDelta ? { broker: { ...packetCounts(brokerDelta), source: 'broker' as const } } : {}),
    throughput: { callsPerSec: perSec(d.delivered, d.elapsedMs) },
    elapsedMs: d.elapsedMs,
    latencyUs: summarizeEncoded(d.latency),
    latencyUncorrectedUs: summarizeEncoded(d.latencyUncorrected),
    blockingUs: summarizeEncoded(d.blocking),
    channel: {
      capacity: cell.capacity,
      policy: cell.policy,
      fault: cell.fault,
      ...channelMeasures(d),
      tryFailures: d.errors['try-full'] ?? 0,
      memoryGrowthBytes: Math.max(0, d.peakMemoryBytes - d.baselineMemoryBytes),
    },
    series: d.series,
  })
}

/** A channel cell that could not run (worker crash, setup failure, time limit): kept with its reason. */
export function failedChannelCell(cell: ChannelCellSpec, error: string): ChannelCell {
  const empty = emptySummary()
  return {
    kind: 'channel',
    ...failedCellCommon(cell, error),
    latencyUncorrectedUs: empty,
    blockingUs: empty,
    channel: { capacity: cell.capacity, policy: cell.policy, fault: cell.fault, ...emptyChannelMeasures(), tryFailures: 0, memoryGrowthBytes: 0 },
  }
}
