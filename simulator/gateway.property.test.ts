/**
 * Property of the gateways over real sockets: any sequence of hostile publishes (random topics under
 * fleet/… and MQTTnet.RPC/…, random bytes, random JSON, mangled envelopes, oversize payloads,
 * reply addresses that loop back to a gateway) interleaved with valid calls leaves every gateway
 * answering, every valid call with exactly its own reply, and every received message accounted for.
 *
 * An observer subscribed to `#` sees every publish (hostile, valid, and each gateway reply), so the
 * test knows exactly which messages reached which gateway, including replies a gateway sent to its
 * own request topics, and can tell when the system is quiet without sleeping.
 */
import fc from 'fast-check'
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { batchParams, envelopeObject, FC_SEED, hostileReplyTo, publishableTopic, rawPayload, verbParams } from '../test/support/wire-arbitraries.ts'
import { fleetLayout, startSimulation, type Simulation } from './fleet.ts'
import { connectMqtt, endClient } from '../core/mqtt-connect.ts'
import { PROFILES } from './profiles.ts'
import * as wire from '../core/protocol.ts'

const RUNS = 100
const MAX_MESSAGES = 50
const LIMIT = 2048
const SETTLE_MS = 5000
const LAYOUT = fleetLayout(6, 2)
const DEVICES = LAYOUT.flatMap((l) => l.deviceIds)
const GATEWAYS = LAYOUT.map((l) => l.gatewayId)
const VALID_REPLY = 'fleet/reply/valid'
const VALID_CALL = 'valid-'
/** Reply addresses that are a gateway's own request topics: the gateway's reply comes back to it. */
const LOOPBACK = [wire.requestTopic('ble-0001', 'info'), wire.batchTopic('gw-2'), wire.mqttnetRequestTopic('hloop', 'ble-0004', 'open')]
/** Hostile input never targets the valid calls' reply topics: only forged replies could land there, and forging is not the property. */
const aimsAtValid = (t: unknown): boolean => typeof t === 'string' && (t === VALID_REPLY || t.startsWith(`${wire.MQTTNET_PREFIX}/${VALID_CALL}`))

type Step =
  | { kind: 'hostile'; topic: string; payload: Buffer; qos: 0 | 1 }
  | { kind: 'valid'; device: string; convention: 'envelope' | 'mqttnet' }
  | { kind: 'tick' }

const replyTo = hostileReplyTo(LOOPBACK).filter((t) => !aimsAtValid(t))
const envelope = (params: fc.Arbitrary<unknown>): fc.Arbitrary<Buffer> => envelopeObject(replyTo, params).map((e) => Buffer.from(JSON.stringify(e)))
const payload: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 2, arbitrary: rawPayload },
  { weight: 3, arbitrary: envelope(verbParams) },
  { weight: 1, arbitrary: envelope(batchParams(DEVICES)) },
  // Well-formed envelope, hostile params: reaches execute() and batch().
  { weight: 2, arbitrary: fc.tuple(fc.integer(), fc.oneof(verbParams, batchParams(DEVICES))).map(([id, params]) => Buffer.from(JSON.stringify({ id, replyTo: 'fleet/reply/h', params }))) },
  { weight: 1, arbitrary: fc.tuple(fc.nat({ max: 300 }), fc.boolean()).map(([n, env]) => (env ? Buffer.from(JSON.stringify({ id: 1, replyTo: 'fleet/reply/h', params: 'x'.repeat(LIMIT + n) })) : Buffer.alloc(LIMIT + 1 + n, 0x7b))) },
)
const topic = publishableTopic({ devices: DEVICES, gateways: GATEWAYS }).filter((t) => !t.startsWith('$') && !aimsAtValid(t))
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('hostile' as const), topic, payload, qos: fc.constantFrom(0 as const, 1 as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('valid' as const), device: fc.constantFrom(...DEVICES), convention: fc.constantFrom('envelope' as const, 'mqttnet' as const) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'tick' as const }) },
)

