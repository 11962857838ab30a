/**
 * Thresholds: `cell:metric<op>value`, e.g. `multiplexed:p99<250ms`, `*:errorRate<1%`,
 * `multiplexed:callsPerSec>3x serial` (a ratio to another cell of the same run: far steadier on a
 * shared machine than an absolute figure).
 */
import { deviceErrorRate, errorRate } from '../core/accounting.ts'
import { UsageError } from '../core/cli-support.ts'
import { recoveryRates } from '../core/recovery.ts'
import type { CellResult, ThresholdOutcome } from '../core/result.ts'

type Op = '<' | '<=' | '>' | '>=' | '='
/** Metrics in time units besides the call latency percentiles. */
const TIME_METRICS: ReadonlySet<string> = new Set(['roundP99', 'blockingP99', 'recoveryP99', 'recoveryMax', 'connackP99'])
const LATENCY = { p50: 'p50', p90: 'p90', p99: 'p99', p999: 'p999', max: 'max' } as const
const UNIT_US: Record<string, number> = { us: 1, ms: 1000, s: 1_000_000 }

export const METRICS = ['p50', 'p90', 'p99', 'p999', 'max', 'roundP99', 'blockingP99', 'recoveryP99', 'recoveryMax', 'connackP99', 'errorRate', 'deviceErrorRate', 'missedRate', 'callsPerSec', 'roundsPerSec', 'protocolViolations', 'unrecovered'] as const
export type Metric = (typeof METRICS)[number]

export interface Threshold {
  expr: string
  cell: string
  metric: Metric
  op: Op
  /** A fixed value in the metric's unit, or a multiple of another cell's value. */
  value: { kind: 'fixed'; n: number; unit: string } | { kind: 'ratio'; factor: number; cell: string }
}

const RE = /^\s*([^:\s]+)\s*:\s*([A-Za-z0-9]+)\s*(<=|>=|<|>|=)\s*(?:(\d+(?:\.\d+)?)\s*x\s+(\S+)|(\d+(?:\.\d+)?)\s*(us|ms|s|%)?)\s*$/

/** Parses one threshold; throws an Error with a one-line message that shows the expected form. */
export function parseThreshold(expr: string): Threshold {
  const m = RE.exec(expr)
  if (!m) throw new Error(`threshold ${JSON.stringify(expr)} is not of the form cell:metric<value (e.g. multiplexed:p99<250ms, *:errorRate<1%, multiplexed:callsPerSec>3x serial)`)
  const metric = m[2] as Metric
  if (!(METRICS as readonly string[]).includes(metric)) throw new Error(`threshold ${JSON.stringify(expr)}: unknown metric ${metric}; use one of ${METRICS.join(', ')}`)
  const unit = m[7] ?? ''
  const isLatency = metric in LATENCY || TIME_METRICS.has(metric)
  if (m[6] !== undefined && isLatency && !(unit in UNIT_US)) throw new Error(`threshold ${JSON.stringify(expr)}: ${metric} needs a time unit (us, ms or s)`)
  if (m[6] !== undefined && !isLatency && unit !== '' && !(unit === '%' && metric.endsWith('Rate')))
    throw new Error(`threshold ${JSON.stringify(expr)}: ${metric} takes ${metric.endsWith('Rate') ? 'a percentage like 1%' : 'a plain number'}`)
  const value: Threshold['value'] = m[4] !== undefined ? { kind: 'ratio', factor: Number(m[4]), cell: m[5]! } : { kind: 'fixed', n: Number(m[6]), unit }
  return { expr: expr.trim(), cell: m[1]!, metric, op: m[3] as Op, value }
}

/**
 * The metric in its base unit: µs for latency, a fraction for rates, counts and per-second figures
 * as is; undefined where the cell's kind does not have it (blocking of an RPC cell, rounds of a
 * channel cell), which makes the threshold not applicable to that cell.
 */
export function metricOf(c: CellResult, metric: Metric): number | undefined {
  switch (metric) {
    case 'roundP99':
      return c.kind === 'rpc' ? c.roundUs.p99 : undefined
    case 'blockingP99':
      return c.kind === 'channel' ? c.blockingUs.p99 : undefined
    case 'errorRate':
      return errorRate(c.counts)
    case 'deviceErrorRate':
      return deviceErrorRate(c.counts)
    case 'missedRate':
      // telemetry-vs-rpc: samples not obtained (every error kind and dropped) per sample due.
      return c.kind === 'telemetry' ? c.telemetry.missedRate : undefined
    case 'callsPerSec':
      return c.throughput.callsPerSec
    case 'roundsPerSec':
      return c.kind === 'rpc' ? c.throughput.roundsPerSec : undefined
    case 'protocolViolations':
      return c.kind === 'rpc' ? c.clients.protocolViolations : undefined
    // reconnect-storm: gateways' recovery (broker back → subscribed again), CONNACK latency, gateways never back.
    case 'recoveryP99':
      return c.kind === 'recovery' ? c.recovery.recoveryUs.p99 : undefined
    case 'recoveryMax':
      return c.kind === 'recovery' ? c.recovery.recoveryUs.max : undefined
    case 'connackP99':
      return c.kind === 'recovery' ? c.recovery.connackUs.p99 : undefined
    case 'unrecovered':
      return c.kind === 'recovery' ? recoveryRates(c.recovery).unrecovered : undefined
    default:
      return c.latencyUs[LATENCY[metric]]
  }
}

function toBase(n: number, unit: string): number {
  if (unit === '%') return n / 100
  return unit in UNIT_US ? n * UNIT_US[unit]! : n
}
function fromBase(n: number, unit: string): number {
  const v = unit === '%' ? n * 100 : unit in UNIT_US ? n / UNIT_US[unit]! : n
  return Math.round(v * 1000) / 1000
}

const compare = (a: number, op: Op, b: number): boolean =>
  op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : op === '>=' ? a >= b : a === b

/** Threshold expressions from a command line, checked before any work: a UsageError naming --threshold for the first bad one. */
export function checkThresholds(exprs: readonly string[]): string[] {
  for (const t of exprs) {
    try {
      parseThreshold(t)
    } catch (err) {
      throw new UsageError(`--threshold: ${(err as Error).message}`)
    }
  }
  return [...exprs]
}

/** Evaluates thresholds against cells; a pattern matching no cell, or a missing ratio cell, fails. */
export function evaluateThresholds(exprs: readonly string[], cells: readonly CellResult[]): ThresholdOutcome[] {
  const out: ThresholdOutcome[] = []
  for (const expr of exprs) {
    const t = parseThreshold(expr)
    const targets = t.cell === '*' ? cells : cells.filter((c) => c.id === t.cell)
    if (targets.length === 0) {
      // A threshold on a cell that did not run (e.g. --strategies left it out) is not applicable.
      continue
    }
    for (const c of targets) {
      const actual = metricOf(c, t.metric)
      if (actual === undefined) continue
      if (t.value.kind === 'ratio') {
        const ref = cells.find((x) => x.id === (t.value as { cell: string }).cell)
        const refValue = ref && metricOf(ref, t.metric)
        if (refValue === undefined) continue
        const factor = refValue > 0 ? actual / refValue : Number.POSITIVE_INFINITY
        out.push({ cell: c.id, expr: t.expr, actual: Math.round(factor * 100) / 100, pass: c.status === 'ok' && compare(actual, t.op, t.value.factor * refValue) })
      } else {
        out.push({ cell: c.id, expr: t.expr, actual: fromBase(actual, t.value.unit), pass: c.status === 'ok' && compare(actual, t.op, toBase(t.value.n, t.value.unit)) })
      }
    }
  }
  return out
}
