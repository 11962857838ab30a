import { describe, expect, it } from 'vitest'
import { ManualClock, onClock } from '../../test/support/manual-clock.ts'
import { FakeRpcClient, type FakeClientOptions } from '../../test/support/fake-client.ts'
import type { UserPlan } from './types.ts'
import { runUsers } from './users.ts'

const plan = (userIndex: number, ...ids: string[]): UserPlan => ({ userIndex, devices: ids.map((deviceId) => ({ deviceId, gatewayId: 'gw' })) })

function start(plans: UserPlan[], durationMs: number, strategy: string, tuning: Omit<FakeClientOptions, 'kind' | 'clock'> = {}) {
  const clock = new ManualClock()
  const made: FakeRpcClient[] = []
  const promise = runUsers(plans, { kind: 'closed-calls', durationMs }, {
    strategy,
    strategyOptions: {},
    roundTimeoutMs: 1_000,
    clock,
    makeClient: (kind) => {
      const client = new FakeRpcClient({ kind, clock, ...tuning })
      made.push(client)
      return client
    },
  })
  const finish = onClock(clock, promise)
  return { clock, made, finish }
}

describe('load model closed-calls', () => {
  it('runs every device chain back to back with no round barrier: one call per device in flight', async () => {
    // d1 answers in 10 ms, d2 in 25 ms: with rounds d1 would wait for d2; here it does not
    const latency = (device: string): number => (device === 'd1' ? 10 : 25)
    const run = start([plan(0, 'd1', 'd2')], 100, 'multiplexed', { latencyMs: { open: latency, read: latency, close: latency } })
    const r = await run.finish()
    const client = run.made[0]!
    const opens = (id: string): number[] => client.calls.filter((c) => c.deviceId === id && c.verb === 'open').map((c) => c.at)
    expect(opens('d1')).toEqual([0, 30, 60, 90]) // 30 ms chains, started while before 100 ms
    expect(opens('d2')).toEqual([0, 75]) // 75 ms chains
    expect(r).toMatchObject({ rounds: 0, elapsedMs: 150, counts: { sent: 18, ok: 18 } })
    expect(r.clients.peakInFlight).toBe(2)
    expect(client.closed).toBe(true)
  })

  it('gives each chain its own deadline, start + roundTimeoutMs', async () => {
    const run = start([plan(0, 'd1')], 1_500, 'multiplexed', { defaultLatencyMs: 600 })
    await run.finish()
    expect(run.made[0]!.calls.map((c) => [c.verb, c.at, c.deadline])).toEqual([
      ['open', 0, 1_000],
      ['read', 600, 1_000],
      // the read timed out at 1,000, so the chain sent no close and the next chain began at once
      ['open', 1_000, 2_000],
      ['read', 1_600, 2_000],
    ])
  })

  it('pauses 1 ms after a chain that took no time, so failing calls cannot spin', async () => {
    const run = start([plan(0, 'd1')], 5, 'multiplexed', { defaultLatencyMs: 0 })
    const r = await run.finish()
    expect(r).toMatchObject({ elapsedMs: 5, counts: { sent: 15, ok: 15 } })
  })

  it('starts no chain once stopped; chains in progress finish', async () => {
    const stop = new AbortController()
    const clock = new ManualClock()
    const made: FakeRpcClient[] = []
    const done = runUsers([plan(0, 'd1', 'd2')], { kind: 'closed-calls', durationMs: 1_000 }, {
      strategy: 'multiplexed',
      strategyOptions: {},
      roundTimeoutMs: 1_000,
      clock,
      signal: stop.signal,
      makeClient: (kind) => {
        const client = new FakeRpcClient({ kind, clock, defaultLatencyMs: 10 })
        made.push(client)
        return client
      },
    })
    await clock.advance(45) // second chains in progress: their reads were sent at 40
    stop.abort()
    await clock.runAll()
    const r = await done
    expect(r).toMatchObject({ elapsedMs: 60, counts: { sent: 12, ok: 12 } })
  })

  it('refuses a strategy that only runs rounds, and closes its clients', async () => {
    const run = start([plan(0, 'd1')], 10, 'serial')
    await expect(run.finish()).rejects.toThrow('load closed-calls needs a strategy that keeps one call per device in flight (multiplexed); serial runs rounds only')
    expect(run.made.every((c) => c.closed)).toBe(true)
  })
})
