/** The fleet over threads: calls in both conventions, exact broker counts, restart, shards of shards, and no thread left behind. */
import { existsSync, readdirSync } from 'node:fs'
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectMqtt, endClient } from '../../core/mqtt-connect.ts'
import * as wire from '../../core/protocol.ts'
import { startBroker } from '../broker.ts'
import { FleetRecorder } from '../observe/recorder.ts'
import { PROFILES } from '../profiles.ts'
import { startThreadedSimulation, type ThreadedSimulation } from './threaded-simulation.ts'

const instant = PROFILES.instant!
const alive = (tid: number | undefined): boolean => tid !== undefined && existsSync(`/proc/self/task/${tid}`)
const threadCount = (): number => (existsSync('/proc/self/task') ? readdirSync('/proc/self/task').length : 0)

/** The first message on `topic` after `send`. */
function replyOn(client: MqttClient, topic: string, send: () => void, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (client.off('message', onMessage), reject(new Error(`no reply on ${topic}`))), timeoutMs)
    const onMessage = (t: string, payload: Buffer): void => {
      if (t !== topic) return
      clearTimeout(timer)
      client.off('message', onMessage)
      resolve(payload)
    }
    client.on('message', onMessage)
    send()
  })
}

describe('40 devices on 4 gateways, 2 gateway threads and a broker thread', () => {
  let sim: ThreadedSimulation
  let client: MqttClient
  beforeAll(async () => {
    sim = await startThreadedSimulation({ devices: 40, gateways: 4, profile: instant, seed: 1, protocolVersion: 4 }, { embedded: { port: 0 } }, { workers: 2 })
    client = await connectMqtt({ url: sim.brokerUrl }, { protocolVersion: 4 })
    await client.subscribeAsync('fleet/reply/threads', { qos: 1 })
  })
  afterAll(async () => {
    await endClient(client)
    await sim?.close()
  })

  it('runs the broker and two gateway threads of two gateways each', () => {
    expect(sim.threads.map((t) => [t.role, t.index, t.gateways])).toEqual([['broker', 0, 0], ['gateways', 0, 2], ['gateways', 1, 2]])
    expect(sim.embedded).toMatchObject({ version: '1.2.0', url: sim.brokerUrl })
    expect([sim.deviceCount, sim.protocolVersion, sim.gateways.map((g) => g.id)]).toEqual([40, 4, ['gw-1', 'gw-2', 'gw-3', 'gw-4']])
    if (existsSync('/proc/thread-self')) expect(new Set(sim.threads.map((t) => t.tid)).size).toBe(3)
  })

  it('answers an envelope call, with the broker counting its two PUBLISHes exactly', async () => {
    const before = sim.brokerCounts()!
    const body = JSON.stringify({ id: 7, replyTo: 'fleet/reply/threads', params: {} })
    const reply = JSON.parse((await replyOn(client, 'fleet/reply/threads', () => client.publish(wire.requestTopic('ble-0040', 'info'), body, { qos: 1 }))).toString())
    expect(reply).toMatchObject({ id: 7, ok: true, result: { deviceId: 'ble-0040', gatewayId: 'gw-4' } })
    // Aedes counts a PUBLISH just after delivering it, on its own thread: microseconds after we may hold the reply.
    await expect.poll(() => sim.brokerCounts(), { timeout: 1000 }).toEqual({ ...before, publish: before.publish + 2 })
  })

  it('answers an MQTTnet-convention call: SUBSCRIBE, PUBLISH request and reply, UNSUBSCRIBE, each counted once', async () => {
    const before = sim.brokerCounts()!
    const topic = wire.mqttnetRequestTopic('3f2504e0-4f89-11d3-9a0c-0305e82c3301', 'ble-0011', 'info')
    await client.subscribeAsync(wire.mqttnetResponseTopic(topic), { qos: 1 })
    const payload = await replyOn(client, wire.mqttnetResponseTopic(topic), () => client.publish(topic, '{}', { qos: 1 }))
    await client.unsubscribeAsync(wire.mqttnetResponseTopic(topic))
    expect(wire.decodeBareReply(payload)).toMatchObject({ ok: true, result: { deviceId: 'ble-0011', gatewayId: 'gw-2' } })
    await expect.poll(() => sim.brokerCounts(), { timeout: 1000 }).toEqual({ ...before, subscribe: before.subscribe + 1, unsubscribe: before.unsubscribe + 1, publish: before.publish + 2 })
  })

  it('sums the gateway threads\' counts with the fleet\'s own rule', async () => {
    const s = await sim.stats()
    expect(s).toMatchObject({ received: 2, repliedOk: 2, repliedError: 0, dropped: 0, inFlight: 0 })
  })

  it('restarts the broker on its thread: counts go on, and the gateways answer again', async () => {
    const before = sim.brokerCounts()!
    await sim.restartBroker(50)
    const again = await connectMqtt({ url: sim.brokerUrl }, { protocolVersion: 4 })
    try {
      await again.subscribeAsync('fleet/reply/again', { qos: 1 })
      const body = JSON.stringify({ id: 'r', replyTo: 'fleet/reply/again', params: {} })
      // The gateways reconnect with backoff; ask until one answers.
      let reply: Buffer | undefined
      for (let i = 0; i < 40 && reply === undefined; i++) reply = await replyOn(again, 'fleet/reply/again', () => again.publish(wire.requestTopic('ble-0001', 'info'), body, { qos: 1 }), 500).catch(() => undefined)
      expect(reply && JSON.parse(reply.toString())).toMatchObject({ id: 'r', ok: true })
      expect(sim.brokerCounts()!.connect).toBeGreaterThan(before.connect)
    } finally {
      await endClient(again)
    }
  }, 30_000)

  it('ends every thread on close', async () => {
    const tids = sim.threads.map((t) => t.tid)
    await endClient(client)
    await sim.close()
    for (const tid of tids) expect(alive(tid), `thread ${tid}`).toBe(false)
  })
})

