/**
 * Properties of the wire-contract codecs (pure, no sockets): for any bytes, any JSON and any string
 * they never throw and always answer one of their documented shapes; what is encoded decodes back.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { anyString, batchParams, envelopeObject, FC_SEED, hostileReplyTo, levelString, PROTO_KEYS, publishableTopic, rawPayload, validId, verbParams } from '../test/support/wire-arbitraries.ts'
import * as wire from './protocol.ts'

const RUNS = 1000
const run = <T extends [unknown, ...unknown[]]>(p: fc.IProperty<T>, numRuns = RUNS): void => fc.assert(p, { seed: FC_SEED, numRuns })
/** Aedes (the embedded broker) refuses a PUBLISH to a deeper topic, or to `$SYS/…`, by closing the publisher's connection. */
const AEDES_MAX_TOPIC_LEVELS = 100

const DEVICES = ['ble-0001', 'ble-0002']
const UUID = /^([0-9a-f]{4}|[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12})$/
/** What a value becomes after one trip through JSON (the wire is JSON: -0 → 0, undefined members vanish). */
const viaJson = (v: unknown): unknown => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)))
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v) ?? '')
const parseOrFail = (b: Buffer): { ok: true; value: unknown } | { ok: false } => {
  try {
    return { ok: true, value: JSON.parse(b.toString('utf8')) }
  } catch {
    return { ok: false }
  }
}

/** Payloads as a gateway may receive them: raw bytes, or envelopes of every kind as JSON. */
const envelopePayload: fc.Arbitrary<Buffer> = fc.oneof(
  rawPayload,
  envelopeObject(hostileReplyTo(), fc.oneof(verbParams, batchParams(DEVICES))).map(json),
)
const topicString: fc.Arbitrary<string> = fc.oneof(anyString(60), publishableTopic({ devices: DEVICES, gateways: ['gw-1'] }))
const rpcError = fc.record({ code: fc.oneof(fc.constantFrom(...wire.ERROR_CODES), anyString(12)), message: anyString(40) })
/** JSON results that are not an object with a top-level `error` member (those read back as errors, by design). */
const plainResult = fc.jsonValue({ maxDepth: 3 }).filter((v) => !(typeof v === 'object' && v !== null && !Array.isArray(v) && 'error' in v))

function expectError(e: unknown, code?: string): void {
  expect(e).toEqual({ code: code ?? expect.any(String), message: expect.any(String) })
}

