/**
 * channel-capacity charts: how long publishers blocked, and what was dropped or refused, against the
 * channel's capacity, one line per policy (and per fault when the run has several): channel cells only.
 */
import { BASELINE_DASH, colorOf, type ChartLine, type ChartSpec } from './chart-spec.ts'
import type { ChannelCell } from '../core/result.ts'

export function channelOf(c: ChannelCell): { capacity: number; policy: string; fault: string | undefined } {
  return { capacity: c.channel.capacity, policy: c.channel.policy, fault: c.channel.fault }
}

interface Group {
  key: string
  cells: Map<number, ChannelCell>
}

const AXES = new Set(['capacity', 'policy', 'fault'])

/**
 * Labels that set a cell apart from others of its policy (e.g. `pattern: send-in-poll`); labels
 * every cell of the policy shares (drop-oldest's ring size) are left out of line names.
 */
function distinct(cells: readonly ChannelCell[]): (c: ChannelCell) => string[] {
  const byPolicy = new Map<string, ChannelCell[]>()
  for (const c of cells) byPolicy.set(channelOf(c).policy, [...(byPolicy.get(channelOf(c).policy) ?? []), c])
  return (c) => {
    const peers = byPolicy.get(channelOf(c).policy) ?? []
    const keys = [...new Set(peers.flatMap((p) => Object.keys(p.labels)))].filter((k) => !AXES.has(k)).sort()
    return keys
      .filter((k) => peers.some((p) => p.labels[k] !== peers[0]!.labels[k]))
      .flatMap((k) => (c.labels[k] === undefined ? [] : [typeof c.labels[k] === 'string' ? String(c.labels[k]) : `${k}=${String(c.labels[k])}`]))
  }
}

function groups(cells: readonly ChannelCell[], withFault: boolean): Group[] {
  const out = new Map<string, Group>()
  const extra = distinct(cells)
  for (const c of cells) {
    const { capacity, policy, fault } = channelOf(c)
    const key = [policy, ...(withFault && fault !== undefined ? [fault] : []), ...extra(c)].join(' · ')
    const g = out.get(key) ?? { key, cells: new Map() }
    if (!g.cells.has(capacity)) g.cells.set(capacity, c)
    out.set(key, g)
  }
  return [...out.values()]
}

type Metric = (c: ChannelCell) => number | null

/** Lines per group (policy); a line with nothing to show (all null, or all 0 unless kept) is left out. */
function lines(run: Group[], base: Group[], capacities: number[], series: Array<{ suffix: string; pick: Metric; dash?: number[]; keepZero: boolean }>): ChartLine[] {
  const out: ChartLine[] = []
  const valuesOf = (g: Group, pick: Metric): Array<number | null> => capacities.map((cap) => (g.cells.has(cap) ? pick(g.cells.get(cap)!) : null))
  run.forEach((g, i) => {
    for (const s of series) {
      const values = valuesOf(g, s.pick)
      if (values.every((v) => v === null || (!s.keepZero && v === 0))) continue
      const label = `${g.key}${s.suffix}`
      out.push({ label, color: colorOf(i), dash: s.dash, values })
      const b = base.find((x) => x.key === g.key)
      if (b) out.push({ label: `${label} (baseline)`, color: colorOf(i), dash: BASELINE_DASH, baselineOf: label, values: valuesOf(b, s.pick) })
    }
  })
  return out
}

const blockingMs = (stat: 'p50' | 'p99' | 'max'): Metric => (c) => {
  const b = c.blockingUs
  return b.count > 0 && b[stat] > 0 ? b[stat] / 1000 : null
}

const dropped: Metric = (c) => c.channel.dropped
const tryFailures: Metric = (c) => c.channel.tryFailures

export function channelCharts(cells: readonly ChannelCell[], baseline: readonly ChannelCell[] = []): ChartSpec[] {
  if (cells.length === 0) return []
  const faults = new Set(cells.map((c) => channelOf(c).fault))
  const withFault = faults.size > 1
  const run = groups(cells, withFault)
  const base = groups(baseline, withFault)
  const capacities = [...new Set(cells.map((c) => channelOf(c).capacity))].sort((a, b) => a - b)
  const x: ChartSpec['x'] = { kind: 'category', label: 'channel capacity', categories: capacities.map(String) }
  const xs = capacities.map((_, i) => i)
  const charts: ChartSpec[] = []
  const blocking: Array<['p50' | 'p99' | 'max', string]> = [
    ['p50', 'the typical publish'],
    ['p99', 'the slowest 1% of publishes'],
    ['max', 'the single longest wait'],
  ]
  for (const [stat, what] of blocking) {
    const l = lines(run, base, capacities, [{ suffix: '', pick: blockingMs(stat), keepZero: true }])
    if (l.length === 0) continue
    const never = run.filter((g) => !l.some((line) => line.label === g.key)).map((g) => g.key)
    charts.push({
      id: `blocking-${stat}`,
      title: `Publisher blocking ${stat} by capacity`,
      explain: `How long ${what} waited for room in the channel, one line per policy (log scale)${never.length > 0 ? `; never blocked: ${never.join(', ')}` : ''}.`,
      x,
      y: { label: `blocking ${stat}`, unit: 'ms', log: true },
      points: true,
      xs,
      lines: l,
    })
  }
  const losses = lines(run, base, capacities, [
    { suffix: ': dropped', pick: dropped, keepZero: false },
    { suffix: ': refused', pick: tryFailures, dash: [2, 3], keepZero: false },
  ])
  const lossless = run.filter((g) => !losses.some((line) => line.label.startsWith(`${g.key}: `))).map((g) => g.key)
  charts.push({
    id: 'channel-losses',
    title: 'Drops and try failures by capacity',
    explain: `Requests a policy dropped (solid) or a try_publish refused because the channel was full (dotted), one line per policy${lossless.length > 0 ? `; nothing lost: ${lossless.join(', ')}` : ''}.`,
    x,
    y: { label: 'requests', unit: 'count', log: false },
    points: true,
    xs,
    // With nothing lost anywhere, still draw each policy's zero line.
    lines: losses.length > 0 ? losses : lines(run, base, capacities, [{ suffix: ': dropped', pick: dropped, keepZero: true }]),
  })
  return charts
}
