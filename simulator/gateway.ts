/**
 * A BLE gateway: one MQTT client that owns a set of simulated devices and answers RPCs for them in
 * the conventions of the wire contract the fleet serves (conventions.ts; all three by default). Its
 * connection (paced connects, reconnects with backoff, subscriptions with flow control) is
 * gateway-connection.ts. Bad input is answered with an error when a reply address can be found,
 * otherwise counted and dropped; nothing a caller sends can crash it.
 */
import type { IPublishPacket, MqttClient } from 'mqtt'
import { realClock, type Clock } from '../core/clock.ts'
import type { DeviceContext } from './device.ts'
import { DeviceTable } from './device-table.ts'
import { toDeviceIds, type DeviceIds } from './device-ids.ts'
import type { BrokerTarget, ProtocolChoice } from '../core/mqtt-connect.ts'
import { deriveRng } from '../core/rng.ts'
import { ALL_CONVENTIONS, filterBatches, gatewayFilterCount, listedConventions, type RpcConvention, type ServedConventions } from './conventions.ts'
import { GatewayConnection } from './gateway-connection.ts'
import { standaloneConnectionPolicy, type ConnectionPolicy } from './connection-policy.ts'
import type { DeviceProfile } from './profiles.ts'
import * as wire from '../core/protocol.ts'
import { Radio } from './radio.ts'
import { WriteCoalescer } from '../core/write-coalescer.ts'
import type { Convention as RecordedConvention, FleetRecorder, Served } from './observe/recorder.ts'
import { TelemetryPublisher } from './telemetry/publisher.ts'
import { emptyGatewayStats, type BadCode, type GatewayStats } from './gateway-stats.ts'

export interface GatewayOptions {
  gatewayId: string
  /** A plain list, or a compact block of numbered ids (fleetBlocks). */
  deviceIds: readonly string[] | DeviceIds
  profile: DeviceProfile
  seed: number
  broker: BrokerTarget
  clock?: Clock
  protocolVersion?: ProtocolChoice
  /** Larger requests are refused with payload_too_large. Default 64 KiB. */
  maxPayloadBytes?: number
  /** Overrides the profile's concurrent connection attempts. */
  radioSlots?: number
  /** Connect pacing, reconnect backoff, subscribe permits and observer, shared by the fleet's gateways (default: this gateway's own, unpaced). */
  connection?: ConnectionPolicy
  /** Conventions served (default all three): fewer filters when some are not needed. */
  conventions?: ServedConventions
  /** Records what this gateway serves, per caller (observe). */
  recorder?: FleetRecorder
  /** Every device an object from the start instead of on first use (device-table.ts); for measurements and tests. */
  eagerDevices?: boolean
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
  /** Made on first use: a device never called is only its place in the gateway's ids (device-table.ts). */
  readonly devices: DeviceTable
  readonly stats: GatewayStats = emptyGatewayStats()
  readonly radio: Radio
  /** The connection to the broker, kept up by the gateway (gateway-connection.ts). */
  readonly link: GatewayConnection
  private readonly serves: ServedConventions
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
    this.serves = opts.conventions ?? ALL_CONVENTIONS
    const ctx: DeviceContext = { gatewayId: this.id, clock: opts.clock ?? realClock, radio: this.radio, profile: opts.profile }
    this.devices = new DeviceTable(toDeviceIds(opts.deviceIds), ctx, opts.seed, { eager: opts.eagerDevices })
    this.telemetry = new TelemetryPublisher({ [Symbol.iterator]: () => this.devices.values() }, {
      clock: ctx.clock,
      publish: (topic, payload, qos) => void this.client?.publish(topic, payload, { qos }, () => {}),
      hold: () => {
        if (this.client !== undefined) this.writes.hold(this.client)
      },
    })
    this.link = new GatewayConnection({
      gatewayId: this.id,
      clientId: `fleetbench-gw-${this.id}-${process.pid}`,
      broker: opts.broker,
      protocolVersion: opts.protocolVersion ?? 'auto',
      clock: ctx.clock,
      rng: deriveRng(opts.seed, `reconnect/${this.id}`),
      policy: opts.connection ?? standaloneConnectionPolicy(),
      registryTopic: wire.registryTopic(this.id),
      filterBatches: () => filterBatches(this.serves, this.batchTopic, this.devices.keys(), SUBSCRIBE_CHUNK),
      registry: (version) => JSON.stringify(this.registryMessage(version)),
      attach: (client) => client.on('message', this.onMessage),
      detach: (client) => client.off('message', this.onMessage),
    })
  }

  /** The connected client, while the connection is up. */
  private get client(): MqttClient | undefined {
    return this.link.client
  }

  /** MQTT version of the gateway's (last) connection. */
  get protocolVersion(): 4 | 5 | undefined {
    return this.link.version
  }

  /** Every filter acknowledged on the current connection: its devices answer. */
  get ready(): boolean {
    return this.link.ready
  }

  /** How many filters `filters()` has, without building them. */
  get filterCount(): number {
    return gatewayFilterCount(this.serves, this.devices.size)
  }

  /** Topic filters this gateway subscribes to: only its own devices and its batch topic, for the conventions it serves. */
  filters(): string[] {
    return [...filterBatches(this.serves, this.batchTopic, this.devices.keys(), SUBSCRIBE_CHUNK)].flat()
  }

  /** Connects (through the fleet's pacer), subscribes every filter and publishes the registry; throws if the first connection fails. */
  start(): Promise<void> {
    return this.link.start()
  }

  registryMessage(version = this.protocolVersion): object {
    return {
      gatewayId: this.id,
      devices: [...this.devices.keys()],
      profile: this.opts.profile.name,
      radioSlots: this.radio.slots,
      protocolVersion: version,
      conventions: listedConventions(this.serves, version),
      batchTopic: this.batchTopic,
    }
  }

  /** Clears the retained registry and closes the connection; a reconnect in progress is abandoned. */
  async stop(): Promise<void> {
    this.telemetry.stop()
    await this.link.stop()
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
    if (convention === 1 && !this.serves.mqtt5) return this.refuse('bad_request', 1, replyTo, null, correlation, qos, this.notServed('mqtt5'), recording)
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
      if (!this.serves.envelope) return this.refuse('bad_request', 0, replyTo, id, undefined, qos, this.notServed('envelope'), recording)
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

  private notServed(convention: RpcConvention): wire.RpcError {
    const served = listedConventions(this.serves, 5).join(',')
    return { code: 'bad_request', message: `gateway ${this.id} does not serve the ${convention} convention (the fleet serves --conventions ${served})` }
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
