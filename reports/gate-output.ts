/** The gate's verdict as a terminal table, Markdown (PR comments, job summaries) and JUnit XML. */
import type { Comparison, GateReport } from './gate.ts'
import { formatMs } from './summary.ts'

const fmt = (c: Comparison, v: number): string =>
  c.metric === 'callsPerSec' ? v.toFixed(1) : c.metric === 'errorRate' ? `${(v * 100).toFixed(2)}%` : formatMs(v)

const change = (c: Comparison): string => {
  if (!Number.isFinite(c.worse)) return c.worse > 0 ? 'worse (from 0)' : 'better'
  const v = c.metric === 'errorRate' ? `${(Math.abs(c.worse) * 100).toFixed(2)} pt` : `${(Math.abs(c.worse) * 100).toFixed(1)}%`
  return c.worse === 0 ? '0' : `${v} ${c.worse > 0 ? 'worse' : 'better'}`
}

const ICON: Record<Comparison['verdict'], string> = { improved: 'improved', unchanged: 'unchanged', regressed: 'REGRESSED' }

function rows(report: GateReport): string[][] {
  return report.comparisons.map((c) => [c.cell, c.metric, fmt(c, c.baseline), fmt(c, c.current), change(c), ICON[c.verdict], c.p === undefined ? '' : c.p.toFixed(3), c.note ?? ''])
}
const HEAD = ['cell', 'metric', 'baseline', 'current', 'change', 'verdict', 'p', 'note']

function problems(report: GateReport): string[] {
  return [
    ...report.broken.map((b) => `broken cell ${b}`),
    ...report.missing.map((m) => `cell ${m} is in the baseline but not in the result`),
    ...report.thresholdFailures.map((t) => `threshold failed: ${t.cell}: ${t.expr} (actual ${t.actual})`),
  ]
}

const added = (report: GateReport): string[] =>
  report.added.length ? [`new in the result, not compared: ${report.added.join(', ')}`] : []

export function verdictLine(report: GateReport): string {
  const n = (v: Comparison['verdict']): number => report.comparisons.filter((c) => c.verdict === v).length
  return `gate ${report.failed ? 'FAILED' : 'passed'}: ${n('regressed')} regressed, ${n('improved')} improved, ${n('unchanged')} unchanged${problems(report).length ? `, ${problems(report).length} other problem(s)` : ''}`
}

export function gateTable(report: GateReport): string {
  const all = [HEAD, ...rows(report)]
  const widths = HEAD.map((_, i) => Math.max(...all.map((r) => r[i]!.length)))
  const lines = all.map((r) => r.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd())
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '))
  return [...lines, '', ...added(report), ...problems(report), verdictLine(report)].join('\n')
}

const mdCell = (s: string): string => s.replace(/[|\\`*_<>[\]]/g, (ch) => `\\${ch}`).replace(/\n/g, ' ')

export function gateMarkdown(report: GateReport): string {
  const lines = [`### fleetbench gate: ${mdCell(report.scenario)} — ${report.failed ? 'failed' : 'passed'}`, '', mdCell(verdictLine(report)), '']
  const p = problems(report)
  if (p.length) lines.push(...p.map((x) => `- ${mdCell(x)}`), '')
  for (const a of added(report)) lines.push(mdCell(a), '')
  lines.push(`| ${HEAD.join(' | ')} |`, `|${HEAD.map(() => '---').join('|')}|`)
  for (const r of rows(report)) lines.push(`| ${r.map(mdCell).join(' | ')} |`)
  return `${lines.join('\n')}\n`
}

/** Characters XML 1.0 does not allow: every control character but tab, line feed and carriage return. */
const XML_FORBIDDEN = /[^\t\n\r\u0020-\uffff]/g

const xml = (s: string): string =>
  s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[ch]!).replace(XML_FORBIDDEN, '')

export function gateJUnit(report: GateReport): string {
  const cases: string[] = []
  for (const c of report.comparisons) {
    const name = xml(`${c.cell} ${c.metric}`)
    const body = c.verdict === 'regressed' ? `<failure message="${xml(`${c.metric} ${change(c)}: ${fmt(c, c.baseline)} -> ${fmt(c, c.current)}`)}"/>` : ''
    cases.push(`    <testcase classname="${xml(report.scenario)}" name="${name}">${body}</testcase>`)
  }
  for (const p of problems(report)) cases.push(`    <testcase classname="${xml(report.scenario)}" name="${xml(p)}"><failure message="${xml(p)}"/></testcase>`)
  const failures = report.comparisons.filter((c) => c.verdict === 'regressed').length + problems(report).length
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n  <testsuite name="fleetbench gate ${xml(report.scenario)}" tests="${cases.length}" failures="${failures}">\n${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`
}
