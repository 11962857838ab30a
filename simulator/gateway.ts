/**
 * A BLE gateway: one MQTT client that owns a set of simulated devices and answers RPCs for them in
 * all three conventions of the wire contract. Bad input is answered with an error when a reply
 * address can be found, otherwise counted and dropped; nothing a caller sends can crash it.
 */
import type { IPublishPacket, MqttClient } from 'mqtt'
import { realClock, type Clock } from '../core/clock.ts'
import { Device, type DeviceContext } from './device.ts'
import { connectMqtt, endClient, protocolOf, type BrokerTarget, type ProtocolChoice } from '../core/mqtt-connect.ts'
import type { DeviceProfile } from './profiles.ts'
import * as wire from '../core/protocol.ts'
import { Radio } from './radio.ts'
import { WriteCoalescer } from '../core/write-coalescer.ts'
import type { Convention as RecordedConvention, FleetRecorder, Served } from './observe/recorder.ts'
import { TelemetryPublisher } from './telemetry/publisher.ts'

export interface GatewayOptions {
  gatewayId: string
  deviceIds: readonly string[]
  profile: DeviceProfile
  seed: number
  broker: BrokerTarget
  clock?: Clock
  protocolVersion?: ProtocolChoice
  /** Larger requests are refused with payload_too_large. Default 64 KiB. */
  maxPayloadBytes?: number
  /** Overrides the profile's concurrent connection attempts. */
  radioSlots?: number
  reconnectPeriod?: number
  /** Records what this gateway serves, per caller (observe). */
  recorder?: FleetRecorder
}

type BadCode = 'bad_request' | 'unknown_verb' | 'unknown_device' | 'payload_too_large'

export interface GatewayStats {
  /** Every message delivered to the gateway: received = ok + error + dropped + inFlight. */
  received: number
  repliedOk: number
  repliedError: number
  /** Bad messages with no reply address: counted, never answered. */
  dropped: number
  inFlight: number
  /** Each bad message (or bad batch item) counted once under its error code. */
  bad: Record<BadCode, number>
}

export const DEFAULT_MAX_PAYLOAD = 64 * 1024
const SUBSCRIBE_CHUNK = 500
/** Error codes that say the request was bad (not the device's answer). */
const BAD_CODES: ReadonlySet<string> = new Set(['bad_request', 'unknown_verb', 'unknown_device', 'payload_too_large'])
type Convention = 0 | 1 | 2 // envelope, mqtt5, mqttnet
const CONVENTION_NAMES: readonly RecordedConvention[] = ['envelope', 'mqtt5', 'mqttnet']

const SERVED_OK: Served['outcome'] = Object.freeze({ ok: true })

export class Gateway {
  readonly id: string
  readonly devices = new Map<string, Device>()
  readonly stats: GatewayStats = {
    received: 0, repliedOk: 0, repliedError: 0, dropped: 0, inFlight: 0,
    bad: { bad_request: 0, unknown_verb: 0, unknown_device: 0, payload_too_large: 0 },
  }
  readonly radio: Radio
  private client: MqttClient | undefined
  private readonly maxPayload: number
  private readonly batchTopic: string
  /** The PUBACK and a reply that is ready within the same turn leave in one socket write. */
  private readonly writes = new WriteCoalescer()
  /** Publishes its devices' telemetry when a run asks for it (telemetry-vs-rpc); idle otherwise. */
  readonly telemetry: TelemetryPublisher

  constructor(private readonly opts: GatewayOptions) {
    this.id = opts.gatewayId
    this.radio = new Radio(opts.radioSlots ?? opts.profile.radioSlots)
    this.maxPayload = opts.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD
    this.batchTopic = wire.batchTopic(this.id)
    const ctx: DeviceContext = { gatewayId: this.id, clock: opts.clock ?? realClock, radio: this.radio, profile: opts.profile }
    for (const id of opts.deviceIds) this.devices.set(id, new Device(id, ctx, opts.seed))
    this.telemetry = new TelemetryPublisher([...this.devices.values()], {
      clock: ctx.clock,
      publish: (topic, payload, qos) => void this.client?.publish(topic, payload, { qos }, () => {}),
      hold: () => {
        if (this.client !== undefined) this.writes.hold(this.client)
      },
    })
  }

  get protocolVersion(): 4 | 5 | undefined {
    return this.client && protocolOf(this.client)
  }

