/**
 * How a fleet connects, over real sockets on the embedded broker: the conventions it serves decide
 * its filters and its registry; SUBSCRIBEs go through fleet-wide permits; connects go through the
 * pacer; a lost connection comes back through the jittered backoff (timed on a ManualClock, so the
 * waits are exact) and every gateway is attempted → connected → subscribed again.
 */
import type { MqttClient } from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { backoffMs, type BackoffRange } from '../core/backoff.ts'
import { connectMqtt, endClient } from '../core/mqtt-connect.ts'
import * as wire from '../core/protocol.ts'
import { deriveRng } from '../core/rng.ts'
import { ManualClock } from '../test/support/manual-clock.ts'
import type { AedesOptions } from 'aedes'
import type { ConnectionObserver } from './connection-observer.ts'
import { startSimulation, type FleetOptions, type Simulation } from './fleet.ts'
import { isGatewayClient } from './observe/broker-hooks.ts'
import { PROFILES } from './profiles.ts'

type Event = [kind: 'attempt' | 'connected' | 'subscribed' | 'lost', gateway: string, at: number]

class Log implements ConnectionObserver {
  readonly events: Event[] = []
  attempt(g: string, at: number): void {
    this.events.push(['attempt', g, at])
  }
  connected(g: string, at: number): void {
    this.events.push(['connected', g, at])
  }
  subscribed(g: string, at: number): void {
    this.events.push(['subscribed', g, at])
  }
  lost(g: string, at: number): void {
    this.events.push(['lost', g, at])
  }
  of(g: string): Event[] {
    return this.events.filter((e) => e[1] === g)
  }
  kinds(g: string): string[] {
    return this.of(g).map((e) => e[0])
  }
  count(kind: Event[0], g?: string): number {
    return this.events.filter((e) => e[0] === kind && (g === undefined || e[1] === g)).length
  }
}

const SEED = 11
const base = { profile: PROFILES.instant!, seed: SEED } as const
let sim: Simulation | undefined
const clients: MqttClient[] = []
afterEach(async () => {
  for (const c of clients.splice(0)) await endClient(c, true)
  await sim?.close()
  sim = undefined
})

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

async function client(): Promise<MqttClient> {
  const c = await connectMqtt({ url: sim!.brokerUrl }, { protocolVersion: 4 })
  clients.push(c)
  return c
}

/** The retained registry messages, by gateway id. */
async function registries(n: number): Promise<Map<string, { conventions: string[] }>> {
  const c = await client()
  const seen = new Map<string, { conventions: string[] }>()
  c.on('message', (t, p) => void (p.length > 0 && seen.set(t.split('/')[2]!, JSON.parse(p.toString()))))
  await c.subscribeAsync(wire.REGISTRY_FILTER, { qos: 1 })
  await until(`${n} registry messages`, () => seen.size === n)
  return seen
}

function replyTo(c: MqttClient, topic: string, send: () => void, ms = 2000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => (c.off('message', on), resolve(undefined)), ms)
    const on = (t: string, p: Buffer): void => {
      if (t !== topic) return
      clearTimeout(timer)
      c.off('message', on)
      resolve(p.toString())
    }
    c.on('message', on)
    send()
  })
}

/** Filters the gateways asked the broker for, counted in its authorizeSubscribe hook. */
function filterCounter(): { hooks: Pick<AedesOptions, 'authorizeSubscribe'>; filters: () => number } {
  let n = 0
  return {
    hooks: { authorizeSubscribe: (client, sub, done) => ((client && isGatewayClient(client.id) && n++), done(null, sub)) },
    filters: () => n,
  }
}

describe('conventions decide the filters and the registry', () => {
  it('all three by default: six filters per device; envelope alone: one, and MQTTnet requests reach no gateway', async () => {
    const everything = filterCounter()
    sim = await startSimulation({ ...base, devices: 6, gateways: 2 }, { embedded: { hooks: everything.hooks } })
    expect(everything.filters()).toBe(2 * (1 + 3 * 6))
    expect([...(await registries(2)).values()].map((r) => r.conventions)).toEqual([['envelope', 'mqttnet'], ['envelope', 'mqttnet']])
    await sim.close()

    const envelope = filterCounter()
    sim = await startSimulation({ ...base, devices: 6, gateways: 2, conventions: ['envelope'] }, { embedded: { hooks: envelope.hooks } })
    expect(envelope.filters()).toBe(2 * (1 + 3))
    expect(sim.fleet.gateways.map((g) => g.filterCount)).toEqual([4, 4])
    expect([...(await registries(2)).values()].map((r) => r.conventions)).toEqual([['envelope'], ['envelope']])
    const c = await client()
    await c.subscribeAsync(['fleet/reply/t', 'MQTTnet.RPC/+/+/response'], { qos: 1 })
    const env = await replyTo(c, 'fleet/reply/t', () => c.publish(wire.requestTopic('ble-0004', 'info'), JSON.stringify({ id: 1, replyTo: 'fleet/reply/t' }), { qos: 1 }))
    expect(JSON.parse(env!)).toMatchObject({ id: 1, ok: true, result: { deviceId: 'ble-0004' } })
    const topic = wire.mqttnetRequestTopic('c1', 'ble-0004', 'info')
    expect(await replyTo(c, wire.mqttnetResponseTopic(topic), () => c.publish(topic, '{}', { qos: 1 }), 300)).toBeUndefined()
    expect(sim.fleet.stats().received).toBe(1)
  })

  it('a convention the fleet does not serve is refused with bad_request, naming what it serves', async () => {
    sim = await startSimulation({ ...base, devices: 2, gateways: 1, conventions: ['mqtt5', 'mqttnet'] })
    const c = await client()
    await c.subscribeAsync('fleet/reply/t', { qos: 1 })
    const reply = await replyTo(c, 'fleet/reply/t', () => c.publish(wire.requestTopic('ble-0001', 'info'), JSON.stringify({ id: 'x', replyTo: 'fleet/reply/t' }), { qos: 1 }))
    expect(JSON.parse(reply!)).toEqual({ id: 'x', ok: false, error: { code: 'bad_request', message: 'gateway gw-1 does not serve the envelope convention (the fleet serves --conventions mqtt5,mqttnet)' } })
    expect(sim.fleet.stats().bad.bad_request).toBe(1)
  })
})

