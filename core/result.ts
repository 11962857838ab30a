/**
 * The result file (`result.json`): what users script against with jq. Fields named in DESIGN.md
 * are the stable minimum; more may be added, none removed without a new schemaVersion.
 */
import type { LatencySummary } from './histogram.ts'
import type { SeriesPoint } from './series.ts'

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
  /** channel-capacity: how long each send held its producer (from the call until accepted or refused). */
  blockingUs?: LatencySummary
  /** channel-capacity: end-to-end latency from the actual send call (`latencyUs` is from the intended time). */
  latencyUncorrectedUs?: LatencySummary
  /** channel-capacity: the bounded channel in front of the client. */
  channel?: ChannelCellStats
  /** channel-capacity points also carry `queueDepth` (highest sampled) and `blocked` (producers held at the end). */
  series: Array<SeriesPoint & { queueDepth?: number; blocked?: number }>
  /** Each repeat's headline figures, so spread can be judged. */
  repeats?: Array<{ callsPerSec: number; p50: number; p99: number; errorRate: number }>
}

/**
 * channel-capacity figures of one cell. Configuration (ring size) lives in the labels; everything
 * here is measured, so merges add counts and take the max of `max*`/`peak*`/`*Bytes` gauges.
 */
export interface ChannelCellStats {
  capacity: number
  policy: string
  fault: string
  /** Requests the producers made (= counts.sent); delivered = counts.ok. */
  produced: number
  delivered: number
  dropped: number
  /** `try` policy: trySend refused because the channel was full (= counts.errors['try-full']). */
  tryFailures: number
  /** Intended sends a blocked producer never got to make before the end (open loop, not in `produced`). */
  missed: number
  /** Deliveries seen twice (QoS 1 resent after a reconnect); not counted in `delivered` again. */
  duplicates: number
  /** Requests queued in front of the event loop at once: channel + drop-oldest's ring. */
  maxQueueDepth: number
  maxChannelLength: number
  maxRingDepth: number
  /** Sends waiting at once for room in the channel. */
  maxBlockedSenders: number
  /** In-flight QoS>0 publishes at once (bounded by maxInflight). */
  peakInflight: number
  /** Requests the event loop took while disconnected: 0 by its rules. */
  takenWhileDown: number
  /** Connection closes the publisher saw (during a cut, each refused reconnect attempt counts too). */
  disconnects: number
  /** Publishes made by the incoming-message handler (send-in-poll cell). */
  replies: number
  /** The whole process (broker included), sampled every 100 ms. */
  peakRssBytes: number
  /** The cell worker's own V8 heap + array buffers: peak, and peak minus before the cell built anything. */
  peakMemoryBytes: number
  memoryGrowthBytes: number
  produceMs: number
  /** Fault windows that began during production. */
  faultWindows: number
  /** Deadlock cells: when the watchdog fired, ms after production started. */
  deadlockAfterMs?: number
  /** cut and slow-link: the fault proxy's counts. */
  proxy?: { accepted: number; refused: number; severed: number; bytesUp: number; bytesDown: number }
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
