/**
 * Acceptance: the fleet against a real MQTT 5 broker (Mosquitto). Gateways negotiate MQTT 5, answer
 * the MQTT 5 properties convention (Response Topic + Correlation Data echoed), a stock MQTT 5 client
 * (mosquitto_rr) gets a correct reply, and the retained registry lists the fleet.
 * Skipped, with the reason in the suite name, when mosquitto is not installed.
 */
import { randomUUID } from 'node:crypto'
import type { IPublishPacket, MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fleetLayout, startSimulation, type Simulation } from '../simulator/fleet.ts'
import { connectMqtt, endClient } from '../core/mqtt-connect.ts'
import { getProfile } from '../simulator/profiles.ts'
import { decodeBareReply, REGISTRY_FILTER, requestTopic, type RpcOutcome } from '../core/protocol.ts'
import { findExecutable, mosquittoAvailable, runCommand, startMosquitto, type MosquittoBroker } from './support/mosquitto.ts'

const skipReason = mosquittoAvailable()
const suiteName = skipReason === undefined ? 'fleet on Mosquitto (MQTT 5)' : `fleet on Mosquitto (MQTT 5) [skipped: ${skipReason}]`

const DEVICES = 6
const GATEWAYS = 2
const SEED = 7
const REPLY_TIMEOUT_MS = 3000

interface Reply {
  payload: Buffer
  packet: IPublishPacket
}

/** Sends one MQTT 5 properties-convention request and resolves with the reply carrying the same correlation data. */
function call5(client: MqttClient, responseTopic: string, deviceId: string, verb: string, params: unknown, correlation: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const onMessage = (topic: string, payload: Buffer, packet: IPublishPacket): void => {
      const corr = packet.properties?.correlationData
      if (topic !== responseTopic || corr === undefined || !Buffer.from(corr).equals(correlation)) return
      cleanup()
      resolve({ payload, packet })
    }
    const timer = setTimeout(() => {
      cleanup()
      reject(new Error(`no reply to ${verb} on ${deviceId} (correlation ${correlation.toString()}) within ${REPLY_TIMEOUT_MS} ms`))
    }, REPLY_TIMEOUT_MS)
    const cleanup = (): void => {
      clearTimeout(timer)
      client.off('message', onMessage)
    }
    client.on('message', onMessage)
    client.publish(requestTopic(deviceId, verb), JSON.stringify(params), { qos: 1, properties: { responseTopic, correlationData: correlation } }, (err) => {
      if (err) {
        cleanup()
        reject(err)
      }
    })
  })
}

