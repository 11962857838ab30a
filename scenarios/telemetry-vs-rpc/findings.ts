/**
 * What a telemetry-vs-rpc run showed, from its measured cells only: one sentence per pattern across
 * the rates, then from which rate F polling by RPC stops being the right way to read the devices —
 * the lowest F at which RPC
 * - missed more than MISSED_LIMIT of its samples, or
 * - had a freshness p99 over WORSE_BY times the publishing pattern's, later by more than
 *   STALE_SHARE of the period (a few ms more at 1 Hz, when a value ages up to a second between
 *   samples anyway, does not count), or
 * - spent over WORSE_BY times the caller CPU per sample while keeping over BUSY_SHARE of a core busy
 *   (at low rates a sample's CPU is mostly the wake-up around it, a large ratio of small numbers), or
 * - moved over WORSE_BY times the broker messages per sample.
 * WORSE_BY sits above what a read costs by its nature (two broker messages where telemetry has one,
 * a request to build and a reply to match: measured 2× messages and, from 5 Hz, 2–3× CPU per sample here), so it
 * flags RPC degrading with F, not RPC being RPC. The limits are stated in the sentence; the rate
 * comes from the figures.
 */
import { isTelemetryCell, type CellResult, type TelemetryCell } from '../../core/result.ts'
import { missedSamples, type TelemetryPattern } from '../../core/telemetry.ts'
import { formatWait } from '../../reports/summary.ts'

/** RPC missing more than this share of its samples is not doing its job. */
export const MISSED_LIMIT = 0.01
/** RPC worse than the publishing pattern by more than this factor (freshness p99, CPU or messages per sample) is the wrong tool. */
export const WORSE_BY = 4
/** A freshness gap counts only when it is more than this share of the sampling period. */
export const STALE_SHARE = 0.1
/** A CPU ratio counts only while RPC keeps more than this share of one core busy. */
export const BUSY_SHARE = 0.1

const pct = (x: number): string => `${(100 * x).toFixed(x > 0 && x < 0.001 ? 3 : x < 0.1 ? 2 : 1)}%`
const times = (x: number): string => `${x.toFixed(1)}×`
const hz = (c: TelemetryCell): number => Number(c.labels.hz)
const list = (cells: readonly TelemetryCell[], f: (c: TelemetryCell) => string): string => cells.map(f).join(' → ')
const rates = (cells: readonly TelemetryCell[]): string => `${cells.map((c) => hz(c)).join(', ')} Hz`

function byPattern(cells: readonly TelemetryCell[], p: TelemetryPattern): TelemetryCell[] {
  return cells.filter((c) => c.labels.pattern === p && c.status === 'ok').sort((a, b) => hz(a) - hz(b))
}

/** The figures every pattern's sentence gives, across its rates. */
function figures(cs: readonly TelemetryCell[]): string {
  return (
    `at ${rates(cs)}: ${list(cs, (c) => c.telemetry.messagesPerSample.toFixed(2))} broker messages and ${list(cs, (c) => c.telemetry.bytesPerSample.toFixed(0))} B per sample obtained; ` +
    `freshness p99 ${list(cs, (c) => formatWait(c.latencyUs.p99))}; missed ${list(cs, (c) => pct(c.telemetry.missedRate))}; ` +
    `caller CPU ${list(cs, (c) => c.telemetry.callerCpuUsPerSample.toFixed(1))} µs per sample (${list(cs, (c) => `${c.telemetry.callerCpuPercent.toFixed(1)}%`)} of a core)`
  )
}

const other = (c: TelemetryCell): number => missedSamples(c.counts) - (c.counts.errors.timeout ?? 0) - (c.counts.errors['device-error'] ?? 0) - c.counts.dropped

function rpcSentence(cs: readonly TelemetryCell[]): string {
  const n = (x: number): string => x.toLocaleString('en-US')
  return (
    `rpc (a read per sample on one multiplexed connection, each due before the next period), ${figures(cs)}. ` +
    `Misses by kind: not back before the next period ${list(cs, (c) => n(c.counts.errors.timeout ?? 0))}, device errors ${list(cs, (c) => n(c.counts.errors['device-error'] ?? 0))}, ` +
    `never sent because the caller was a whole period behind ${list(cs, (c) => n(c.counts.dropped))}` +
    (cs.some((c) => other(c) > 0) ? `, other (disconnected, bad replies) ${list(cs, (c) => n(other(c)))}.` : '.')
  )
}

function telemetrySentence(cs: readonly TelemetryCell[]): string {
  const lost = cs.reduce((n, c) => n + c.telemetry.messagesMissed, 0)
  return `telemetry (every sample published, one subscription), ${figures(cs)}; ${lost} samples were lost or never arrived${cs.some((c) => c.telemetry.duplicates > 0) ? `, ${cs.reduce((n, c) => n + c.telemetry.duplicates, 0)} came twice` : ''}.`
}

function rbeSentence(cs: readonly TelemetryCell[]): string {
  const lost = cs.reduce((n, c) => n + c.telemetry.messagesMissed, 0)
  return `report-by-exception (sampled at F, published on change): ${list(cs, (c) => pct(c.counts.sent > 0 ? c.telemetry.published / c.counts.sent : 0))} of samples changed and were published; so, ${figures(cs)}; ${lost} changes never arrived. Freshness is that of the changes; a silent device reads as unchanged, which only a heartbeat would tell from a dead one.`
}

