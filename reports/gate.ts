/**
 * The regression gate: compares a result with a baseline cell by cell. A metric regresses only
 * when its change is beyond the tolerance AND the repeats say it is not run-to-run spread
 * (one-sided Mann–Whitney U over the per-repeat figures). Broken accounting or a failed cell always
 * fails; so do failed thresholds.
 */
import { accountingError, errorRate } from '../core/accounting.ts'
import type { AnyRepeatFigures, CellResult, RunResult, ThresholdOutcome } from '../core/result.ts'
import { mannWhitneyGreater, median } from './stats.ts'

interface MetricDef {
  name: 'p50' | 'p99' | 'callsPerSec' | 'errorRate' | 'blockingP99'
  better: 'lower' | 'higher'
  /** errorRate compares absolute differences (a rate going from 0 has no relative change). */
  absolute?: boolean
  cell(c: CellResult): number | undefined
  repeat(r: AnyRepeatFigures): number | undefined
}

export const GATE_METRICS: readonly MetricDef[] = [
  { name: 'p50', better: 'lower', cell: (c) => (c.latencyUs.count > 0 ? c.latencyUs.p50 : undefined), repeat: (r) => r.p50 },
  { name: 'p99', better: 'lower', cell: (c) => (c.latencyUs.count > 0 ? c.latencyUs.p99 : undefined), repeat: (r) => r.p99 },
  { name: 'callsPerSec', better: 'higher', cell: (c) => c.throughput.callsPerSec, repeat: (r) => r.callsPerSec },
  { name: 'errorRate', better: 'lower', absolute: true, cell: (c) => errorRate(c.counts), repeat: (r) => r.errorRate },
  { name: 'blockingP99', better: 'lower', cell: (c) => (c.kind === 'channel' && c.blockingUs.count > 0 ? c.blockingUs.p99 : undefined), repeat: (r) => r.blockingP99 },
]

export interface GateOptions {
  /** Relative change allowed before a metric counts as changed (0.1 = 10%). */
  tolerance: number
  /** Absolute change allowed in errorRate (0.01 = one percentage point). */
  errorTolerance: number
  /** Significance level of the one-sided test. */
  alpha: number
  /** Latency and blocking changes smaller than this (µs) are below what a load test can resolve. */
  minChangeUs: number
}
export const DEFAULT_GATE: GateOptions = { tolerance: 0.1, errorTolerance: 0.01, alpha: 0.05, minChangeUs: 1000 }

export type Verdict = 'improved' | 'unchanged' | 'regressed'

export interface Comparison {
  cell: string
  metric: MetricDef['name']
  /** Median over the repeats (the cell's own figure without repeats). */
  baseline: number
  current: number
  /** Relative change (absolute for errorRate), signed so that positive is worse. */
  worse: number
  verdict: Verdict
  /** One-sided p-value that the change is real; undefined without repeats on both sides. */
  p?: number
  note?: string
}

export interface GateReport {
  scenario: string
  comparisons: Comparison[]
  /** Cells in the baseline that the result lacks, and the other way round. */
  missing: string[]
  added: string[]
  /** Cells that failed or broke the accounting invariant in the result. */
  broken: string[]
  thresholdFailures: ThresholdOutcome[]
  failed: boolean
}

const samples = (c: CellResult, m: MetricDef): number[] => {
  const fromRepeats = ((c.repeats ?? []) as AnyRepeatFigures[]).map((r) => m.repeat(r)).filter((v): v is number => v !== undefined)
  if (fromRepeats.length > 0) return fromRepeats
  const v = m.cell(c)
  return v === undefined ? [] : [v]
}

