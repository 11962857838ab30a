/** reconnect-storm's terminal table: one row per connect pacing. */
import { errorTotal } from '../../core/accounting.ts'
import { recoveryRates } from '../../core/recovery.ts'
import type { CellResult, RecoveryCell } from '../../core/result.ts'
import { formatMs, num, type Column } from '../../reports/summary.ts'

const only = (f: (c: RecoveryCell) => string) => (c: CellResult): string => (c.kind === 'recovery' ? f(c) : '-')
const recoveryMs = (stat: 'p50' | 'p99' | 'max') => only((c) => (c.recovery.recoveryUs.count > 0 ? formatMs(c.recovery.recoveryUs[stat]) : '-'))

export const STORM_COLUMNS: Column[] = [
  { title: 'cell', value: (c) => c.id, align: 'left' },
  { title: 'status', value: (c) => c.status, align: 'left' },
  { title: 'recovered', value: only((c) => `${num(c.recovery.recovered)}/${num(c.recovery.gateways)}`) },
  { title: 'recovery p50', value: recoveryMs('p50') },
  { title: 'p99', value: recoveryMs('p99') },
  { title: 'max', value: recoveryMs('max') },
  { title: 'CONNECTs', value: only((c) => num(c.recovery.attempts)) },
  { title: 'peak/s', value: only((c) => num(c.recovery.peakAttemptsPerSec)) },
  { title: 'CONNACK p99', value: only((c) => (c.recovery.connackUs.count > 0 ? formatMs(c.recovery.connackUs.p99) : '-')) },
  { title: 'subs/s', value: only((c) => num(recoveryRates(c.recovery).filtersPerSec, 0)) },
  { title: 'calls', value: (c) => num(c.counts.sent) },
  { title: 'failed', value: (c) => num(errorTotal(c.counts)) },
  { title: 'failed in recovery', value: only((c) => `${num(c.recovery.callsFailedDuringRecovery)}/${num(c.recovery.callsDuringRecovery)}`) },
]
