import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimulation, type Simulation } from './fleet.ts'
import { connectMqtt, endClient } from '../core/mqtt-connect.ts'
import { PROFILES } from './profiles.ts'
import * as wire from '../core/protocol.ts'

const LIMIT = 4096
const REPLY = 'fleet/reply/hostile'
const env = (params: unknown, extra: object = {}): string => JSON.stringify({ id: 'x', replyTo: REPLY, params, ...extra })

/** Every kind of bad input, with where it goes and how the gateway must count it. */
interface Kind {
  name: string
  topic: string
  payload: () => Buffer | string
  bad: keyof Simulation['fleet']['gateways'][number]['stats']['bad']
  replied: boolean
}
const KINDS: Kind[] = [
  { name: 'not JSON', topic: wire.requestTopic('ble-0001', 'info'), payload: () => '{"id":1,', bad: 'bad_request', replied: false },
  { name: 'JSON but not an object', topic: wire.requestTopic('ble-0001', 'info'), payload: () => '[1,2,3]', bad: 'bad_request', replied: false },
  { name: 'random bytes', topic: wire.requestTopic('ble-0002', 'open'), payload: () => Buffer.from([0xff, 0x00, 0xfe, 0x7b, 0x80]), bad: 'bad_request', replied: false },
  { name: 'no reply address', topic: wire.requestTopic('ble-0001', 'info'), payload: () => '{"id":"a","params":{}}', bad: 'bad_request', replied: false },
  { name: 'wildcard reply address', topic: wire.requestTopic('ble-0001', 'info'), payload: () => '{"id":"a","replyTo":"x/#"}', bad: 'bad_request', replied: false },
  { name: 'missing id', topic: wire.requestTopic('ble-0001', 'info'), payload: () => `{"replyTo":"${REPLY}"}`, bad: 'bad_request', replied: true },
  { name: 'params of the wrong type', topic: wire.requestTopic('ble-0001', 'info'), payload: () => env('open sesame'), bad: 'bad_request', replied: true },
  { name: 'characteristic of the wrong type', topic: wire.requestTopic('ble-0001', 'read'), payload: () => env({ characteristic: 42 }), bad: 'bad_request', replied: true },
  { name: 'write without a hex value', topic: wire.requestTopic('ble-0001', 'write'), payload: () => env({ value: 'zz' }), bad: 'bad_request', replied: true },
  { name: 'unknown verb', topic: wire.requestTopic('ble-0001', 'reboot'), payload: () => env({}), bad: 'unknown_verb', replied: true },
  { name: 'unknown device in a batch', topic: wire.batchTopic('gw-1'), payload: () => env([{ device: 'ble-9999', verb: 'info' }]), bad: 'unknown_device', replied: true },
  { name: 'batch that is not a list', topic: wire.batchTopic('gw-1'), payload: () => env({ device: 'ble-0001' }), bad: 'bad_request', replied: true },
  { name: 'oversized envelope', topic: wire.requestTopic('ble-0001', 'info'), payload: () => env('x'.repeat(LIMIT)), bad: 'payload_too_large', replied: false },
  { name: 'oversized MQTTnet call', topic: wire.mqttnetRequestTopic('c1', 'ble-0001', 'info'), payload: () => Buffer.alloc(LIMIT + 1, 0x20), bad: 'payload_too_large', replied: true },
  { name: 'MQTTnet call with malformed JSON', topic: wire.mqttnetRequestTopic('c2', 'ble-0001', 'read'), payload: () => '{nope', bad: 'bad_request', replied: true },
]
const PER_KIND = 250

describe('gateway under hostile input', () => {
  let sim: Simulation
  let client: MqttClient
  beforeAll(async () => {
    sim = await startSimulation({ devices: 4, gateways: 1, profile: PROFILES.instant!, seed: 1, maxPayloadBytes: LIMIT })
    client = await connectMqtt({ url: sim.brokerUrl }, { protocolVersion: 4 })
    await client.subscribeAsync([REPLY, 'fleet/reply/valid', 'MQTTnet.RPC/+/+/response'], { qos: 1 })
  })
  afterAll(async () => {
    await endClient(client)
    await sim.close()
  })

  it(`keeps answering valid calls through ${KINDS.length * PER_KIND} bad messages and accounts for every one`, async () => {
    const replies = { hostile: 0, valid: 0, mqttnet: 0 }
    client.on('message', (topic) => {
      if (topic === REPLY) replies.hostile++
      else if (topic === 'fleet/reply/valid') replies.valid++
      else replies.mqttnet++
    })
    const valid = JSON.stringify({ id: 'v', replyTo: 'fleet/reply/valid', params: {} })
    const sends: Array<Promise<unknown>> = []
    for (let i = 0; i < PER_KIND; i++) {
      for (const k of KINDS) sends.push(client.publishAsync(k.topic, k.payload(), { qos: 1 }))
      if (i % 25 === 0) sends.push(client.publishAsync(wire.requestTopic('ble-0003', 'info'), valid, { qos: 1 }))
    }
    await Promise.all(sends)
    const total = KINDS.length * PER_KIND + PER_KIND / 25
    const gw = sim.fleet.gateways[0]!
    const deadline = Date.now() + 15_000
    while ((gw.stats.received < total || gw.stats.inFlight > 0 || replies.valid < PER_KIND / 25) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20))

    const expectBad = { bad_request: 0, unknown_verb: 0, unknown_device: 0, payload_too_large: 0 }
    for (const k of KINDS) expectBad[k.bad] += PER_KIND
    const dropped = KINDS.filter((k) => !k.replied).length * PER_KIND
    const repliedHostile = KINDS.filter((k) => k.replied && !k.topic.startsWith('MQTTnet')).length * PER_KIND
    const repliedMqttnet = KINDS.filter((k) => k.replied && k.topic.startsWith('MQTTnet')).length * PER_KIND
    expect(gw.stats.received).toBe(total)
    expect(gw.stats.bad).toEqual(expectBad)
    expect(gw.stats.dropped).toBe(dropped)
    expect(gw.stats.received).toBe(gw.stats.repliedOk + gw.stats.repliedError + gw.stats.dropped)
    expect(replies.valid).toBe(PER_KIND / 25)
    expect(replies.hostile).toBe(repliedHostile)
    expect(replies.mqttnet).toBe(repliedMqttnet)

    // Still healthy afterwards: a fresh valid call is answered correctly.
    const answer = new Promise<string>((resolve) => client.once('message', (_t, p) => resolve(p.toString())))
    await client.publishAsync(wire.requestTopic('ble-0004', 'info'), JSON.stringify({ id: 'after', replyTo: 'fleet/reply/valid' }), { qos: 1 })
    expect(JSON.parse(await answer)).toMatchObject({ id: 'after', ok: true, result: { deviceId: 'ble-0004' } })
  })
})
