import type { MqttClient } from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { ManualClock } from './support/manual-clock.ts'
import { startSimulation, type Simulation } from '../simulator/fleet.ts'
import { connectMqtt, endClient } from '../core/mqtt-connect.ts'
import { mosquittoAvailable, startMosquitto, type MosquittoBroker } from './support/mosquitto.ts'
import { deadlineIn, dropOnBroker, fixedProfile, okResult, rpcClientContract, sleepMs, startTestSim, until } from './support/client-contract.ts'
import { MultiplexedRpcClient, type MultiplexedOptions } from '../loadgen/clients/multiplexed.ts'
import { startSlowLink } from './support/slow-link.ts'

rpcClientContract('multiplexed', (broker, opts) => new MultiplexedRpcClient({ broker, clientId: 'unset', ...opts }))

describe('MultiplexedRpcClient', () => {
  let sim: Simulation | undefined
  let mosquitto: MosquittoBroker | undefined
  const closers: Array<{ close(): Promise<void> }> = []
  let seq = 0

  afterEach(async () => {
    for (const c of closers.splice(0)) await c.close()
    await sim?.close()
    await mosquitto?.stop()
    sim = undefined
    mosquitto = undefined
  })

  async function client(opts: Partial<MultiplexedOptions> = {}, url = sim!.brokerUrl): Promise<MultiplexedRpcClient> {
    const c = new MultiplexedRpcClient({ broker: { url }, clientId: `mux-${process.pid}-${++seq}`, ...opts })
    closers.push(c)
    await c.connect()
    return c
  }

  it('sends exactly one SUBSCRIBE for 100 concurrent calls', async () => {
    sim = await startTestSim(fixedProfile({}), {}, 20)
    const before = sim.broker!.counts()
    const c = await client()
    const ids = Array.from({ length: 100 }, (_, i) => `ble-${String((i % 20) + 1).padStart(4, '0')}`)
    const d = deadlineIn(3000)
    const results = await Promise.all(ids.map((id) => c.call(id, 'info', {}, { deadline: d })))
    results.forEach((r, i) => expect(okResult(r).deviceId).toBe(ids[i]))
    await sleepMs(20) // Aedes counts a PUBLISH after forwarding it: let the last replies' counts land
    const after = sim.broker!.counts()
    expect(after.subscribe - before.subscribe).toBe(1)
    expect(after.unsubscribe - before.unsubscribe).toBe(0)
    expect(after.publish - before.publish).toBe(200) // 100 requests + 100 replies
    expect(c.stats()).toMatchObject({ subscribes: 1, unsubscribes: 0, connections: 1, lateReplies: 0, unknownReplies: 0 })
    expect(c.stats().peakInFlight).toBe(100)
  })

  it('keeps at most maxInFlight calls in flight, FIFO, and never publishes a call that expired while waiting', async () => {
    sim = await startTestSim(fixedProfile({ info: 15, write: 120 }))
    const c = await client({ maxInFlight: 4 })
    const ids = Array.from({ length: 24 }, (_, i) => `ble-000${(i % 8) + 1}`)
    const results = await Promise.all(ids.map((id) => c.call(id, 'info', {}, { deadline: deadlineIn(3000) })))
    results.forEach((r, i) => expect(okResult(r).deviceId).toBe(ids[i]))
    expect(c.stats().peakInFlight).toBe(4)

    const one = await client({ maxInFlight: 1 })
    okResult(await one.call('ble-0001', 'open', {}, { deadline: deadlineIn(2000) }))
    await sleepMs(20) // Aedes counts a PUBLISH after forwarding it
    const before = sim.broker!.counts().publish
    const slow = one.call('ble-0001', 'write', { value: '01' }, { deadline: deadlineIn(2000) })
    const ctl = new AbortController()
    const aborted = one.call('ble-0003', 'info', {}, { deadline: deadlineIn(2000), signal: ctl.signal })
    const starved = await one.call('ble-0002', 'info', {}, { deadline: deadlineIn(30) })
    expect(starved).toMatchObject({ ok: false, kind: 'timeout' })
    ctl.abort()
    expect(await aborted).toMatchObject({ ok: false, kind: 'cancelled' })
    okResult(await slow)
    await sleepMs(20)
    expect(sim.broker!.counts().publish - before).toBe(2) // the write and its reply; the waiting calls never went out
    expect(one.stats()).toMatchObject({ peakInFlight: 1, lateReplies: 0 })
  })

  it('runs deadlines on the injected clock, with one timer for all pending calls', async () => {
    sim = await startTestSim(fixedProfile({ write: 60 }))
    const clock = new ManualClock(0)
    const c = await client({ clock })
    okResult(await c.call('ble-0001', 'open', {}, { deadline: 10 }))
    // the manual clock stands still: a 60 ms write still meets a deadline of 10
    okResult(await c.call('ble-0001', 'write', { value: '01' }, { deadline: 10 }))
    const pending = ['ble-0002', 'ble-0003', 'ble-0004'].map((id, i) => c.call(id, 'info', {}, { deadline: 10 + i }))
    const slow = c.call('ble-0001', 'write', { value: '02' }, { deadline: 10 })
    expect(clock.pendingTimers).toBe(1)
    for (const r of await Promise.all(pending)) okResult(r)
    await clock.advance(10)
    expect(await slow).toMatchObject({ ok: false, kind: 'timeout' })
    expect(clock.pendingTimers).toBe(0)
    await until(() => c.stats().lateReplies === 1, 'the late write reply')
  })

  it('counts garbage and foreign replies and ignores them', async () => {
    sim = await startTestSim(fixedProfile({ write: 80 }))
    const c = await client()
    okResult(await c.call('ble-0001', 'open', {}, { deadline: deadlineIn(2000) }))
    const pending = c.call('ble-0001', 'write', { value: '0102' }, { deadline: deadlineIn(2000) })
    const raw: MqttClient = await connectMqtt({ url: sim.brokerUrl }, { protocolVersion: 4 })
    try {
      for (const body of ['not json', '[]', 'null', '{"id":"abc","ok":true}', '{"id":999999,"ok":true,"result":1}', '{"ok":true}'])
        await raw.publishAsync(c.replyTopic, body, { qos: 1 })
      await raw.publishAsync(`${c.replyTopic}/x`, '{}', { qos: 1 }) // not our topic: never delivered
    } finally {
      await endClient(raw)
    }
    expect(okResult(await pending)).toEqual({ characteristic: '2a19', written: 2 })
    // id 1 (the open) is finished: a reply for it would be late, not unknown
    expect(c.stats()).toMatchObject({ unknownReplies: 6, lateReplies: 0 })
  })

  it('answers a batch per item, and times a batch out as one call', async () => {
    sim = await startTestSim(fixedProfile({ write: 60 }))
    const c = await client()
    const r = await c.batch('gw-1', [
      { device: 'ble-0001', verb: 'info' },
      { device: 'ble-0002', verb: 'read' },
      { device: 'ble-0003', verb: 'open' },
      { device: 'ble-0099', verb: 'info' },
      { device: 'ble-0001', verb: 'fly' },
    ], { deadline: deadlineIn(2000) })
    expect(Array.isArray(r)).toBe(true)
    const items = r as Exclude<typeof r, { ok: boolean }>
    expect(items).toHaveLength(5)
    expect(okResult(items[0]!)).toMatchObject({ deviceId: 'ble-0001' })
    expect(items[1]).toMatchObject({ ok: false, kind: 'device-error', code: 'not_connected' })
    expect(okResult(items[2]!)).toMatchObject({ state: 'connected' })
    expect(items[3]).toMatchObject({ ok: false, kind: 'device-error', code: 'unknown_device' })
    expect(items[4]).toMatchObject({ ok: false, kind: 'device-error', code: 'unknown_verb' })
    const slow = await c.batch('gw-1', [{ device: 'ble-0003', verb: 'write', params: { value: '01' } }], { deadline: deadlineIn(20) })
    expect(slow).toMatchObject({ ok: false, kind: 'timeout' })
    const bad = await c.batch('gw-1', 'nope' as never, { deadline: deadlineIn(2000) })
    expect(bad).toMatchObject({ ok: false, kind: 'device-error', code: 'bad_request' })
    await until(() => c.stats().lateReplies === 1, 'the late batch reply')
  })

  it('reconnects by itself and MQTT.js re-subscribes the reply topic (one SUBSCRIBE per connection)', async () => {
    sim = await startTestSim()
    const before = sim.broker!.counts().subscribe
    const clientId = `mux-reconnect-${process.pid}`
    const c = new MultiplexedRpcClient({ broker: { url: sim.brokerUrl }, clientId, reconnectPeriodMs: 50 })
    closers.push(c)
    await c.connect()
    dropOnBroker(sim, clientId)
    await until(() => !c.connected, 'the drop')
    await until(() => c.connected, 'the automatic reconnect')
    expect(okResult(await c.call('ble-0001', 'info', {}, { deadline: deadlineIn(2000) }))).toMatchObject({ deviceId: 'ble-0001' })
    expect(c.stats()).toMatchObject({ connections: 2, subscribes: 2 })
    expect(sim.broker!.counts().subscribe - before).toBe(2)
  })

  it('fails queued and in-flight calls on a lost connection and never re-sends them after the reconnect', async () => {
    sim = await startTestSim(fixedProfile({ write: 40 }))
    const link = await startSlowLink(sim.broker!.port)
    closers.push(link)
    const clientId = `mux-replay-${process.pid}`
    const c = await client({ clientId, maxInFlight: 1, reconnectPeriodMs: 30 }, link.url)
    okResult(await c.call('ble-0001', 'open', {}, { deadline: deadlineIn(2000) }))
    const received = (): number => sim!.fleet.stats().received
    const before = received()
    link.hold(1000) // the write's PUBACK never arrives: MQTT.js keeps it in its outgoing store
    const calls = [
      c.call('ble-0001', 'write', { value: '01' }, { deadline: deadlineIn(3000) }),
      c.call('ble-0002', 'info', {}, { deadline: deadlineIn(3000) }),
      c.call('ble-0003', 'info', {}, { deadline: deadlineIn(3000) }),
    ]
    await until(() => received() - before === 1, 'the gateway to receive the write')
    dropOnBroker(sim, clientId)
    for (const r of await Promise.all(calls)) expect(r).toMatchObject({ ok: false, kind: 'disconnected' })
    await until(() => c.connected, 'the automatic reconnect')
    expect(okResult(await c.call('ble-0004', 'info', {}, { deadline: deadlineIn(2000) }))).toMatchObject({ deviceId: 'ble-0004' })
    await sleepMs(80)
    expect(received() - before).toBe(2) // the write once, the info after the reconnect: nothing replayed, the queued calls never sent
    expect(c.stats()).toMatchObject({ connections: 2, disconnectedCalls: 3 })
  })

  const skip = mosquittoAvailable()
  it.skipIf(skip !== undefined)(`speaks MQTT 5 (Response Topic + Correlation Data) with Mosquitto${skip ? ` [skipped: ${skip}]` : ''}`, async () => {
    mosquitto = await startMosquitto()
    sim = await startSimulation({ devices: 4, gateways: 1, profile: fixedProfile({ write: 80 }), seed: 1 }, { external: { url: mosquitto.url } })
    const c = await client({}, mosquitto.url)
    expect(c.protocolVersion).toBe(5)
    expect(okResult(await c.call('ble-0001', 'info', {}, { deadline: deadlineIn(2000) }))).toMatchObject({ deviceId: 'ble-0001' })
    expect(await c.call('ble-0002', 'read', {}, { deadline: deadlineIn(2000) })).toMatchObject({ ok: false, kind: 'device-error', code: 'not_connected' })
    okResult(await c.call('ble-0003', 'open', {}, { deadline: deadlineIn(2000) }))
    expect(await c.call('ble-0003', 'write', { value: '01' }, { deadline: deadlineIn(20) })).toMatchObject({ kind: 'timeout' })
    expect(okResult(await c.call('ble-0003', 'write', { value: '0102' }, { deadline: deadlineIn(2000) }))).toMatchObject({ written: 2 })
    const batch = await c.batch('gw-1', [{ device: 'ble-0004', verb: 'info' }, { device: 'ble-0004', verb: 'read' }], { deadline: deadlineIn(2000) })
    expect(batch).toMatchObject([{ ok: true, result: { deviceId: 'ble-0004' } }, { ok: false, kind: 'device-error', code: 'not_connected' }])
    expect(c.stats()).toMatchObject({ lateReplies: 1, unknownReplies: 0, subscribes: 1 })
  })
})
