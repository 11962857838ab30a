/**
 * A gateway's connection to the broker, kept up by the gateway itself (MQTT.js's reconnectPeriod is
 * a fixed delay, so it is 0 here). Every CONNECT waits for the fleet's pacer; a lost connection is
 * retried after exponential backoff with full jitter (attempt n waits a uniform draw below
 * min(cap, base · 2^n), n reset by a CONNACK); each attempt has connectMqtt's CONNACK deadline and
 * each SUBSCRIBE a SUBACK deadline, so a gateway never hangs. Sessions are clean: after every
 * CONNACK the gateway subscribes all its filters again, batch by batch, while holding one of the
 * fleet's subscribe permits (so at most that many SUBSCRIBEs are in flight fleet-wide), then
 * publishes its retained registry.
 *
 * Why the permits: with 100 gateways × 6,000 filters subscribing at once, the embedded broker's
 * event loop (shared with the gateways) had ~100 SUBSCRIBEs of 500 filters queued at any time, each
 * ~5 ms of work, and the CONNECTs of later gateways waited behind them past their 5 s CONNACK
 * deadline ("connack timeout"); with a few permits a CONNECT waits for a few SUBSCRIBEs at most.
 */
import type { MqttClient } from 'mqtt'
import { backoffMs } from '../core/backoff.ts'
import type { Clock } from '../core/clock.ts'
import { withDeadline } from '../core/deadline.ts'
import { connectMqtt, endClient, protocolOf, type BrokerTarget, type ProtocolChoice } from '../core/mqtt-connect.ts'
import type { Rng } from '../core/rng.ts'
import type { ConnectionPolicy } from './connection-policy.ts'

export interface GatewayConnectionOptions {
  gatewayId: string
  clientId: string
  broker: BrokerTarget
  protocolVersion: ProtocolChoice
  clock: Clock
  /** Draws the backoff jitter. */
  rng: Rng
  policy: ConnectionPolicy
  registryTopic: string
  /** The filters, batch by batch; iterated anew on every connection. */
  filterBatches(): Iterable<string[]>
  /** The registry message for the connection's protocol version. */
  registry(version: 4 | 5): string
  /** A new connection is up: attach handlers (before any filter is subscribed). */
  attach(client: MqttClient): void
  /** The gateway stops: detach them. */
  detach(client: MqttClient): void
}

const DEFAULT_ACK_TIMEOUT_MS = 30_000
const STOP_REGISTRY_MS = 2_000
const noop = (): void => {}

/** One connection: lost once, established once its set-up finished while it was still up. */
class Session {
  lost = false
  established = false
  readonly ended = new AbortController()
  constructor(readonly client: MqttClient) {}
}

export class GatewayConnection {
  /** MQTT version of the last connection. */
  version: 4 | 5 | undefined
  /** Every filter acknowledged on the current connection. */
  ready = false
  /** Filters acknowledged on the current connection so far. */
  acked = 0
  attempts = 0
  private session: Session | undefined
  private stopped = false
  private readonly stopping = new AbortController()
  private reconnecting = false
  private attempting: Promise<unknown> | undefined

  constructor(private readonly opts: GatewayConnectionOptions) {}

  /** The current connection's client while it is up. */
  get client(): MqttClient | undefined {
    return this.session?.client
  }

  /** First connect and subscription; throws if either fails (no retry: start-up fails fast, with the reason). */
  async start(): Promise<void> {
    const s = await this.attempt()
    await this.setUp(s)
    s.established = true
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.stopping.abort(new Error(`gateway ${this.opts.gatewayId} stopped`))
    await this.attempting?.catch(noop)
    const s = this.session
    this.session = undefined
    this.ready = false
    if (s === undefined) return
    this.opts.detach(s.client)
    s.ended.abort(new Error(`gateway ${this.opts.gatewayId} stopped`))
    // Only a connection that published the registry clears it (a lost one left its will, the empty registry).
    if (s.established && s.client.connected && !s.lost) {
      const cleared = s.client.publishAsync(this.opts.registryTopic, Buffer.alloc(0), { qos: 1, retain: true })
      await withDeadline(cleared, STOP_REGISTRY_MS, 'clearing the registry').catch(noop)
    }
    await endClient(s.client)
  }

  private attempt(): Promise<Session> {
    const p = this.connectOnce()
    this.attempting = p
    return p
  }

