import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../test/support/manual-clock.ts'
import type { CallResult } from '../clients/types.ts'
import { deviceError, FakeRpcClient, type FakeClientOptions } from '../../test/support/fake-client.ts'
import { CallRecorder } from '../engine/recorder.ts'
import { createHistogram, recordUs, summarize, type Histogram } from '../../core/histogram.ts'
import type { DeviceTarget } from '../engine/types.ts'
import { configureStrategy } from './registry.ts'
import { STRATEGY_NAMES, type StrategyName } from './types.ts'

const d = (deviceId: string, gatewayId: string): DeviceTarget => ({ deviceId, gatewayId })
const DEVICES = [d('d1', 'gw-a'), d('d2', 'gw-a'), d('d3', 'gw-b')]
const FIVE = [...DEVICES, d('d4', 'gw-b'), d('d5', 'gw-a')]

type FakeTuning = Omit<FakeClientOptions, 'kind' | 'clock'>

function harness(name: StrategyName, devices: readonly DeviceTarget[], tuning: FakeTuning = {}, raw: Record<string, unknown> = {}) {
  const clock = new ManualClock()
  const clients: FakeRpcClient[] = []
  const run = configureStrategy(name, raw).create({
    devices,
    clock,
    makeClient: (kind, index) => {
      const client = new FakeRpcClient({ kind, clock, ...tuning })
      clients[index] = client
      return client
    },
  })
  const rec = new CallRecorder({ series: { clock } })
  /** Plays one round to its end; resolves with its makespan. */
  const round = async (deadline: number): Promise<number> => {
    const start = clock.now()
    let end = Number.NaN
    const done = run.runRound(deadline, rec).then(() => {
      end = clock.now()
    })
    await clock.runAll() // also runs late replies after a timeout
    await done
    return end - start
  }
  return { clock, clients, run, rec, round }
}

/** `device:verb` of every call (batch items count one each), in send order. */
function sent(clients: readonly FakeRpcClient[]): string[] {
  const all = clients.flatMap((c) => [
    ...c.calls.map((x) => ({ at: x.at, key: `${x.deviceId}:${x.verb}` })),
    ...c.batches.flatMap((b) => b.items.map((i) => ({ at: b.at, key: `${i.device}:${i.verb}` }))),
  ])
  return all.sort((a, b) => a.at - b.at).map((x) => x.key)
}

function histOf(valuesUs: readonly number[]): Histogram {
  const h = createHistogram()
  for (const v of valuesUs) recordUs(h, v)
  return h
}

const failOpenOf = (id: string) => (deviceId: string, verb: string): CallResult | undefined =>
  deviceId === id && verb === 'open' ? deviceError('connect_timeout') : undefined

describe.each(STRATEGY_NAMES)('strategy %s', (name) => {
  it('makes open, read and close per device when everything succeeds', async () => {
    const h = harness(name, DEVICES)
    await h.run.setup()
    await h.round(1_000)
    expect(sent(h.clients).sort()).toEqual(['d1:close', 'd1:open', 'd1:read', 'd2:close', 'd2:open', 'd2:read', 'd3:close', 'd3:open', 'd3:read'])
    expect(h.rec.counts()).toMatchObject({ sent: 9, ok: 9, dropped: 0 })
    expect(h.rec.errorTotal).toBe(0)
    expect(h.rec.latency.totalCount).toBe(9)
    const reads = h.clients.flatMap((c) => [
      ...c.calls.filter((x) => x.verb === 'read').map((x) => x.params),
      ...c.batches.flatMap((b) => b.items.filter((i) => i.verb === 'read').map((i) => i.params)),
    ])
    expect(reads).toEqual([{ characteristic: 'battery' }, { characteristic: 'battery' }, { characteristic: 'battery' }])
  })

  it('skips read and close after a failed open', async () => {
    const h = harness(name, DEVICES, { fail: failOpenOf('d2') })
    await h.run.setup()
    await h.round(1_000)
    expect(sent(h.clients).filter((k) => k.startsWith('d2:'))).toEqual(['d2:open'])
    expect(sent(h.clients)).toHaveLength(7)
    expect(h.rec.counts()).toMatchObject({ sent: 7, ok: 6, errors: { 'device-error': 1 } })
    expect(h.rec.deviceErrors()).toEqual({ connect_timeout: 1 })
    expect(h.rec.pending).toBe(0)
  })

  it('reconnects a torn-down client before the next round', async () => {
    const h = harness(name, DEVICES)
    await h.run.setup()
    for (const c of h.clients) c.teardown()
    await h.round(1_000)
    expect(h.rec.counts()).toMatchObject({ sent: 9, ok: 9 })
    expect(h.run.stats()).toMatchObject({ connections: 2 * h.clients.length, protocolViolations: h.clients.length })
  })

  it('starts no call once the deadline has passed, and counts none of those', async () => {
    const h = harness(name, DEVICES)
    await h.run.setup()
    await h.round(0)
    expect(sent(h.clients)).toEqual([])
    expect(h.rec.counts().sent).toBe(0)
  })
})

