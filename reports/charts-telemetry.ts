/**
 * telemetry-vs-rpc: the figures against the sampling rate F, one line per pattern (rpc, telemetry,
 * report-by-exception): freshness p99, broker messages per sample, the caller's CPU per sample and
 * missed samples. Telemetry cells only; drawn when the run has any.
 */
import { BASELINE_DASH, colorOf, type ChartLine, type ChartSpec } from './chart-spec.ts'
import { isTelemetryCell, type CellResult, type TelemetryCell } from '../core/result.ts'

const patternOf = (c: TelemetryCell): string => String(c.labels.pattern ?? c.id)
const hzOf = (c: TelemetryCell): number | undefined => (typeof c.labels.hz === 'number' ? c.labels.hz : undefined)

/** Pattern → F → cell, cells that ran only. */
function byPattern(cells: readonly CellResult[]): Map<string, Map<number, TelemetryCell>> {
  const out = new Map<string, Map<number, TelemetryCell>>()
  for (const c of cells.filter(isTelemetryCell)) {
    const hz = hzOf(c)
    if (hz === undefined || c.status !== 'ok') continue
    const line = out.get(patternOf(c)) ?? new Map<number, TelemetryCell>()
    line.set(hz, c)
    out.set(patternOf(c), line)
  }
  return out
}

type Metric = { id: string; title: string; explain: string; y: ChartSpec['y']; pick: (c: TelemetryCell) => number | null }

const METRICS: Metric[] = [
  {
    id: 'telemetry-freshness',
    title: 'Freshness p99 by sampling rate',
    explain: 'How old the value was when the caller got it (receive time − the time the device sampled it), p99, for each pattern (log scale). Lower is better.',
    y: { label: 'freshness p99', unit: 'ms', log: true },
    pick: (c) => (c.latencyUs.count > 0 ? c.latencyUs.p99 / 1000 : null),
  },
  {
    id: 'telemetry-messages',
    title: 'Broker messages per sample by sampling rate',
    explain: 'PUBLISH messages the broker received and delivered, per sample the caller obtained (log scale): an RPC read is four (request in and out, reply in and out), a telemetry sample two, report-by-exception two per change.',
    y: { label: 'messages / sample', unit: 'ratio', log: true },
    pick: (c) => (c.telemetry.messagesPerSample > 0 ? c.telemetry.messagesPerSample : null),
  },
  {
    id: 'telemetry-cpu',
    title: 'Caller CPU per sample by sampling rate',
    explain: "The caller process's CPU time (user + system, its own process) during the load, per sample obtained.",
    y: { label: 'CPU µs / sample', unit: 'ratio', log: false },
    pick: (c) => (c.counts.ok > 0 ? c.telemetry.callerCpuUsPerSample : null),
  },
  {
    id: 'telemetry-missed',
    title: 'Missed samples by sampling rate',
    explain: 'Samples the caller did not obtain, % of those due: rpc reads that failed or did not return before the next period, telemetry samples lost or never received, report-by-exception samples whose change never arrived.',
    y: { label: 'missed %', unit: 'ratio', log: false },
    pick: (c) => Math.round(c.telemetry.missedRate * 1e6) / 1e4,
  },
]

export function telemetryCharts(cells: readonly CellResult[], baseline: readonly CellResult[] = []): ChartSpec[] {
  const run = byPattern(cells)
  const rates = [...new Set([...run.values()].flatMap((m) => [...m.keys()]))].sort((a, b) => a - b)
  if (rates.length === 0) return []
  const base = byPattern(baseline)
  const x: ChartSpec['x'] = { kind: 'category', label: 'sampling rate F', categories: rates.map((hz) => `${hz} Hz`) }
  return METRICS.map((m) => {
    const lines: ChartLine[] = []
    ;[...run].forEach(([label, byHz], i) => {
      lines.push({ label, color: colorOf(i), values: rates.map((hz) => (byHz.has(hz) ? m.pick(byHz.get(hz)!) : null)) })
      const b = base.get(label)
      if (b) lines.push({ label: `${label} (baseline)`, color: colorOf(i), dash: BASELINE_DASH, baselineOf: label, values: rates.map((hz) => (b.has(hz) ? m.pick(b.get(hz)!) : null)) })
    })
    return { id: m.id, title: m.title, explain: m.explain, x, y: m.y, points: true, xs: rates.map((_, i) => i), lines }
  })
}

const WORDING: Record<string, Pick<ChartSpec, 'title' | 'explain'>> = {
  spectrum: { title: 'Freshness by percentile', explain: 'Each line is one cell; read across to a percentile and up to how old the values were when the caller got them (receive time − sample time). Lower is better.' },
  throughput: { title: 'Samples obtained over time', explain: 'Samples the caller obtained per second (values received; rpc: reads answered in time), second by second, for each cell.' },
  p99: { title: 'Freshness p99 over time', explain: 'The 99th percentile of the freshness of the values received in each second.' },
}

/** The shared charts in telemetry words (freshness, samples) when every cell of the run is a telemetry cell. */
export function inTelemetryWords(cells: readonly CellResult[], c: ChartSpec): ChartSpec {
  const w = WORDING[c.id]
  return w !== undefined && cells.length > 0 && cells.every(isTelemetryCell) ? { ...c, ...w } : c
}
