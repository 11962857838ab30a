/**
 * Chart data for the HTML report, computed in Node from the result (percentiles come from the
 * encoded histograms, not from the summaries), so the page only draws. Every chart is a ChartSpec:
 * one shared x array and one value array per line, the shape uPlot takes.
 */
import { recoveryCharts } from './charts-recovery.ts'
import { poolCharts } from './charts-pool.ts'
import { decodeHistogram } from '../core/histogram.ts'
import type { SeriesPoint } from '../core/series.ts'
import { channelCharts } from './charts-channel.ts'
import { inTelemetryWords, telemetryCharts } from './charts-telemetry.ts'
import { isChannelCell, type CellResult, type RunResult } from '../core/result.ts'
import { align, BASELINE_DASH, colorOf, type ChartLine, type ChartSpec } from './chart-spec.ts'

/** Percentiles of the spectrum; each is drawn only when the cell has enough samples to resolve it. */
export const SPECTRUM_PERCENTILES = [0, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999] as const

const xOfPercentile = (p: number): number => Math.round((100 / (100 - p)) * 1e6) / 1e6

/**
 * Points (x = 1/(1-p), latency in µs) of one encoded histogram: p0 … p99.999 while 1/(1-p) does not
 * exceed the sample count, then the maximum at x = count (the top sample sits at p = 1 - 1/count).
 */
export function spectrumPoints(hist: string): Array<[number, number]> {
  const h = decodeHistogram(hist)
  const count = h.totalCount
  if (count === 0) return []
  const points: Array<[number, number]> = []
  for (const p of SPECTRUM_PERCENTILES) {
    const x = xOfPercentile(p)
    if (x > count) break
    points.push([x, h.getValueAtPercentile(p)])
  }
  const max = h.getValueAtPercentile(100)
  const last = points[points.length - 1]
  if (last && last[0] >= count) last[1] = Math.max(last[1], max)
  else points.push([count, max])
  return points
}

export interface Overlay {
  /** The cells drawn, coloured by their index in the run. */
  cells: readonly CellResult[]
  /** Baseline cells by id, drawn dashed in their cell's colour. */
  baseline?: ReadonlyMap<string, CellResult>
}

/** Each cell, then its baseline twin when there is one. */
function eachWithBaseline(o: Overlay, f: (cell: CellResult, line: Omit<ChartLine, 'values'>) => void): void {
  o.cells.forEach((c, i) => {
    f(c, { label: c.id, color: colorOf(i) })
    const b = o.baseline?.get(c.id)
    if (b) f(b, { label: `${c.id} (baseline)`, color: colorOf(i), dash: BASELINE_DASH, baselineOf: c.id })
  })
}

export function spectrumChart(o: Overlay): ChartSpec | undefined {
  const lines: Parameters<typeof align>[0] = []
  eachWithBaseline(o, (c, line) => {
    const points = spectrumPoints(c.latencyUs.hist).map(([x, us]) => [x, us / 1000] as const)
    if (points.length > 0) lines.push({ line, points })
  })
  if (lines.length === 0) return undefined
  return {
    id: 'spectrum',
    title: 'Call latency by percentile',
    explain: 'Each line is one cell; read across to a percentile (p50 … p99.99, then the slowest call) and up to its latency, so the tail is as readable as the median. Lower is better.',
    x: { kind: 'percentile', label: 'percentile' },
    y: { label: 'latency', unit: 'ms', log: true },
    points: true,
    ...align(lines),
  }
}

/** Seconds covered by each series point: 1 s, except a last interval cut short by the cell's end. */
function intervals(series: readonly SeriesPoint[], elapsedMs: number | undefined): number[] {
  return series.map((p, i) => {
    const prev = i === 0 ? 0 : series[i - 1]!.t
    const end = i === series.length - 1 && elapsedMs !== undefined && elapsedMs / 1000 > prev ? Math.min(p.t, elapsedMs / 1000) : p.t
    return Math.max(end - prev, 1e-3)
  })
}

function timeChart(o: Overlay, spec: Pick<ChartSpec, 'id' | 'title' | 'explain' | 'y'>, value: (p: SeriesPoint, seconds: number) => number | null): ChartSpec | undefined {
  const lines: Parameters<typeof align>[0] = []
  eachWithBaseline(o, (c, line) => {
    if (c.series.length === 0) return
    const secs = intervals(c.series, c.elapsedMs)
    lines.push({ line, points: c.series.map((p, i) => [p.t, value(p, secs[i]!)] as const) })
  })
  if (lines.length === 0 || lines.every((l) => l.points.every((p) => p[1] === null))) return undefined
  return { ...spec, x: { kind: 'seconds', label: 'seconds into the cell' }, points: false, ...align(lines) }
}

export function throughputChart(o: Overlay): ChartSpec | undefined {
  return timeChart(
    o,
    { id: 'throughput', title: 'Throughput over time', explain: 'Successful calls per second, second by second, for each cell (cells ran one after another; x is time since the cell started).', y: { label: 'calls/s', unit: 'perSec', log: false } },
    (p, s) => Math.round((p.ok / s) * 10) / 10,
  )
}

export function p99Chart(o: Overlay): ChartSpec | undefined {
  return timeChart(
    o,
    { id: 'p99', title: 'p99 latency over time', explain: 'The 99th percentile of the calls that succeeded in each second; gaps are seconds without a successful call.', y: { label: 'p99', unit: 'ms', log: false } },
    (p) => (p.ok > 0 && p.p99Us > 0 ? p.p99Us / 1000 : null),
  )
}

type DepthPoint = SeriesPoint & { queueDepth?: number }

export function queueDepthChart(o: Overlay): ChartSpec | undefined {
  const has = o.cells.some((c) => c.series.some((p: DepthPoint) => typeof p.queueDepth === 'number'))
  if (!has) return undefined
  return timeChart(
    o,
    { id: 'queue-depth', title: 'Channel queue depth over time', explain: 'Requests waiting in the bounded channel at the end of each second.', y: { label: 'queued', unit: 'count', log: false } },
    (p: DepthPoint) => (typeof p.queueDepth === 'number' ? p.queueDepth : null),
  )
}

/** Every chart the result has data for, in page order. */
export function reportCharts(result: RunResult, baseline?: RunResult): ChartSpec[] {
  const o: Overlay = { cells: result.cells, baseline: baseline ? new Map(baseline.cells.map((c) => [c.id, c])) : undefined }
  const channel = result.cells.filter(isChannelCell)
  const base = baseline?.cells.filter(isChannelCell)
  const charts = [spectrumChart(o), throughputChart(o), p99Chart(o), queueDepthChart(o), ...channelCharts(channel, base), ...poolCharts(result.cells, baseline?.cells), ...telemetryCharts(result.cells, baseline?.cells), ...recoveryCharts(result.cells, baseline?.cells)]
  return charts.filter((c): c is ChartSpec => c !== undefined).map((c) => inTelemetryWords(result.cells, c))
}
