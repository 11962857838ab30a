/**
 * The result file (`result.json`): what users script against with jq. Fields named in DESIGN.md
 * are the stable minimum; more may be added, none removed without a new schemaVersion.
 */
import type { LatencySummary } from '../loadgen/metrics/histogram.ts'
import type { SeriesPoint } from '../loadgen/metrics/series.ts'

export const SCHEMA_VERSION = 1

export type CellStatus = 'ok' | 'deadlock' | 'failed'

export interface CellCounts {
  sent: number
  ok: number
  dropped: number
  errors: Record<string, number>
}

export interface CellResult {
  id: string
  labels: Record<string, string | number | boolean>
  status: CellStatus
  /** Why a cell failed or deadlocked, one line. */
  error?: string
  counts: CellCounts
  /** Device error codes behind errors['device-error']. */
  deviceErrors: Record<string, number>
  /** Packets the broker handled during the cell (embedded broker), or that clients sent (external). */
  broker: { subscribe: number; unsubscribe: number; publish: number; source: 'broker' | 'clients' }
  clients: {
    connections: number
    subscribes: number
    unsubscribes: number
    lateReplies: number
    unknownReplies: number
    protocolViolations: number
    peakInFlight: number
    disconnectedCalls: number
  }
  throughput: { callsPerSec: number; roundsPerSec: number }
  rounds: number
  roundsPastDeadline: number
  /** Open loop: intended rounds that never started because earlier ones ran late. */
  roundsMissed: number
  elapsedMs: number
  /** Call latency. */
  latencyUs: LatencySummary
  /** Round makespan from the intended start (coordinated omission corrected) … */
  roundUs: LatencySummary
  /** … and from the actual start. */
  roundUncorrectedUs: LatencySummary
  blockingUs?: LatencySummary
  series: SeriesPoint[]
  /** Each repeat's headline figures, so spread can be judged. */
  repeats?: Array<{ callsPerSec: number; p50: number; p99: number; errorRate: number }>
}

export interface ThresholdOutcome {
  cell: string
  expr: string
  actual: number
  pass: boolean
}

export interface Environment {
  node: string
  platform: string
  cpus: number
  cpuModel: string
  memoryGiB: number
  broker: { kind: string; version: string; protocolVersion: number; url: string; noDelay: boolean | 'unknown' }
  git: string
  fleetbench: string
  workers: number
}

export interface RunResult {
  schemaVersion: typeof SCHEMA_VERSION
  scenario: string
  partial: boolean
  startedAt: string
  finishedAt: string
  environment: Environment
  options: Record<string, unknown>
  cells: CellResult[]
  thresholds: ThresholdOutcome[]
  /** What the run showed, in a few sentences (also printed and shown in the report). */
  findings: string[]
  /** Caveats the reader must know (emulations, warnings). */
  notes: string[]
}

/** sent = ok + Σ errors + dropped; returns a one-line complaint or undefined. */
export function accountingError(cell: Pick<CellResult, 'id' | 'counts'>): string | undefined {
  const { sent, ok, dropped, errors } = cell.counts
  const errs = Object.values(errors).reduce((a, b) => a + b, 0)
  if (sent === ok + errs + dropped) return undefined
  return `cell ${cell.id}: accounting broken: sent ${sent} != ok ${ok} + errors ${errs} + dropped ${dropped}`
}

export const errorTotal = (c: CellCounts): number => Object.values(c.errors).reduce((a, b) => a + b, 0)
