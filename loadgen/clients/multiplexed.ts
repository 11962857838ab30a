/**
 * The design that makes "how do I call many devices at once?" go away: ONE connection, ONE response
 * subscription (`fleet/reply/{clientId}`, re-subscribed by MQTT.js after a reconnect), and pending
 * calls in a Map keyed by a numeric id. MQTT 3.1.1 carries id and reply topic in the envelope;
 * MQTT 5 uses Response Topic + Correlation Data (the id as decimal digits) with a bare payload.
 *
 * Deadlines use one timer per client (DeadlineQueue). Replies for finished calls are counted as late
 * and never resolve another call; garbage is counted and ignored. With `maxInFlight`, extra calls
 * wait in FIFO order while their deadline runs; one that expires there is never published.
 */
import type { IClientPublishOptions, IPublishPacket, MqttClient, Packet } from 'mqtt'
import { endClient } from '../../core/mqtt-connect.ts'
import { batchTopic, requestTopic, VERBS, type BatchItem, type Verb } from '../../core/protocol.ts'
import { WriteCoalescer } from '../../core/write-coalescer.ts'
import { DeadlineQueue, type DeadlineEntry } from '../../core/deadline-queue.ts'
import * as R from './results.ts'
import type { CallOptions, CallResult, ClientOptions, RpcClient } from './types.ts'
import { ClientConnection } from './connection.ts'

export interface MultiplexedOptions extends ClientOptions {
  /** Delay before MQTT.js reconnects after a lost connection (it then re-subscribes the reply topic). 0 = stay down. Default 1000. */
  reconnectPeriodMs?: number
  /** Default `fleet/reply/{clientId}`. */
  replyTopic?: string
}

type Outcome = CallResult | CallResult[]
const QUEUED = 0
const IN_FLIGHT = 1
const DONE = 2
const VERB_INDEX = Object.fromEntries(VERBS.map((v, i) => [v, i])) as Record<Verb, number>

/** One pending call. It is its own AbortSignal listener (handleEvent), so a call allocates no closure for it. */
class Pending implements DeadlineEntry {
  heapIndex = -1
  queueSeq = 0
  state = QUEUED
  topic = ''
  payload: string | undefined = undefined
  resolve: (r: Outcome) => void = noop

  constructor(
    readonly owner: MultiplexedRpcClient,
    readonly id: number,
    readonly deadline: number,
    readonly batch: boolean,
    readonly signal: AbortSignal | undefined,
  ) {}

  handleEvent(): void {
    this.owner.settle(this, R.CANCELLED)
  }
}

function noop(): void {}

export class MultiplexedRpcClient extends ClientConnection<MultiplexedOptions> implements RpcClient {
  readonly kind = 'multiplexed'
  readonly replyTopic: string
  private readonly maxInFlight: number
  private readonly pending = new Map<number, Pending>()
  private readonly deadlines: DeadlineQueue<Pending>
  private readonly waiting: Pending[] = []
  private waitingHead = 0
  private inFlight = 0
  private lastId = 0
  private readonly deviceTopics = new Map<string, string[]>()
  private readonly gatewayTopics = new Map<string, string>()
  private readonly publishOpts: IClientPublishOptions
  private readonly writes = new WriteCoalescer()
  /** `{"replyTo":"fleet/reply/…","id":` — the envelope up to the id, built once. */
  private readonly envelopeHead: string

  constructor(opts: MultiplexedOptions) {
    if (opts.maxInFlight !== undefined && !(Number.isInteger(opts.maxInFlight) && opts.maxInFlight >= 1))
      throw new Error(`maxInFlight must be a positive integer, got ${String(opts.maxInFlight)}`)
    super(opts, 'MultiplexedRpcClient')
    this.maxInFlight = opts.maxInFlight ?? Infinity
    this.replyTopic = opts.replyTopic ?? `fleet/reply/${opts.clientId}`
    this.publishOpts = { qos: this.qos }
    this.envelopeHead = `{"replyTo":${JSON.stringify(this.replyTopic)},"id":`
    this.deadlines = new DeadlineQueue<Pending>(this.clock, (p) => this.settle(p, R.TIMEOUT))
  }

