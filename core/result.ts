/**
 * The result file (`result.json`): what users script against with jq. The fields every cell has
 * (`id`, `labels`, `status`, `counts`, `throughput`, `latencyUs`, `series`, `broker` where measured)
 * are the stable minimum; each kind of cell adds its own, and none carries a field that means
 * nothing for its kind. Version-1 files are upgraded on read (result-upgrade.ts).
 */
import type { BrokerCounts, ClientStats } from './counters.ts'
import type { LatencySummary } from './histogram.ts'
import type { SeriesPoint } from './series.ts'
import type { ChannelCellStats } from './channel-measures.ts'
import type { TelemetryStats } from './telemetry.ts'

export const SCHEMA_VERSION = 2

export type CellStatus = 'ok' | 'deadlock' | 'failed'
export const CELL_KINDS = ['rpc', 'channel', 'observe', 'telemetry', 'recovery'] as const
export type CellKind = (typeof CELL_KINDS)[number]

export interface CellCounts {
  sent: number
  ok: number
  dropped: number
  errors: Record<string, number>
}

/**
 * Attempts behind a cell's calls when failed calls are retried: a call is sent once and ends once
 * (counts), but may take several attempts. sent = ok + Σ errors holds for attempts too (a call that
 * was never sent has no attempt); retried = calls that took more than one, retriedOk = those that
 * then succeeded (what the retries bought).
 */
export interface AttemptCounts {
  sent: number
  ok: number
  errors: Record<string, number>
  retried: number
  retriedOk: number
}

/** Packets the broker handled during the cell (embedded broker), or that the clients sent (external). */
export type CellBrokerCounts = Omit<BrokerCounts, 'connect'> & { source: 'broker' | 'clients' }

interface CellCommon {
  id: string
  labels: Record<string, string | number | boolean>
  status: CellStatus
  /** Why a cell failed or deadlocked, one line. */
  error?: string
  counts: CellCounts
  elapsedMs: number
}

/** Figures of one repeat every kind keeps, so the gate can judge the spread between repeats. */
export interface RepeatFigures {
  callsPerSec: number
  p50: number
  p99: number
  errorRate: number
}

/** parallel-ble and every scenario that makes RPC calls in rounds. */
export interface RpcCell extends CellCommon {
  kind: 'rpc'
  /** Device error codes behind errors['device-error']. */
  deviceErrors: Record<string, number>
  broker: CellBrokerCounts
  clients: ClientStats
  throughput: { callsPerSec: number; roundsPerSec: number }
  rounds: number
  roundsPastDeadline: number
  /** Open loop: intended rounds that never started because earlier ones ran late. */
  roundsMissed: number
  /** Every attempt, when calls were retried (absent in results written before retries existed). */
  attempts?: AttemptCounts
  /** Call latency (first attempt to final result). */
  latencyUs: LatencySummary
  /** Round makespan from the intended start (coordinated omission corrected) … */
  roundUs: LatencySummary
  /** … and from the actual start. */
  roundUncorrectedUs: LatencySummary
  series: SeriesPoint[]
  repeats?: RepeatFigures[]
}

/** channel-capacity: a bounded request channel in front of one publishing client. */
export interface ChannelCell extends CellCommon {
  kind: 'channel'
  /** Only when the embedded broker counted them: an external broker's packets are not guessed. */
  broker?: CellBrokerCounts
  throughput: { callsPerSec: number }
  /** End-to-end latency from the intended send time … */
  latencyUs: LatencySummary
  /** … and from the actual send call. */
  latencyUncorrectedUs: LatencySummary
  /** How long each send held its producer (from the call until accepted or refused). */
  blockingUs: LatencySummary
  channel: ChannelCellStats
  series: ChannelSeriesPoint[]
  repeats?: ChannelRepeatFigures[]
}

/**
 * observe: one caller (MQTT client id, or a group of them by prefix) as the recording fleet saw it.
 * sent = requests received from it; errors: device-error, bad-request, undeliverable (the caller had
 * gone or had no subscription for the reply); dropped: no reply address, or never served.
 */
export interface ObserveCell extends CellCommon {
  kind: 'observe'
  throughput: { callsPerSec: number }
  /** Round trip as the fleet saw it: the broker received the request → the gateway sent the reply (embedded broker only; empty otherwise). */
  latencyUs: LatencySummary
  /** The device's own service time: the gateway received the request → it replied. */
  serviceUs: LatencySummary
  deviceErrors: Record<string, number>
  badRequests: Record<string, number>
  /** That caller's SUBSCRIBE / UNSUBSCRIBE packets and requests, counted by the embedded broker. */
  broker?: CellBrokerCounts
  clients?: ObservedClients
  observe: ObservedPattern
  /** Figures left out because only a broker can see them (recording against an external broker). */
  unavailable?: string[]
  series: SeriesPoint[]
  repeats?: RepeatFigures[]
}

