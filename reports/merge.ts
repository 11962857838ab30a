/**
 * Exact merges of results of one scenario (shards, repeats, separate machines): counters add,
 * histograms add (`mergeEncoded`) and every summary is recomputed from the merged histogram — never
 * averaged —, series align by time (`mergeSeries`), throughput is recomputed from the merged counts
 * and elapsed time. `mergeCells` is the cell-level step, usable on its own (sharding).
 *
 * Timing: parts that ran at the same time (`concurrent`, e.g. shards) share one clock: elapsed is
 * the longest part's and series add second by second. Parts that ran one after another
 * (`sequential`) add their elapsed times and their series follow each other.
 */
import { mergeEncoded, summarizeEncoded, type LatencySummary } from '../core/histogram.ts'
import { mergeSeries, type SeriesPoint } from '../core/series.ts'
import { UsageError } from '../core/cli-support.ts'
import { accountingError, perSec } from '../core/accounting.ts'
import { GAUGE_KEY as GAUGE } from '../core/counters.ts'
import { telemetryStats } from '../core/telemetry.ts'
import { SCHEMA_VERSION, type CellResult, type CellStatus, type RpcCell, type RunResult } from '../core/result.ts'
import { evaluateThresholds } from './thresholds.ts'

export type Timing = 'concurrent' | 'sequential'

export interface MergeInfo {
  timing: Timing
  parts: Array<{ file: string; startedAt: string; finishedAt?: string; git: string }>
}

export type MergedResult = RunResult & { merged?: MergeInfo }

/** Keys whose numbers are minima. */
const MINIMUM = /^min/i
/** Keys whose numbers identify a cell's configuration: must be equal across parts. */
const IDENTITY = new Set(['capacity', 'protocolVersion'])
const STATUS_RANK: Record<CellStatus, number> = { ok: 0, deadlock: 1, failed: 2 }
const round2 = (n: number): number => Math.round(n * 100) / 100

const isSummary = (v: unknown): v is LatencySummary =>
  typeof v === 'object' && v !== null && typeof (v as LatencySummary).hist === 'string' && typeof (v as LatencySummary).count === 'number'

/** A summary recomputed from the sum of the parts' histograms. */
export function mergeSummaries(parts: readonly LatencySummary[]): LatencySummary {
  return summarizeEncoded(mergeEncoded(parts.map((p) => p.hist)))
}

/** Keys whose numbers are durations: like elapsed time, the longest of concurrent parts, the sum of sequential ones. */
const DURATION = /Ms$/

/** Generic merge of one field: summaries by histogram, numbers added (gauges: max), objects per key. */
function mergeValue(key: string, values: readonly unknown[], where: string, timing: Timing): unknown {
  const present = values.filter((v) => v !== undefined)
  const first = present[0]
  if (present.length === 0) return undefined
  if (present.every(isSummary)) return mergeSummaries(present)
  if (present.every((v) => typeof v === 'number')) {
    const nums = present as number[]
    if (IDENTITY.has(key)) {
      if (nums.some((n) => n !== nums[0])) throw new UsageError(`cannot merge: ${where}.${key} differs between the results (${nums.join(' vs ')})`)
      return nums[0]
    }
    if (MINIMUM.test(key)) return Math.min(...nums)
    if (DURATION.test(key) && timing === 'concurrent') return Math.max(...nums)
    return GAUGE.test(key) ? Math.max(...nums) : nums.reduce((a, b) => a + b, 0)
  }
  if (present.every((v) => Array.isArray(v))) return (present as unknown[][]).flat()
  if (present.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v))) {
    const objs = present as Array<Record<string, unknown>>
    const keys = [...new Set(objs.flatMap((o) => Object.keys(o)))]
    return Object.fromEntries(keys.map((k) => [k, mergeValue(k, objs.map((o) => o[k]), `${where}.${key}`, timing)]))
  }
  return first
}

/** Shifts each part's series after the previous one (sequential parts). */
function concatSeries(parts: ReadonlyArray<readonly SeriesPoint[]>): SeriesPoint[] {
  const out: SeriesPoint[] = []
  let offset = 0
  for (const s of parts) {
    for (const p of s) out.push({ ...p, t: Math.round((p.t + offset) * 1000) / 1000 })
    offset += s.length > 0 ? s[s.length - 1]!.t : 0
  }
  return out
}