/** Why RPC is the wrong tool at this rate, against `ref` (telemetry or report-by-exception); empty when it is not. */
function reasons(rpc: TelemetryCell, ref: TelemetryCell): string[] {
  const out: string[] = []
  const r = rpc.telemetry
  const t = ref.telemetry
  if (r.missedRate > MISSED_LIMIT) out.push(`it missed ${pct(r.missedRate)} of its samples (over ${pct(MISSED_LIMIT)})`)
  const periodUs = 1e6 / hz(rpc)
  if (ref.latencyUs.p99 > 0 && rpc.latencyUs.p99 > WORSE_BY * ref.latencyUs.p99 && rpc.latencyUs.p99 - ref.latencyUs.p99 > STALE_SHARE * periodUs)
    out.push(`its freshness p99 was ${times(rpc.latencyUs.p99 / ref.latencyUs.p99)} ${ref.labels.pattern}'s (${formatWait(rpc.latencyUs.p99)} against ${formatWait(ref.latencyUs.p99)})`)
  if (t.callerCpuUsPerSample > 0 && r.callerCpuUsPerSample > WORSE_BY * t.callerCpuUsPerSample && r.callerCpuPercent > 100 * BUSY_SHARE)
    out.push(`the caller spent ${times(r.callerCpuUsPerSample / t.callerCpuUsPerSample)} the CPU per sample (${r.callerCpuUsPerSample.toFixed(1)} against ${t.callerCpuUsPerSample.toFixed(1)} µs, ${r.callerCpuPercent.toFixed(1)}% of a core)`)
  if (t.messagesPerSample > 0 && r.messagesPerSample > WORSE_BY * t.messagesPerSample)
    out.push(`the broker moved ${times(r.messagesPerSample / t.messagesPerSample)} the messages per sample (${r.messagesPerSample.toFixed(2)} against ${t.messagesPerSample.toFixed(2)})`)
  return out
}

function cost(rpc: TelemetryCell, ref: TelemetryCell): string {
  const ratio = (a: number, b: number): string => (b > 0 ? times(a / b) : 'n/a')
  return `${ratio(rpc.telemetry.messagesPerSample, ref.telemetry.messagesPerSample)} the broker messages and ${ratio(rpc.telemetry.callerCpuUsPerSample, ref.telemetry.callerCpuUsPerSample)} the caller CPU per sample of ${ref.labels.pattern}`
}

function crossover(rpcCells: readonly TelemetryCell[], refCells: readonly TelemetryCell[]): string {
  const pairs = rpcCells.flatMap((r) => refCells.filter((t) => hz(t) === hz(r)).map((t) => [r, t] as const))
  const ref = refCells[0]!.labels.pattern
  const lines = `missed over ${pct(MISSED_LIMIT)}; freshness p99 over ${WORSE_BY}× ${ref}'s and later by over ${STALE_SHARE * 100}% of the period; caller CPU per sample over ${WORSE_BY}× ${ref}'s with over ${BUSY_SHARE * 100}% of a core busy; or broker messages per sample over ${WORSE_BY}× ${ref}'s`
  if (pairs.length === 0) return `No rate has both an rpc and a ${ref} cell that ran, so there is no crossover to state.`
  const first = pairs.findIndex(([r, t]) => reasons(r, t).length > 0)
  if (first === -1) {
    const [r, t] = pairs.at(-1)!
    return `Up to ${hz(r)} Hz, the highest rate measured, RPC polling did not cross the lines (${lines}): at ${hz(r)} Hz it missed ${pct(r.telemetry.missedRate)} with freshness p99 ${formatWait(r.latencyUs.p99)} (${t.labels.pattern} ${formatWait(t.latencyUs.p99)}), at ${cost(r, t)}. Polling stays workable here; a higher --hz or more --devices would find where it stops.`
  }
  const [r, t] = pairs[first]!
  const why = reasons(r, t).join(', and ')
  if (first === 0) return `RPC polling is not the right pattern from the lowest rate measured, ${hz(r)} Hz, on (${lines}): there ${why}.`
  const below = pairs.slice(0, first)
  const worst = Math.max(...below.map(([x]) => x.telemetry.missedRate))
  return `RPC polling stops being the right pattern from ${hz(r)} Hz (${lines}): there ${why}. Below that (${below.map(([x]) => hz(x)).join(', ')} Hz) it missed at most ${pct(worst)} and cost ${cost(below.at(-1)![0], below.at(-1)![1])}: the price of asking, which a caller that reads rarely may prefer to a subscription.`
}

export function telemetryFindings(all: readonly CellResult[]): string[] {
  const cells = all.filter(isTelemetryCell)
  const out: string[] = []
  const rpc = byPattern(cells, 'rpc')
  const tel = byPattern(cells, 'telemetry')
  const rbe = byPattern(cells, 'report-by-exception')
  if (rpc.length > 0) out.push(rpcSentence(rpc))
  if (tel.length > 0) out.push(telemetrySentence(tel))
  if (rbe.length > 0) out.push(rbeSentence(rbe))
  const ref = tel.length > 0 ? tel : rbe
  if (rpc.length > 0 && ref.length > 0) out.push(crossover(rpc, ref))
  for (const c of cells) if (c.status !== 'ok') out.push(`${c.id}: ${c.status}: ${c.error ?? 'no detail'}`)
  return out
}
