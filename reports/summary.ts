/** The terminal summary: one row per cell, then the findings. Plain text, no colours when piped. */
import type { CellResult, RunResult } from '../core/result.ts'

export function formatMs(us: number): string {
  if (us === 0) return '-'
  const ms = us / 1000
  if (ms < 10) return `${ms.toFixed(2)}ms`
  if (ms < 1000) return `${ms.toFixed(0)}ms`
  return `${(ms / 1000).toFixed(2)}s`
}

export const num = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })

export interface Column<C extends CellResult = CellResult> {
  title: string
  value: (c: C) => string
  align?: 'left' | 'right'
}

/** A wait that can be microseconds (drop policies) or seconds (a stalled channel). */
export function formatWait(us: number | undefined): string {
  if (us === undefined || us === 0) return '-'
  return us < 1000 ? `${us}µs` : formatMs(us)
}

export function table(cells: readonly CellResult[], columns: readonly Column[]): string {
  const rows = cells.map((c) => columns.map((col) => col.value(c)))
  const widths = columns.map((col, i) => Math.max(col.title.length, ...rows.map((r) => r[i]!.length)))
  const line = (vals: string[]): string =>
    vals.map((v, i) => (columns[i]!.align === 'left' ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ').trimEnd()
  return [line(columns.map((c) => c.title)), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

export function summaryText(result: RunResult, columns: readonly Column[]): string {
  const links = result.environment.links
  const out = [...(links ? [`links: callers ↔ broker ${links.caller} · gateways ↔ broker ${links.gateway}`, ''] : []), table(result.cells, columns), '']
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
