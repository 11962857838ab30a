/**
 * The messages the host and the fleet's threads speak, both sides importing this one file: the
 * embedded broker's thread and the gateway threads. Everything here is structured-clone safe
 * (plain data; the broker's counts travel as a SharedArrayBuffer, read in place).
 */
import type { BrokerTarget } from '../../core/mqtt-connect.ts'
import type { FleetOptions } from '../fleet.ts'
import type { GatewayStats } from '../gateway-stats.ts'

/** Bumped when a message changes shape: a thread of another version is refused at `ready`. */
export const THREAD_PROTOCOL = 1

/** A thread's failure as plain data; `code` and `port` survive so the host can tell EADDRINUSE from the rest. */
export interface ThreadError {
  type: 'error'
  message: string
  code?: string | undefined
  port?: number | undefined
}

/** Any throw as a ThreadError. */
export function threadError(err: unknown): ThreadError {
  const e = err as (NodeJS.ErrnoException & { port?: unknown }) | undefined
  return { type: 'error', message: e?.message ?? String(err), code: typeof e?.code === 'string' ? e.code : undefined, port: typeof e?.port === 'number' ? e.port : undefined }
}

/** A ThreadError as an Error again, with its code and port, for the host's callers. */
export function errorOf(e: ThreadError, prefix: string): Error {
  return Object.assign(new Error(`${prefix}${e.message}`), e.code === undefined ? {} : { code: e.code }, e.port === undefined ? {} : { port: e.port })
}

// ── the embedded broker's thread ────────────────────────────────────────────

/** What the broker thread may be given (no hooks: functions do not cross threads). */
export interface BrokerThreadOptions {
  host?: string | undefined
  port?: number | undefined
  wsPort?: number | undefined
  auth?: { username: string; password: string } | undefined
}

export type ToBrokerThread =
  | { type: 'start'; options: BrokerThreadOptions; counts: SharedArrayBuffer }
  /** Close the broker (every connection drops), wait, reopen it on the same ports; counts go on. */
  | { type: 'restart'; downtimeMs: number }
  | { type: 'stop' }

export interface BrokerThreadReady {
  type: 'ready'
  protocol: number
  url: string
  host: string
  port: number
  wsUrl: string | undefined
  wsPort: number | undefined
  version: string
  /** Linux thread id (for per-thread CPU), undefined elsewhere. */
  tid: number | undefined
}

export type FromBrokerThread =
  | BrokerThreadReady
  | { type: 'restarted' }
  | { type: 'stopped' }
  /** The listener failed to accept a connection (onServerError): the broker keeps serving. */
  | { type: 'server-error'; message: string; code: string | undefined }
  | ThreadError

// ── a gateway thread ────────────────────────────────────────────────────────

/** The fleet options a gateway thread can be given: no clock, recorder, observer or credentials handed over in-process. */
export type ThreadFleetOptions = Omit<FleetOptions, 'clock' | 'recorder' | 'connections' | 'gatewayCredentials' | 'broker'> & { broker: BrokerTarget }

export type ToFleetThread =
  /** Run an ordinary Fleet for `options` (its `shard` says which gateways are this thread's). */
  | { type: 'start'; options: ThreadFleetOptions }
  | { type: 'stats'; seq: number }
  | { type: 'stop' }

export interface FleetThreadReady {
  type: 'ready'
  protocol: number
  gateways: number
  devices: number
  /** MQTT version the thread's gateways speak (the first one's). */
  protocolVersion: 4 | 5 | undefined
  tid: number | undefined
}

export type FromFleetThread =
  | FleetThreadReady
  | { type: 'stats'; seq: number; stats: GatewayStats }
  | { type: 'stopped' }
  | ThreadError