/** mergeSeries keeps t/ok/errors/p99Us/hist; other numeric point fields (queueDepth…) merge like cell fields. */
function alignSeries(parts: ReadonlyArray<readonly SeriesPoint[]>): SeriesPoint[] {
  const merged = parts.reduce<SeriesPoint[]>((acc, s) => mergeSeries(acc, s), [])
  const byT = new Map<number, Array<Record<string, unknown>>>()
  for (const s of parts) for (const p of s) byT.set(p.t, [...(byT.get(p.t) ?? []), p as Record<string, unknown>])
  return merged.map((p) => {
    const points = byT.get(p.t) ?? []
    const extra = [...new Set(points.flatMap((x) => Object.keys(x)))].filter((k) => !['t', 'ok', 'errors', 'p99Us', 'hist'].includes(k))
    const out: Record<string, unknown> = { ...p }
    for (const k of extra) out[k] = mergeValue(k, points.map((x) => x[k]), `series[t=${p.t}]`, 'concurrent')
    return out as SeriesPoint
  })
}

/** Merges one cell's parts (same id and labels) into one cell. */
export function mergeCells(parts: readonly CellResult[], timing: Timing): CellResult {
  const first = parts[0]
  if (!first) throw new Error('mergeCells needs at least one cell')
  for (const p of parts) {
    if (p.id !== first.id) throw new UsageError(`cannot merge cell ${first.id} with cell ${p.id}`)
    if (p.kind !== first.kind) throw new UsageError(`cannot merge: cell ${first.id} is a ${first.kind} cell in one result and a ${p.kind} cell in another`)
    if (JSON.stringify(p.labels) !== JSON.stringify(first.labels))
      throw new UsageError(`cannot merge: cell ${first.id} has different labels in the results (${JSON.stringify(first.labels)} vs ${JSON.stringify(p.labels)})`)
  }
  const records = parts as unknown as Array<Record<string, unknown>>
  const special = new Set(['kind', 'id', 'labels', 'status', 'error', 'throughput', 'elapsedMs', 'series', 'broker'])
  const keys = [...new Set(records.flatMap((r) => Object.keys(r)))].filter((k) => !special.has(k))
  const rest = Object.fromEntries(keys.map((k) => [k, mergeValue(k, records.map((r) => r[k]), `cell ${first.id}`, timing)]))

  const elapsed = parts.map((p) => p.elapsedMs ?? 0)
  const elapsedMs = timing === 'concurrent' ? Math.max(...elapsed) : elapsed.reduce((a, b) => a + b, 0)
  const status = parts.map((p) => p.status).reduce((a, b) => (STATUS_RANK[b] > STATUS_RANK[a] ? b : a))
  const errors = [...new Set(parts.flatMap((p) => (p.error === undefined ? [] : [p.error])))]
  const cell = { ...(first as object), ...rest } as unknown as CellResult
  cell.status = status
  if (errors.length > 0) cell.error = errors.join('; ')
  else delete cell.error
  cell.elapsedMs = elapsedMs
  cell.series = timing === 'concurrent' ? alignSeries(parts.map((p) => p.series)) : concatSeries(parts.map((p) => p.series))
  if (parts.every((p) => p.broker !== undefined)) {
    const b = mergeValue('broker', parts.map((p) => ({ ...p.broker, source: undefined })), `cell ${first.id}`, timing) as NonNullable<CellResult['broker']>
    cell.broker = { ...b, source: parts.every((p) => p.broker?.source === 'broker') ? 'broker' : 'clients' }
  } else delete cell.broker
  // Rates: recomputed from the merged counts where the count is known, else time-weighted.
  const throughput: Record<string, number> = {}
  for (const k of new Set(parts.flatMap((p) => Object.keys(p.throughput)))) {
    const weighted = parts.reduce((a, p, i) => a + ((p.throughput as Record<string, number>)[k] ?? 0) * elapsed[i]!, 0)
    throughput[k] = elapsedMs > 0 ? round2(weighted / elapsedMs) : 0
  }
  if (elapsedMs > 0) {
    throughput.callsPerSec = perSec(cell.counts.ok, elapsedMs)
    if (cell.kind === 'rpc') throughput.roundsPerSec = perSec(cell.rounds, elapsedMs)
  }
  cell.throughput = throughput as RpcCell['throughput']
  // Its counts added up; its ratios (messages per sample, CPU per sample, …) are recomputed from them.
  if (cell.kind === 'telemetry') cell.telemetry = telemetryStats(cell.counts, cell.telemetry)
  const broken = accountingError(cell)
  if (broken && cell.status !== 'failed') return { ...cell, status: 'failed', error: broken }
  return cell
}