  /** Topic filters this gateway subscribes to: only its own devices and its batch topic. */
  filters(): string[] {
    const out = [this.batchTopic]
    for (const id of this.devices.keys()) {
      out.push(wire.deviceRequestFilter(id))
      for (const verb of wire.VERBS) out.push(wire.mqttnetRequestFilter(id, verb))
    }
    return out
  }

  async start(): Promise<void> {
    const registry = wire.registryTopic(this.id)
    const client = await connectMqtt(this.opts.broker, {
      clientId: `fleetbench-gw-${this.id}-${process.pid}`,
      protocolVersion: this.opts.protocolVersion ?? 'auto',
      reconnectPeriod: this.opts.reconnectPeriod ?? 1000,
      will: { topic: registry, payload: Buffer.alloc(0), qos: 1, retain: true },
    })
    this.client = client
    client.on('message', this.onMessage)
    client.on('error', () => {}) // reconnects are handled by MQTT.js; errors must not crash the fleet
    const filters = this.filters()
    for (let i = 0; i < filters.length; i += SUBSCRIBE_CHUNK)
      await client.subscribeAsync(filters.slice(i, i + SUBSCRIBE_CHUNK), { qos: 1 })
    await this.publishRegistry()
    // After a broker restart the retained registry may be gone: publish it again on every reconnect.
    client.on('connect', () => void this.publishRegistry().catch(() => {}))
  }

  registryMessage(): object {
    return {
      gatewayId: this.id,
      devices: [...this.devices.keys()],
      profile: this.opts.profile.name,
      radioSlots: this.radio.slots,
      protocolVersion: this.protocolVersion,
      conventions: this.protocolVersion === 5 ? ['envelope', 'mqtt5', 'mqttnet'] : ['envelope', 'mqttnet'],
      batchTopic: this.batchTopic,
    }
  }

  private async publishRegistry(): Promise<void> {
    await this.client?.publishAsync(wire.registryTopic(this.id), JSON.stringify(this.registryMessage()), { qos: 1, retain: true })
  }

  async stop(): Promise<void> {
    this.telemetry.stop()
    const client = this.client
    if (client === undefined) return
    this.client = undefined
    client.off('message', this.onMessage)
    if (client.connected) await client.publishAsync(wire.registryTopic(this.id), Buffer.alloc(0), { qos: 1, retain: true }).catch(() => {})
    await endClient(client)
  }

  private readonly onMessage = (topic: string, payload: Buffer, packet: IPublishPacket): void => {
    this.stats.received++
    if (this.client !== undefined) this.writes.hold(this.client)
    const route = wire.parseTopic(topic)
    const qos = packet.qos === 0 ? 0 : 1
    const rec = this.opts.recorder
    // One object per recorded request, filled in on the way from its receipt to its reply.
    const recording: Served | undefined = rec && {
      topic, convention: 'envelope', verb: route?.kind === 'batch' ? 'batch' : route?.verb ?? 'unknown', device: route?.kind === 'batch' ? undefined : route?.deviceId,
      items: 1, qos, replyTo: undefined, receivedAt: rec.now(), repliedAt: 0, outcome: SERVED_OK,
    }
    if (recording) rec!.started(topic, recording.device)
    const correlation = packet.properties?.correlationData
    let convention: Convention
    let replyTo: string | undefined
    if (route?.kind === 'mqttnet') {
      convention = 2
      replyTo = wire.mqttnetResponseTopic(topic)
    } else if (packet.properties?.responseTopic !== undefined) {
      convention = 1
      replyTo = wire.isValidReplyTopic(packet.properties.responseTopic) ? packet.properties.responseTopic : undefined
    } else {
      convention = 0
    }
    if (recording) {
      recording.convention = route?.kind === 'batch' ? 'batch' : CONVENTION_NAMES[convention]!
      recording.replyTo = replyTo
    }
    if (payload.length > this.maxPayload) {
      const error = { code: 'payload_too_large', message: `request of ${payload.length} bytes exceeds the ${this.maxPayload}-byte limit` } as const
      return this.refuse('payload_too_large', convention, replyTo, null, correlation, qos, error, recording)
    }
    let id: string | number | null = null
    let params: unknown
    if (convention === 0) {
      const decoded = wire.decodeEnvelope(payload)
      if (recording) recording.replyTo = decoded.ok ? decoded.request.replyTo : decoded.replyTo
      if (!decoded.ok) return this.refuse('bad_request', 0, decoded.replyTo, decoded.id ?? null, undefined, qos, decoded.error, recording)
      id = decoded.request.id
      replyTo = decoded.request.replyTo
      params = decoded.request.params
    } else {
      const decoded = wire.decodeBareParams(payload)
      if (!decoded.ok) return this.refuse('bad_request', convention, replyTo, null, correlation, qos, decoded.error, recording)
      params = decoded.params
    }
    if (replyTo === undefined) {
      const error = { code: 'bad_request', message: 'Response Topic is not a valid topic name' } as const
      return this.refuse('bad_request', convention, undefined, id, correlation, qos, error, recording)
    }
    if (route === undefined || (route.kind === 'batch' && route.gatewayId !== this.id)) {
      const error = { code: 'bad_request', message: `topic ${topic.slice(0, 200)} is not part of the RPC contract` } as const
      return this.refuse('bad_request', convention, replyTo, id, correlation, qos, error, recording)
    }
    if (recording && route.kind === 'batch') recording.items = Array.isArray(params) ? params.length : 0
    this.stats.inFlight++
    const work = route.kind === 'batch' ? this.batch(params) : this.execute(route.deviceId, route.verb, params)
    const to = replyTo
    work.then((outcome) => {
      this.stats.inFlight--
      this.reply(convention, to, id, correlation, qos, outcome)
      if (recording) {
        recording.repliedAt = rec!.now()
        if (!outcome.ok) recording.outcome = { ok: false, code: outcome.error.code, bad: BAD_CODES.has(outcome.error.code) }
        rec!.served(recording)
      }
    })
  }

