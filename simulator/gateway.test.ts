import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimulation, type Simulation } from './fleet.ts'
import { connectMqtt, endClient } from '../core/mqtt-connect.ts'
import { PROFILES } from './profiles.ts'
import * as wire from '../core/protocol.ts'

/** Waits for the first message on `topic` after running `send`. */
function replyOn(client: MqttClient, topic: string, send: () => void, timeoutMs = 3000): Promise<Buffer> {
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

const params = (verb: wire.Verb): object => (verb === 'write' ? { characteristic: 'battery', value: '2a' } : { characteristic: 'battery' })
// A call sequence that touches every verb and every device state.
const SEQUENCE: Array<[wire.Verb, string]> = [
  ['info', 'ok'], ['read', 'not_connected'], ['open', 'ok'], ['read', 'ok'], ['write', 'ok'], ['read', 'ok'], ['close', 'ok'], ['write', 'not_connected'],
]

describe('gateway over real sockets (embedded Aedes)', () => {
  let sim: Simulation
  let client: MqttClient
  beforeAll(async () => {
    const profile = { ...PROFILES['ble-default']!, failures: {} }
    sim = await startSimulation({ devices: 8, gateways: 2, profile, seed: 3 })
    client = await connectMqtt({ url: sim.brokerUrl }, { protocolVersion: 4 })
    await client.subscribeAsync(['fleet/reply/test', 'MQTTnet.RPC/+/+/response'], { qos: 1 })
  })
  afterAll(async () => {
    await endClient(client)
    await sim.close()
  })

  it('answers every verb in the envelope convention, correlated by id', async () => {
    let n = 0
    for (const [verb, expected] of SEQUENCE) {
      const id = `call-${++n}`
      const body = JSON.stringify({ id, replyTo: 'fleet/reply/test', params: params(verb) })
      const reply = JSON.parse((await replyOn(client, 'fleet/reply/test', () => client.publish(wire.requestTopic('ble-0002', verb), body, { qos: 1 }))).toString())
      expect(reply.id).toBe(id)
      expect(reply.ok ? 'ok' : reply.error.code).toBe(expected)
      if (verb === 'info') expect(reply.result).toMatchObject({ deviceId: 'ble-0002', gatewayId: 'gw-1' })
      if (verb === 'read' && reply.ok) expect(reply.result.value).toMatch(n > 5 ? /^2a$/ : /^[0-9a-f]{2}$/)
    }
  })

  it('answers every verb in the MQTTnet convention on {request topic}/response', async () => {
    let n = 0
    for (const [verb, expected] of SEQUENCE) {
      const topic = wire.mqttnetRequestTopic(`3f2504e0-4f89-11d3-9a0c-03050000000${++n}`, 'ble-0007', verb)
      const payload = await replyOn(client, wire.mqttnetResponseTopic(topic), () => client.publish(topic, JSON.stringify(params(verb)), { qos: 1 }))
      const outcome = wire.decodeBareReply(payload)
      expect(outcome.ok ? 'ok' : outcome.error.code).toBe(expected)
      if (verb === 'info') expect(outcome).toMatchObject({ ok: true, result: { deviceId: 'ble-0007', gatewayId: 'gw-2' } })
    }
  })

  it('answers a batch with one result per item, in order', async () => {
    const items = [
      { device: 'ble-0001', verb: 'open' },
      { device: 'ble-0003', verb: 'read' },
      { device: 'ble-0005', verb: 'info' }, // on gw-2
      { device: 'ble-0004', verb: 'reboot' },
      { device: 'ble-0001', verb: 'info' },
    ]
    const body = JSON.stringify({ id: 7, replyTo: 'fleet/reply/test', params: items })
    const reply = JSON.parse((await replyOn(client, 'fleet/reply/test', () => client.publish(wire.batchTopic('gw-1'), body, { qos: 1 }))).toString())
    expect(reply.id).toBe(7)
    expect(reply.result.map((r: { ok: boolean; error?: { code: string } }) => (r.ok ? 'ok' : r.error!.code))).toEqual([
      'ok', 'not_connected', 'unknown_device', 'unknown_verb', 'ok',
    ])
    expect(reply.result[4].result.state).toBe('connected')
  })

  it('publishes a retained registry per gateway listing its devices', async () => {
    const reg = await connectMqtt({ url: sim.brokerUrl }, { protocolVersion: 4 })
    try {
      const seen = new Map<string, { devices: string[] }>()
      const all = new Promise<void>((resolve) =>
        reg.on('message', (topic, payload) => {
          seen.set(topic, JSON.parse(payload.toString()))
          if (seen.size === 2) resolve()
        }),
      )
      await reg.subscribeAsync(wire.REGISTRY_FILTER, { qos: 1 })
      await all
      expect(seen.get('fleet/gateways/gw-1')!.devices).toEqual(['ble-0001', 'ble-0002', 'ble-0003', 'ble-0004'])
      expect(seen.get('fleet/gateways/gw-2')!.devices).toEqual(['ble-0005', 'ble-0006', 'ble-0007', 'ble-0008'])
    } finally {
      await endClient(reg)
    }
  })

  it('counts the SUBSCRIBE, UNSUBSCRIBE and PUBLISH packets the broker handled', async () => {
    const before = sim.broker!.counts()
    const c = await connectMqtt({ url: sim.brokerUrl }, { protocolVersion: 4 })
    await c.subscribeAsync('a/b', { qos: 1 })
    await c.publishAsync('a/b', 'x', { qos: 1 })
    await c.unsubscribeAsync('a/b')
    await c.subscribeAsync('a/c', { qos: 1 })
    await endClient(c) // Aedes drops a/c on close: no UNSUBSCRIBE packet, so not counted
    await new Promise((r) => setTimeout(r, 20))
    const after = sim.broker!.counts()
    expect(after.subscribe - before.subscribe).toBe(2)
    expect(after.unsubscribe - before.unsubscribe).toBe(1)
    expect(after.publish - before.publish).toBe(1)
  })
})
