import { describe, expect, it } from 'vitest'
import { ManualClock } from '../test/support/manual-clock.ts'
import { DeviceTable } from './device-table.ts'
import { fleetBlocks, IdBlock, IdList } from './device-ids.ts'
import { Gateway } from './gateway.ts'
import { PROFILES, UNLIMITED_SLOTS } from './profiles.ts'
import { Radio } from './radio.ts'
import type { RpcOutcome, Verb } from '../core/protocol.ts'
import * as wire from '../core/protocol.ts'
import { connectMqtt, endClient } from '../core/mqtt-connect.ts'
import { startSimulation } from './fleet.ts'

const flaky = PROFILES['ble-flaky']!

function table(eager: boolean, seed: number, ids = new IdBlock('ble-', 4, 1, 50)) {
  const clock = new ManualClock()
  // A radio with room for every device: the order of the calls then changes no device's timing.
  const ctx = { gatewayId: 'gw-1', clock, radio: new Radio(UNLIMITED_SLOTS), profile: flaky }
  return { clock, devices: new DeviceTable(ids, ctx, seed, { eager }) }
}

const show = (o: RpcOutcome): string => JSON.stringify(o)

describe('DeviceTable', () => {
  it('makes a device only when it is asked for, and never for an id it does not hold', () => {
    const { devices } = table(false, 1)
    expect(devices.size).toBe(50)
    expect(devices.madeCount).toBe(0)
    expect([...devices.keys()].slice(0, 2)).toEqual(['ble-0001', 'ble-0002'])
    expect(devices.has('ble-0050')).toBe(true)
    expect(devices.get('ble-0051')).toBeUndefined()
    expect(devices.peek('ble-0007')).toBeUndefined()
    expect(devices.madeCount).toBe(0)
    const d = devices.get('ble-0007')!
    expect(d.id).toBe('ble-0007')
    expect(devices.get('ble-0007')).toBe(d)
    expect(devices.peek('ble-0007')).toBe(d)
    expect(devices.madeCount).toBe(1)
    expect([...devices.values()]).toHaveLength(50)
    expect(devices.madeCount).toBe(50)
  })

  it('eager holds every device from the start, with every id a string', () => {
    const { devices } = table(true, 1)
    expect(devices.madeCount).toBe(50)
    expect(devices.ids).toBeInstanceOf(IdList)
    expect([...devices.keys()]).toEqual([...new IdBlock('ble-', 4, 1, 50)])
  })

  it('lazy devices decide exactly what eager ones do for the same seed, whatever order they are first called in', async () => {
    const play = async (eager: boolean, seed: number, order: number[]): Promise<string[]> => {
      const { clock, devices } = table(eager, seed)
      const log: string[] = []
      for (let round = 0; round < 3; round++) {
        const runs = order.map(async (i) => {
          const d = devices.at(i)
          const steps = [await d.open(), await d.read('2a19'), await d.write('2a00', Buffer.from([round])), await d.info(), await d.close()]
          log.push(`${round}:${d.id}:${steps.map(show).join('|')}`)
        })
        await clock.runAll()
        await Promise.all(runs)
      }
      return log.sort()
    }
    const forward = Array.from({ length: 50 }, (_, i) => i)
    const backward = [...forward].reverse()
    // A lazy table called in reverse makes its devices in the opposite order from an eager one.
    const eager = await play(true, 42, forward)
    expect(await play(false, 42, backward)).toEqual(eager)
    expect(await play(false, 42, forward)).toEqual(eager)
    expect(await play(false, 43, forward)).not.toEqual(eager)
    expect(eager.filter((l) => l.includes('"ok":false')).length).toBeGreaterThan(5)
  })

  it('a gateway answers the same on lazy and eager devices, and makes only the devices it was asked about', async () => {
    const run = async (eager: boolean): Promise<{ answers: string[]; made: number }> => {
      const clock = new ManualClock()
      const [block] = fleetBlocks(1_000, 1)
      const gw = new Gateway({ gatewayId: 'gw-1', deviceIds: block!.ids, profile: flaky, seed: 9, broker: { url: 'mqtt://127.0.0.1:1' }, clock, eagerDevices: eager })
      const calls: Array<[string, Verb, object]> = []
      for (const id of ['ble-0003', 'ble-0999', 'ble-0500', 'ble-1001'])
        for (const verb of ['open', 'read', 'close', 'info'] as const) calls.push([id, verb, verb === 'read' ? { characteristic: 'battery' } : {}])
      const pending = calls.map(([id, verb, params]) => gw.execute(id, verb, params))
      await clock.runAll()
      return { answers: (await Promise.all(pending)).map(show), made: gw.devices.madeCount }
    }
    const lazy = await run(false)
    const eager = await run(true)
    expect(lazy.answers).toEqual(eager.answers)
    expect(lazy.answers.filter((a) => a.includes('unknown_device'))).toHaveLength(4)
    expect(lazy.made).toBe(3)
    expect(eager.made).toBe(1_000)
  })

  it('over real sockets, a fleet answers in both conventions and lists every device, having made only the two it was called for', async () => {
    const sim = await startSimulation({ devices: 2_000, gateways: 2, profile: PROFILES.instant!, seed: 1 })
    const client = await connectMqtt({ url: sim.brokerUrl }, { protocolVersion: 4 })
    try {
      const got = new Map<string, Buffer>()
      const all = new Promise<void>((resolve) =>
        client.on('message', (topic, payload) => {
          if (payload.length > 0) got.set(topic, payload)
          if (got.size === 4) resolve()
        }),
      )
      await client.subscribeAsync(['fleet/reply/lazy', 'MQTTnet.RPC/+/+/response', wire.REGISTRY_FILTER], { qos: 1 })
      client.publish(wire.requestTopic('ble-0007', 'info'), JSON.stringify({ id: 1, replyTo: 'fleet/reply/lazy', params: {} }), { qos: 1 })
      const mqttnet = wire.mqttnetRequestTopic('c0ffee', 'ble-1999', 'info')
      client.publish(mqttnet, '{}', { qos: 1 })
      await all
      expect(JSON.parse(got.get('fleet/reply/lazy')!.toString())).toMatchObject({ id: 1, ok: true, result: { deviceId: 'ble-0007', gatewayId: 'gw-1' } })
      expect(wire.decodeBareReply(got.get(wire.mqttnetResponseTopic(mqttnet))!)).toMatchObject({ ok: true, result: { deviceId: 'ble-1999', gatewayId: 'gw-2' } })
      const listed = ['gw-1', 'gw-2'].map((g) => (JSON.parse(got.get(wire.registryTopic(g))!.toString()) as { devices: string[] }).devices)
      expect(listed.map((l) => [l.length, l[0], l.at(-1)])).toEqual([[1_000, 'ble-0001', 'ble-1000'], [1_000, 'ble-1001', 'ble-2000']])
      expect(sim.fleet.gateways.map((g) => g.devices.madeCount)).toEqual([1, 1])
    } finally {
      await endClient(client)
      await sim.close()
    }
  })
})