  protected beforeOpen(): void {
    this.failAll(R.CONNECTION_LOST)
    void this.drop()
  }

  protected override reconnectPeriodMs(): number {
    return this.opts.reconnectPeriodMs ?? 1000
  }

  protected async attach(client: MqttClient): Promise<void> {
    client.on('message', this.onMessage)
    client.on('packetsend', this.onPacketSend)
    client.on('close', this.onClose)
    client.on('connect', this.onReconnect)
    client.on('error', noop) // failures surface as `close`; MQTT.js must not throw on an unhandled 'error'
    // reconnectPeriod > 0 at this point, so MQTT.js remembers the topic and re-subscribes after a reconnect.
    try {
      await client.subscribeAsync(this.replyTopic, { qos: this.qos })
    } catch (err) {
      await this.drop()
      throw new Error(`could not subscribe to the reply topic ${this.replyTopic}: ${(err as Error).message}`)
    }
  }

  call(deviceId: string, verb: Verb, params: unknown, opts: CallOptions): Promise<CallResult> {
    let topics = this.deviceTopics.get(deviceId)
    if (topics === undefined) {
      topics = VERBS.map((v) => requestTopic(deviceId, v))
      this.deviceTopics.set(deviceId, topics)
    }
    return this.start(topics[VERB_INDEX[verb]] ?? requestTopic(deviceId, verb), params, opts, false) as Promise<CallResult>
  }

  batch(gatewayId: string, items: readonly BatchItem[], opts: CallOptions): Promise<CallResult[] | CallResult> {
    let topic = this.gatewayTopics.get(gatewayId)
    if (topic === undefined) {
      topic = batchTopic(gatewayId)
      this.gatewayTopics.set(gatewayId, topic)
    }
    return this.start(topic, items, opts, true)
  }

  async close(): Promise<void> {
    this.closed = true
    this.failAll(R.CLIENT_CLOSED)
    this.deadlines.clear()
    await this.drop()
  }

  /** @internal Finishes a call exactly once: frees its slot, deadline and listener, then resolves it. */
  settle(p: Pending, result: Outcome): void {
    if (p.state === DONE) return
    const wasInFlight = p.state === IN_FLIGHT
    p.state = DONE
    p.payload = undefined
    this.pending.delete(p.id)
    this.deadlines.remove(p)
    if (p.signal !== undefined) p.signal.removeEventListener('abort', p)
    if (wasInFlight) {
      this.inFlight--
      if (this.waitingHead < this.waiting.length) this.pump()
    }
    p.resolve(result)
  }

  private start(topic: string, params: unknown, opts: CallOptions, batch: boolean): Promise<Outcome> {
    if (opts.signal?.aborted === true) return Promise.resolve(R.CANCELLED)
    if (!this.connected) {
      this.counters.disconnectedCalls++
      return Promise.resolve(R.NOT_CONNECTED)
    }
    if (opts.deadline <= this.clock.now()) return Promise.resolve(R.TIMEOUT)
    const p = new Pending(this, ++this.lastId, opts.deadline, batch, opts.signal)
    p.topic = topic
    p.payload = this.encode(p.id, params)
    const promise = new Promise<Outcome>((resolve) => (p.resolve = resolve))
    this.pending.set(p.id, p)
    this.deadlines.add(p)
    if (opts.signal !== undefined) opts.signal.addEventListener('abort', p)
    if (this.inFlight < this.maxInFlight) this.send(p)
    else this.waiting.push(p)
    return promise
  }

  private encode(id: number, params: unknown): string {
    const body = params === undefined ? undefined : JSON.stringify(params)
    if (this.protocolVersion === 5) return body ?? ''
    return body === undefined ? `${this.envelopeHead}${id}}` : `${this.envelopeHead}${id},"params":${body}}`
  }

