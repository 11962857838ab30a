/** The report's tables: cells, errors, thresholds, environment and options. All text escaped. */
import { escapeHtml as esc } from './escape.ts'
import type { MergedResult } from './merge.ts'
import { errorRate, errorTotal } from '../core/accounting.ts'
import { isRecoveryCell, isTelemetryCell, type CellResult, type RecoveryCell, type RunResult, type TelemetryCell } from '../core/result.ts'
import { formatMs } from './summary.ts'
import type { LatencySummary } from '../core/histogram.ts'

const num = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
/** A latency or wait: µs below a millisecond (drop policies wait µs, a stalled channel seconds). */
const wait = (us: number): string => (us > 0 && us < 1000 ? `${us}µs` : formatMs(us))
const ms = (s: LatencySummary | undefined, stat: 'p50' | 'p90' | 'p99' | 'p999' | 'max'): string => (s && s.count > 0 ? wait(s[stat]) : '-')

interface Column {
  title: string
  left?: boolean
  /** Long text that may wrap. */
  wrap?: boolean
  /** Already-escaped HTML. */
  cell(c: CellResult): string
}

function table(cells: readonly CellResult[], columns: readonly Column[], id: string): string {
  const head = columns.map((col) => `<th class="${col.left ? 'l' : ''}">${esc(col.title)}</th>`).join('')
  const cls = (col: Column): string => [col.left ? 'l' : '', col.wrap ? 'wrap' : ''].join(' ').trim()
  const rows = cells.map((c) => `<tr data-cell="${esc(c.id)}">${columns.map((col) => `<td class="${cls(col)}">${col.cell(c)}</td>`).join('')}</tr>`)
  return `<div class="scroll"><table id="${id}"><thead><tr>${head}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table></div>`
}

/** Relative change; for latency lower is better, for throughput higher is better. */
function delta(now: number, before: number | undefined, higherIsBetter: boolean): string {
  if (before === undefined || before === 0 || now === 0) return '-'
  const pct = ((now - before) / before) * 100
  const good = higherIsBetter ? pct >= 0 : pct <= 0
  const sign = pct > 0 ? '+' : ''
  return `<span class="${Math.abs(pct) < 0.05 ? '' : good ? 'better' : 'worse'}">${sign}${pct.toFixed(1)}%</span>`
}

/** Figures only some kinds of cell have. */
const roundOf = (c: CellResult): LatencySummary | undefined => (c.kind === 'rpc' ? c.roundUs : undefined)
const blockingOf = (c: CellResult): LatencySummary | undefined => (c.kind === 'channel' ? c.blockingUs : undefined)
const uncorrectedOf = (c: CellResult): LatencySummary | undefined => (c.kind === 'channel' ? c.latencyUncorrectedUs : undefined)
const deviceErrorsOf = (c: CellResult): Record<string, number> => (c.kind === 'channel' ? {} : c.deviceErrors)
const serviceOf = (c: CellResult): LatencySummary | undefined => (c.kind === 'observe' ? c.serviceUs : undefined)
const tel = (f: (c: TelemetryCell) => string) => (c: CellResult): string => (c.kind === 'telemetry' ? f(c) : '-')

