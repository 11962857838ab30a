/** Turns a merged worker slice into the result file's RPC cell. */
import { failedCellCommon } from '../cell-runner.ts'
import { perSec, withAccountingChecked } from '../../core/accounting.ts'
import { emptyClientStats, packetCounts, type BrokerCounts } from '../../core/counters.ts'
import { emptySummary, summarizeEncoded } from '../../core/histogram.ts'
import type { CellBrokerCounts, RpcCell } from '../../core/result.ts'
import type { SliceResult } from '../../loadgen/engine/types.ts'
import type { CellIdentity } from '../cell-runner.ts'

/** The broker's own counts when it was measured, else what the clients sent. */
export function cellBroker(delta: BrokerCounts | undefined, fromClients: Omit<CellBrokerCounts, 'source'>): CellBrokerCounts {
  return delta
    ? { ...packetCounts(delta), source: 'broker' }
    : { ...fromClients, source: 'clients' }
}

export function rpcCellFromSlice(cell: CellIdentity, slice: SliceResult, brokerDelta: BrokerCounts | undefined): RpcCell {
  return withAccountingChecked<RpcCell>({
    kind: 'rpc',
    id: cell.id,
    labels: cell.labels,
    status: 'ok',
    counts: { sent: slice.counts.sent, ok: slice.counts.ok, dropped: slice.counts.dropped, errors: { ...slice.counts.errors } },
    deviceErrors: slice.deviceErrors,
    broker: cellBroker(brokerDelta, { subscribe: slice.clients.subscribes, unsubscribe: slice.clients.unsubscribes, publish: 0 }),
    clients: { ...slice.clients },
    throughput: { callsPerSec: perSec(slice.counts.ok, slice.elapsedMs), roundsPerSec: perSec(slice.rounds, slice.elapsedMs) },
    rounds: slice.rounds,
    roundsPastDeadline: slice.roundsPastDeadline,
    roundsMissed: slice.roundsMissed,
    attempts: { ...slice.attempts, errors: { ...slice.attempts.errors } },
    elapsedMs: Math.round(slice.elapsedMs),
    latencyUs: summarizeEncoded(slice.callLatency),
    roundUs: summarizeEncoded(slice.roundLatency),
    roundUncorrectedUs: summarizeEncoded(slice.roundLatencyUncorrected),
    series: slice.series.map(({ hist: _hist, ...p }) => p),
  })
}

/** An RPC cell that could not run (worker crash, setup failure): kept in the result with its reason. */
export function failedRpcCell(cell: CellIdentity, error: string): RpcCell {
  const empty = emptySummary()
  return {
    kind: 'rpc',
    ...failedCellCommon(cell, error),
    deviceErrors: {},
    broker: cellBroker(undefined, { subscribe: 0, unsubscribe: 0, publish: 0 }),
    clients: emptyClientStats(),
    throughput: { callsPerSec: 0, roundsPerSec: 0 },
    rounds: 0,
    roundsPastDeadline: 0,
    roundsMissed: 0,
    attempts: { sent: 0, ok: 0, errors: {}, retried: 0, retriedOk: 0 },
    roundUs: empty,
    roundUncorrectedUs: empty,
  }
}
