/**
 * reconnect-storm charts: against the connect pacing (one category per cell), how long the gateways
 * took to be back (p50, p99, max over gateways) and what connect load that took (the peak CONNECTs
 * in one second, and CONNACK p99). Recovery cells only.
 */
import { BASELINE_DASH, colorOf, type ChartLine, type ChartSpec } from './chart-spec.ts'
import { isRecoveryCell, type CellResult, type RecoveryCell } from '../core/result.ts'

type Pick = (c: RecoveryCell) => number | null
const ms = (f: (c: RecoveryCell) => number, count: (c: RecoveryCell) => number): Pick => (c) => (count(c) > 0 ? f(c) / 1000 : null)

function lines(cells: readonly RecoveryCell[], base: ReadonlyMap<string, RecoveryCell>, series: Array<{ label: string; pick: Pick }>): ChartLine[] {
  const out: ChartLine[] = []
  series.forEach((s, i) => {
    out.push({ label: s.label, color: colorOf(i), values: cells.map((c) => (c.status === 'ok' ? s.pick(c) : null)) })
    if (cells.some((c) => base.has(c.id))) out.push({ label: `${s.label} (baseline)`, color: colorOf(i), dash: BASELINE_DASH, baselineOf: s.label, values: cells.map((c) => (base.has(c.id) ? s.pick(base.get(c.id)!) : null)) })
  })
  return out
}

export function recoveryCharts(all: readonly CellResult[], baseline: readonly CellResult[] = []): ChartSpec[] {
  const cells = all.filter(isRecoveryCell)
  if (cells.length === 0) return []
  const base = new Map(baseline.filter(isRecoveryCell).map((c) => [c.id, c]))
  const x: ChartSpec['x'] = { kind: 'category', label: 'connect pacing (gateway connects/s, 0 = all at once)', categories: cells.map((c) => String(c.labels.connectRate ?? c.id)) }
  const xs = cells.map((_, i) => i)
  const recovered = (c: RecoveryCell): number => c.recovery.recoveryUs.count
  return [
    {
      id: 'recovery-time',
      title: 'Recovery time by connect pacing',
      explain: 'From the broker back up until a gateway had every subscription acknowledged again: its devices answer from then on. p50, p99 and the last gateway, over the gateways.',
      x,
      y: { label: 'recovery', unit: 'ms', log: true },
      points: true,
      xs,
      lines: lines(cells, base, [
        { label: 'p50', pick: ms((c) => c.recovery.recoveryUs.p50, recovered) },
        { label: 'p99', pick: ms((c) => c.recovery.recoveryUs.p99, recovered) },
        { label: 'max', pick: ms((c) => c.recovery.recoveryUs.max, recovered) },
      ]),
    },
    {
      id: 'recovery-load',
      title: 'Connect load by connect pacing',
      explain: 'The most CONNECTs the gateways sent in any one second of the recovery: what the broker had to absorb at once.',
      x,
      y: { label: 'CONNECTs in a second', unit: 'count', log: true },
      points: true,
      xs,
      lines: lines(cells, base, [{ label: 'peak CONNECTs/s', pick: (c) => c.recovery.peakAttemptsPerSec }]),
    },
    {
      id: 'recovery-connack',
      title: 'CONNACK p99 by connect pacing',
      explain: 'CONNECT → CONNACK of the gateways that got in during the recovery: how hard a burst of connects hits the broker.',
      x,
      y: { label: 'CONNACK p99', unit: 'ms', log: true },
      points: true,
      xs,
      lines: lines(cells, base, [{ label: 'CONNACK p99', pick: ms((c) => c.recovery.connackUs.p99, (c) => c.recovery.connackUs.count) }]),
    },
  ]
}