export function cellsTable(cells: readonly CellResult[], colors: ReadonlyMap<string, string>, baseline?: RunResult): string {
  const base = new Map(baseline?.cells.map((c) => [c.id, c]))
  const some = (f: (c: CellResult) => boolean): boolean => cells.some(f)
  const columns: Column[] = [
    {
      title: 'cell',
      left: true,
      cell: (c) =>
        `<span class="swatch" style="background:${colors.get(c.id) ?? '#999'}"></span>${esc(c.id)}<span class="labels">${Object.entries(c.labels).map(([k, v]) => `${esc(k)}=${esc(v)}`).join(' ')}</span>`,
    },
    { title: 'status', left: true, cell: (c) => `<span class="status-${esc(c.status)}">${esc(c.status)}</span>` },
    { title: 'calls/s', cell: (c) => num(c.throughput.callsPerSec, 1) },
    { title: 'p50', cell: (c) => ms(c.latencyUs, 'p50') },
    { title: 'p90', cell: (c) => ms(c.latencyUs, 'p90') },
    { title: 'p99', cell: (c) => ms(c.latencyUs, 'p99') },
    { title: 'p99.9', cell: (c) => ms(c.latencyUs, 'p999') },
    { title: 'max', cell: (c) => ms(c.latencyUs, 'max') },
  ]
  if (some((c) => (uncorrectedOf(c)?.count ?? 0) > 0)) columns.push({ title: 'p99 uncorr.', cell: (c) => ms(uncorrectedOf(c), 'p99') })
  if (some((c) => (serviceOf(c)?.count ?? 0) > 0)) columns.push({ title: 'service p99', cell: (c) => ms(serviceOf(c), 'p99') })
  if (some((c) => (roundOf(c)?.count ?? 0) > 0)) columns.push({ title: 'round p99', cell: (c) => ms(roundOf(c), 'p99') })
  if (some((c) => (blockingOf(c)?.count ?? 0) > 0)) {
    columns.push({ title: 'blocking p99', cell: (c) => ms(blockingOf(c), 'p99') }, { title: 'blocking max', cell: (c) => ms(blockingOf(c), 'max') })
  }
  if (some(isTelemetryCell)) {
    columns.push(
      { title: 'msgs/sample', cell: tel((c) => num(c.telemetry.messagesPerSample, 2)) },
      { title: 'bytes/sample', cell: tel((c) => num(c.telemetry.bytesPerSample, 0)) },
      { title: 'caller CPU µs/sample', cell: tel((c) => num(c.telemetry.callerCpuUsPerSample, 1)) },
      { title: 'missed', cell: tel((c) => `${(100 * c.telemetry.missedRate).toFixed(2)}%`) },
    )
  }
  if (some(isRecoveryCell)) {
    const rec = (f: (c: RecoveryCell) => string) => (c: CellResult): string => (c.kind === 'recovery' ? f(c) : '-')
    columns.push(
      { title: 'recovered', cell: rec((c) => `${num(c.recovery.recovered)}/${num(c.recovery.gateways)}`) },
      { title: 'recovery p99', cell: rec((c) => ms(c.recovery.recoveryUs, 'p99')) },
      { title: 'recovery max', cell: rec((c) => ms(c.recovery.recoveryUs, 'max')) },
      { title: 'peak CONNECTs/s', cell: rec((c) => num(c.recovery.peakAttemptsPerSec)) },
      { title: 'CONNACK p99', cell: rec((c) => ms(c.recovery.connackUs, 'p99')) },
    )
  }
  columns.push(
    { title: 'sent', cell: (c) => num(c.counts.sent) },
    { title: 'ok', cell: (c) => num(c.counts.ok) },
    { title: 'errors', cell: (c) => num(errorTotal(c.counts)) },
    { title: 'dropped', cell: (c) => num(c.counts.dropped) },
  )
  if (baseline) {
    columns.push(
      { title: 'calls/s vs baseline', cell: (c) => delta(c.throughput.callsPerSec, base.get(c.id)?.throughput.callsPerSec, true) },
      { title: 'p99 vs baseline', cell: (c) => delta(c.latencyUs.p99, base.get(c.id)?.latencyUs.p99, false) },
    )
  }
  return `${table(cells, columns, 'cells-table')}
<p class="caption">Latency of successful calls; calls/s counts successful calls${some(isTelemetryCell) ? ' (telemetry cells: freshness of the values received, and samples obtained per second)' : ''}. sent = ok + errors + dropped for every cell.</p>`
}

