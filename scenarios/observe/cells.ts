/** What a recording fleet saw, as result cells: one per caller, or per group of callers by client id prefix. */
import { perSec, withAccountingChecked } from '../../core/accounting.ts'
import { summarizeEncoded, emptySummary } from '../../core/histogram.ts'
import type { ObserveCell } from '../../core/result.ts'
import { mergeCells } from '../../reports/merge.ts'
import { FleetRecorder, type CallerStats } from '../../simulator/observe/recorder.ts'

export type GroupBy = 'client' | 'client-prefix'

/** `app-pool-7` → `app-pool`; `worker_12` → `worker`: the id without its trailing number. */
export const clientPrefix = (client: string): string => client.replace(/[-_.:]*\d+$/, '') || client

const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0)

function callerCell(c: CallerStats, id: string, brokerSeen: boolean, endAt: number): ObserveCell {
  const h = FleetRecorder.encode(c)
  const elapsedMs = Math.max(1, Math.round(c.lastAt - c.firstAt))
  const packets = c.subscribes + c.unsubscribes
  return withAccountingChecked<ObserveCell>({
    kind: 'observe',
    id,
    labels: { client: id },
    status: 'ok',
    counts: {
      sent: c.requests,
      ok: c.ok,
      dropped: c.dropped,
      errors: { 'device-error': sum(c.deviceErrors), 'bad-request': sum(c.badRequests), undeliverable: c.undeliverable },
    },
    elapsedMs,
    throughput: { callsPerSec: perSec(c.ok, elapsedMs) },
    latencyUs: brokerSeen ? summarizeEncoded(h.latency) : emptySummary(),
    serviceUs: summarizeEncoded(h.service),
    deviceErrors: { ...c.deviceErrors },
    badRequests: { ...c.badRequests },
    ...(brokerSeen
      ? {
          broker: { subscribe: c.subscribes, unsubscribe: c.unsubscribes, publish: c.requests, source: 'broker' as const },
          clients: { connections: c.connections, disconnects: c.disconnects, teardownsWithPending: c.teardownsWithPending, callsPendingAtTeardown: c.callsPendingAtTeardown, peakInFlight: c.peakInFlight },
        }
      : { unavailable: ['latencyUs', 'broker', 'clients', 'undeliverable'] }),
    observe: {
      conventions: { ...c.conventions },
      verbs: { ...c.verbs },
      qos: { ...c.qos },
      deviceCalls: c.deviceCalls,
      ...(brokerSeen && c.requests > 0 ? { subscribesPerCall: Math.round((packets / c.requests) * 100) / 100 } : {}),
      peakInFlightPerDevice: c.peakInFlightPerDevice,
      callsToUnopenedDevice: c.callsToUnopenedDevice,
      replyTopics: [...c.replyTopics],
      members: [c.client],
    },
    series: c.series.snapshot(endAt).map(({ hist: _h, ...p }) => p),
  })
}

/**
 * The cells of a finished recording (call `recorder.finish()` first), callers in the order they
 * first appeared. A group's cell adds its members' counts and histograms; its peaks are the
 * highest member's.
 */
export function observeCells(rec: FleetRecorder, groupBy: GroupBy, endAt = rec.now()): ObserveCell[] {
  // A caller that only connected and subscribed (its calls torn down before any request) is still a caller.
  const callers = [...rec.callers.values()].filter((c) => c.requests > 0 || c.subscribes > 0)
  const key = (c: CallerStats): string => (groupBy === 'client' ? c.client : clientPrefix(c.client))
  const groups = new Map<string, CallerStats[]>()
  for (const c of callers) groups.set(key(c), [...(groups.get(key(c)) ?? []), c])
  return [...groups].map(([id, members]) => {
    const cells = members.map((m) => callerCell(m, id, rec.brokerAttached, endAt))
    if (cells.length === 1) return cells[0]!
    const merged = mergeCells(cells, 'concurrent') as ObserveCell
    // Calls per SUBSCRIBE are a ratio: recomputed for the group, not added.
    const packets = (merged.broker?.subscribe ?? 0) + (merged.broker?.unsubscribe ?? 0)
    if (merged.observe.subscribesPerCall !== undefined) merged.observe.subscribesPerCall = merged.counts.sent > 0 ? Math.round((packets / merged.counts.sent) * 100) / 100 : 0
    return merged
  })
}