  private refuse(code: BadCode, convention: Convention, replyTo: string | undefined, id: string | number | null,
    correlation: Buffer | undefined, qos: 0 | 1, error: wire.RpcError, recording: Served | undefined): void {
    this.stats.bad[code]++
    if (recording) {
      recording.replyTo = replyTo
      recording.repliedAt = this.opts.recorder!.now()
      recording.outcome = { ok: false, code, bad: true }
      this.opts.recorder!.served(recording)
    }
    if (replyTo === undefined) {
      this.stats.dropped++
      return
    }
    this.reply(convention, replyTo, id, correlation, qos, { ok: false, error })
  }

  /** Runs one verb on one device; every failure is an outcome, never a throw. */
  execute(deviceId: string, verb: string, params: unknown): Promise<wire.RpcOutcome> {
    const device = this.devices.get(deviceId)
    if (device === undefined) {
      this.stats.bad.unknown_device++
      return Promise.resolve(wire.rpcError('unknown_device', `device ${String(deviceId).slice(0, 128)} is not on gateway ${this.id}`))
    }
    if (!wire.isVerb(verb)) {
      this.stats.bad.unknown_verb++
      return Promise.resolve(wire.rpcError('unknown_verb', `unknown verb ${String(verb).slice(0, 64)}; expected one of ${wire.VERBS.join(', ')}`))
    }
    const checked = wire.validateParams(verb, params)
    if (!checked.ok) {
      this.stats.bad.bad_request++
      return Promise.resolve({ ok: false, error: checked.error })
    }
    return device.call(checked.value)
  }

  private async batch(params: unknown): Promise<wire.RpcOutcome> {
    const checked = wire.validateBatch(params)
    if (!checked.ok) {
      this.stats.bad.bad_request++
      return { ok: false, error: checked.error }
    }
    // Items for different devices run concurrently; items for the same device run in order.
    const last = new Map<string, Promise<wire.RpcOutcome>>()
    const results = await Promise.all(
      checked.items.map((item) => {
        const before = last.get(item.device)
        const run = before ? before.then(() => this.execute(item.device, item.verb, item.params)) : this.execute(item.device, item.verb, item.params)
        last.set(item.device, run)
        return run
      }),
    )
    return { ok: true, result: results.map((r) => (r.ok ? { ok: true, result: r.result } : { ok: false, error: r.error })) }
  }

  private reply(convention: Convention, replyTo: string, id: string | number | null, correlation: Buffer | undefined,
    qos: 0 | 1, outcome: wire.RpcOutcome): void {
    if (outcome.ok) this.stats.repliedOk++
    else this.stats.repliedError++
    const client = this.client
    if (client === undefined) return
    const body = convention === 0 ? wire.encodeEnvelopeReply(id, outcome) : wire.encodeBareReply(outcome)
    const opts = correlation !== undefined && convention === 1 ? { qos, properties: { correlationData: correlation } } : { qos }
    client.publish(replyTo, body, opts, () => {})
  }
}
