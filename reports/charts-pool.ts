/**
 * The pool-size sweep (`--pool-size 1,2,4,8…`): calls/s, call p99 and connections against K, one
 * line per kind of pool cell (with retries, a line per retry count). Drawn only when a run has at
 * least two pool sizes.
 */
import { BASELINE_DASH, colorOf, type ChartLine, type ChartSpec } from './chart-spec.ts'
import { isRpcCell, type CellResult, type RpcCell } from '../core/result.ts'

const poolSizeOf = (c: RpcCell): number | undefined => (c.labels.strategy === 'pool' && typeof c.labels.poolSize === 'number' && c.status === 'ok' ? c.labels.poolSize : undefined)
const lineOf = (c: RpcCell): string => (typeof c.labels.retries === 'number' && c.labels.retries > 0 ? `pool, ${c.labels.retries} retries` : 'pool')

function byLine(cells: readonly CellResult[]): Map<string, Map<number, RpcCell>> {
  const out = new Map<string, Map<number, RpcCell>>()
  for (const c of cells.filter(isRpcCell)) {
    const k = poolSizeOf(c)
    if (k === undefined) continue
    const line = out.get(lineOf(c)) ?? new Map<number, RpcCell>()
    line.set(k, c)
    out.set(lineOf(c), line)
  }
  return out
}

const METRICS: Array<{ id: string; title: string; explain: string; y: ChartSpec['y']; pick: (c: RpcCell) => number | null }> = [
  { id: 'pool-calls', title: 'Pool: calls/s by pool size', explain: 'Successful calls per second against the clients per user (K): where the line flattens, more connections stop buying throughput.', y: { label: 'calls/s', unit: 'perSec', log: false }, pick: (c) => c.throughput.callsPerSec },
  { id: 'pool-p99', title: 'Pool: call p99 by pool size', explain: 'The slowest 1% of successful calls against K.', y: { label: 'call p99', unit: 'ms', log: false }, pick: (c) => (c.latencyUs.count > 0 ? c.latencyUs.p99 / 1000 : null) },
  { id: 'pool-connections', title: 'Pool: connections by pool size', explain: 'MQTT connections the cell opened (K per user, plus reconnects after teardowns): the price of each step.', y: { label: 'connections', unit: 'count', log: false }, pick: (c) => c.clients.connections },
]

export function poolCharts(cells: readonly CellResult[], baseline: readonly CellResult[] = []): ChartSpec[] {
  const run = byLine(cells)
  const sizes = [...new Set([...run.values()].flatMap((m) => [...m.keys()]))].sort((a, b) => a - b)
  if (sizes.length < 2) return []
  const base = byLine(baseline)
  const x: ChartSpec['x'] = { kind: 'category', label: 'pool size K (clients per user)', categories: sizes.map(String) }
  return METRICS.map((m) => {
    const lines: ChartLine[] = []
    ;[...run].forEach(([label, bySize], i) => {
      lines.push({ label, color: colorOf(i), values: sizes.map((k) => (bySize.has(k) ? m.pick(bySize.get(k)!) : null)) })
      const b = base.get(label)
      if (b) lines.push({ label: `${label} (baseline)`, color: colorOf(i), dash: BASELINE_DASH, baselineOf: label, values: sizes.map((k) => (b.has(k) ? m.pick(b.get(k)!) : null)) })
    })
    return { id: m.id, title: m.title, explain: m.explain, x, y: m.y, points: true, xs: sizes.map((_, i) => i), lines }
  })
}
