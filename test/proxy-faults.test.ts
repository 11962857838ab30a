import type { MqttClient } from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { startFaultProxy, type FaultProxy } from '../loadgen/faults/proxy.ts'
import { startBroker, type EmbeddedBroker } from '../simulator/broker.ts'
import { connectMqtt, endClient } from '../core/mqtt-connect.ts'
import { Mulberry32 } from '../core/rng.ts'

const until = async (cond: () => boolean, ms: number): Promise<boolean> => {
  const end = Date.now() + ms
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20))
  return cond()
}

/** A publish to itself, answered through the broker: the connection works end to end. */
async function echo(client: MqttClient, topic: string): Promise<boolean> {
  const got = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 2000)
    client.once('message', () => (clearTimeout(timer), resolve(true)))
  })
  await client.subscribeAsync(topic, { qos: 1 })
  client.publish(topic, 'x', { qos: 1 })
  return got
}

describe('fault proxy between a client and the broker', () => {
  let broker: EmbeddedBroker | undefined
  let proxy: FaultProxy | undefined
  let client: MqttClient | undefined
  afterEach(async () => {
    if (client) await endClient(client, true)
    await proxy?.close()
    await broker?.close()
    client = proxy = broker = undefined
  })

  it('half-open link: the client notices through keepalive, reconnects when the link returns, and works again', async () => {
    broker = await startBroker()
    proxy = await startFaultProxy({ target: { host: broker.host, port: broker.port } })
    client = await connectMqtt({ url: proxy.url }, { protocolVersion: 4, keepalive: 1, reconnectPeriod: 200 })
    let closes = 0
    let connects = 0
    const errors: string[] = []
    client.on('error', (e) => errors.push(e.message))
    client.on('close', () => closes++)
    client.on('connect', () => connects++)
    expect(await echo(client, 'probe/1')).toBe(true)
    // Stop forwarding in both directions without closing anything: the socket stays "connected".
    proxy.setLink('both', { hold: true })
    expect(await until(() => closes > 0, 5000)).toBe(true) // PINGRESP never came: keepalive gave up
    expect(await until(() => errors.includes('Keepalive timeout'), 2000)).toBe(true)
    proxy.setLink('both', undefined)
    expect(await until(() => connects > 0 && client!.connected, 5000)).toBe(true)
    expect(await echo(client, 'probe/2')).toBe(true)
  })

  it('loss: a chunk drops its connection with the given probability; the client reconnects', async () => {
    broker = await startBroker()
    proxy = await startFaultProxy({ target: { host: broker.host, port: broker.port }, rng: new Mulberry32(7) })
    client = await connectMqtt({ url: proxy.url }, { protocolVersion: 4, reconnectPeriod: 100 })
    let closes = 0
    client.on('error', () => {})
    client.on('close', () => closes++)
    proxy.setLoss(1)
    client.publish('probe/loss', 'x', { qos: 0 })
    expect(await until(() => closes > 0, 3000)).toBe(true)
    expect(proxy.stats().lost).toBeGreaterThan(0)
    proxy.setLoss(0)
    expect(await until(() => client!.connected, 3000)).toBe(true)
    expect(await echo(client, 'probe/after-loss')).toBe(true)
    expect(() => proxy!.setLoss(2)).toThrow(/probability from 0 to 1/)
  })
})
