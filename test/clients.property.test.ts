/**
 * Property of the RPC clients under chaos, over real sockets: while a MultiplexedRpcClient and an
 * MqttnetRpcClient (lenient) make concurrent calls to the fleet, a "chaos" MQTT client publishes
 * random bytes, random JSON, forged envelopes with unknown ids or ids of finished calls, and
 * verbatim replays of real replies to the multiplexed client's reply topic, plus random and replayed
 * `MQTTnet.RPC/+/+/response` messages (and, in echo mode, every real MQTTnet response a second time
 * the moment it appears). No call may resolve with another call's reply, nothing may throw, and on
 * the multiplexed client every stray reply is counted exactly: late (an id it issued) or unknown.
 *
 * Every call proves it got its own reply: `info` answers the device called; `read` answers the
 * characteristic asked for, which is unique per call (and after `write`, the value written).
 *
 * Not covered, by design: a forged reply carrying the id of a call that is still pending resolves
 * that call. The envelope convention cannot tell it from the real one; ACLs on reply topics can.
 */
import fc from 'fast-check'
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimulation, type Simulation } from '../simulator/fleet.ts'
import { connectMqtt, endClient } from '../core/mqtt-connect.ts'
import { MQTTNET_PREFIX } from '../core/protocol.ts'
import { anyString, FC_SEED, levelString, rawPayload } from './support/wire-arbitraries.ts'
import { deadlineIn, fixedProfile, sleepMs, until } from './support/client-contract.ts'
import { MqttnetRpcClient } from '../loadgen/clients/mqttnet.ts'
import { MultiplexedRpcClient } from '../loadgen/clients/multiplexed.ts'
import type { CallResult, RpcClient } from '../loadgen/clients/types.ts'
import type { ClientStats } from '../core/counters.ts'

const RUNS = 40
const MAX_STEPS = 40
/** `info` answers after INFO_MS, so an abort a millisecond or two after the call usually wins the race. */
const INFO_MS = 4
const DEVICES = Array.from({ length: 8 }, (_, i) => `ble-${String(i + 1).padStart(4, '0')}`)
/** Ids a multiplexed client never issues (it counts 1, 2, 3, …), of every JSON type. */
const UNKNOWN_IDS = [0, -1, -7, 1.5, 2 ** 40, 1e12, '1', '2', '', null, true, [1], { id: 1 }]

type Via = 'mux' | 'net'
type Op = 'info' | 'read' | 'write-read' | 'abort-info'
/** `abortMs`: abort-info aborts that long after the call (0: as soon as call() returns, when the request is out). */
type CallStep = { kind: 'call'; via: Via; device: string; op: Op; bytes: Uint8Array; abortMs: number }
type Step =
  | CallStep
  /** n calls at once on devices first, first+1, … (wrapping, so a device can get two at once). */
  | { kind: 'burst'; via: Via; op: 'info' | 'write-read'; first: number; n: number }
  /** n reads of the same device, each `gapMs` after the previous (0: next turn of the event loop). */
  | { kind: 'storm'; via: Via; device: string; n: number; gapMs: number }
  | { kind: 'mux-raw'; payload: Buffer }
  | { kind: 'mux-json'; value: unknown }
  | { kind: 'mux-forged'; known: boolean; pick: number; unknownId: unknown; ok: unknown; body: unknown }
  | { kind: 'mux-replay'; pick: number }
  | { kind: 'net-random'; topic: string; payload: Buffer }
  | { kind: 'net-replay'; pick: number }
  /** From now until this run's calls end, chaos republishes each real MQTTnet response as soon as it sees it. */
  | { kind: 'net-echo' }
  | { kind: 'tick' }