const envelopeTo = (replyTo: string, params: unknown = {}): Buffer => Buffer.from(JSON.stringify({ id: 1, replyTo, params }))
/**
 * Found by this property (seed 20260101, run 28: a batch request to gw-1 whose replyTo had 118 levels). Aedes closes
 * the connection of a client that publishes to `$SYS/…` or to a topic deeper than 100 levels; MQTT.js then replays
 * the refused reply on every reconnect, so one such request took a gateway down for good. They run first, always.
 */
const REGRESSIONS: Step[][] = [
  [
    { kind: 'hostile', topic: wire.requestTopic('ble-0001', 'info'), payload: envelopeTo('$SYS/fleetbench'), qos: 1 },
    { kind: 'hostile', topic: wire.batchTopic('gw-1'), payload: envelopeTo(`${'d/'.repeat(117)}d`, [{ device: 'ble-0002', verb: 'read' }]), qos: 1 },
    { kind: 'hostile', topic: wire.requestTopic('ble-0004', 'open'), payload: envelopeTo(`${'d/'.repeat(100)}d`), qos: 0 },
    { kind: 'valid', device: 'ble-0001', convention: 'envelope' },
  ],
]

/** MQTT topic matching for the filters gateways use (`+` only; `#` for completeness). */
function matches(filter: string, topic: string): boolean {
  const f = filter.split('/')
  const t = topic.split('/')
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false
  }
  return f.length === t.length
}

/** What the gateway contract says about one received message: dropped when no reply address exists. */
function isDropped(topic: string, payload: Buffer): boolean {
  if (wire.parseTopic(topic)?.kind === 'mqttnet') return false // the reply address is the topic itself
  if (payload.length > LIMIT) return true
  const d = wire.decodeEnvelope(payload)
  return !d.ok && d.replyTo === undefined
}

interface Expected {
  received: number
  dropped: number
  tooLarge: number
}