  private async connectOnce(): Promise<Session> {
    const { gatewayId: id, policy, clock } = this.opts
    await policy.pacer.take(this.stopping.signal)
    const startedAt = clock.now()
    this.attempts++
    policy.observer?.attempt(id, startedAt)
    let client: MqttClient
    try {
      client = await connectMqtt(this.opts.broker, {
        clientId: this.opts.clientId,
        // `auto` tries MQTT 5 first; once a connection told the version, reconnects use it (one CONNECT each).
        protocolVersion: this.version ?? this.opts.protocolVersion,
        reconnectPeriod: 0,
        will: { topic: this.opts.registryTopic, payload: Buffer.alloc(0), qos: 1, retain: true },
      })
    } catch (err) {
      if (!this.stopped) policy.observer?.lost(id, clock.now())
      throw err
    }
    if (this.stopped) {
      await endClient(client, true)
      throw this.stopping.signal.reason
    }
    const at = clock.now()
    this.version = protocolOf(client)
    const s = new Session(client)
    this.session = s
    client.on('error', noop) // failures surface as 'close'; an unhandled 'error' must not crash the fleet
    client.on('close', () => this.onLost(s))
    this.opts.attach(client)
    policy.observer?.connected(id, at, at - startedAt)
    return s
  }

  /** Every filter through the fleet's subscribe permits, then the registry; on failure the connection is dropped. */
  private async setUp(s: Session): Promise<void> {
    const { policy, clock } = this.opts
    const ackMs = policy.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS
    const signal = s.ended.signal
    let release: (() => void) | undefined
    try {
      release = await policy.subscribing.acquire(signal)
      let filters = 0
      for (const batch of this.opts.filterBatches()) {
        await untilAborted(withDeadline(s.client.subscribeAsync(batch, { qos: 1 }), ackMs, `gateway ${this.opts.gatewayId}: SUBACK`), signal)
        filters += batch.length
        this.acked = filters
      }
      release()
      release = undefined
      this.ready = true
      policy.observer?.subscribed(this.opts.gatewayId, clock.now(), filters)
      const registry = s.client.publishAsync(this.opts.registryTopic, this.opts.registry(protocolOf(s.client)), { qos: 1, retain: true })
      await untilAborted(withDeadline(registry, ackMs, `gateway ${this.opts.gatewayId}: PUBACK of the registry`), signal)
      if (s.lost) throw new Error(`gateway ${this.opts.gatewayId}: connection lost`)
    } catch (err) {
      release?.()
      s.client.end(true) // a refused or late SUBSCRIBE leaves a connection that serves nothing
      throw err
    }
  }

  private onLost(s: Session): void {
    if (s.lost) return
    s.lost = true
    s.ended.abort(new Error(`gateway ${this.opts.gatewayId}: connection lost`))
    if (this.session === s) {
      this.session = undefined
      this.ready = false
      this.acked = 0
    }
    s.client.end(true)
    if (this.stopped) return
    this.opts.policy.observer?.lost(this.opts.gatewayId, this.opts.clock.now())
    if (s.established) this.reconnect()
  }

  private reconnect(): void {
    if (this.reconnecting || this.stopped) return
    this.reconnecting = true
    void this.reconnectLoop()
  }

  private async reconnectLoop(): Promise<void> {
    let n = 0
    while (!this.stopped) {
      let s: Session
      try {
        await this.sleep(backoffMs(this.opts.policy.backoff, n, this.opts.rng))
        s = await this.attempt()
      } catch {
        n++
        continue
      }
      n = 0 // a CONNACK resets the backoff
      try {
        await this.setUp(s)
      } catch {
        continue // lost (or refused) while subscribing: the next attempt starts from the first backoff
      }
      // Synchronously after the set-up: a loss from now on starts a new loop (onLost sees `established`).
      this.reconnecting = false
      s.established = true
      return
    }
    this.reconnecting = false
  }

  /** Waits `ms` on the gateway's clock; rejects at once when the gateway stops. */
  private sleep(ms: number): Promise<void> {
    const signal = this.stopping.signal
    if (signal.aborted) return Promise.reject(signal.reason)
    if (ms <= 0) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.opts.clock.clearTimeout(timer)
        reject(signal.reason)
      }
      const timer = this.opts.clock.setTimeout(() => {
        signal.removeEventListener('abort', onAbort)
        resolve()
      }, ms)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }
}

/** `p`, or the signal's reason as soon as it is aborted. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e: unknown) => (signal.removeEventListener('abort', onAbort), reject(e)),
    )
  })
}
