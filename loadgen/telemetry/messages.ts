/**
 * Main process ↔ caller process messages (Node IPC with structured-clone serialization): a small
 * typed union. The caller runs in a child process of its own so that its CPU time
 * (process.cpuUsage) is the caller's alone, apart from the broker's and the gateways'.
 */
import type { BrokerTarget } from '../../core/mqtt-connect.ts'
import type { TelemetryCharacteristic } from '../../core/protocol.ts'
import type { CellCounts } from '../../core/result.ts'
import type { SeriesPoint } from '../../core/series.ts'
import type { StreamTotals, TelemetryPattern } from '../../core/telemetry.ts'

/** One cell for the caller: who to read, how, and where the broker is. */
export interface CallerCellTask {
  cellId: string
  pattern: TelemetryPattern
  hz: number
  durationMs: number
  /** Device ids in fleet order; streams are device × characteristic in this order. */
  deviceIds: string[]
  characteristics: TelemetryCharacteristic[]
  /** The caller's way to the broker: one value, so a shaped link (a proxy) can be put in front of it. */
  broker: BrokerTarget
  qos: 0 | 1
  /** Telemetry messages carry it; messages of another run are ignored. */
  run: number
  clientId: string
  /** Telemetry patterns: longest wait after the load for messages still on their way. */
  drainMs: number
  seed: number
}

/** Main → caller. */
export type ToCaller =
  | { type: 'pong'; id: number; epoch: number }
  | { type: 'cell'; task: CallerCellTask }
  /** The first period starts at `startAt` (epoch ms on the main process's clock). */
  | { type: 'go'; startAt: number }
  /** Telemetry patterns, after the load: what every stream published, in stream order. */
  | { type: 'finish'; streams: StreamTotals[] }
  /** End the load now (a signal): rpc polls no more; telemetry stops waiting. */
  | { type: 'stop' }

/** What the caller measured in one cell. */
export interface CallerCellData {
  counts: CellCounts
  deviceErrors: Record<string, number>
  /** Freshness of every value received, µs, encoded HDR histogram. */
  freshness: string
  series: SeriesPoint[]
  published: number
  received: number
  duplicates: number
  lateReplies: number
  messagesMissed: number
  /** Devices still not open after the rpc set-up's attempts (their reads fail not_connected). */
  unopened: number
  callerCpuUs: number
  loadMs: number
}

/** Caller → main. */
export type FromCaller =
  | { type: 'ping'; id: number }
  /** Clock aligned: add offsetMs to the caller's epoch to get the main process's; error at most rttMs / 2. */
  | { type: 'synced'; offsetMs: number; rttMs: number }
  | { type: 'ready'; cellId: string }
  | { type: 'tick'; ok: number; missed: number }
  | { type: 'result'; data: CallerCellData }
  | { type: 'error'; message: string }