const via = fc.constantFrom<Via>('mux', 'net')
const device = fc.constantFrom(...DEVICES)
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('call' as const), via, device, op: fc.constantFrom<Op>('info', 'read', 'write-read', 'abort-info'), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }), abortMs: fc.constantFrom(0, 0, 1, 2) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('burst' as const), via, op: fc.constantFrom('info' as const, 'write-read' as const), first: fc.nat({ max: DEVICES.length - 1 }), n: fc.integer({ min: 2, max: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('storm' as const), via, device, n: fc.integer({ min: 2, max: 8 }), gapMs: fc.constantFrom(0, 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('mux-raw' as const), payload: rawPayload }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('mux-json' as const), value: fc.jsonValue({ maxDepth: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('mux-forged' as const), known: fc.boolean(), pick: fc.nat(), unknownId: fc.constantFrom(...UNKNOWN_IDS), ok: fc.oneof(fc.boolean(), fc.jsonValue({ maxDepth: 0 })), body: fc.jsonValue({ maxDepth: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('mux-replay' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('net-random' as const), topic: fc.tuple(levelString(), levelString(), anyString(6).map((s) => s.replace(/[/+#\0]/g, '_'))).map(([a, b, c]) => `${MQTTNET_PREFIX}/chaos${a}/${b}.${c}/response`), payload: rawPayload }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('net-replay' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'net-echo' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'tick' as const }) },
)

/** A JSON object with a numeric top-level `id` could hit a pending call: give it an id no call has. */
function withoutLiveId(v: unknown): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || typeof (v as { id?: unknown }).id !== 'number') return v
  return { ...v, id: 1e12 }
}

const delta = (a: ClientStats, b: ClientStats): ClientStats =>
  Object.fromEntries(Object.keys(a).map((k) => [k, a[k as keyof ClientStats] - b[k as keyof ClientStats]])) as unknown as ClientStats

describe('client property: chaos on reply topics never resolves a call with another call’s reply', () => {
  let sim: Simulation
  let mux: MultiplexedRpcClient
  let net: MqttnetRpcClient
  let chaos: MqttClient
  /** Real replies seen on the multiplexed reply topic; their calls are over by the time chaos reuses them. */
  const muxReplies: Array<{ id: number; payload: Buffer }> = []
  /** Real MQTTnet responses (topic and payload). */
  const netReplies: Array<{ topic: string; payload: Buffer }> = []
  const chaosSent = new Set<string>()
  let nextCharacteristic = 0x1000
  let netEcho = false
  const totals = { muxLate: 0, muxUnknown: 0, muxAborted: 0, netStray: 0, netMayStray: 0 }

  beforeAll(async () => {
    sim = await startSimulation({ devices: DEVICES.length, gateways: 2, profile: fixedProfile({ info: INFO_MS }), seed: 3, protocolVersion: 4 })
    const broker = { url: sim.brokerUrl }
    mux = new MultiplexedRpcClient({ broker, clientId: `prop-mux-${process.pid}` })
    net = new MqttnetRpcClient({ broker, clientId: `prop-net-${process.pid}`, ackMode: 'lenient' })
    await mux.connect()
    await net.connect()
    chaos = await connectMqtt(broker, { protocolVersion: 4 })
    chaos.on('message', capture)
    await chaos.subscribeAsync([mux.replyTopic, `${MQTTNET_PREFIX}/+/+/response`], { qos: 1 })
    for (const d of DEVICES) expect(await mux.call(d, 'open', {}, { deadline: deadlineIn(2000) })).toMatchObject({ ok: true })
  })
  afterAll(async () => {
    await endClient(chaos, true)
    await mux.close()
    await net.close()
    await sim.close()
  })

  function capture(topic: string, payload: Buffer): void {
    if (chaosSent.has(`${topic}\n${payload.toString('latin1')}`)) return // our own publish, back to us
    if (topic === mux.replyTopic) {
      // Besides chaos only the gateways publish here, so this is a real reply `{"id":N,"ok":…}`.
      const id = (JSON.parse(payload.toString()) as { id?: unknown }).id
      if (typeof id === 'number') muxReplies.push({ id, payload })
    } else if (!topic.startsWith(`${MQTTNET_PREFIX}/chaos`)) {
      netReplies.push({ topic, payload })
      if (netEcho) {
        totals.netMayStray++
        publish(topic, payload).catch(() => {})
      }
    }
  }

  function publish(topic: string, payload: Buffer | string): Promise<unknown> {
    const buf = typeof payload === 'string' ? Buffer.from(payload) : payload
    chaosSent.add(`${topic}\n${buf.toString('latin1')}`)
    return chaos.publishAsync(topic, buf, { qos: 1 })
  }

  /** Makes one call (two for write-read) and checks each got its own reply. Only abort-info may end 'aborted'. */
  async function check(s: CallStep): Promise<'ok' | 'aborted'> {
    const client: RpcClient = s.via === 'mux' ? mux : net
    const call = (verb: 'info' | 'read' | 'write', params: object, signal?: AbortSignal): Promise<CallResult> =>
      client.call(s.device, verb, params, { deadline: deadlineIn(5000), signal })
    const own = (r: CallResult, expected: Record<string, unknown>, what: string): void => {
      if (!r.ok) throw new Error(`${s.via} ${what} on ${s.device} failed: ${r.kind}${r.code ? `/${r.code}` : ''}: ${r.message}`)
      expect(r.result, `${s.via} ${what} on ${s.device}`).toMatchObject(expected)
    }
    // A characteristic of its own: no other call's read or write reply can match it.
    const characteristic = (nextCharacteristic++ & 0xffff).toString(16).padStart(4, '0')
    switch (s.op) {
      case 'info':
        own(await call('info', {}), { deviceId: s.device, state: 'connected' }, 'info')
        return 'ok'
      case 'read':
        own(await call('read', { characteristic }), { characteristic, value: expect.stringMatching(/^[0-9a-f]+$/) }, 'read')
        return 'ok'
      case 'write-read': {
        const value = Buffer.from(s.bytes).toString('hex')
        own(await call('write', { characteristic, value }), { characteristic, written: s.bytes.length }, 'write')
        own(await call('read', { characteristic }), { characteristic, value }, 'read')
        return 'ok'
      }
      case 'abort-info': {
        const ctl = new AbortController()
        const pending = call('info', {}, ctl.signal)
        if (s.abortMs === 0) ctl.abort()
        else setTimeout(() => ctl.abort(), s.abortMs)
        const r = await pending
        if (!r.ok && r.kind === 'cancelled') return 'aborted'
        own(r, { deviceId: s.device }, 'info (abort lost the race)')
        return 'ok'
      }
    }
  }

  it(`${RUNS} runs of up to ${MAX_STEPS} interleaved calls and chaos publishes`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: MAX_STEPS }), async (steps) => {
        const muxBefore = mux.stats()
        const netBefore = net.stats()
        const calls: Array<Promise<'ok' | 'aborted'>> = []
        const callVia: Via[] = []
        const start = (c: CallStep): void => {
          calls.push(check(c))
          callVia.push(c.via)
        }
        const sends: Array<Promise<unknown>> = []
        let expectLate = 0
        let expectUnknown = 0
        let netReplays = 0
        for (const s of steps) {
          switch (s.kind) {
            case 'call':
              start(s)
              break
            case 'burst':
              for (let k = 0; k < s.n; k++) start({ kind: 'call', via: s.via, device: DEVICES[(s.first + k) % DEVICES.length]!, op: s.op, bytes: Uint8Array.of(k, s.n), abortMs: 0 })
              break
            case 'storm':
              for (let k = 0; k < s.n; k++) {
                start({ kind: 'call', via: s.via, device: s.device, op: 'read', bytes: Uint8Array.of(k), abortMs: 0 })
                await (s.gapMs === 0 ? new Promise((r) => setImmediate(r)) : sleepMs(s.gapMs))
              }
              break
            case 'tick':
              await new Promise((r) => setImmediate(r))
              break
            case 'net-echo':
              netEcho = true
              break
            case 'mux-raw': {
              // Random bytes that happen to be JSON with a numeric id must not hit a live call either.
              let payload = s.payload
              try {
                payload = Buffer.from(JSON.stringify(withoutLiveId(JSON.parse(s.payload.toString('utf8')))) ?? '')
              } catch {
                // not JSON: sent as it is
              }
              expectUnknown++
              sends.push(publish(mux.replyTopic, payload))
              break
            }
            case 'mux-json':
              expectUnknown++
              sends.push(publish(mux.replyTopic, JSON.stringify(withoutLiveId(s.value))))
              break
            case 'mux-forged': {
              const known = s.known ? muxReplies[s.pick % Math.max(1, muxReplies.length)] : undefined
              if (known !== undefined) expectLate++
              else expectUnknown++
              const member = s.ok === true ? 'result' : 'error'
              sends.push(publish(mux.replyTopic, JSON.stringify({ id: known?.id ?? s.unknownId, ok: s.ok, [member]: s.body })))
              break
            }
            case 'mux-replay': {
              const r = muxReplies[s.pick % Math.max(1, muxReplies.length)]
              if (r === undefined) break
              expectLate++
              sends.push(publish(mux.replyTopic, r.payload))
              break
            }
            case 'net-random':
              sends.push(publish(s.topic, s.payload))
              break
            case 'net-replay': {
              const r = netReplies[s.pick % Math.max(1, netReplies.length)]
              if (r === undefined) break
              netReplays++
              sends.push(publish(r.topic, r.payload))
              break
            }
          }
        }
        const outcomes = await Promise.all(calls)
        netEcho = false
        await Promise.all(sends)
        // The multiplexed client publishes inside call(), so every call aborted there has a real reply on its
        // way: one more late reply. An MQTTnet call may be aborted before its request is out.
        const aborted = (v: Via): number => outcomes.filter((o, i) => o === 'aborted' && callVia[i] === v).length
        expectLate += aborted('mux')
        const expectStray = expectLate + expectUnknown
        await until(() => {
          const d = delta(mux.stats(), muxBefore)
          return d.lateReplies + d.unknownReplies >= expectStray
        }, `${expectStray} stray replies to reach the multiplexed client`, 3000)

        const m = delta(mux.stats(), muxBefore)
        expect({ late: m.lateReplies, unknown: m.unknownReplies }).toEqual({ late: expectLate, unknown: expectUnknown })
        expect(m.disconnectedCalls).toBe(0)
        expect(mux.stats().connections).toBe(1)
        const n = delta(net.stats(), netBefore)
        totals.muxLate += m.lateReplies
        totals.muxUnknown += m.unknownReplies
        totals.muxAborted += aborted('mux')
        totals.netMayStray += netReplays + aborted('net')
        totals.netStray += n.lateReplies + n.unknownReplies
        // A replayed or echoed response, or the reply to an aborted call, reaches the MQTTnet client only while it is
        // still subscribed to that call's topic (until UNSUBACK); then it is counted, and never given to another call.
        expect(totals.netStray).toBeLessThanOrEqual(totals.netMayStray)
        expect(n.disconnectedCalls).toBe(0)
        expect(n.protocolViolations).toBe(0)
        expect(net.stats().connections).toBe(1)
      }),
      { seed: FC_SEED, numRuns: RUNS, endOnFailure: true },
    )
    // The chaos reached the multiplexed client and was counted, never matched. (Whether an echo reaches the MQTTnet
    // client before its UNSUBSCRIBE is a race, so totals.netStray is bounded above, not required to be positive.)
    expect(totals.muxLate).toBeGreaterThan(0)
    expect(totals.muxUnknown).toBeGreaterThan(0)
    expect(totals.muxAborted).toBeGreaterThan(0)
  })
})