describe('subscribing with fleet-wide flow control', () => {
  /** Gateways whose SUBSCRIBE the broker is working on at once (each filter held 3 ms in authorizeSubscribe). */
  function busyGateways(): { hooks: Pick<AedesOptions, 'authorizeSubscribe'>; peak: () => number; packets: () => number } {
    const pending = new Map<string, number>()
    let peak = 0
    let packets = 0
    const authorizeSubscribe: AedesOptions['authorizeSubscribe'] = (client, sub, done) => {
      const id = client?.id ?? ''
      if (!isGatewayClient(id)) return done(null, sub)
      const before = pending.get(id) ?? 0
      if (before === 0) packets++
      pending.set(id, before + 1)
      peak = Math.max(peak, [...pending.values()].filter((n) => n > 0).length)
      setTimeout(() => (pending.set(id, pending.get(id)! - 1), done(null, sub)), 3)
    }
    return { hooks: { authorizeSubscribe }, peak: () => peak, packets: () => packets }
  }
  const fleet = { ...base, devices: 12 * 1000, gateways: 12, conventions: ['envelope'], connectRate: 0 } satisfies Partial<FleetOptions>

  it('12 gateways × 3 SUBSCRIBEs with 3 permits: never more than 3 gateways subscribing at once', async () => {
    const busy = busyGateways()
    sim = await startSimulation({ ...fleet, subscribeWindow: 3 }, { embedded: { hooks: busy.hooks } })
    expect(busy.packets()).toBe(12 * 3) // 1,001 filters each: 500 + 500 + 1
    expect(busy.peak()).toBe(3)
    expect(sim.fleet.connection.subscribing.peak).toBe(3)
    expect(sim.fleet.readyCount()).toBe(12)
  })

  it('without the bound the same fleet has more gateways subscribing at once (the test can see a flood)', async () => {
    const busy = busyGateways()
    sim = await startSimulation({ ...fleet, subscribeWindow: 1000 }, { embedded: { hooks: busy.hooks } })
    expect(busy.peak()).toBeGreaterThan(3)
  })
})

