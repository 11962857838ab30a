/** Worker ↔ main thread messages: a small typed union, structured-clone safe. */
import type { MessagePort } from 'node:worker_threads'
import type { BrokerTarget, ProtocolChoice } from '../../core/mqtt-connect.ts'
import type { LinkConditions } from '../faults/link.ts'
import type { RetryPolicy } from '../strategies/retry.ts'
import type { LoadModel, SliceResult, UserPlan } from './types.ts'

/** One worker's share of one cell. */
export interface CellTask {
  type: 'run-cell'
  cellId: string
  workerIndex: number
  strategy: string
  strategyOptions: Record<string, unknown>
  roundTimeoutMs: number
  load: LoadModel
  users: UserPlan[]
  /** Users in the whole cell (all workers), so open-loop starts are staggered across workers. */
  totalUsers: number
  broker: BrokerTarget
  protocolVersion: ProtocolChoice
  ackMode: 'lenient' | 'strict'
  qos: 0 | 1
  /** Client ids are `${clientIdPrefix}-u{user}-c{index}`: unique per run, cell and shard. */
  clientIdPrefix: string
  /** Multiplexed clients reconnect after this delay when their connection drops (0 = never). */
  reconnectPeriodMs: number
  /** The callers' link to the broker (each direction); undefined = loopback, no proxy. */
  callerLink?: LinkConditions
  /** This worker's share of the callers' connects per second (0 or undefined = all at once). */
  connectRate?: number
  /** Retries of failed calls; undefined = none. */
  retry?: RetryPolicy
  /** Seeds the link's jitter and loss and the retry jitter of this worker (default 1). */
  seed?: number
  /** Progress ticks (`WorkerTick`) go here about once a second. */
  progress?: MessagePort
}

export interface WorkerTick {
  type: 'tick'
  workerIndex: number
  sent: number
  ok: number
  errors: number
}

/** Loads the worker's modules and returns at once (before a timed start). */
export interface WarmTask {
  type: 'warm'
}

/** Main → worker, on the same port: stop starting rounds (SIGINT/SIGTERM); rounds in progress finish. */
export interface StopMessage {
  type: 'stop'
}

export type WorkerOutcome = { type: 'result'; slice: SliceResult } | { type: 'error'; message: string }