export function errorsTable(cells: readonly CellResult[]): string {
  const kinds = [...new Set(cells.flatMap((c) => Object.keys(c.counts.errors)))]
  const seen = kinds.filter((k) => cells.some((c) => (c.counts.errors[k] ?? 0) > 0))
  const quiet = kinds.filter((k) => !seen.includes(k))
  const columns: Column[] = [
    { title: 'cell', left: true, cell: (c) => esc(c.id) },
    { title: 'sent', cell: (c) => num(c.counts.sent) },
    ...seen.map((k): Column => ({ title: k, cell: (c) => num(c.counts.errors[k] ?? 0) })),
    { title: 'error rate', cell: (c) => (c.counts.sent > 0 ? `${(100 * errorRate(c.counts)).toFixed(1)}%` : '-') },
  ]
  if (cells.some((c) => Object.values(deviceErrorsOf(c)).some((n) => n > 0)))
    columns.push({
      title: 'device error codes',
      left: true,
      wrap: true,
      cell: (c) =>
        Object.entries(deviceErrorsOf(c))
          .filter(([, n]) => n > 0)
          .map(([code, n]) => `${esc(code)} ${num(n)}`)
          .join(', ') || '-',
    })
  if (cells.some((c) => c.error !== undefined)) columns.push({ title: 'cell error', left: true, wrap: true, cell: (c) => (c.error === undefined ? '' : esc(c.error)) })
  const rate = '<p class="caption">Error rate: the errors of every kind but device-error (a device that answered with an error did answer), over the calls sent; the same rate thresholds and the gate judge.</p>'
  const note = quiet.length > 0 ? `<p class="caption">No ${quiet.map(esc).join(', ')} errors in any cell.</p>` : ''
  return `${table(cells, columns, 'errors-table')}\n${rate}\n${note}`
}

export function thresholdsTable(result: RunResult): string {
  const rows = result.thresholds.map(
    (t) => `<tr><td class="l">${esc(t.cell)}</td><td class="l"><code>${esc(t.expr)}</code></td><td>${t.actual === null ? 'n/a' : esc(t.actual)}</td><td class="${t.pass ? 'pass' : 'fail'}">${t.pass ? 'pass' : 'FAIL'}</td></tr>`,
  )
  return `<div class="scroll"><table id="thresholds-table"><thead><tr><th class="l">cell</th><th class="l">threshold</th><th>actual</th><th>outcome</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table></div>
<p class="caption">Actual values are in the threshold's unit (ms for latency, % for rates, a factor for "x other-cell").</p>`
}

const SECRET = /pass(word)?|secret|token/i

function optionValue(key: string, v: unknown): string {
  if (v === undefined || v === null) return '-'
  if (SECRET.test(key)) return '(hidden)'
  return esc(typeof v === 'string' ? v : JSON.stringify(v))
}

export function environmentSection(result: MergedResult): string {
  const e = result.environment
  const rows: Array<[string, string]> = [
    ['started', result.startedAt],
    ['finished', result.finishedAt ?? '-'],
    ['node', e.node],
    ['platform', e.platform ?? '-'],
    ['cpus', `${e.cpus}${e.cpuModel ? ` × ${e.cpuModel}` : ''}`],
    ['memory', e.memoryGiB === undefined ? '-' : `${e.memoryGiB} GiB`],
    ['broker', `${e.broker.kind} ${e.broker.version}, MQTT protocol level ${e.broker.protocolVersion}${e.broker.noDelay === undefined ? '' : `, TCP_NODELAY ${e.broker.noDelay}`}`],
    ['broker url', e.broker.url ?? '-'],
    ...(e.links ? ([['caller link', e.links.caller], ['gateway link', e.links.gateway]] as Array<[string, string]>) : []),
    ['git', e.git],
    ['fleetbench', e.fleetbench ?? '-'],
    ['workers', e.workers === undefined ? '-' : String(e.workers)],
  ]
  if (result.merged) rows.push(['merged', `${result.merged.parts.length} results (${result.merged.timing}): ${result.merged.parts.map((p) => p.file).join(', ')}`])
  const env = rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('\n')
  const opts = Object.entries(result.options)
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd><code>${optionValue(k, v)}</code></dd>`)
    .join('\n')
  return `<section id="environment"><div class="cols">
<div><h2>Environment</h2><dl class="env">\n${env}\n</dl></div>
<div><h2>Options</h2><dl class="env">\n${opts}\n</dl></div>
</div></section>`
}
