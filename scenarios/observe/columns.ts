/** The terminal table of a recording: one row per caller. */
import { errorTotal } from '../../core/accounting.ts'
import type { CellResult, ObserveCell } from '../../core/result.ts'
import { formatMs, num, type Column } from '../../reports/summary.ts'

const ob = (f: (c: ObserveCell) => string) => (c: CellResult): string => (c.kind === 'observe' ? f(c) : '-')

export const OBSERVE_COLUMNS: Column[] = [
  { title: 'caller', value: (c) => c.id, align: 'left' },
  { title: 'calls', value: (c) => num(c.counts.sent) },
  { title: 'ok', value: (c) => num(c.counts.ok) },
  { title: 'errors', value: (c) => num(errorTotal(c.counts)) },
  { title: 'calls/s', value: (c) => num(c.throughput.callsPerSec, 1) },
  { title: 'rtt p50', value: (c) => formatMs(c.latencyUs.p50) },
  { title: 'rtt p99', value: (c) => formatMs(c.latencyUs.p99) },
  { title: 'service p99', value: ob((c) => formatMs(c.serviceUs.p99)) },
  { title: 'SUB/call', value: ob((c) => (c.observe.subscribesPerCall === undefined ? 'n/a' : c.observe.subscribesPerCall.toFixed(2))) },
  { title: 'peak', value: ob((c) => (c.clients === undefined ? 'n/a' : num(c.clients.peakInFlight))) },
  { title: 'conns', value: ob((c) => (c.clients === undefined ? 'n/a' : num(c.clients.connections))) },
  { title: 'torn down', value: ob((c) => (c.clients === undefined ? 'n/a' : num(c.clients.teardownsWithPending))) },
]
