import type { AuthorizeSubscribeHandler } from 'aedes'
import { afterEach, describe, expect, it } from 'vitest'
import type { Simulation } from '../simulator/fleet.ts'
import { unexpectedAckMessage } from '../loadgen/clients/ack-dispatcher.ts'
import { deadlineIn, fixedProfile, okResult, rpcClientContract, startTestSim } from './support/client-contract.ts'
import { MqttnetRpcClient, type MqttnetOptions } from '../loadgen/clients/mqttnet.ts'
import { startSlowLink, type SlowLink } from './support/slow-link.ts'
import type { CallResult } from '../loadgen/clients/types.ts'

rpcClientContract('mqttnet (lenient)', (broker, opts) => new MqttnetRpcClient({ broker, clientId: 'unset', ackMode: 'lenient', ...opts }), { lateRepliesReachClient: false })
rpcClientContract('mqttnet (strict)', (broker, opts) => new MqttnetRpcClient({ broker, clientId: 'unset', ackMode: 'strict', ...opts }), { lateRepliesReachClient: false })

const HOLD_MS = 150
const SHARED_DEADLINE_MS = 50
const CALLS = 6

/** The broker sees the SUBSCRIBE for ble-0001's response topic: the link holds the SUBACK (and everything after it). */
function holdOnBle0001(link: () => SlowLink | undefined): AuthorizeSubscribeHandler {
  return (_client, sub, done) => {
    if (sub.topic.endsWith('/ble-0001.info/response')) link()?.hold(HOLD_MS)
    done(null, sub)
  }
}

describe('MqttnetRpcClient', () => {
  let sim: Simulation | undefined
  let link: SlowLink | undefined
  const closers: MqttnetRpcClient[] = []
  let seq = 0

  afterEach(async () => {
    for (const c of closers.splice(0)) await c.close()
    await link?.close()
    await sim?.close()
    sim = undefined
    link = undefined
  })

  /** A fleet whose broker holds the link when ble-0001's response SUBSCRIBE arrives; the client connects through the link. */
  async function slowSim(): Promise<void> {
    sim = await startTestSim(fixedProfile({}), { hooks: { authorizeSubscribe: holdOnBle0001(() => link) } })
    link = await startSlowLink(sim.broker!.port)
  }

  async function client(opts: Partial<MqttnetOptions> = {}): Promise<MqttnetRpcClient> {
    const url = link?.url ?? sim!.brokerUrl
    const c = new MqttnetRpcClient({ broker: { url }, clientId: `mqttnet-${process.pid}-${++seq}`, ...opts })
    closers.push(c)
    await c.connect()
    return c
  }

  /** CALLS info calls on ble-0001…ble-0006 at once, sharing one deadline (one CancellationToken for the round). */
  function round(c: MqttnetRpcClient): Promise<CallResult[]> {
    const shared = deadlineIn(SHARED_DEADLINE_MS)
    return Promise.all(Array.from({ length: CALLS }, (_, i) => c.call(`ble-000${i + 1}`, 'info', {}, { deadline: shared })))
  }

  it('lenient: one SUBSCRIBE and one UNSUBSCRIBE per call, on MQTTnet.RPC/{guid:N}/{device}.{verb}', async () => {
    sim = await startTestSim()
    const topics: string[] = []
    sim.broker!.aedes.on('publish', (packet, from) => {
      if (from !== null && packet.topic.startsWith('MQTTnet.RPC/')) topics.push(packet.topic)
    })
    const before = sim.broker!.counts()
    const c = await client({ ackMode: 'lenient' })
    const ids = ['ble-0001', 'ble-0002', 'ble-0005', 'ble-0006', 'ble-0003', 'ble-0008', 'ble-0004', 'ble-0007', 'ble-0001', 'ble-0005']
    const results = await Promise.all(ids.map((id) => c.call(id, 'info', {}, { deadline: deadlineIn(3000) })))
    results.forEach((r, i) => expect(okResult(r).deviceId).toBe(ids[i]))
    const after = sim.broker!.counts()
    expect(after.subscribe - before.subscribe).toBe(ids.length)
    expect(after.unsubscribe - before.unsubscribe).toBe(ids.length)
    expect(c.stats()).toMatchObject({ subscribes: ids.length, unsubscribes: ids.length, connections: 1, protocolViolations: 0, lateReplies: 0 })
    const requests = topics.filter((t) => !t.endsWith('/response'))
    expect(requests).toHaveLength(ids.length)
    for (const t of requests) expect(t).toMatch(/^MQTTnet\.RPC\/[0-9a-f]{32}\/ble-\d{4}\.info$/)
    expect(new Set(requests).size).toBe(ids.length)
    // every reply went to {request topic}/response
    expect(new Set(topics.filter((t) => t.endsWith('/response')))).toEqual(new Set(requests.map((t) => `${t}/response`)))
  })

  it('strict: a SubAck after its call timed out tears the connection down and fails every pending call', async () => {
    await slowSim()
    const c = await client({ ackMode: 'strict' })
    const message = unexpectedAckMessage('SubAck')
    expect(message).toBe("Received packet 'SubAck' at an unexpected time")
    const results = await round(c)
    for (const r of results) expect(r).toEqual({ ok: false, kind: 'protocol-violation', message })
    expect(c.stats().protocolViolations).toBe(1)
    expect(c.lastViolation).toBe(message)
    expect(c.connected).toBe(false)
    expect(c.ackStats()).toMatchObject({ violations: 1 })
    // a new call fails fast until the caller reconnects; connect() opens a new connection
    expect(await c.call('ble-0002', 'info', {}, { deadline: deadlineIn(2000) })).toMatchObject({ ok: false, kind: 'disconnected' })
    await c.connect()
    expect(c.stats().connections).toBe(2)
    expect(okResult(await c.call('ble-0002', 'info', {}, { deadline: deadlineIn(2000) }))).toMatchObject({ deviceId: 'ble-0002' })
  })

  it('lenient: the same late SubAck is ignored and the calls just time out', async () => {
    await slowSim()
    const c = await client({ ackMode: 'lenient' })
    const results = await round(c)
    for (const r of results) expect(r).toMatchObject({ ok: false, kind: 'timeout' })
    expect(c.stats()).toMatchObject({ protocolViolations: 0, connections: 1 })
    expect(c.ackStats().ignored).toBeGreaterThanOrEqual(1)
    expect(c.connected).toBe(true)
    expect(okResult(await c.call('ble-0002', 'info', {}, { deadline: deadlineIn(2000) }))).toMatchObject({ deviceId: 'ble-0002' })
  })

  it('bounds the UNSUBSCRIBE in finally by the communication timeout, not by the call deadline or signal', async () => {
    // The link holds the SUBACK and then the UNSUBACK for HOLD_MS: the finally step waits for the communication timeout.
    await slowSim()
    const c = await client({ ackMode: 'lenient', communicationTimeoutMs: 60 })
    const ctl = new AbortController()
    const t0 = performance.now()
    const pending = c.call('ble-0001', 'info', {}, { deadline: deadlineIn(20), signal: ctl.signal })
    setTimeout(() => ctl.abort(), 25)
    const r = await pending
    expect(r).toEqual({ ok: false, kind: 'timeout', message: 'no UnsubAck within the 60 ms communication timeout' })
    expect(performance.now() - t0).toBeGreaterThanOrEqual(75)
  })
})
