/**
 * The locked-down embedded broker (`--auth`) over real sockets on 127.0.0.1: the legitimate path
 * works, and a rogue client is refused at every step. Each refusal test has a positive control in
 * the same window (the victim's call succeeds), so "received nothing" is never vacuous.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { IPublishPacket, MqttClient } from 'mqtt'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { accountingError } from '../core/accounting.ts'
import type { RunResult } from '../core/result.ts'
import { runCli } from './support/cli.ts'
import { deadlineIn, okResult, sleepMs, until } from './support/client-contract.ts'
import { MqttnetRpcClient } from '../loadgen/clients/mqttnet.ts'
import { MultiplexedRpcClient } from '../loadgen/clients/multiplexed.ts'
import { startSimulation, type Simulation } from '../simulator/fleet.ts'
import { connectMqtt, endClient, type BrokerTarget } from '../core/mqtt-connect.ts'
import { PROFILES } from '../simulator/profiles.ts'
import * as wire from '../core/protocol.ts'

const ALICE = { username: 'alice', password: 's3cret' }
// 4 devices on 2 gateways: gw-1 has ble-0001, ble-0002; gw-2 has ble-0003, ble-0004.

describe('locked-down embedded broker (--auth)', () => {
  let sim: Simulation
  const open: Array<{ close(): Promise<void> }> = []
  let seq = 0

  beforeAll(async () => {
    sim = await startSimulation({ devices: 4, gateways: 2, profile: PROFILES.instant!, seed: 1, protocolVersion: 4 }, { embedded: { auth: ALICE } })
  })
  afterAll(async () => {
    await sim?.close()
  })
  afterEach(async () => {
    for (const c of open.splice(0)) await c.close()
  })

  const as = (creds: { username?: string; password?: string }): BrokerTarget => ({ url: sim.brokerUrl, ...creds })

  /** A raw MQTT 3.1.1 connection that records every message and whether the broker closed it. */
  async function raw(target: BrokerTarget, clientId = `raw-${++seq}`): Promise<{ client: MqttClient; got: Array<{ topic: string; payload: string }>; closed: () => boolean }> {
    const client = await connectMqtt(target, { clientId, protocolVersion: 4 })
    const got: Array<{ topic: string; payload: string }> = []
    let closed = false
    client.on('message', (topic: string, payload: Buffer, _p: IPublishPacket) => got.push({ topic, payload: payload.toString() }))
    client.on('close', () => (closed = true))
    client.on('error', () => {})
    open.push({ close: () => endClient(client, true) })
    return { client, got, closed: () => closed }
  }

  async function victim(clientId = `victim-${++seq}`): Promise<MultiplexedRpcClient> {
    const c = new MultiplexedRpcClient({ broker: as(ALICE), clientId, protocolVersion: 4, reconnectPeriodMs: 0 })
    open.push(c)
    await c.connect()
    return c
  }

  /** Waits until `cond` holds or `ms` pass, without failing: what was (not) delivered is asserted after. */
  async function settle(cond: () => boolean, ms = 500): Promise<void> {
    await until(cond, 'settle', ms).catch(() => {})
  }

  /** SUBSCRIBE must come back as SUBACK 0x80 (failure) and leave the connection up. */
  async function expectRefusedSubscribe(client: MqttClient, filter: string): Promise<void> {
    const granted = new Promise<number[]>((resolve) => client.once('packetreceive', (p) => p.cmd === 'suback' && resolve(p.granted as number[])))
    await expect(client.subscribeAsync(filter, { qos: 1 }), filter).rejects.toThrow(/Subscribe error/)
    expect(await granted).toEqual([128])
    expect(client.connected).toBe(true)
  }

  it('lets a caller with the --auth credentials call devices, batch and MQTTnet-style, and read the registry', async () => {
    const c = await victim()
    okResult(await c.call('ble-0001', 'info', {}, { deadline: deadlineIn(2000) }))
    okResult(await c.call('ble-0004', 'open', {}, { deadline: deadlineIn(2000) }))
    const batch = await c.batch('gw-2', [{ device: 'ble-0003', verb: 'info' }], { deadline: deadlineIn(2000) })
    expect(Array.isArray(batch) && batch[0]?.ok).toBe(true)

    const m = new MqttnetRpcClient({ broker: as(ALICE), clientId: `mqttnet-${++seq}`, protocolVersion: 4 })
    open.push(m)
    await m.connect()
    okResult(await m.call('ble-0002', 'info', {}, { deadline: deadlineIn(2000) }))

    const watcher = await raw(as(ALICE))
    await watcher.client.subscribeAsync(wire.REGISTRY_FILTER, { qos: 1 })
    await until(() => watcher.got.length === 2, 'both retained registry messages')
    expect(watcher.got.map((m) => m.topic).sort()).toEqual(['fleet/gateways/gw-1', 'fleet/gateways/gw-2'])
    expect(sim.broker!.refusals()).toEqual({ connect: 0, subscribe: 0, publish: 0 })
  })

  it('refuses a wrong password, an unknown user and an anonymous client at CONNECT', async () => {
    const before = sim.broker!.refusals().connect
    await expect(connectMqtt(as({ username: 'alice', password: 'guess' }), { protocolVersion: 4 })).rejects.toMatchObject({ code: 4 })
    await expect(connectMqtt(as({ username: 'mallory', password: 's3cret' }), { protocolVersion: 4 })).rejects.toMatchObject({ code: 4 })
    await expect(connectMqtt(as({}), { protocolVersion: 4 })).rejects.toMatchObject({ code: 5 })
    // A gateway's username with the caller's password is no way in either.
    await expect(connectMqtt(as({ username: 'gateway/gw-1', password: ALICE.password }), { protocolVersion: 4 })).rejects.toMatchObject({ code: 4 })
    expect(sim.broker!.refusals().connect - before).toBe(4)
  })

  it("refuses a caller's SUBSCRIBE to another caller's replies (SUBACK 0x80), and it receives none of them", async () => {
    const v = await victim('victim-a')
    const rogue = await raw(as(ALICE))
    for (const filter of ['fleet/reply/victim-a', 'fleet/reply/victim-a/#', 'fleet/reply/+', 'fleet/reply/#', 'MQTTnet.RPC/#', 'MQTTnet.RPC/+/+/response', '#', 'fleet/+/rpc/+'])
      await expectRefusedSubscribe(rogue.client, filter)
    okResult(await v.call('ble-0001', 'info', {}, { deadline: deadlineIn(2000) }))
    okResult(await v.call('ble-0003', 'info', {}, { deadline: deadlineIn(2000) }))
    await sleepMs(50)
    expect(rogue.got).toEqual([])
  })

  it('does not deliver a caller posing as a gateway on the registry: the publish is dropped and the connection closed', async () => {
    const watcher = await raw(as(ALICE))
    await watcher.client.subscribeAsync(wire.REGISTRY_FILTER, { qos: 1 })
    await until(() => watcher.got.length === 2, 'both retained registry messages')
    const rogue = await raw(as(ALICE))
    const before = sim.broker!.refusals().publish
    rogue.client.publish(wire.registryTopic('gw-1'), JSON.stringify({ gatewayId: 'gw-1', devices: ['evil-0001'] }), { qos: 1, retain: true })
    await settle(() => rogue.closed() || watcher.got.length > 2)
    await sleepMs(50)
    expect(watcher.got.map((m) => m.payload).join('\n')).not.toMatch(/evil/)
    expect(rogue.closed()).toBe(true)
    expect(sim.broker!.refusals().publish - before).toBe(1)
    // The genuine retained registry is intact.
    const late = await raw(as(ALICE))
    await late.client.subscribeAsync(wire.registryTopic('gw-1'), { qos: 1 })
    await until(() => late.got.length === 1, 'the retained registry of gw-1')
    expect(JSON.parse(late.got[0]!.payload)).toMatchObject({ gatewayId: 'gw-1', devices: ['ble-0001', 'ble-0002'] })
  })

  it("does not deliver a forged reply to another caller's reply topic", async () => {
    const v = await raw(as(ALICE), 'victim-b')
    await v.client.subscribeAsync('fleet/reply/victim-b', { qos: 1 })
    const rogue = await raw(as(ALICE))
    rogue.client.publish('fleet/reply/victim-b', JSON.stringify({ id: 'forged', ok: true, result: 'forged' }), { qos: 1 })
    await settle(() => rogue.closed() || v.got.length > 0)
    // Positive control: a genuine request from the victim is answered on the same subscription.
    v.client.publish(wire.requestTopic('ble-0002', 'info'), JSON.stringify({ id: 'real', replyTo: 'fleet/reply/victim-b' }), { qos: 1 })
    await until(() => v.got.length >= 1, 'the genuine reply')
    await sleepMs(50)
    expect(v.got.map((m) => JSON.parse(m.payload).id)).toEqual(['real'])
    expect(rogue.closed()).toBe(true)
  })

  it("does not let a caller make a gateway reply to another caller (replyTo outside its own namespace)", async () => {
    const v = await raw(as(ALICE), 'victim-c')
    await v.client.subscribeAsync('fleet/reply/victim-c', { qos: 1 })
    const rogue = await raw(as(ALICE), 'rogue-c')
    const received = sim.fleet.stats().received
    rogue.client.publish(wire.requestTopic('ble-0001', 'info'), JSON.stringify({ id: 'reflected', replyTo: 'fleet/reply/victim-c' }), { qos: 1 })
    await settle(() => rogue.closed() || v.got.length > 0)
    v.client.publish(wire.requestTopic('ble-0001', 'info'), JSON.stringify({ id: 'real', replyTo: 'fleet/reply/victim-c' }), { qos: 1 })
    await until(() => v.got.length >= 1, 'the genuine reply')
    await sleepMs(50)
    expect(v.got.map((m) => JSON.parse(m.payload).id)).toEqual(['real'])
    expect(sim.fleet.stats().received - received).toBe(1) // the gateway never saw the reflected request
    expect(rogue.closed()).toBe(true)
  })

  it("refuses a gateway principal SUBSCRIBE to another gateway's devices, and its publishes outside its own role", async () => {
    const creds = sim.gatewayCredentials!.get('gw-1')!
    const fake = await raw(as(creds), 'fake-gw-1')
    for (const filter of [wire.deviceRequestFilter('ble-0003'), wire.mqttnetRequestFilter('ble-0004', 'open'), wire.batchTopic('gw-2'), 'fleet/reply/#'])
      await expectRefusedSubscribe(fake.client, filter)
    // Its own devices are fine: a call to gw-2's device still reaches only gw-2.
    await fake.client.subscribeAsync(wire.deviceRequestFilter('ble-0001'), { qos: 1 })
    const c = await victim()
    okResult(await c.call('ble-0003', 'info', {}, { deadline: deadlineIn(2000) }))
    await sleepMs(50)
    expect(fake.got).toEqual([])

    // Posing as gw-2 on the registry is refused too: the retained registry of gw-2 stays genuine.
    fake.client.publish(wire.registryTopic('gw-2'), '{"gatewayId":"evil"}', { qos: 1, retain: true })
    await settle(() => fake.closed())
    const late = await raw(as(ALICE))
    await late.client.subscribeAsync(wire.registryTopic('gw-2'), { qos: 1 })
    await until(() => late.got.length === 1, 'the retained registry of gw-2')
    expect(JSON.parse(late.got[0]!.payload)).toMatchObject({ gatewayId: 'gw-2' })
    expect(fake.closed()).toBe(true)
  })
})

