/**
 * The caller side's view of an RPC client. Every implementation runs the shared contract suite
 * (test/support/client-contract.ts); strategies only see this interface.
 */
import type { Clock } from '../../core/clock.ts'
import type { BrokerTarget, ProtocolChoice } from '../../core/mqtt-connect.ts'
import type { ClientStats } from '../../core/counters.ts'
import type { BatchItem, Verb } from '../../core/protocol.ts'

/** Error kinds reported per cell. `sent = ok + Σ errors + dropped` is checked for every cell. */
export const ERROR_KINDS = [
  'timeout', // no reply before the call's deadline
  'protocol-violation', // the emulated MQTTnet < 5.2 dispatcher tore the connection down
  'device-error', // the device answered ok:false (not_connected, connect_timeout, out_of_range, ...)
  'disconnected', // the connection was lost (or not up) while the call was pending
  'bad-reply', // a reply that could not be decoded
  'cancelled', // the caller's AbortSignal fired before a reply
] as const
export type ErrorKind = (typeof ERROR_KINDS)[number]

export type CallResult =
  | { ok: true; result: unknown }
  /** `code` is the device's error code for device-error, undefined otherwise. */
  | { ok: false; kind: ErrorKind; code?: string; message: string }

export interface CallOptions {
  /** Absolute deadline on the client's clock (ms); a shared deadline models one CancellationToken per round. */
  deadline: number
  signal?: AbortSignal
}

export interface RpcClient {
  readonly kind: 'multiplexed' | 'mqttnet'
  readonly connected: boolean
  /** MQTT protocol in use (4 = 3.1.1 envelope convention, 5 = MQTT 5 properties). */
  readonly protocolVersion: 4 | 5
  /** Connects, or reconnects after a teardown. Resolves when usable; rejects if the broker refuses. */
  connect(): Promise<void>
  /** One verb on one device. Never rejects: every failure is a CallResult. */
  call(deviceId: string, verb: Verb, params: unknown, opts: CallOptions): Promise<CallResult>
  /** One batch request to a gateway (multiplexed only; the result is one CallResult per item, in order). */
  batch?(gatewayId: string, items: readonly BatchItem[], opts: CallOptions): Promise<CallResult[] | CallResult>
  stats(): ClientStats
  /** Fails every pending call as `disconnected`, closes the connection, frees timers. */
  close(): Promise<void>
}

export interface ClientOptions {
  broker: BrokerTarget
  clientId: string
  /** Multiplexed: 'auto' uses MQTT 5 properties when the broker speaks MQTT 5. MQTTnet-style: any. */
  protocolVersion?: ProtocolChoice
  clock?: Clock
  /** Multiplexed only: calls beyond this wait for a free slot (their deadline still runs). */
  maxInFlight?: number
  /** MQTTnet-style only: 'lenient' = MQTT.js (unknown acks ignored), 'strict' = MQTTnet < 5.2 dispatcher. */
  ackMode?: 'lenient' | 'strict'
  qos?: 0 | 1
  /** Paces this client's connects with others' (core/pacer.ts): `connect()` waits its turn first. */
  pacer?: { take(signal?: AbortSignal): Promise<void> }
}
