/** The terminal summary: one row per cell, then the findings. Plain text, no colours when piped. */
import { errorTotal, type CellResult, type RunResult } from '../core/result.ts'

export function formatMs(us: number): string {
  if (us === 0) return '-'
  const ms = us / 1000
  if (ms < 10) return `${ms.toFixed(2)}ms`
  if (ms < 1000) return `${ms.toFixed(0)}ms`
  return `${(ms / 1000).toFixed(2)}s`
}

const num = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })

export interface Column {
  title: string
  value: (c: CellResult) => string
  align?: 'left' | 'right'
}

export const PARALLEL_COLUMNS: Column[] = [
  { title: 'cell', value: (c) => c.id, align: 'left' },
  { title: 'status', value: (c) => c.status, align: 'left' },
  { title: 'calls/s', value: (c) => num(c.throughput.callsPerSec, 1) },
  { title: 'rounds/s', value: (c) => num(c.throughput.roundsPerSec, 2) },
  { title: 'call p50', value: (c) => formatMs(c.latencyUs.p50) },
  { title: 'call p99', value: (c) => formatMs(c.latencyUs.p99) },
  { title: 'round p99', value: (c) => formatMs(c.roundUs.p99) },
  { title: 'sent', value: (c) => num(c.counts.sent) },
  { title: 'ok', value: (c) => num(c.counts.ok) },
  { title: 'timeout', value: (c) => num(c.counts.errors.timeout ?? 0) },
  { title: 'violation', value: (c) => num(c.counts.errors['protocol-violation'] ?? 0) },
  { title: 'device', value: (c) => num(c.counts.errors['device-error'] ?? 0) },
  { title: 'other err', value: (c) => num(errorTotal(c.counts) - (c.counts.errors.timeout ?? 0) - (c.counts.errors['protocol-violation'] ?? 0) - (c.counts.errors['device-error'] ?? 0)) },
  { title: 'conns', value: (c) => num(c.clients.connections) },
  { title: 'SUB/call', value: (c) => (c.counts.sent ? ((c.broker.subscribe + c.broker.unsubscribe) / c.counts.sent).toFixed(2) : '-') },
]

/** A wait that can be microseconds (drop policies) or seconds (a stalled channel). */
export function formatWait(us: number | undefined): string {
  if (us === undefined || us === 0) return '-'
  return us < 1000 ? `${us}µs` : formatMs(us)
}

const mb = (bytes: number | undefined): string => (bytes === undefined ? '-' : (bytes / 2 ** 20).toFixed(1))

/** channel-capacity: one row per capacity × policy (× fault); the id is `<policy>-c<capacity>-<fault>`. */
export const CHANNEL_COLUMNS: Column[] = [
  { title: 'cell', value: (c) => c.id, align: 'left' },
  { title: 'status', value: (c) => c.status, align: 'left' },
  { title: 'sent', value: (c) => num(c.counts.sent) },
  { title: 'delivered', value: (c) => num(c.counts.ok) },
  { title: 'dropped', value: (c) => num(c.counts.dropped) },
  { title: 'try-full', value: (c) => num(c.counts.errors['try-full'] ?? 0) },
  { title: 'other err', value: (c) => num(errorTotal(c.counts) - (c.counts.errors['try-full'] ?? 0)) },
  { title: 'block p50', value: (c) => formatWait(c.blockingUs?.p50) },
  { title: 'block p99', value: (c) => formatWait(c.blockingUs?.p99) },
  { title: 'block max', value: (c) => formatWait(c.blockingUs?.max) },
  { title: 'e2e p50', value: (c) => formatMs(c.latencyUs.p50) },
  { title: 'e2e p99', value: (c) => formatMs(c.latencyUs.p99) },
  { title: 'uncorr p99', value: (c) => formatMs(c.latencyUncorrectedUs?.p99 ?? 0) },
  { title: 'max depth', value: (c) => num(c.channel?.maxQueueDepth ?? 0) },
  { title: 'mem +MB', value: (c) => mb(c.channel?.memoryGrowthBytes) },
]

export function table(cells: readonly CellResult[], columns: readonly Column[]): string {
  const rows = cells.map((c) => columns.map((col) => col.value(c)))
  const widths = columns.map((col, i) => Math.max(col.title.length, ...rows.map((r) => r[i]!.length)))
  const line = (vals: string[]): string =>
    vals.map((v, i) => (columns[i]!.align === 'left' ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ').trimEnd()
  return [line(columns.map((c) => c.title)), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

export function summaryText(result: RunResult, columns: readonly Column[]): string {
  const out = [table(result.cells, columns), '']
  for (const f of result.findings) out.push(wrap(f, 100), '')
  for (const n of result.notes) out.push(wrap(`note: ${n}`, 100))
  const failed = result.thresholds.filter((t) => !t.pass)
  if (result.thresholds.length > 0)
    out.push('', `thresholds: ${result.thresholds.length - failed.length} passed, ${failed.length} failed`, ...failed.map((t) => `  FAIL ${t.cell}: ${t.expr} (actual ${t.actual})`))
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()
}

export function wrap(text: string, width: number): string {
  const words = text.split(/\s+/)
  const lines: string[] = []
  let cur = ''
  for (const w of words) {
    if (cur.length > 0 && cur.length + 1 + w.length > width) {
      lines.push(cur)
      cur = w
    } else cur = cur ? `${cur} ${w}` : w
  }
  if (cur) lines.push(cur)
  return lines.join('\n')
}