describe('--auth on the command line', () => {
  const out = mkdtempSync(join(tmpdir(), 'fleetbench-auth-'))
  afterAll(() => rmSync(out, { recursive: true, force: true }))

  it('runs parallel-ble on a locked-down embedded broker, and keeps the password out of result.json', async () => {
    const r = await runCli('cli/scenario.ts', ['parallel-ble', '--auth', 'alice:s3cret-pw', '--devices', '8', '--gateways', '2', '--users', '2',
      '--duration', '500ms', '--timeout', '2s', '--profile', 'instant', '--strategies', 'naive-parallel,batch,multiplexed', '--ack-mode', 'lenient',
      '--workers', '1', '--out', out, '--quiet'], 90_000)
    expect(r.code, r.stderr).toBe(0)
    const text = readFileSync(join(out, 'result.json'), 'utf8')
    expect(text).not.toContain('s3cret-pw')
    const result = JSON.parse(text) as RunResult
    expect(result.options.auth).toEqual({ username: 'alice', password: '***' })
    expect(result.cells.map((c) => c.id)).toEqual(['naive-parallel', 'batch', 'multiplexed'])
    for (const c of result.cells) {
      expect(accountingError(c)).toBeUndefined()
      expect(c.counts.sent).toBeGreaterThan(0)
      expect(c.counts.ok, c.id).toBe(c.counts.sent)
    }
  }, 120_000)

  it('npm run simulator --auth serves a fleet that only the --auth user can call', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/simulator.ts', '--port', '0', '--devices', '4', '--gateways', '2', '--auth', 'alice:s3cret'],
      { stdio: ['ignore', 'pipe', 'pipe'] })
    try {
      let text = ''
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not ready: ${text}`)), 15_000)
        child.stdout.on('data', (d) => {
          text += d
          const m = /broker\s+(mqtt:\/\/\S+)/.exec(text)
          if (m && text.includes('ready.')) {
            clearTimeout(timer)
            resolve(m[1]!)
          }
        })
      })
      expect(text).toMatch(/auth +locked down: callers log in as alice/)
      expect(text).not.toContain('s3cret')
      await expect(connectMqtt({ url }, { protocolVersion: 4 })).rejects.toMatchObject({ code: 5 })
      const c = new MultiplexedRpcClient({ broker: { url, ...ALICE }, clientId: 'cli-caller', protocolVersion: 4, reconnectPeriodMs: 0 })
      await c.connect()
      expect(okResult(await c.call('ble-0004', 'info', {}, { deadline: deadlineIn(2000) }))).toMatchObject({ gatewayId: 'gw-2' })
      await c.close()
    } finally {
      const exit = new Promise((resolve) => child.on('close', resolve))
      child.kill('SIGINT')
      await exit
    }
  }, 30_000)
})