function compareMetric(cell: string, m: MetricDef, base: CellResult, cur: CellResult, o: GateOptions): Comparison | undefined {
  const b = samples(base, m)
  const c = samples(cur, m)
  if (b.length === 0 || c.length === 0 || m.cell(base) === undefined || m.cell(cur) === undefined) return undefined
  const sign = m.better === 'lower' ? 1 : -1
  const bm = median(b)
  const cm = median(c)
  const worse = m.absolute ? sign * (cm - bm) : bm === 0 ? (cm === 0 ? 0 : sign * Number.POSITIVE_INFINITY) : (sign * (cm - bm)) / Math.abs(bm)
  const limit = m.absolute ? o.errorTolerance : o.tolerance
  const tiny = m.name !== 'callsPerSec' && m.name !== 'errorRate' && Math.abs(cm - bm) < o.minChangeUs
  const direction: Verdict = tiny ? 'unchanged' : worse > limit ? 'regressed' : worse < -limit ? 'improved' : 'unchanged'
  const base_ = { cell, metric: m.name, baseline: bm, current: cm, worse }
  if (direction === 'unchanged') return { ...base_, verdict: 'unchanged' }
  // Which sample should be larger if the change is real: for "lower is better", a regression means current > baseline.
  const [low, high] = (direction === 'regressed') === (m.better === 'lower') ? [b, c] : [c, b]
  const test = mannWhitneyGreater(low, high)
  if (test.minP > o.alpha)
    return { ...base_, verdict: direction, p: test.p, note: `too few repeats to judge spread (${b.length} vs ${c.length}; use --repeat 3 or more): tolerance alone decided` }
  if (test.p <= o.alpha) return { ...base_, verdict: direction, p: test.p }
  return { ...base_, verdict: 'unchanged', p: test.p, note: `beyond tolerance but within run-to-run spread (p = ${test.p.toFixed(3)})` }
}

export function gate(baseline: RunResult, current: RunResult, o: GateOptions = DEFAULT_GATE): GateReport {
  const comparisons: Comparison[] = []
  const byId = new Map(current.cells.map((c) => [c.id, c]))
  const baseIds = new Set(baseline.cells.map((c) => c.id))
  for (const base of baseline.cells) {
    const cur = byId.get(base.id)
    if (!cur || cur.status !== 'ok' || base.status !== 'ok') continue
    for (const m of GATE_METRICS) {
      const cmp = compareMetric(base.id, m, base, cur, o)
      if (cmp) comparisons.push(cmp)
    }
  }
  // A deadlock is the expected outcome of the deadlock cell; what fails is a failed cell, broken
  // accounting, or a cell whose status differs from the baseline's (ok → deadlock, or the reverse).
  const baseStatus = new Map(baseline.cells.map((c) => [c.id, c.status]))
  const broken = current.cells
    .filter((c) => c.status === 'failed' || accountingError(c) !== undefined || (baseStatus.has(c.id) && baseStatus.get(c.id) !== c.status))
    .map((c) => `${c.id}: ${accountingError(c) ?? (c.status === 'failed' ? (c.error ?? 'failed') : `${baseStatus.get(c.id)} in the baseline, ${c.status} now`)}`)
  const missing = baseline.cells.filter((c) => !byId.has(c.id)).map((c) => c.id)
  const added = current.cells.filter((c) => !baseIds.has(c.id)).map((c) => c.id)
  const thresholdFailures = current.thresholds.filter((t) => !t.pass)
  const failed = broken.length > 0 || missing.length > 0 || thresholdFailures.length > 0 || comparisons.some((c) => c.verdict === 'regressed')
  return { scenario: current.scenario, comparisons, missing, added, broken, thresholdFailures, failed }
}

/** Options that must match for two results to be comparable (everything that shapes the load). */
const INCIDENTAL = new Set(['out', 'thresholds', 'repeat', 'json', 'quiet', 'workers', 'broker', 'username', 'password'])

export function optionMismatch(baseline: RunResult, current: RunResult): string | undefined {
  if (baseline.scenario !== current.scenario) return `baseline is a ${baseline.scenario} result but the result is ${current.scenario}`
  for (const key of new Set([...Object.keys(baseline.options), ...Object.keys(current.options)])) {
    // An option only one side knows was added (or removed) by another fleetbench version: its default applies.
    if (INCIDENTAL.has(key) || !(key in baseline.options) || !(key in current.options)) continue
    const a = JSON.stringify(baseline.options[key])
    const b = JSON.stringify(current.options[key])
    if (a !== b) return `baseline was recorded with ${key} ${a ?? 'unset'} but the result has ${b ?? 'unset'}; record a new baseline with --update-baseline`
  }
  return undefined
}
