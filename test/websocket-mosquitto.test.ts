/**
 * MQTT over WebSocket against Debian's Mosquitto, started with a second listener (`listener PORT
 * 127.0.0.1` + `protocol websockets`): the fleet on TCP with callers on ws:// (MQTT 5 negotiated
 * over the WebSocket), the fleet itself on ws://, wss:// with --ca like mqtts://, and parallel-ble
 * end to end with its callers in worker threads on ws://. Skipped, with the reason in the suite
 * name, when mosquitto (or, for wss, openssl) is not installed.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { accountingError } from '../core/accounting.ts'
import { connectMqtt, type BrokerTarget } from '../core/mqtt-connect.ts'
import type { RunResult } from '../core/result.ts'
import { startSimulation, type Simulation } from '../simulator/fleet.ts'
import { PROFILES } from '../simulator/profiles.ts'
import { MultiplexedRpcClient } from '../loadgen/clients/multiplexed.ts'
import { MqttnetRpcClient } from '../loadgen/clients/mqttnet.ts'
import type { RpcClient } from '../loadgen/clients/types.ts'
import { makeTestPki, opensslAvailable, type TestPki } from './support/certs.ts'
import { deadlineIn, okResult } from './support/client-contract.ts'
import { runCli } from './support/cli.ts'
import { mosquittoAvailable, startMosquitto, type MosquittoBroker } from './support/mosquitto.ts'

const skip = mosquittoAvailable()
const skipTls = skip ?? opensslAvailable()
const DEVICES = ['ble-0001', 'ble-0002', 'ble-0003', 'ble-0004']

describe.skipIf(skip !== undefined)(`MQTT over WebSocket against Mosquitto${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  let broker: MosquittoBroker
  let sim: Simulation | undefined
  const clients: RpcClient[] = []
  const out = mkdtempSync(join(tmpdir(), 'fleetbench-ws-mosq-'))
  let seq = 0

  beforeAll(async () => {
    broker = await startMosquitto({ websockets: true })
  })
  afterAll(async () => {
    await broker?.stop()
    rmSync(out, { recursive: true, force: true })
  })
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close()
    await sim?.close()
    sim = undefined
  })

  async function connected<T extends RpcClient>(c: T): Promise<T> {
    clients.push(c)
    await c.connect()
    return c
  }

  async function openReadClose(c: RpcClient): Promise<void> {
    for (const verb of ['open', 'read', 'close'] as const) {
      const params = verb === 'read' ? { characteristic: 'battery' } : {}
      for (const r of await Promise.all(DEVICES.map((d) => c.call(d, verb, params, { deadline: deadlineIn(3000) })))) okResult(r)
    }
  }

  const fleetOn = (target: BrokerTarget): Promise<Simulation> =>
    startSimulation({ devices: 4, gateways: 2, profile: PROFILES.instant!, seed: 1 }, { external: target })

  it('serves callers on ws:// (MQTT 5 over the WebSocket) while the gateways are on TCP', async () => {
    expect(broker.wsUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/mqtt$/)
    sim = await fleetOn({ url: broker.url })
    const mux = await connected(new MultiplexedRpcClient({ broker: { url: broker.wsUrl! }, clientId: `ws-mux-${process.pid}-${++seq}` }))
    expect(mux.protocolVersion).toBe(5)
    await openReadClose(mux)
    const net = await connected(new MqttnetRpcClient({ broker: { url: broker.wsUrl! }, clientId: `ws-net-${process.pid}-${++seq}`, ackMode: 'strict' }))
    await openReadClose(net)
    expect(net.stats()).toMatchObject({ subscribes: 12, unsubscribes: 12, connections: 1, protocolViolations: 0 })
  })

  it('runs the fleet itself on ws://', async () => {
    sim = await fleetOn({ url: broker.wsUrl! })
    for (const g of sim.fleet.gateways) expect(g.protocolVersion, g.id).toBe(5)
    await openReadClose(await connected(new MultiplexedRpcClient({ broker: { url: broker.url }, clientId: `ws-mux-${process.pid}-${++seq}` })))
  })

  it('runs parallel-ble with its callers and fleet on ws://', async () => {
    const r = await runCli('cli/scenario.ts', ['parallel-ble', '--broker', broker.wsUrl!, '--devices', '8', '--gateways', '2', '--users', '2',
      '--duration', '500ms', '--timeout', '2s', '--profile', 'instant', '--strategies', 'naive-parallel,multiplexed', '--ack-mode', 'lenient', '--workers', '1', '--out', out, '--quiet'], 90_000)
    expect(r.code, r.stderr).toBe(0)
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as RunResult
    expect(result.environment.broker).toMatchObject({ kind: 'mosquitto', protocolVersion: 5, url: broker.wsUrl })
    expect(result.cells).toHaveLength(2)
    for (const c of result.cells) {
      expect(accountingError(c)).toBeUndefined()
      expect(c.counts.sent).toBeGreaterThan(0)
      expect(c.counts.ok).toBe(c.counts.sent)
    }
  }, 90_000)
})

describe.skipIf(skipTls !== undefined)(`MQTT over secure WebSocket (wss://) against Mosquitto${skipTls ? ` [skipped: ${skipTls}]` : ''}`, () => {
  let pki: TestPki
  let broker: MosquittoBroker
  let sim: Simulation | undefined
  let client: MultiplexedRpcClient | undefined

  beforeAll(async () => {
    pki = await makeTestPki()
    broker = await startMosquitto({ websockets: true, tls: { cafile: pki.ca, certfile: pki.serverCert, keyfile: pki.serverKey } })
  }, 30_000)
  afterAll(async () => {
    await client?.close()
    await sim?.close()
    await broker?.stop()
    await pki?.remove()
  })

  it('connects the fleet and a caller over wss:// with --ca, and refuses without it', async () => {
    expect(broker.wsUrl).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/mqtt$/)
    const target = { url: broker.wsUrl!, ca: pki.ca }
    await expect(connectMqtt({ url: broker.wsUrl! }, { connectTimeoutMs: 3000 })).rejects.toThrow(/certificate|self[- ]signed|unable to verify/i)
    sim = await startSimulation({ devices: 4, gateways: 2, profile: PROFILES.instant!, seed: 1 }, { external: target })
    client = new MultiplexedRpcClient({ broker: target, clientId: `wss-${process.pid}` })
    await client.connect()
    expect(okResult(await client.call('ble-0003', 'info', {}, { deadline: deadlineIn(3000) }))).toMatchObject({ deviceId: 'ble-0003', gatewayId: 'gw-2' })
  })
})
