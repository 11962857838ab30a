/**
 * fast-check arbitraries for the RPC wire contract: hostile topics, payloads and envelopes, biased
 * towards the contract's own shapes (so random input reaches the decoders' deep branches instead of
 * failing at the first JSON.parse). Shared by the protocol, gateway and client property tests.
 */
import fc from 'fast-check'
import * as wire from '../../core/protocol.ts'

/** One seed for every property: CI runs replay exactly. FLEETBENCH_FC_SEED explores other seeds locally. */
export const FC_SEED = Number(process.env.FLEETBENCH_FC_SEED ?? 20_260_101)

/** Property names on Object.prototype: a lookup table indexed by them must not answer. */
export const PROTO_KEYS = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', '__defineGetter__'] as const

/** Any string: ASCII, full Unicode, lone surrogates. */
export const anyString = (maxLength = 40): fc.Arbitrary<string> =>
  fc.oneof(fc.string({ maxLength }), fc.string({ unit: 'grapheme', maxLength }), fc.string({ unit: 'binary', maxLength }))

/** A string safe inside one topic level that a broker accepts in PUBLISH: no `/ + # \0`, valid Unicode. */
export const levelString = (maxLength = 12): fc.Arbitrary<string> =>
  fc.oneof(fc.string({ maxLength }), fc.string({ unit: 'grapheme', maxLength })).map((s) => s.replace(/[/+#\0]/g, '_'))

/** Ids valid in topics per the contract (isValidId). */
export const validId: fc.Arbitrary<string> = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 24 })
  .map((s) => s.replace(/[/+#.\s\0]/g, '-'))
  .filter(wire.isValidId)

/** Topics a gateway might be sent, biased towards the contract's levels. `$`-free and wildcard-free, so a broker accepts them. */
export function publishableTopic(known: { devices: readonly string[]; gateways: readonly string[] }): fc.Arbitrary<string> {
  const level = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('fleet', 'rpc', 'gateway', 'batch', 'reply', wire.MQTTNET_PREFIX, 'response', '', ...wire.VERBS) },
    { weight: 2, arbitrary: fc.constantFrom(...known.devices, ...known.gateways) },
    { weight: 2, arbitrary: levelString() },
  )
  const device = fc.constantFrom(...known.devices)
  return fc.oneof(
    fc.array(level, { minLength: 1, maxLength: 6 }).map((ls) => ls.join('/')),
    fc.tuple(level, fc.array(level, { maxLength: 4 })).map(([a, rest]) => ['fleet', a, ...rest].join('/')),
    fc.tuple(device, fc.oneof(fc.constantFrom(...wire.VERBS), levelString())).map(([d, v]) => wire.requestTopic(d, v)),
    fc.constantFrom(...known.gateways, 'gw-404').map(wire.batchTopic),
    fc.tuple(levelString(), device, fc.constantFrom(...wire.VERBS)).map(([c, d, v]) => wire.mqttnetRequestTopic(`h${c}`, d, v)),
    fc.tuple(levelString(), levelString(), levelString()).map(([c, d, v]) => `${wire.MQTTNET_PREFIX}/h${c}/${d}.${v}`),
    fc.array(levelString(), { minLength: 1, maxLength: 4 }).map((ls) => `${wire.MQTTNET_PREFIX}/${ls.join('/')}`),
  ).filter((t) => t.length > 0)
}

/** Reply addresses a hostile caller could put in `replyTo`: valid ones, wildcards, `$SYS`, very deep, non-strings. */
export function hostileReplyTo(extra: readonly string[] = []): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.array(levelString(8), { minLength: 1, maxLength: 5 }).map((ls) => `fleet/reply/h/${ls.join('/')}`) },
    { weight: 2, arbitrary: anyString(60) },
    { weight: 1, arbitrary: fc.constantFrom('$SYS/fleetbench', '$share/g/x', '$foo', 'x/#', 'x/+/y', '#', '', 'a\0b', ...extra) },
    { weight: 1, arbitrary: fc.integer({ min: 95, max: 140 }).map((n) => `${'d/'.repeat(n - 1)}d`) },
    { weight: 1, arbitrary: fc.integer({ min: 1000, max: 1100 }).map((n) => 'r'.repeat(n)) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
  )
}

/** Correlation ids of every JSON type, including the valid ones. */
export const anyId: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.string({ minLength: 250, maxLength: 300 }),
  fc.double(),
  fc.integer(),
  fc.constantFrom(null, true, false, 0, -0, 1e300, '', []),
  fc.jsonValue({ maxDepth: 1 }),
)

/** `characteristic` values: names, UUIDs, case variants, prototype keys, junk. */
export const characteristicValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...Object.keys(wire.CHARACTERISTICS), ...PROTO_KEYS, '2A19', '2a6e', '0000180f-0000-1000-8000-00805f9b34fb', 'BATTERY', ''),
  fc.stringMatching(/^[0-9a-fA-F]{4}$/),
  anyString(12),
  fc.jsonValue({ maxDepth: 1 }),
)

/** Verb params: well-formed, almost well-formed, and garbage. */
export const verbParams: fc.Arbitrary<unknown> = fc.oneof(
  fc.record(
    {
      characteristic: characteristicValue,
      value: fc.oneof(fc.uint8Array({ minLength: 0, maxLength: 520 }).map((b) => Buffer.from(b).toString('hex')), anyString(8), fc.jsonValue({ maxDepth: 1 })),
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue({ maxDepth: 2 }),
  fc.constant(undefined),
)

/** Batch params: lists of items with random devices, verbs and params, or not a list at all. */
export function batchParams(devices: readonly string[]): fc.Arbitrary<unknown> {
  const item = fc.oneof(
    fc.record({ device: fc.constantFrom(...devices, 'ble-9999', '__proto__'), verb: fc.constantFrom(...wire.VERBS, 'reboot', 'constructor'), params: verbParams }, { requiredKeys: ['device', 'verb'] }),
    fc.jsonValue({ maxDepth: 1 }),
  )
  return fc.oneof({ weight: 3, arbitrary: fc.array(item, { maxLength: 6 }) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) })
}

/** Envelope requests `{"id","replyTo","params"}` with any member missing, mistyped or hostile, plus extra members. */
export function envelopeObject(replyTo: fc.Arbitrary<unknown>, params: fc.Arbitrary<unknown>): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(
      fc.record({ id: anyId, replyTo, params }, { requiredKeys: [] }),
      fc.dictionary(fc.constantFrom('ok', 'result', 'error', 'extra', '__proto__'), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }),
    )
    .map(([base, extra]) => ({ ...extra, ...base }))
}

/** Raw payloads: random bytes, JSON texts of any value, truncated JSON, empty. */
export const rawPayload: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v))),
  fc.tuple(fc.jsonValue({ maxDepth: 3 }), fc.nat()).map(([v, n]) => {
    const s = JSON.stringify(v)
    return Buffer.from(s.slice(0, n % (s.length + 1)))
  }),
  fc.constant(Buffer.alloc(0)),
)
