/**
 * MQTT over WebSocket on the embedded broker: callers on ws:// while the gateways stay on TCP, the
 * fleet itself on ws://, a connection routed via a proxy (`via`) while the URL names the broker,
 * the listener kept across a broker restart and closed with the broker, and `npm run simulator
 * --ws-port`. Mosquitto's websockets listener is in websocket-mosquitto.test.ts.
 */
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { connectMqtt, endClient, type BrokerTarget } from '../core/mqtt-connect.ts'
import { startBroker, type EmbeddedBroker } from '../simulator/broker.ts'
import { startSimulation, type Simulation } from '../simulator/fleet.ts'
import { MultiplexedRpcClient } from '../loadgen/clients/multiplexed.ts'
import { MqttnetRpcClient } from '../loadgen/clients/mqttnet.ts'
import type { RpcClient } from '../loadgen/clients/types.ts'
import { deadlineIn, fixedProfile, okResult, startTestSim, until } from './support/client-contract.ts'
import { runCli } from './support/cli.ts'

const DEVICES = ['ble-0001', 'ble-0002', 'ble-0005', 'ble-0008']

/** A plain TCP forwarder on 127.0.0.1:0 that counts the connections it carried. */
async function forwarder(port: number): Promise<{ host: string; port: number; connections: () => number; close(): Promise<void> }> {
  let connections = 0
  const sockets = new Set<net.Socket>()
  const server = net.createServer({ noDelay: true }, (down) => {
    connections++
    const up = net.createConnection({ host: '127.0.0.1', port, noDelay: true })
    for (const s of [down, up]) {
      sockets.add(s)
      s.on('error', () => undefined)
      s.on('close', () => sockets.delete(s))
    }
    down.pipe(up).pipe(down)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    host: '127.0.0.1',
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    }),
  }
}

describe('MQTT over WebSocket on the embedded broker', () => {
  let sim: Simulation | undefined
  let broker: EmbeddedBroker | undefined
  const clients: RpcClient[] = []
  const closers: Array<() => Promise<void>> = []
  let seq = 0

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close()
    for (const close of closers.splice(0).reverse()) await close()
    await sim?.close()
    await broker?.close()
    sim = undefined
    broker = undefined
  })

  async function connected<T extends RpcClient>(c: T): Promise<T> {
    clients.push(c)
    await c.connect()
    return c
  }
  const multiplexed = (target: BrokerTarget): Promise<MultiplexedRpcClient> => connected(new MultiplexedRpcClient({ broker: target, clientId: `ws-mux-${process.pid}-${++seq}`, protocolVersion: 4 }))
  const mqttnet = (target: BrokerTarget): Promise<MqttnetRpcClient> => connected(new MqttnetRpcClient({ broker: target, clientId: `ws-net-${process.pid}-${++seq}`, ackMode: 'strict', protocolVersion: 4 }))

  /** open → read → close on DEVICES, all at once, each call answered by its own device. */
  async function openReadClose(c: RpcClient): Promise<void> {
    for (const verb of ['open', 'read', 'close'] as const) {
      const params = verb === 'read' ? { characteristic: 'battery' } : {}
      const results = await Promise.all(DEVICES.map((d) => c.call(d, verb, params, { deadline: deadlineIn(3000) })))
      for (const r of results) okResult(r)
    }
  }

  it('serves a multiplexed caller on ws:// (gateways on TCP): one response subscription for all its calls', async () => {
    sim = await startTestSim(fixedProfile({}), { wsPort: 0 })
    const ws = sim.broker!.wsUrl!
    expect(ws).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/mqtt$/)
    expect(ws).not.toContain(`:${sim.broker!.port}/`)
    const before = sim.broker!.counts()
    const c = await multiplexed({ url: ws })
    await openReadClose(c)
    const info = okResult(await c.call('ble-0008', 'info', {}, { deadline: deadlineIn(3000) }))
    expect(info).toMatchObject({ deviceId: 'ble-0008', gatewayId: 'gw-2', state: 'disconnected' })
    const after = sim.broker!.counts()
    expect(after.subscribe - before.subscribe).toBe(1)
    expect(after.unsubscribe - before.unsubscribe).toBe(0)
    expect(after.connect - before.connect).toBe(1)
    expect(c.stats()).toMatchObject({ connections: 1, protocolViolations: 0, lateReplies: 0 })
  })

  it('serves an MQTTnet-style caller on ws://: SUBSCRIBE, PUBLISH, UNSUBSCRIBE per call, strict acks, no teardown', async () => {
    sim = await startTestSim(fixedProfile({}), { wsPort: 0 })
    const before = sim.broker!.counts()
    const c = await mqttnet({ url: sim.broker!.wsUrl! })
    await openReadClose(c)
    const calls = DEVICES.length * 3
    const after = sim.broker!.counts()
    expect(after.subscribe - before.subscribe).toBe(calls)
    expect(after.unsubscribe - before.unsubscribe).toBe(calls)
    expect(c.stats()).toMatchObject({ subscribes: calls, unsubscribes: calls, connections: 1, protocolViolations: 0 })
  })

  it('runs the fleet itself on ws://, and callers of both conventions with it', async () => {
    broker = await startBroker({ wsPort: 0 })
    const gatewaysAt = broker.counts().connect
    sim = await startSimulation({ devices: 8, gateways: 2, profile: fixedProfile({}), seed: 1, protocolVersion: 4 }, { external: { url: broker.wsUrl! } })
    expect(sim.broker).toBeUndefined()
    expect(sim.fleet.gateways.every((g) => g.protocolVersion === 4)).toBe(true)
    expect(broker.counts().connect - gatewaysAt).toBe(2)
    await openReadClose(await multiplexed({ url: broker.wsUrl! }))
    await openReadClose(await mqttnet({ url: broker.wsUrl! }))
  })

  it('routes a ws:// connection via a proxy (`via`) while the URL still names the broker', async () => {
    sim = await startTestSim(fixedProfile({}), { wsPort: 0 })
    const proxy = await forwarder(sim.broker!.wsPort!)
    closers.push(() => proxy.close())
    // Nothing listens on the URL's port: only the proxy leads to the broker.
    const c = await multiplexed({ url: 'ws://127.0.0.1:1/mqtt', via: { host: proxy.host, port: proxy.port } })
    okResult(await c.call('ble-0003', 'info', {}, { deadline: deadlineIn(3000) }))
    expect(proxy.connections()).toBe(1)
  })

  it('keeps the WebSocket port across a broker restart, and closes the listener with the broker', async () => {
    sim = await startTestSim(fixedProfile({}), { wsPort: 0 })
    const ws = sim.broker!.wsUrl!
    await sim.restartBroker(10)
    expect(sim.broker!.wsUrl).toBe(ws)
    const c = await connectMqtt({ url: ws }, { protocolVersion: 4 })
    await endClient(c, true)
    await sim.close()
    sim = undefined
    await expect(connectMqtt({ url: ws }, { protocolVersion: 4, connectTimeoutMs: 2000 })).rejects.toThrow(/ECONNREFUSED/)
  })

  it('answers a plain HTTP request on the WebSocket port with 426 Upgrade Required', async () => {
    broker = await startBroker({ wsPort: 0 })
    const res = await fetch(`http://127.0.0.1:${broker.wsPort!}/mqtt`)
    expect(res.status).toBe(426)
    await res.text()
  })
})

