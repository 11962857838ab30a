/**
 * report.html: the verdict and findings first, then the cells, the charts, errors, thresholds and
 * where the run happened. Every string taken from a result goes through escapeHtml (markup) or
 * jsonForScript (chart data); nothing from a result is ever placed in a script or an attribute
 * that runs.
 */
import { reportCharts } from './charts.ts'
import { colorOf, type ChartSpec } from './chart-spec.ts'
import { escapeHtml as esc } from './escape.ts'
import { renderPage } from './html-page.ts'
import { cellsTable, environmentSection, errorsTable, thresholdsTable } from './html-tables.ts'
import type { MergedResult } from './merge.ts'
import type { RunResult } from '../core/result.ts'

export interface ReportOptions {
  baseline?: RunResult
  /** Where the baseline came from, shown in the header. */
  baselineName?: string
}

export interface Verdict {
  level: 'pass' | 'fail' | 'warn'
  headline: string
  detail: string
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`

/** PASS / FAIL / PARTIAL in one line, from the cells' status and the thresholds. */
export function verdict(result: RunResult): Verdict {
  const failed = result.cells.filter((c) => c.status === 'failed')
  const deadlocked = result.cells.filter((c) => c.status === 'deadlock')
  const badThresholds = result.thresholds.filter((t) => !t.pass)
  const parts = [plural(result.cells.length, 'cell')]
  if (deadlocked.length > 0) parts.push(`${deadlocked.length} deadlocked (${deadlocked.map((c) => c.id).join(', ')})`)
  if (result.thresholds.length > 0) parts.push(`${result.thresholds.length - badThresholds.length} of ${plural(result.thresholds.length, 'threshold')} passed`)
  const detail = parts.join(' · ')
  if (failed.length > 0) return { level: 'fail', headline: `FAILED: ${failed.map((c) => c.id).join(', ')} could not run`, detail }
  if (badThresholds.length > 0)
    return { level: 'fail', headline: `FAIL: ${badThresholds.map((t) => `${t.expr} on ${t.cell}`).join('; ')}`, detail }
  if (result.partial) return { level: 'warn', headline: 'PARTIAL: the run stopped early; the figures cover the cells that ran', detail }
  if (result.thresholds.length === 0) return { level: 'pass', headline: 'DONE: no thresholds were set', detail }
  return { level: 'pass', headline: `PASS: all ${plural(result.thresholds.length, 'threshold')} passed`, detail }
}

function header(result: MergedResult, o: ReportOptions): string {
  const v = verdict(result)
  const when = result.startedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')
  const env = result.environment
  const baseline = o.baseline
    ? `<p class="meta">Baseline (dashed lines): ${esc(o.baselineName ?? 'baseline')}, ${esc(o.baseline.startedAt)}, git ${esc(o.baseline.environment.git)}</p>`
    : ''
  return `<header>
<h1>fleetbench · ${esc(result.scenario)}</h1>
<p class="meta">${esc(when)} · ${esc(env.broker.kind)} ${esc(env.broker.version)} · Node ${esc(env.node)} · ${esc(env.cpus)} CPUs · git ${esc(env.git)}${result.merged ? ` · merged from ${result.merged.parts.length} results` : ''}</p>
${env.links ? `<p class="meta" id="links">Links: callers ↔ broker ${esc(env.links.caller)} · gateways ↔ broker ${esc(env.links.gateway)}</p>` : ''}
${baseline}
<div class="verdict ${v.level}" id="verdict">${esc(v.headline)}<span class="sub">${esc(v.detail)}</span></div>
</header>`
}

function findings(result: RunResult): string {
  const items = result.findings.map((f) => `<li>${esc(f)}</li>`).join('\n')
  const notes = result.notes.map((n) => `<p class="note">Note: ${esc(n)}</p>`).join('\n')
  if (!items && !notes) return ''
  return `<section id="findings"><h2>Findings</h2>
${items ? `<ul class="findings">\n${items}\n</ul>` : ''}
${notes}
</section>`
}

function chartFigure(c: ChartSpec): string {
  const wide = c.id === 'spectrum' || c.x.kind === 'percentile'
  return `<figure class="${wide ? 'wide' : ''}" id="figure-${esc(c.id)}">
<h3>${esc(c.title)}</h3>
<p class="explain">${esc(c.explain)}</p>
<div class="chart" id="chart-${esc(c.id)}"></div>
</figure>`
}

/** Sweep charts (x = a swept setting) under their own heading, by id prefix; other category charts are channel-capacity's. */
const SWEEPS: ReadonlyArray<{ prefix: string; heading: string }> = [
  { prefix: 'pool-', heading: 'Pool size' },
  { prefix: 'telemetry-', heading: 'Telemetry vs RPC, by sampling rate' },
  { prefix: 'recovery-', heading: 'Recovery, by connect pacing' },
]

function chartsSection(charts: readonly ChartSpec[], hasBaseline: boolean): string {
  if (charts.length === 0) return '<section id="charts"><h2>Charts</h2><p class="note">No cell recorded any calls, so there is nothing to chart.</p></section>'
  const grid = (heading: string, list: readonly ChartSpec[]): string => (list.length > 0 ? `<h2>${esc(heading)}</h2>\n<div class="grid">\n${list.map(chartFigure).join('\n')}\n</div>` : '')
  const inSweep = (c: ChartSpec): boolean => SWEEPS.some((w) => c.id.startsWith(w.prefix))
  const channel = charts.filter((c) => c.x.kind === 'category' && !inSweep(c))
  const others = charts.filter((c) => c.x.kind !== 'category')
  const legend = hasBaseline ? '<p class="explain">Solid lines are this run; dashed lines in the same colour are the baseline. Click a legend entry to hide its line.</p>' : '<p class="explain">Click a legend entry to hide its line; hover to read values.</p>'
  return `<section id="charts"><h2>Charts</h2>
${legend}
<div class="grid">
${others.map(chartFigure).join('\n')}
</div>
${grid('Channel capacity', channel)}
${SWEEPS.map((w) => grid(w.heading, charts.filter((c) => c.id.startsWith(w.prefix)))).join('\n')}
</section>`
}

/** The whole report as one HTML string. */
export function renderReport(result: RunResult, o: ReportOptions = {}): string {
  const charts = reportCharts(result, o.baseline)
  const colors = new Map(result.cells.map((c, i) => [c.id, colorOf(i)]))
  const body = [
    header(result, o),
    findings(result),
    `<section id="cells"><h2>Cells</h2>\n${cellsTable(result.cells, colors, o.baseline)}\n</section>`,
    chartsSection(charts, o.baseline !== undefined),
    `<section id="errors"><h2>Errors</h2>\n${errorsTable(result.cells)}\n</section>`,
    result.thresholds.length > 0 ? `<section id="thresholds"><h2>Thresholds</h2>\n${thresholdsTable(result)}\n</section>` : '',
    environmentSection(result),
    `<footer>Written by fleetbench ${esc(result.environment.fleetbench ?? '')}. This file is self-contained: it loads nothing from the network.</footer>`,
  ]
  return renderPage({ title: `fleetbench · ${result.scenario} · ${result.startedAt}`, body: body.filter((s) => s !== '').join('\n\n'), data: { charts } })
}
