/** Turns a merged worker slice into the result file's cell shape. */
import { emptyClientStats, type ClientStats } from '../loadgen/clients/types.ts'
import type { SliceResult } from '../loadgen/engine/types.ts'
import { summarizeEncoded, emptySummary } from '../core/histogram.ts'
import { accountingError, type CellResult } from '../core/result.ts'
import type { BrokerCounts } from '../simulator/broker.ts'

export interface CellIdentity {
  id: string
  labels: CellResult['labels']
}

const perSec = (n: number, ms: number): number => (ms > 0 ? Math.round((n / (ms / 1000)) * 100) / 100 : 0)

export function cellFromSlice(cell: CellIdentity, slice: SliceResult, brokerDelta: BrokerCounts | undefined): CellResult {
  const clients: ClientStats = slice.clients
  const result: CellResult = {
    id: cell.id,
    labels: cell.labels,
    status: 'ok',
    counts: { sent: slice.counts.sent, ok: slice.counts.ok, dropped: slice.counts.dropped, errors: { ...slice.counts.errors } },
    deviceErrors: slice.deviceErrors,
    broker: brokerDelta
      ? { subscribe: brokerDelta.subscribe, unsubscribe: brokerDelta.unsubscribe, publish: brokerDelta.publish, source: 'broker' }
      : { subscribe: clients.subscribes, unsubscribe: clients.unsubscribes, publish: 0, source: 'clients' },
    clients: { ...clients },
    throughput: { callsPerSec: perSec(slice.counts.ok, slice.elapsedMs), roundsPerSec: perSec(slice.rounds, slice.elapsedMs) },
    rounds: slice.rounds,
    roundsPastDeadline: slice.roundsPastDeadline,
    roundsMissed: slice.roundsMissed,
    elapsedMs: Math.round(slice.elapsedMs),
    latencyUs: summarizeEncoded(slice.callLatency),
    roundUs: summarizeEncoded(slice.roundLatency),
    roundUncorrectedUs: summarizeEncoded(slice.roundLatencyUncorrected),
    series: slice.series.map(({ hist: _hist, ...p }) => p),
  }
  const broken = accountingError(result)
  if (broken) return { ...result, status: 'failed', error: broken }
  return result
}

/** A cell that could not run (worker crash, setup failure): kept in the result with its reason. */
export function failedCell(cell: CellIdentity, error: string): CellResult {
  const empty = emptySummary()
  return {
    id: cell.id,
    labels: cell.labels,
    status: 'failed',
    error,
    counts: { sent: 0, ok: 0, dropped: 0, errors: {} },
    deviceErrors: {},
    broker: { subscribe: 0, unsubscribe: 0, publish: 0, source: 'clients' },
    clients: emptyClientStats(),
    throughput: { callsPerSec: 0, roundsPerSec: 0 },
    rounds: 0,
    roundsPastDeadline: 0,
    roundsMissed: 0,
    elapsedMs: 0,
    latencyUs: empty,
    roundUs: empty,
    roundUncorrectedUs: empty,
    series: [],
  }
}

export function brokerDelta(before: BrokerCounts | undefined, after: BrokerCounts | undefined): BrokerCounts | undefined {
  if (!before || !after) return undefined
  return {
    connect: after.connect - before.connect,
    subscribe: after.subscribe - before.subscribe,
    unsubscribe: after.unsubscribe - before.unsubscribe,
    publish: after.publish - before.publish,
  }
}