describe('npm run simulator --ws-port', () => {
  it('serves MQTT over WebSocket beside TCP and prints its URL', async () => {
    const { spawn } = await import('node:child_process')
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/simulator.ts', '--port', '0', '--ws-port', '0', '--devices', '4', '--gateways', '2', '--profile', 'instant'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    const exit = new Promise<number | null>((resolve) => child.on('close', resolve))
    try {
      await until(() => out.includes('ready.') || child.exitCode !== null, 'the simulator to be ready', 15_000)
      const ws = /^ws\s+(ws:\/\/127\.0\.0\.1:\d+\/mqtt)\s+\(MQTT over WebSocket/m.exec(out)?.[1]
      expect(ws, out).toBeDefined()
      const c = new MultiplexedRpcClient({ broker: { url: ws! }, clientId: `ws-cli-${process.pid}`, protocolVersion: 4 })
      await c.connect()
      try {
        expect(okResult(await c.call('ble-0004', 'info', {}, { deadline: deadlineIn(3000) }))).toMatchObject({ gatewayId: 'gw-2' })
      } finally {
        await c.close()
      }
    } finally {
      child.kill('SIGINT')
      expect(await exit, out).toBe(0)
    }
  }, 30_000)

  it.each([
    [['--ws-port', '70000'], /^--ws-port must be a whole number from 0 to 65535/],
    [['--port', '1884', '--ws-port', '1884'], /^--ws-port 1884 is also --port: give the WebSocket listener a port of its own/],
    [['--broker', 'mqtt://127.0.0.1:1', '--ws-port', '0'], /^--ws-port opens a WebSocket listener on the embedded broker; with --broker/],
    [['--broker', 'http://x'], /^--broker: broker URL scheme http: is not supported; use mqtt:\/\/, mqtts:\/\/, ws:\/\/ or wss:\/\/$/],
    [['--broker', 'ws://127.0.0.1:1'], /^cannot start the fleet on ws:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/],
  ])('simulator refuses %j with one line and exit 2', async (args, message) => {
    const r = await runCli('cli/simulator.ts', args, 30_000)
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr.trim().replace(/^simulator: /, '')).toMatch(message)
  })

  it('scenario refuses --broker http://x with one line naming mqtt, mqtts, ws and wss, and exit 2', async () => {
    const r = await runCli('cli/scenario.ts', ['parallel-ble', '--broker', 'http://x', '--quiet'], 30_000)
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/--broker: broker URL scheme http: is not supported; use mqtt:\/\/, mqtts:\/\/, ws:\/\/ or wss:\/\//)
  })
})
