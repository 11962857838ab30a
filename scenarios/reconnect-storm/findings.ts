/** What a reconnect-storm run showed, from its measured cells only. */
import { recoveryRates } from '../../core/recovery.ts'
import { isRecoveryCell, type CellResult, type RecoveryCell } from '../../core/result.ts'
import { formatMs } from '../../reports/summary.ts'

const pacing = (c: RecoveryCell): string => (Number(c.labels.connectRate) > 0 ? `paced at ${c.labels.connectRate} connects/s` : 'all at once')
const pct = (n: number, d: number): string => (d > 0 ? `${((100 * n) / d).toFixed(1)}%` : '0%')

function cellFinding(c: RecoveryCell): string {
  const r = c.recovery
  const rates = recoveryRates(r)
  const what = r.fault === 'cut' ? `every connection was cut for ${(r.downtimeMs / 1000).toFixed(1)} s` : `the broker was down for ${(r.downtimeMs / 1000).toFixed(1)} s`
  const back =
    r.recovered === r.gateways
      ? `all ${r.gateways} gateways had every subscription back ${formatMs(r.recoveryUs.max)} after the broker returned (p50 ${formatMs(r.recoveryUs.p50)}, p99 ${formatMs(r.recoveryUs.p99)})`
      : `only ${r.recovered} of ${r.gateways} gateways recovered before the deadline (${rates.unrecovered} never did)`
  return `${c.id} (${pacing(c)}): ${what}; ${back}. They sent ${r.attempts} CONNECTs (at most ${r.peakAttemptsPerSec} in one second, ${rates.attemptsPerSec.toFixed(0)}/s on average), CONNACK p99 ${r.connackUs.count > 0 ? formatMs(r.connackUs.p99) : '-'}, and restored ${r.filtersRestored} subscriptions at ${rates.filtersPerSec.toFixed(0)}/s. The caller lost ${r.callsFailedDuringRecovery} of the ${r.callsDuringRecovery} calls it started between the fault and the last recovery (${pct(r.callsFailedDuringRecovery, r.callsDuringRecovery)}).`
}

/** Pacing against all-at-once: what it cost in recovery time and bought in connect peaks and CONNACK latency. */
function comparison(cells: readonly RecoveryCell[]): string | undefined {
  const ok = cells.filter((c) => c.status === 'ok' && c.recovery.recovered === c.recovery.gateways)
  const burst = ok.find((c) => Number(c.labels.connectRate) === 0)
  const paced = ok.filter((c) => Number(c.labels.connectRate) > 0)
  if (!burst || paced.length === 0) return undefined
  const parts = paced.map((p) => {
    const ratio = burst.recovery.recoveryUs.max > 0 ? p.recovery.recoveryUs.max / burst.recovery.recoveryUs.max : Number.NaN
    // Fewer attempts for a faster recovery: paced attempts waited instead of failing against the down broker, so backoffs stayed short.
    const failed = (c: RecoveryCell): number => c.recovery.attempts - c.recovery.connackUs.count
    const fewer = ratio < 1 && failed(p) < failed(burst) ? `; only ${failed(p)} of its CONNECTs went unanswered against ${failed(burst)}, so the reconnect backoffs grew less` : ''
    return `at ${p.labels.connectRate}/s the last gateway was back after ${formatMs(p.recovery.recoveryUs.max)} (${Number.isFinite(ratio) ? `${ratio.toFixed(1)}×` : 'n/a'} all at once's ${formatMs(burst.recovery.recoveryUs.max)}) with at most ${p.recovery.peakAttemptsPerSec} CONNECTs in a second instead of ${burst.recovery.peakAttemptsPerSec}, CONNACK p99 ${formatMs(p.recovery.connackUs.p99)} instead of ${formatMs(burst.recovery.connackUs.p99)}${fewer}`
  })
  return `Pacing against all at once: ${parts.join('; ')}.`
}

export function stormFindings(all: readonly CellResult[]): string[] {
  const cells = all.filter(isRecoveryCell)
  const out = cells.map((c) => (c.status === 'ok' ? cellFinding(c) : `${c.id}: ${c.status}: ${c.error ?? 'no detail'}`))
  const cmp = comparison(cells)
  if (cmp) out.push(cmp)
  return out
}