describe('gateway property: hostile publishes never break a gateway', () => {
  let sim: Simulation
  let publisher: MqttClient
  let observer: MqttClient
  let published = 0
  let seen = 0
  let nextCall = 0
  const filters = new Map<string, string[]>()
  const expected = new Map<string, Expected>()
  /** Valid call id → its device, and the replies each received. */
  const calls = new Map<string, string>()
  const replies = new Map<string, unknown[]>()
  const strayReplies: string[] = []

  beforeAll(async () => {
    sim = await startSimulation({ devices: DEVICES.length, gateways: GATEWAYS.length, profile: PROFILES.instant!, seed: 7, maxPayloadBytes: LIMIT, protocolVersion: 4 })
    for (const g of sim.fleet.gateways) {
      filters.set(g.id, g.filters())
      expected.set(g.id, { received: 0, dropped: 0, tooLarge: 0 })
    }
    publisher = await connectMqtt({ url: sim.brokerUrl }, { protocolVersion: 4 })
    observer = await connectMqtt({ url: sim.brokerUrl }, { protocolVersion: 4 })
    observer.on('message', observe)
    await observer.subscribeAsync('#', { qos: 1 })
  })
  afterAll(async () => {
    await endClient(observer, true)
    await endClient(publisher, true)
    await sim.close()
  })

  function observe(topic: string, payload: Buffer): void {
    if (topic.startsWith('fleet/gateways/')) return // retained registry messages
    seen++
    for (const [id, fs] of filters) {
      if (!fs.some((f) => matches(f, topic))) continue
      const e = expected.get(id)!
      e.received++
      if (isDropped(topic, payload)) e.dropped++
      if (payload.length > LIMIT) e.tooLarge++
    }
    if (topic === VALID_REPLY) {
      let body: { id?: unknown } | undefined
      try {
        body = JSON.parse(payload.toString()) as { id?: unknown }
      } catch {
        body = undefined
      }
      record(String(body?.id), body)
    } else if (topic.startsWith(`${wire.MQTTNET_PREFIX}/${VALID_CALL}`) && topic.endsWith('/response')) {
      record(topic.split('/')[1]!, wire.decodeBareReply(payload))
    }
  }
  function record(id: string, reply: unknown): void {
    const list = replies.get(id)
    if (list === undefined || !calls.has(id)) strayReplies.push(id)
    else list.push(reply)
  }

  function send(s: Exclude<Step, { kind: 'tick' }>): Promise<unknown> {
    published++
    if (s.kind === 'hostile') return publisher.publishAsync(s.topic, s.payload, { qos: s.qos })
    const id = `${VALID_CALL}${++nextCall}`
    calls.set(id, s.device)
    replies.set(id, [])
    if (s.convention === 'mqttnet') return publisher.publishAsync(wire.mqttnetRequestTopic(id, s.device, 'info'), '{}', { qos: 1 })
    return publisher.publishAsync(wire.requestTopic(s.device, 'info'), JSON.stringify({ id, replyTo: VALID_REPLY, params: {} }), { qos: 1 })
  }

  const gatewayReplies = (): number => sim.fleet.gateways.reduce((n, g) => n + g.stats.repliedOk + g.stats.repliedError, 0)
  /** Quiet: the observer saw every publish (ours and each gateway reply), each gateway got all that was routed to it, nothing in flight. */
  const quiet = (): boolean =>
    seen === published + gatewayReplies() &&
    sim.fleet.gateways.every((g) => g.stats.inFlight === 0 && g.stats.received === expected.get(g.id)!.received) &&
    [...replies.values()].every((r) => r.length > 0)

  async function settle(): Promise<void> {
    const end = Date.now() + SETTLE_MS
    while (!quiet()) {
      if (Date.now() > end) {
        const gws = sim.fleet.gateways.map((g) => ({ id: g.id, stats: g.stats, expected: expected.get(g.id) }))
        const unanswered = [...replies].filter(([, r]) => r.length === 0).map(([id]) => id)
        throw new Error(`not quiet after ${SETTLE_MS} ms: seen ${seen}, published ${published} + replies ${gatewayReplies()}, unanswered ${unanswered.join(',')}; ${JSON.stringify(gws)}`)
      }
      await new Promise((r) => setTimeout(r, 2))
    }
  }

  it(`${RUNS} sequences of up to ${MAX_MESSAGES} messages: gateways answer, account for every message, and answer each valid call with its own reply`, async () => {
    // One fleet for every run: a failure leaves state behind, so report the first failing sequence instead of shrinking on it.
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: MAX_MESSAGES }), async (steps) => {
        const sends: Array<Promise<unknown>> = []
        for (const s of steps) {
          if (s.kind === 'tick') await new Promise((r) => setImmediate(r))
          else sends.push(send(s))
        }
        // Health check: one valid call per gateway, in each convention, after all the hostile input.
        for (const l of LAYOUT) for (const convention of ['envelope', 'mqttnet'] as const) sends.push(send({ kind: 'valid', device: l.deviceIds[0]!, convention }))
        await Promise.all(sends)
        await settle()

        for (const g of sim.fleet.gateways) {
          const e = expected.get(g.id)!
          const s = g.stats
          expect(s.received, g.id).toBe(e.received)
          expect(s.received, g.id).toBe(s.repliedOk + s.repliedError + s.dropped)
          expect(s.dropped, g.id).toBe(e.dropped)
          expect(s.bad.payload_too_large, g.id).toBe(e.tooLarge)
        }
        for (const [id, device] of calls) {
          const got = replies.get(id)!
          expect(got, id).toHaveLength(1)
          const reply = got[0] as { id?: unknown; ok: boolean; result?: { deviceId?: unknown } }
          expect(reply.ok, id).toBe(true)
          expect(reply.result?.deviceId, id).toBe(device)
          if (reply.id !== undefined) expect(reply.id).toBe(id)
        }
        expect(strayReplies).toEqual([])
        calls.clear()
        replies.clear()
      }),
      { seed: FC_SEED, numRuns: RUNS, endOnFailure: true, examples: REGRESSIONS.map((steps) => [steps]) },
    )
  })
})