  private send(p: Pending): void {
    p.state = IN_FLIGHT
    if (++this.inFlight > this.counters.peakInFlight) this.counters.peakInFlight = this.inFlight
    const opts: IClientPublishOptions =
      this.protocolVersion === 5
        ? { qos: this.qos, properties: { responseTopic: this.replyTopic, correlationData: Buffer.from(String(p.id)) } }
        : this.publishOpts
    this.client!.publish(p.topic, p.payload!, opts)
    p.payload = undefined
  }

  /** Moves FIFO waiters into free slots; waiters that already finished (deadline, abort) are skipped. */
  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.waitingHead < this.waiting.length) {
      const p = this.waiting[this.waitingHead++]!
      if (p.state === QUEUED) this.send(p)
    }
    if (this.waitingHead === this.waiting.length) {
      this.waiting.length = 0
      this.waitingHead = 0
    } else if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waiting.length) {
      this.waiting.splice(0, this.waitingHead)
      this.waitingHead = 0
    }
  }

  private readonly onMessage = (topic: string, payload: Buffer, packet: IPublishPacket): void => {
    // The PUBACK of this reply and the requests its continuation publishes leave in one socket write.
    if (this.client !== undefined) this.writes.hold(this.client)
    if (topic !== this.replyTopic) {
      this.counters.unknownReplies++
      return
    }
    let id: number
    let body: { id?: unknown; ok?: unknown; result?: unknown; error?: unknown } | undefined
    if (this.protocolVersion === 5) {
      id = R.correlationId(packet.properties?.correlationData)
    } else {
      const parsed = R.parseJson(payload)
      body = parsed.ok && typeof parsed.value === 'object' && parsed.value !== null ? (parsed.value as typeof body) : undefined
      id = typeof body?.id === 'number' ? body.id : NaN
    }
    const p = this.pending.get(id)
    if (p === undefined || p.state !== IN_FLIGHT) {
      // Ids are never reused, so an id we issued that is no longer in flight belongs to a finished call.
      if (p === undefined && Number.isInteger(id) && id >= 1 && id <= this.lastId) this.counters.lateReplies++
      else this.counters.unknownReplies++
      return
    }
    this.settle(p, body !== undefined ? R.envelopeOutcome(body, p.batch) : R.bareOutcome(payload, p.batch))
  }

  private readonly onPacketSend = (packet: Packet): void => {
    if (packet.cmd === 'subscribe') this.counters.subscribes++
    else if (packet.cmd === 'unsubscribe') this.counters.unsubscribes++
  }

  private readonly onClose = (): void => {
    this.failAll(R.CONNECTION_LOST)
    // Finished calls must not be re-sent: MQTT.js would replay unacknowledged QoS 1 requests after a reconnect.
    const outgoing = this.client?.outgoing
    if (outgoing === undefined) return
    for (const key of Object.keys(outgoing)) {
      const id = Number(key)
      if (outgoing[id]?.cmd === 'publish') this.client!.removeOutgoingMessage(id)
    }
  }

  private readonly onReconnect = (): void => {
    this.counters.connections++
  }

  private failAll(result: CallResult): void {
    if (this.pending.size === 0) return
    this.counters.disconnectedCalls += this.pending.size
    // Empty the FIFO first, so that freeing in-flight slots below publishes nothing on a dead connection.
    this.waiting.length = 0
    this.waitingHead = 0
    for (const p of this.pending.values()) this.settle(p, result)
  }

  /** Forgets the current MQTT.js client (if any) and ends it forcibly; resolves when its socket is closed. */
  private async drop(): Promise<void> {
    const client = this.client
    if (client === undefined) return
    this.client = undefined
    client.off('message', this.onMessage)
    client.off('packetsend', this.onPacketSend)
    client.off('close', this.onClose)
    client.off('connect', this.onReconnect)
    await endClient(client, true)
  }
}