describe('serial', () => {
  it('runs one call at a time, devices in order', async () => {
    const h = harness('serial', DEVICES)
    await h.run.setup()
    expect(await h.round(1_000)).toBe(90)
    expect(h.clients).toHaveLength(1)
    expect(h.clients[0]?.kind).toBe('mqttnet')
    expect(h.clients[0]?.calls.map((c) => `${c.at} ${c.deviceId}:${c.verb}`)).toEqual([
      '0 d1:open', '10 d1:read', '20 d1:close', '30 d2:open', '40 d2:read', '50 d2:close', '60 d3:open', '70 d3:read', '80 d3:close',
    ])
    expect(h.run.stats().peakInFlight).toBe(1)
  })

  it('stops at the deadline: the call in flight times out and nothing follows', async () => {
    const h = harness('serial', DEVICES)
    await h.run.setup()
    expect(await h.round(25)).toBe(25)
    expect(sent(h.clients)).toEqual(['d1:open', 'd1:read', 'd1:close'])
    expect(h.rec.counts()).toMatchObject({ sent: 3, ok: 2, errors: { timeout: 1 } })
  })
})

describe('pool', () => {
  it('deals devices round-robin to K serial clients', async () => {
    const h = harness('pool', FIVE, {}, { poolSize: 2 })
    await h.run.setup()
    expect(await h.round(1_000)).toBe(90)
    expect(h.clients.map((c) => c.kind)).toEqual(['mqttnet', 'mqttnet'])
    expect(h.clients.map((c) => [...new Set(c.calls.map((x) => x.deviceId))])).toEqual([['d1', 'd3', 'd5'], ['d2', 'd4']])
    expect(h.clients.map((c) => c.stats().peakInFlight)).toEqual([1, 1])
    expect(h.clients.flatMap((c) => c.calls).filter((x) => x.at === 0)).toHaveLength(2)
    expect(h.run.stats()).toMatchObject({ connections: 2, peakInFlight: 1 })
    expect(h.rec.counts().sent).toBe(15)
  })

  it('never opens more clients than the user has devices', async () => {
    const h = harness('pool', DEVICES, {}, { poolSize: 8 })
    expect(configureStrategy('pool', { poolSize: 8 }).clientsPerUser(DEVICES.length)).toBe(3)
    await h.run.setup()
    expect(await h.round(1_000)).toBe(30)
    expect(h.clients).toHaveLength(3)
  })
})

describe.each(['naive-parallel', 'multiplexed'] as const)('%s', (name) => {
  it('runs every device chain at once on one client', async () => {
    const h = harness(name, DEVICES)
    await h.run.setup()
    expect(await h.round(1_000)).toBe(30)
    expect(h.clients.map((c) => c.kind)).toEqual([name === 'multiplexed' ? 'multiplexed' : 'mqttnet'])
    const at = (verb: string) => h.clients[0]?.calls.filter((c) => c.verb === verb).map((c) => c.at)
    expect([at('open'), at('read'), at('close')]).toEqual([[0, 0, 0], [10, 10, 10], [20, 20, 20]])
    expect(h.run.stats().peakInFlight).toBe(3)
  })

  it('shares one deadline: calls in flight time out together and no close is sent', async () => {
    const h = harness(name, DEVICES)
    await h.run.setup()
    expect(await h.round(15)).toBe(15)
    expect(h.rec.counts()).toMatchObject({ sent: 6, ok: 3, errors: { timeout: 3 } })
    expect(h.clients[0]?.count('close')).toBe(0)
  })
})

