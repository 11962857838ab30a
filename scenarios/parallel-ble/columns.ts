/** parallel-ble's terminal table: one row per strategy cell. */
import { attemptsPerCall, errorTotal } from '../../core/accounting.ts'
import type { CellResult } from '../../core/result.ts'
import { formatMs, num, type Column } from '../../reports/summary.ts'

const onlyRpc = (f: (c: Extract<CellResult, { kind: 'rpc' }>) => string) => (c: CellResult): string => (c.kind === 'rpc' ? f(c) : '-')

export const PARALLEL_COLUMNS: Column[] = [
  { title: 'cell', value: (c) => c.id, align: 'left' },
  { title: 'status', value: (c) => c.status, align: 'left' },
  { title: 'calls/s', value: (c) => num(c.throughput.callsPerSec, 1) },
  { title: 'rounds/s', value: onlyRpc((c) => num(c.throughput.roundsPerSec, 2)) },
  { title: 'call p50', value: (c) => formatMs(c.latencyUs.p50) },
  { title: 'call p99', value: (c) => formatMs(c.latencyUs.p99) },
  { title: 'round p99', value: onlyRpc((c) => formatMs(c.roundUs.p99)) },
  { title: 'sent', value: (c) => num(c.counts.sent) },
  { title: 'ok', value: (c) => num(c.counts.ok) },
  { title: 'timeout', value: (c) => num(c.counts.errors.timeout ?? 0) },
  { title: 'violation', value: (c) => num(c.counts.errors['protocol-violation'] ?? 0) },
  { title: 'device', value: (c) => num(c.counts.errors['device-error'] ?? 0) },
  { title: 'other err', value: (c) => num(errorTotal(c.counts) - (c.counts.errors.timeout ?? 0) - (c.counts.errors['protocol-violation'] ?? 0) - (c.counts.errors['device-error'] ?? 0)) },
  { title: 'tries/call', value: onlyRpc((c) => (c.counts.sent ? attemptsPerCall(c).toFixed(2) : '-')) },
  { title: 'conns', value: onlyRpc((c) => num(c.clients.connections)) },
  { title: 'SUB/call', value: onlyRpc((c) => (c.counts.sent ? ((c.broker.subscribe + c.broker.unsubscribe) / c.counts.sent).toFixed(2) : '-')) },
]