describe('wire contract properties', () => {
  it('decodeEnvelope never throws; a success is exactly what was sent, a failure is bad_request with at most a valid reply address', () => {
    run(
      fc.property(envelopePayload, (payload) => {
        const r = wire.decodeEnvelope(payload)
        const parsed = parseOrFail(payload)
        if (r.ok) {
          expect(Object.keys(r).sort()).toEqual(['ok', 'request'])
          const body = (parsed as { value: Record<string, unknown> }).value
          expect(r.request).toEqual({ id: body.id, replyTo: body.replyTo, params: body.params })
          expect(wire.isValidReplyTopic(r.request.replyTo)).toBe(true)
          const id = r.request.id
          expect((typeof id === 'string' && id.length >= 1 && id.length <= 256) || (typeof id === 'number' && Number.isFinite(id))).toBe(true)
          return
        }
        expectError(r.error, 'bad_request')
        for (const k of Object.keys(r)) expect(['ok', 'error', 'replyTo', 'id']).toContain(k)
        if (r.replyTo !== undefined) {
          expect(wire.isValidReplyTopic(r.replyTo)).toBe(true)
          expect(r.id).toBeNull()
        } else expect(r).not.toHaveProperty('id')
        if (!parsed.ok) expect(r).not.toHaveProperty('replyTo')
      }),
    )
  })

  it('decodeEnvelope accepts every well-formed envelope as sent', () => {
    const goodId = fc.oneof(fc.string({ minLength: 1, maxLength: 256 }), fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)))
    const goodReply = fc.array(levelString(10).filter((l) => !l.startsWith('$')), { minLength: 1, maxLength: 8 }).map((ls) => ls.join('/')).filter(wire.isValidReplyTopic)
    run(
      fc.property(goodId, goodReply, fc.jsonValue({ maxDepth: 3 }), (id, replyTo, params) => {
        expect(wire.decodeEnvelope(json({ id, replyTo, params }))).toEqual({ ok: true, request: { id, replyTo, params: viaJson(params) } })
      }),
    )
  })

  it('isValidReplyTopic accepts only topic names a broker lets a gateway publish to', () => {
    run(
      fc.property(hostileReplyTo(), (t) => {
        if (!wire.isValidReplyTopic(t)) return
        expect(t.length).toBeGreaterThan(0)
        expect(t.length).toBeLessThanOrEqual(1024)
        expect(t).not.toMatch(/[+#\0]/)
        expect(t.startsWith('$')).toBe(false) // $SYS/… is refused by Aedes, which then drops the publisher
        expect(t.split('/').length).toBeLessThanOrEqual(AEDES_MAX_TOPIC_LEVELS) // Aedes refuses deeper topics the same way
      }),
    )
  })

  it('decodeBareParams never throws: empty → no params, JSON → its value, anything else → bad_request', () => {
    run(
      fc.property(envelopePayload, (payload) => {
        const r = wire.decodeBareParams(payload)
        const parsed = parseOrFail(payload)
        if (payload.length === 0) expect(r).toEqual({ ok: true, params: undefined })
        else if (parsed.ok) expect(r).toEqual({ ok: true, params: parsed.value })
        else {
          expect(r.ok).toBe(false)
          if (!r.ok) expectError(r.error, 'bad_request')
        }
      }),
    )
  })

  it('decodeBareReply never throws and answers an RpcOutcome', () => {
    const replyPayload = fc.oneof(rawPayload, fc.record({ error: fc.oneof(rpcError, fc.jsonValue({ maxDepth: 2 }), fc.record({ code: anyString(5) })) }, { requiredKeys: [] }).map(json))
    run(
      fc.property(replyPayload, (payload) => {
        const r = wire.decodeBareReply(payload)
        const parsed = parseOrFail(payload)
        if (!parsed.ok) expect(r).toEqual({ ok: false, error: { code: 'bad_request', message: expect.any(String) } })
        else if (r.ok) expect(r).toEqual({ ok: true, result: parsed.value })
        else {
          expectError(r.error)
          const sent = (parsed.value as { error: { code: unknown; message?: unknown } }).error
          expect(r.error).toEqual({ code: sent.code, message: typeof sent.message === 'string' ? sent.message : sent.code })
        }
      }),
    )
  })

  it('encodeEnvelopeReply → JSON gives back id, ok and result or error', () => {
    const outcome = fc.oneof(plainResult.map((result): wire.RpcOutcome => ({ ok: true, result })), rpcError.map((error): wire.RpcOutcome => ({ ok: false, error })))
    const id = fc.oneof(fc.string({ maxLength: 256 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null))
    run(
      fc.property(id, outcome, (id, o) => {
        const body = JSON.parse(wire.encodeEnvelopeReply(id, o).toString('utf8'))
        expect(body).toEqual(o.ok ? { id: viaJson(id), ok: true, result: viaJson(o.result) } : { id: viaJson(id), ok: false, error: o.error })
      }),
    )
  })

  it('encodeBareReply → decodeBareReply gives the same outcome', () => {
    run(
      fc.property(fc.oneof(plainResult.map((result): wire.RpcOutcome => ({ ok: true, result })), rpcError.map((error): wire.RpcOutcome => ({ ok: false, error }))), (o) => {
        expect(wire.decodeBareReply(wire.encodeBareReply(o))).toEqual(o.ok ? { ok: true, result: viaJson(o.result) } : o)
      }),
    )
  })

  it('parseTopic never throws, and every route it answers rebuilds the topic it came from', () => {
    run(
      fc.property(topicString, (topic) => {
        const r = wire.parseTopic(topic)
        if (r === undefined) return
        if (r.kind === 'device') expect(wire.requestTopic(r.deviceId, r.verb)).toBe(topic)
        else if (r.kind === 'batch') expect(wire.batchTopic(r.gatewayId)).toBe(topic)
        else {
          expect(r.deviceId.length).toBeGreaterThan(0)
          expect(r.verb).not.toContain('.')
          const callId = topic.split('/')[1]!
          expect(wire.mqttnetRequestTopic(callId, r.deviceId, r.verb)).toBe(topic)
        }
      }),
    )
  })

  it('parseTopic recovers the ids of every topic the contract builds', () => {
    run(
      fc.property(validId, validId, validId, (a, b, c) => {
        expect(wire.parseTopic(wire.requestTopic(a, b))).toEqual({ kind: 'device', deviceId: a, verb: b })
        expect(wire.parseTopic(wire.batchTopic(a))).toEqual({ kind: 'batch', gatewayId: a })
        expect(wire.parseTopic(wire.mqttnetRequestTopic(c, a, b))).toEqual({ kind: 'mqttnet', deviceId: a, verb: b })
        expect(wire.parseTopic(wire.mqttnetResponseTopic(wire.mqttnetRequestTopic(c, a, b)))).toBeUndefined()
      }),
    )
  })

  it('validateParams never throws for any verb; a success carries a normalised characteristic (and the bytes for write)', () => {
    run(
      fc.property(fc.constantFrom(...wire.VERBS), fc.oneof(verbParams, fc.anything()), (verb, params) => {
        const r = wire.validateParams(verb, params)
        if (!r.ok) {
          expectError(r.error, 'bad_request')
          return
        }
        const p = (params ?? {}) as { characteristic?: unknown; value?: unknown }
        const raw = p.characteristic ?? 'battery'
        expect(typeof raw).toBe('string')
        const { characteristic } = r.value
        expect(typeof characteristic).toBe('string')
        if (Object.hasOwn(wire.CHARACTERISTICS, raw as string)) expect(characteristic).toBe(wire.CHARACTERISTICS[raw as string])
        else expect(characteristic).toBe((raw as string).toLowerCase())
        if (verb === 'read' || verb === 'write') expect(characteristic).toMatch(UUID)
        if (verb !== 'write') {
          expect(r.value).toEqual({ verb, characteristic })
          return
        }
        expect(r.value.value!.toString('hex')).toBe((p.value as string).toLowerCase())
        expect(r.value.value!.length).toBeGreaterThanOrEqual(1)
        expect(r.value.value!.length).toBeLessThanOrEqual(512)
      }),
    )
  })

  it('validateParams never maps a prototype key to a GATT characteristic', () => {
    for (const verb of wire.VERBS)
      for (const key of PROTO_KEYS) {
        const r = wire.validateParams(verb, { characteristic: key, value: '01' })
        if (r.ok) expect(r.value.characteristic).toBe(key.toLowerCase())
        else expectError(r.error, 'bad_request')
      }
  })

  it('validateBatch never throws; a success is the same list of {device: string, verb: string}', () => {
    run(
      fc.property(fc.oneof(batchParams(DEVICES), fc.anything()), (params) => {
        const r = wire.validateBatch(params)
        if (!r.ok) {
          expectError(r.error, 'bad_request')
          return
        }
        expect(r.items).toBe(params)
        for (const item of r.items) {
          expect(typeof item.device).toBe('string')
          expect(typeof item.verb).toBe('string')
        }
      }),
    )
    const tooMany = Array.from({ length: wire.MAX_BATCH_ITEMS + 1 }, () => ({ device: 'ble-0001', verb: 'info' }))
    expect(wire.validateBatch(tooMany)).toMatchObject({ ok: false, error: { code: 'bad_request' } })
  })
})
