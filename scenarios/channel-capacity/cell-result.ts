/**
 * Turns what a channel worker measured into the result file's cell: sent = produced,
 * ok = delivered, dropped = dropped, errors by kind (try-full, closed, cancelled, deadlock,
 * undelivered), so `sent = ok + Σ errors + dropped` is the cell's accounting invariant.
 */
import type { ChannelCellData } from '../../loadgen/channel/messages.ts'
import { emptyClientStats } from '../../loadgen/clients/types.ts'
import { emptySummary, summarizeEncoded } from '../../core/histogram.ts'
import { accountingError, type CellResult } from '../../core/result.ts'
import type { BrokerCounts } from '../../simulator/broker.ts'
import type { ChannelCellSpec } from '../channel-runner.ts'
import { failedCell } from '../cell-result.ts'

const perSec = (n: number, ms: number): number => (ms > 0 ? Math.round((n / (ms / 1000)) * 100) / 100 : 0)

export function channelCellResult(cell: ChannelCellSpec, d: ChannelCellData, brokerDelta: BrokerCounts | undefined): CellResult {
  const empty = emptySummary()
  const result: CellResult = {
    id: cell.id,
    labels: cell.labels,
    status: d.status,
    ...(d.reason === undefined ? {} : { error: d.reason }),
    counts: { sent: d.produced, ok: d.delivered, dropped: d.dropped, errors: { ...d.errors } },
    deviceErrors: {},
    broker: brokerDelta
      ? { subscribe: brokerDelta.subscribe, unsubscribe: brokerDelta.unsubscribe, publish: brokerDelta.publish, source: 'broker' }
      : { subscribe: 2, unsubscribe: 1, publish: d.produced - d.dropped - (d.errors['try-full'] ?? 0), source: 'clients' },
    clients: { ...emptyClientStats(), connections: d.connections, subscribes: 2, unsubscribes: 1, peakInFlight: d.peakInflight },
    throughput: { callsPerSec: perSec(d.delivered, d.elapsedMs), roundsPerSec: 0 },
    rounds: 0,
    roundsPastDeadline: 0,
    roundsMissed: 0,
    elapsedMs: d.elapsedMs,
    latencyUs: summarizeEncoded(d.latency),
    latencyUncorrectedUs: summarizeEncoded(d.latencyUncorrected),
    roundUs: empty,
    roundUncorrectedUs: empty,
    blockingUs: summarizeEncoded(d.blocking),
    channel: {
      capacity: cell.capacity,
      policy: cell.policy,
      fault: cell.fault,
      produced: d.produced,
      delivered: d.delivered,
      dropped: d.dropped,
      tryFailures: d.errors['try-full'] ?? 0,
      missed: d.missed,
      duplicates: d.duplicates,
      maxQueueDepth: d.maxQueueDepth,
      maxChannelLength: d.maxChannelLength,
      maxRingDepth: d.maxRingDepth,
      maxBlockedSenders: d.maxBlockedSenders,
      peakInflight: d.peakInflight,
      takenWhileDown: d.takenWhileDown,
      disconnects: d.disconnects,
      replies: d.replies,
      peakRssBytes: d.peakRssBytes,
      peakMemoryBytes: d.peakMemoryBytes,
      memoryGrowthBytes: Math.max(0, d.peakMemoryBytes - d.baselineMemoryBytes),
      produceMs: d.produceMs,
      faultWindows: d.faultWindows,
      ...(d.deadlockAfterMs === undefined ? {} : { deadlockAfterMs: d.deadlockAfterMs }),
      ...(d.proxy === undefined ? {} : { proxy: d.proxy }),
    },
    series: d.series,
  }
  const broken = accountingError(result)
  return broken ? { ...result, status: 'failed', error: broken } : result
}

/** A cell that could not run (worker crash, setup failure, time limit): kept with its reason. */
export function failedChannelCell(cell: ChannelCellSpec, error: string): CellResult {
  const empty = emptySummary()
  return { ...failedCell(cell, error), latencyUncorrectedUs: empty, blockingUs: empty }
}