describe('threads and shards', () => {
  it('deals shard 1 of 2 over 2 threads: exactly the run\'s own gateways, half each', async () => {
    const broker = await startBroker({ port: 0 })
    const sim = await startThreadedSimulation({ devices: 16, gateways: 8, profile: instant, seed: 1, protocolVersion: 4, shard: { index: 1, count: 2 } }, { external: { url: broker.url } }, { workers: 2 })
    const seen = await connectMqtt({ url: broker.url }, { protocolVersion: 4 })
    try {
      expect(sim.gateways.map((g) => g.id)).toEqual(['gw-2', 'gw-4', 'gw-6', 'gw-8'])
      expect(sim.threads.map((t) => [t.role, t.gateways])).toEqual([['gateways', 2], ['gateways', 2]])
      expect(sim.brokerCounts()).toBeUndefined()
      const registered = new Set<string>()
      seen.on('message', (topic, payload) => payload.length > 0 && registered.add(topic.split('/').pop()!))
      await seen.subscribeAsync(wire.REGISTRY_FILTER, { qos: 1 })
      await expect.poll(() => [...registered].sort(), { timeout: 3000 }).toEqual(['gw-2', 'gw-4', 'gw-6', 'gw-8'])
    } finally {
      await endClient(seen)
      await sim.close()
      await broker.close()
    }
  })
})

describe('refusals and failures', () => {
  it('refuses what needs the fleet in this thread, before starting any thread', async () => {
    const threads = threadCount()
    await expect(startThreadedSimulation({ devices: 4, gateways: 2, profile: instant, seed: 1, recorder: new FleetRecorder() }, {}, { workers: 1 })).rejects.toThrow(/recording needs the gateways and the broker in this thread/)
    await expect(startThreadedSimulation({ devices: 4, gateways: 2, profile: instant, seed: 1 }, { embedded: { auth: { username: 'a', password: 'b' } } }, { workers: 1 })).rejects.toThrow(/credentials over in-process/)
    expect(threadCount()).toBe(threads)
  })

  it('passes a bind failure on with its code and leaves no thread running', async () => {
    const taken = await startBroker({ port: 0 })
    const threads = threadCount()
    try {
      const err = await startThreadedSimulation({ devices: 4, gateways: 2, profile: instant, seed: 1 }, { embedded: { port: taken.port } }, { workers: 2 }).catch((e: NodeJS.ErrnoException) => e)
      expect(err).toBeInstanceOf(Error)
      expect((err as NodeJS.ErrnoException).code).toBe('EADDRINUSE')
      await expect.poll(threadCount, { timeout: 3000 }).toBe(threads)
    } finally {
      await taken.close()
    }
  })
})