/** Parts ran at the same time unless each started after the previous one finished. */
export function detectTiming(results: readonly RunResult[]): Timing {
  const sorted = [...results].sort((a, b) => a.startedAt.localeCompare(b.startedAt))
  for (let i = 1; i < sorted.length; i++) {
    const prevEnd = Date.parse(sorted[i - 1]!.finishedAt ?? sorted[i - 1]!.startedAt)
    if (!(Date.parse(sorted[i]!.startedAt) >= prevEnd)) return 'concurrent'
  }
  return 'sequential'
}

export interface MergeInput {
  /** Shown in error messages and recorded in `merged.parts`. */
  file: string
  result: RunResult
}

export interface MergeOptions {
  timing?: Timing
  /** Recomputes the findings for the merged cells (the scenario's own function); otherwise none are kept. */
  findings?: (cells: readonly CellResult[], options: Record<string, unknown>) => string[]
}

function thresholdsOf(exprs: readonly string[], cells: readonly CellResult[]): RunResult['thresholds'] {
  try {
    return evaluateThresholds(exprs, cells)
  } catch (err) {
    throw new UsageError(`cannot merge: the results' options.thresholds do not parse: ${(err as Error).message}`)
  }
}

/** Merges whole results of one scenario with the same cells; refuses anything else with one line. */
export function mergeResults(inputs: readonly MergeInput[], o: MergeOptions = {}): MergedResult {
  const [head, ...others] = inputs
  if (!head || others.length === 0) throw new UsageError('merge needs at least two result files')
  for (const x of others) {
    if (x.result.scenario !== head.result.scenario)
      throw new UsageError(`cannot merge: ${head.file} is a ${head.result.scenario} result but ${x.file} is a ${x.result.scenario} result`)
    const a = head.result.cells.map((c) => c.id)
    const b = x.result.cells.map((c) => c.id)
    const onlyA = a.filter((id) => !b.includes(id))
    const onlyB = b.filter((id) => !a.includes(id))
    if (onlyA.length > 0 || onlyB.length > 0 || a.length !== b.length)
      throw new UsageError(`cannot merge: ${head.file} and ${x.file} have different cells (only in the first: ${onlyA.join(', ') || '-'}; only in the second: ${onlyB.join(', ') || '-'})`)
  }
  const results = inputs.map((i) => i.result)
  const timing = o.timing ?? detectTiming(results)
  const cells = head.result.cells.map((c) => mergeCells(results.map((r) => r.cells.find((x) => x.id === c.id)!), timing))
  const exprs = Array.isArray(head.result.options.thresholds) ? (head.result.options.thresholds as unknown[]).filter((t): t is string => typeof t === 'string') : []
  const startedAt = results.map((r) => r.startedAt).sort()[0]!
  const finishedAt = results.map((r) => r.finishedAt ?? r.startedAt).sort().at(-1)!
  const notes = [...new Set(results.flatMap((r) => r.notes ?? []))]
  notes.push(`merged from ${inputs.length} results (${timing}): counts and histograms added, percentiles recomputed from the merged histograms${o.findings ? '' : '; findings were not recomputed'}.`)
  return {
    schemaVersion: SCHEMA_VERSION,
    scenario: head.result.scenario,
    partial: results.some((r) => r.partial),
    startedAt,
    finishedAt,
    environment: head.result.environment,
    options: head.result.options,
    cells,
    thresholds: thresholdsOf(exprs, cells),
    findings: o.findings ? o.findings(cells, head.result.options) : [],
    notes,
    merged: { timing, parts: inputs.map((i) => ({ file: i.file, startedAt: i.result.startedAt, finishedAt: i.result.finishedAt, git: i.result.environment.git })) },
  }
}
