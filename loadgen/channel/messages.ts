/** Main thread ↔ channel worker messages: a small typed union, structured-clone safe. */
import type { MessagePort } from 'node:worker_threads'
import type { BrokerTarget } from '../../core/mqtt-connect.ts'
import type { LinkConditions } from '../faults/link.ts'
import type { ChannelSeriesPoint } from '../../core/result.ts'
import type { ChannelMeasures } from '../../core/channel-measures.ts'
import type { PolicyName } from './policies.ts'

export const FAULT_NAMES = ['stall', 'cut', 'slow-link', 'none'] as const
export type FaultName = (typeof FAULT_NAMES)[number]

/** One cell: producers → policy → channel → pump → MQTT client → broker → subscriber. */
export interface ChannelCellTask {
  type: 'channel-cell'
  cellId: string
  capacity: number
  policy: PolicyName
  /** drop-oldest's ring N. */
  ring: number
  fault: FaultName
  /** The rumqtt #1025 pattern: the incoming-publish handler awaits send() inside the loop. */
  sendInPoll: boolean
  producers: number
  /** Publishes per second, all producers together. */
  rate: number
  durationMs: number
  payloadBytes: number
  qos: 0 | 1
  maxInFlight: number
  /** stall and slow-link: `forMs` at the end of every `everyMs`. */
  window: { forMs: number; everyMs: number }
  /** cut: the broker is unreachable for this long, from a third of the duration. */
  cutForMs: number
  /** slow-link conditions during its windows (both directions). */
  link: { bandwidth: number; latencyMs: number }
  /** The publisher's link to the broker outside fault windows, and the subscriber's; undefined = loopback. */
  callerLink?: LinkConditions | undefined
  receiverLink?: LinkConditions | undefined
  watchdogMs: number
  drainTimeoutMs: number
  broker: BrokerTarget
  /** Topics are `${topicPrefix}/…`, client ids `${clientIdPrefix}-…`: unique per run and cell. */
  topicPrefix: string
  clientIdPrefix: string
  seed: number
  /** Progress ticks (`ChannelTick`) go here about once a second. */
  progress?: MessagePort
}

/** What a channel cell's worker sends back: the measures a result cell keeps as they are, plus raw material. */
export interface ChannelCellData extends ChannelMeasures {
  status: 'ok' | 'deadlock'
  /** Why the cell ended as deadlock, one line. */
  reason?: string
  /** Failures by kind: try-full, closed, cancelled, deadlock, undelivered. */
  errors: Record<string, number>
  /** Encoded histograms (µs): send blocking, end-to-end from intended time, from the actual call. */
  blocking: string
  latency: string
  latencyUncorrected: string
  series: ChannelSeriesPoint[]
  /** The cell worker's heapUsed + arrayBuffers at the cell's start. */
  baselineMemoryBytes: number
  freeListGrown: number
  /** The whole cell (production + drain). */
  elapsedMs: number
}

export type ChannelWorkerOutcome = { type: 'result'; data: ChannelCellData } | { type: 'error'; message: string }

export interface ChannelTick {
  type: 'tick'
  produced: number
  delivered: number
  queueDepth: number
}