describe('paced connects and reconnects with jittered backoff (ManualClock)', () => {
  it('--connect-rate 10/s: the gateways\' CONNECTs go 100 ms apart on the fleet\'s clock', async () => {
    const clock = new ManualClock(0)
    const log = new Log()
    const starting = startSimulation({ ...base, devices: 3, gateways: 3, clock, connectRate: 10, connections: log })
    await until('the first connect', () => log.count('subscribed') === 1)
    await clock.advance(100)
    await until('the second connect', () => log.count('subscribed') === 2)
    await clock.advance(100)
    sim = await starting
    expect(log.events.filter((e) => e[0] === 'attempt')).toEqual([['attempt', 'gw-1', 0], ['attempt', 'gw-2', 100], ['attempt', 'gw-3', 200]])
    expect(sim.fleet.connection.pacer.granted).toBe(3)
  })

  it('after restartBroker every gateway waits its seeded backoff draw, then attempt → connected → subscribed, registry again', async () => {
    const clock = new ManualClock(0)
    const log = new Log()
    const backoff: BackoffRange = { baseMs: 1000, capMs: 8000 }
    sim = await startSimulation({ ...base, devices: 6, gateways: 3, clock, connectRate: 0, reconnectBackoff: backoff, connections: log })
    const ids = sim.fleet.gateways.map((g) => g.id)
    await sim.restartBroker(20)
    await until('every gateway lost', () => log.count('lost') === 3)
    expect(sim.fleet.readyCount()).toBe(0)
    const waits = ids.map((id) => backoffMs(backoff, 0, deriveRng(SEED, `reconnect/${id}`)))
    await clock.advance(Math.min(...waits) - 0.001)
    expect(log.count('attempt')).toBe(3) // the first connects only
    await clock.advance(backoff.baseMs)
    await until('every gateway subscribed again', () => sim!.fleet.readyCount() === 3)
    for (const [i, id] of ids.entries()) {
      expect(log.kinds(id)).toEqual(['attempt', 'connected', 'subscribed', 'lost', 'attempt', 'connected', 'subscribed'])
      const [lost, again] = [log.of(id)[3]!, log.of(id)[4]!]
      expect(again[2] - lost[2]).toBe(waits[i])
    }
    expect((await registries(3)).size).toBe(3)
    const c = await client()
    await c.subscribeAsync('fleet/reply/t', { qos: 1 })
    const reply = await replyTo(c, 'fleet/reply/t', () => c.publish(wire.requestTopic('ble-0006', 'info'), JSON.stringify({ id: 2, replyTo: 'fleet/reply/t' }), { qos: 1 }))
    expect(JSON.parse(reply!)).toMatchObject({ id: 2, ok: true })
  })

  it('while the broker stays down the ceiling doubles per failed attempt, up to the cap; a CONNACK resets it', async () => {
    const clock = new ManualClock(0)
    const log = new Log()
    const backoff: BackoffRange = { baseMs: 1000, capMs: 3000 }
    sim = await startSimulation({ ...base, devices: 2, gateways: 1, clock, connectRate: 0, reconnectBackoff: backoff, connections: log })
    const rng = deriveRng(SEED, 'reconnect/gw-1')
    const attemptsAt = (): number[] => log.of('gw-1').filter((e) => e[0] === 'attempt').map((e) => e[2])
    const restarted = sim.restartBroker(1500)
    // Attempt n waits draw × min(3000, 1000 · 2^n); while the broker is down each is refused at once.
    const expected: number[] = [0]
    for (let n = 0; n < 3; n++) {
      await until(`loss ${n + 1}`, () => log.count('lost') === n + 1)
      const wait = backoffMs(backoff, n, rng)
      expected.push(clock.now() + wait)
      await clock.advance(wait)
      await until(`attempt ${n + 1} refused`, () => log.count('lost') === n + 2)
    }
    expect(attemptsAt()).toEqual(expected)
    await restarted
    const last = backoffMs(backoff, 3, rng) // ceiling 8000 capped at 3000
    expect(last).toBeLessThan(3000)
    expected.push(clock.now() + last)
    await clock.advance(last)
    await until('subscribed again', () => sim!.fleet.readyCount() === 1)
    expect(attemptsAt()).toEqual(expected)

    await sim.restartBroker(10)
    await until('the next loss', () => log.count('lost') === 5)
    const reset = backoffMs(backoff, 0, rng) // the CONNACK reset n: the ceiling is the base again
    expected.push(clock.now() + reset)
    await clock.advance(reset)
    await until('subscribed again', () => sim!.fleet.readyCount() === 1)
    expect(attemptsAt()).toEqual(expected)
    expect(log.kinds('gw-1')).toEqual(['attempt', 'connected', 'subscribed', 'lost', 'attempt', 'lost', 'attempt', 'lost', 'attempt', 'lost',
      'attempt', 'connected', 'subscribed', 'lost', 'attempt', 'connected', 'subscribed'])
    expect(sim.fleet.connection.pacer.granted).toBe(expected.length)
  })

  it('closing the fleet while a gateway waits out its backoff ends at once', async () => {
    const clock = new ManualClock(0)
    const log = new Log()
    sim = await startSimulation({ ...base, devices: 2, gateways: 2, clock, reconnectBackoff: { baseMs: 60_000, capMs: 60_000 }, connections: log })
    await sim.restartBroker(1)
    await until('both lost', () => log.count('lost') === 2)
    const t0 = Date.now()
    await sim.close()
    sim = undefined
    expect(Date.now() - t0).toBeLessThan(3000)
    expect(clock.pendingTimers).toBe(0)
  })
})

describe('reconnects on the real clock', () => {
  it('a short backoff brings 4 gateways back after a broker restart, each attempt → connected → subscribed', async () => {
    const log = new Log()
    sim = await startSimulation({ ...base, devices: 40, gateways: 4, reconnectBackoff: { baseMs: 20, capMs: 200 }, connections: log })
    await sim.restartBroker(100)
    await until('every gateway back', () => sim!.fleet.readyCount() === 4 && log.count('subscribed') === 8)
    for (const g of sim.fleet.gateways) {
      const kinds = log.kinds(g.id)
      expect(kinds.slice(0, 4)).toEqual(['attempt', 'connected', 'subscribed', 'lost'])
      expect(kinds.slice(-3)).toEqual(['attempt', 'connected', 'subscribed'])
      // Attempts made while the broker was down each failed: lost follows them.
      for (let i = 4; i < kinds.length - 3; i += 2) expect(kinds.slice(i, i + 2)).toEqual(['attempt', 'lost'])
    }
  })
})