describe.skipIf(skipReason !== undefined)(suiteName, () => {
  let broker: MosquittoBroker | undefined
  let sim: Simulation | undefined

  beforeAll(async () => {
    broker = await startMosquitto()
    sim = await startSimulation(
      { devices: DEVICES, gateways: GATEWAYS, profile: getProfile('ble-default')!, seed: SEED },
      { external: { url: broker.url } },
    )
  })

  afterAll(async () => {
    await sim?.close()
    await broker?.stop()
  })

  it('gateways negotiate MQTT 5 with Mosquitto', () => {
    expect(broker!.version).toMatch(/^\d+\.\d+/)
    expect(sim!.fleet.gateways).toHaveLength(GATEWAYS)
    for (const g of sim!.fleet.gateways) expect(g.protocolVersion, g.id).toBe(5)
  })

  it('answers info, open, read and a device error via Response Topic + Correlation Data', async () => {
    const client = await connectMqtt({ url: broker!.url }, { protocolVersion: 5 })
    try {
      const responseTopic = `fleet/reply/test-${randomUUID()}`
      await client.subscribeAsync(responseTopic, { qos: 1 })

      // info: the reply arrives on the response topic with the exact correlation bytes, payload = result object
      const corr = Buffer.from('corr-123')
      const info = await call5(client, responseTopic, 'ble-0001', 'info', {}, corr)
      expect(info.packet.topic).toBe(responseTopic)
      expect(Buffer.from(info.packet.properties!.correlationData!).equals(corr)).toBe(true)
      const infoBody = JSON.parse(info.payload.toString('utf8')) as Record<string, unknown>
      expect(infoBody).toMatchObject({ deviceId: 'ble-0001', gatewayId: 'gw-1', state: 'disconnected' })
      expect(decodeBareReply(info.payload)).toEqual({ ok: true, result: infoBody })

      // binary correlation data (not valid UTF-8) must come back byte for byte
      const binary = Buffer.from([0x00, 0xff, 0x10, 0x80, 0xfe])
      const info2 = await call5(client, responseTopic, 'ble-0004', 'info', {}, binary)
      expect(Buffer.from(info2.packet.properties!.correlationData!).equals(binary)).toBe(true)
      expect(decodeBareReply(info2.payload)).toMatchObject({ ok: true, result: { deviceId: 'ble-0004', gatewayId: 'gw-2' } })

      // open, then read the battery characteristic
      const opened = decodeBareReply((await call5(client, responseTopic, 'ble-0002', 'open', {}, Buffer.from('open-1'))).payload)
      expect(opened).toMatchObject({ ok: true, result: { state: 'connected' } })
      const read = decodeBareReply((await call5(client, responseTopic, 'ble-0002', 'read', { characteristic: 'battery' }, Buffer.from('read-1'))).payload)
      expect(read.ok, JSON.stringify(read)).toBe(true)
      expect((read as Extract<RpcOutcome, { ok: true }>).result).toMatchObject({ characteristic: '2a19', value: expect.stringMatching(/^[0-9a-f]{2}$/) })

      // read on a device that was never opened: {"error":{"code":"not_connected",...}}
      const err = await call5(client, responseTopic, 'ble-0006', 'read', {}, Buffer.from('read-2'))
      const errBody = JSON.parse(err.payload.toString('utf8')) as { error?: { code?: unknown; message?: unknown } }
      expect(errBody.error?.code).toBe('not_connected')
      expect(typeof errBody.error?.message).toBe('string')
      expect(decodeBareReply(err.payload)).toMatchObject({ ok: false, error: { code: 'not_connected' } })
      expect(Buffer.from(err.packet.properties!.correlationData!).toString()).toBe('read-2')
    } finally {
      await endClient(client)
    }
  })

  it('mosquitto_rr (a stock MQTT 5 client) gets a correct info reply', async (ctx) => {
    const rr = findExecutable('mosquitto_rr')
    if (rr === undefined) {
      ctx.skip('mosquitto_rr not found (install mosquitto-clients)')
      return
    }
    const args = ['-h', broker!.host, '-p', String(broker!.port), '-V', 'mqttv5',
      '-t', 'fleet/ble-0001/rpc/info', '-e', `fleet/reply/rr-test-${process.pid}`, '-m', '{}', '-W', '5']
    const r = await runCommand(rr, args, 8000)
    expect(r.timedOut, `mosquitto_rr timed out; stderr: ${r.stderr}`).toBe(false)
    expect(r.code, `mosquitto_rr failed; stderr: ${r.stderr}`).toBe(0)
    const body = JSON.parse(r.stdout.trim()) as Record<string, unknown>
    expect(body).toMatchObject({ deviceId: 'ble-0001', gatewayId: 'gw-1' })
  })

  it('publishes one retained registry message per gateway listing exactly the fleet devices', async () => {
    const client = await connectMqtt({ url: broker!.url }, { protocolVersion: 5 })
    try {
      const seen = new Map<string, Array<{ retain: boolean; body: { gatewayId: string; devices: string[]; protocolVersion: number; conventions: string[] } }>>()
      let notify: (() => void) | undefined
      client.on('message', (topic, payload, packet) => {
        if (payload.length === 0) return
        const list = seen.get(topic) ?? []
        list.push({ retain: packet.retain, body: JSON.parse(payload.toString('utf8')) })
        seen.set(topic, list)
        notify?.()
      })
      const all = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`registry: got ${[...seen.keys()].join(', ') || 'nothing'} within ${REPLY_TIMEOUT_MS} ms`)), REPLY_TIMEOUT_MS)
        notify = () => {
          if (seen.size >= GATEWAYS) {
            clearTimeout(timer)
            resolve()
          }
        }
      })
      await client.subscribeAsync(REGISTRY_FILTER, { qos: 1 })
      await all
      await new Promise((r) => setTimeout(r, 200)) // let any duplicate arrive before counting

      const layout = fleetLayout(DEVICES, GATEWAYS)
      expect([...seen.keys()].sort()).toEqual(layout.map((l) => `fleet/gateways/${l.gatewayId}`).sort())
      for (const l of layout) {
        const msgs = seen.get(`fleet/gateways/${l.gatewayId}`)!
        expect(msgs, l.gatewayId).toHaveLength(1)
        const { retain, body } = msgs[0]!
        expect(retain).toBe(true)
        expect(body.gatewayId).toBe(l.gatewayId)
        expect(body.devices).toEqual(l.deviceIds)
        expect(body.protocolVersion).toBe(5)
        expect(body.conventions).toContain('mqtt5')
      }
      const listed = [...seen.values()].flatMap((m) => m[0]!.body.devices).sort()
      const fleetDevices = sim!.fleet.gateways.flatMap((g) => [...g.devices.keys()]).sort()
      expect(listed).toEqual(fleetDevices)
      expect(listed).toHaveLength(DEVICES)
    } finally {
      await endClient(client)
    }
  })
})