describe('naive-parallel teardown', () => {
  it('fails the pending calls, records later calls as disconnected, and reconnects next round', async () => {
    const h = harness('naive-parallel', DEVICES)
    await h.run.setup()
    h.clock.setTimeout(() => h.clients[0]?.teardown(), 15)
    await h.round(1_000)
    // opens ok at 10; reads in flight fail at 15; closes go to a client that is down
    expect(h.rec.counts()).toMatchObject({ sent: 9, ok: 3, errors: { 'protocol-violation': 3, disconnected: 3 } })
    await h.round(h.clock.now() + 1_000)
    expect(h.rec.counts()).toMatchObject({ sent: 18, ok: 12 })
    expect(h.run.stats()).toMatchObject({ connections: 2, protocolViolations: 1, disconnectedCalls: 3 })
  })

  it('retries a refused reconnect every 100 ms until the deadline, then starts no call', async () => {
    let refuse = false
    const h = harness('naive-parallel', DEVICES, { refuseConnect: () => refuse })
    await h.run.setup()
    h.clients[0]?.teardown()
    refuse = true
    await h.round(1_000)
    expect(h.rec.counts()).toMatchObject({ sent: 0, ok: 0, errors: { disconnected: 0 } })
    // setup, then attempts at 0, 100, …, 900 ms of the round
    expect(h.clients[0]?.connectCalls).toBe(11)
  })
})

describe('batch', () => {
  const steps = (clients: readonly FakeRpcClient[]) =>
    clients.flatMap((c) => c.batches.map((b) => `${b.at} ${b.gatewayId} ${b.items.map((i) => `${i.device}:${i.verb}`).join(',')}`))

  it('sends one batch per gateway per step, gateways concurrently', async () => {
    const h = harness('batch', DEVICES)
    await h.run.setup()
    expect(await h.round(1_000)).toBe(30)
    expect(h.clients.map((c) => c.kind)).toEqual(['multiplexed'])
    expect(steps(h.clients)).toEqual([
      '0 gw-a d1:open,d2:open', '0 gw-b d3:open',
      '10 gw-a d1:read,d2:read', '10 gw-b d3:read',
      '20 gw-a d1:close,d2:close', '20 gw-b d3:close',
    ])
    expect(h.clients[0]?.count()).toBe(0)
  })

  it('carries only the opened devices in read and close batches', async () => {
    const h = harness('batch', DEVICES, { fail: failOpenOf('d2') })
    await h.run.setup()
    await h.round(1_000)
    expect(steps(h.clients).slice(2)).toEqual(['10 gw-a d1:read', '10 gw-b d3:read', '20 gw-a d1:close', '20 gw-b d3:close'])
  })

  it('counts every item of a timed-out batch as a timeout, with the batch latency', async () => {
    const h = harness('batch', DEVICES, { latencyMs: { batch: (gw) => (gw === 'gw-a' ? 50 : 10) } })
    await h.run.setup()
    await h.round(40)
    // gw-a's open batch (2 items) times out at 40; gw-b's three steps take 10 ms each
    expect(h.rec.counts()).toMatchObject({ sent: 5, ok: 3, errors: { timeout: 2 } })
    expect(summarize(h.rec.latency)).toEqual(summarize(histOf([10_000, 10_000, 10_000])))
  })

  it('counts items missing from a short batch reply as bad-reply', async () => {
    const clock = new ManualClock()
    const client = new FakeRpcClient({ kind: 'multiplexed', clock })
    const short = async (): Promise<CallResult[]> => [{ ok: true, result: {} }]
    Object.defineProperty(client, 'batch', { value: short })
    const run = configureStrategy('batch').create({ devices: DEVICES.slice(0, 2), clock, makeClient: () => client })
    const rec = new CallRecorder()
    await run.setup()
    await run.runRound(1_000, rec)
    // open: d1 ok, d2 missing; read and close: d1 only
    expect(rec.counts()).toMatchObject({ sent: 4, ok: 3, errors: { 'bad-reply': 1 } })
  })

  it('refuses a client without batch()', () => {
    const clock = new ManualClock()
    const ctx = { devices: DEVICES, clock, makeClient: () => new FakeRpcClient({ kind: 'mqttnet', clock }) }
    expect(() => configureStrategy('batch').create(ctx)).toThrow('strategy batch needs a client with batch(); got a mqttnet client without it')
  })
})