export interface ObservedClients {
  connections: number
  disconnects: number
  /** Disconnects with calls still pending (what an MQTTnet < 5.2 teardown looks like from outside), and those calls. */
  teardownsWithPending: number
  callsPendingAtTeardown: number
  peakInFlight: number
}

export interface ObservedPattern {
  conventions: Record<string, number>
  verbs: Record<string, number>
  qos: Record<string, number>
  /** Device calls made (a batch request carries several). */
  deviceCalls: number
  /** (SUBSCRIBE + UNSUBSCRIBE) per request; undefined without the broker. */
  subscribesPerCall?: number
  peakInFlightPerDevice: number
  callsToUnopenedDevice: number
  replyTopics: string[]
  /** Client ids in this cell (one, or a group's). */
  members: string[]
}

/**
 * telemetry-vs-rpc: one way of reading every device's characteristics at F Hz (labels `pattern`,
 * `hz`). counts.sent = samples the caller should obtain (one per device, characteristic and
 * period); ok = samples it obtained; errors and dropped = missed samples, by kind (core/telemetry.ts,
 * loadgen/telemetry/accounting.ts). latencyUs = freshness: how old each value was when the caller
 * got it; callsPerSec = samples obtained per second.
 */
export interface TelemetryCell extends CellCommon {
  kind: 'telemetry'
  throughput: { callsPerSec: number }
  /** Freshness of the values received: receive time − sampled time, µs. */
  latencyUs: LatencySummary
  /** rpc: device error codes behind errors['device-error'] (the publishing patterns have none). */
  deviceErrors: Record<string, number>
  /** Packets the embedded broker handled during the cell (set-up included). */
  broker?: CellBrokerCounts
  telemetry: TelemetryStats
  series: SeriesPoint[]
  repeats?: RepeatFigures[]
}

/**
 * reconnect-storm: the fleet's gateways lose the broker (a restart, or every connection cut) and
 * reconnect under one connect pacing (label `connectRate`). counts are the calls a multiplexed
 * caller made to random devices throughout (sent = ok + errors); latencyUs is their latency;
 * `recovery` is what the gateways did, timed from the moment the broker was back.
 */
export interface RecoveryCell extends CellCommon {
  kind: 'recovery'
  throughput: { callsPerSec: number }
  latencyUs: LatencySummary
  deviceErrors: Record<string, number>
  broker?: CellBrokerCounts
  recovery: RecoveryStats
  series: SeriesPoint[]
  repeats?: RepeatFigures[]
}

/** Counts and histograms only, so repeats and shards merge by adding; rates are derived (recoveryRates). */
export interface RecoveryStats {
  fault: 'broker-restart' | 'cut'
  gateways: number
  /** Gateways whose every filter was acknowledged again before the recovery deadline. */
  recovered: number
  /** How long the broker was unreachable. */
  downtimeMs: number
  /** Broker back → a gateway's filters all acknowledged again, one value per recovered gateway. */
  recoveryUs: LatencySummary
  /** CONNECT → CONNACK of the connects that succeeded during the recovery. */
  connackUs: LatencySummary
  /** CONNECTs sent from the fault until the last gateway recovered (refused and failed ones too). */
  attempts: number
  /** The most CONNECTs sent in any one second of that time. */
  peakAttemptsPerSec: number
  /** Subscriptions (topic filters) acknowledged again. */
  filtersRestored: number
  /** From the broker back up to the last gateway recovered (or to the deadline). */
  recoveryWindowMs: number
  /** Caller calls started between the fault and the last gateway's recovery, and those that failed. */
  callsDuringRecovery: number
  callsFailedDuringRecovery: number
}

export type CellResult = RpcCell | ChannelCell | ObserveCell | TelemetryCell | RecoveryCell
export type ChannelRepeatFigures = RepeatFigures & { blockingP99: number }
export type AnyRepeatFigures = RepeatFigures & { blockingP99?: number }

export type ChannelSeriesPoint = SeriesPoint & {
  /** Highest queue depth (channel + ring) sampled in the interval. */
  queueDepth: number
  /** Producers blocked in send at the interval's end. */
  blocked: number
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
  /** The shaped links the figures were measured on (absent: loopback, or written before links existed). */
  links?: { caller: string; gateway: string }
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

export const isRpcCell = (c: CellResult): c is RpcCell => c.kind === 'rpc'
export const isChannelCell = (c: CellResult): c is ChannelCell => c.kind === 'channel'
export const isObserveCell = (c: CellResult): c is ObserveCell => c.kind === 'observe'
export const isTelemetryCell = (c: CellResult): c is TelemetryCell => c.kind === 'telemetry'
export const isRecoveryCell = (c: CellResult): c is RecoveryCell => c.kind === 'recovery'
