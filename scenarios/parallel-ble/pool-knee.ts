/**
 * The knee of a pool-size sweep, from the measured cells: the size K after which a step to the next
 * size (at least 1.5x the connections, e.g. doubling K) adds less than 10% calls/s. One rule, used by
 * the findings; the report draws the same cells.
 */
import type { RpcCell } from '../../core/result.ts'

/** A step up in K buys too little when calls/s grow by less than this fraction … */
export const KNEE_GAIN = 0.1
/** … while connections grow at least this much (1.5x: a doubling, less the odd reconnect). */
export const KNEE_CONNECTIONS = 1.5

export interface PoolStep {
  from: RpcCell
  to: RpcCell
  /** calls/s of `to` over `from`, minus 1. */
  gain: number
  connections: number
}

export type PoolKnee =
  | { kind: 'knee'; at: RpcCell; step: PoolStep; steps: PoolStep[] }
  | { kind: 'none'; steps: PoolStep[] }
  | { kind: 'too-few' }

const sizeOf = (c: RpcCell): number => Number(c.labels.poolSize)

/** Pool cells of one kind (same retries), ok, sorted by K; the first step that gains < 10% while connections grow ≥ 1.5x names the knee. */
export function poolKnee(cells: readonly RpcCell[]): PoolKnee {
  const sorted = cells.filter((c) => c.status === 'ok' && c.labels.strategy === 'pool' && typeof c.labels.poolSize === 'number').sort((a, b) => sizeOf(a) - sizeOf(b))
  if (sorted.length < 2) return { kind: 'too-few' }
  const steps: PoolStep[] = []
  for (let i = 1; i < sorted.length; i++) {
    const from = sorted[i - 1]!
    const to = sorted[i]!
    const gain = from.throughput.callsPerSec > 0 ? to.throughput.callsPerSec / from.throughput.callsPerSec - 1 : Number.POSITIVE_INFINITY
    steps.push({ from, to, gain, connections: from.clients.connections > 0 ? to.clients.connections / from.clients.connections : Number.POSITIVE_INFINITY })
  }
  const knee = steps.find((s) => s.gain < KNEE_GAIN && s.connections >= KNEE_CONNECTIONS)
  return knee ? { kind: 'knee', at: knee.from, step: knee, steps } : { kind: 'none', steps }
}

const pct = (g: number): string => (Number.isFinite(g) ? `${g >= 0 ? '+' : ''}${(100 * g).toFixed(0)}%` : 'from zero')

/** The finding sentence of a sweep, or undefined when fewer than two sizes ran. */
export function poolKneeFinding(cells: readonly RpcCell[]): string | undefined {
  const k = poolKnee(cells)
  if (k.kind === 'too-few') return undefined
  const trail = k.steps.map((s) => `${s.to.id} ${pct(s.gain)}`).join(', ')
  if (k.kind === 'none') {
    const last = k.steps[k.steps.length - 1]!
    return `pool sweep: no knee up to ${last.to.id}: each step still added at least ${(100 * KNEE_GAIN).toFixed(0)}% calls/s or did not grow connections ${KNEE_CONNECTIONS}x (${trail}); measure larger pools to find where it flattens.`
  }
  const s = k.step
  return `pool sweep: the knee is ${k.at.id} (${k.at.throughput.callsPerSec.toFixed(1)} calls/s on ${k.at.clients.connections} connections): going to ${s.to.id} took ${s.to.clients.connections} connections (${s.connections.toFixed(1)}x) for ${pct(s.gain)} calls/s (${s.to.throughput.callsPerSec.toFixed(1)}). Steps: ${trail}.`
}
