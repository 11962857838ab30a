import { afterEach, describe, expect, it, vi } from 'vitest'
import { ManualClock, onClock } from '../../test/support/manual-clock.ts'
import { createHistogram, initWasm, recordUs, summarize, summarizeEncoded } from '../../core/histogram.ts'
import { FakeRpcClient, type FakeClientOptions } from '../../test/support/fake-client.ts'
import { CallRecorder } from './recorder.ts'
import type { LoadModel, SliceProgress, UserPlan } from './types.ts'
import { runUsers, type RunUsersConfig } from './users.ts'

const plan = (userIndex: number, ...ids: string[]): UserPlan => ({ userIndex, devices: ids.map((deviceId) => ({ deviceId, gatewayId: 'gw' })) })

interface Made {
  userIndex: number
  index: number
  client: FakeRpcClient
}

function start(plans: UserPlan[], load: LoadModel, cfg: Partial<RunUsersConfig> = {}, tuning: (userIndex: number) => Omit<FakeClientOptions, 'kind' | 'clock'> = () => ({})) {
  const clock = new ManualClock()
  const made: Made[] = []
  const promise = runUsers(plans, load, {
    strategy: 'serial',
    strategyOptions: {},
    roundTimeoutMs: 1_000,
    clock,
    makeClient: (kind, userIndex, index) => {
      const client = new FakeRpcClient({ kind, clock, ...tuning(userIndex) })
      made.push({ userIndex, index, client })
      return client
    },
    ...cfg,
  })
  const finish = onClock(clock, promise)
  return { clock, made, finish }
}

/** The encoded histogram holds exactly these values (µs). */
function expectValues(b64: string, valuesUs: readonly number[]): void {
  const expected = createHistogram()
  for (const v of valuesUs) recordUs(expected, v)
  const { hist: _a, ...actual } = summarizeEncoded(b64)
  const { hist: _b, ...wanted } = summarize(expected)
  expect(actual).toEqual(wanted)
}

const openTimes = (made: readonly Made[], userIndex: number) =>
  made.filter((m) => m.userIndex === userIndex).flatMap((m) => m.client.calls.filter((c) => c.verb === 'open').map((c) => c.at))

afterEach(() => {
  vi.restoreAllMocks()
})

describe('runUsers, closed loop', () => {
  it('runs rounds back to back until the duration, then closes the clients', async () => {
    const run = start([plan(0, 'd1', 'd2')], { kind: 'closed', durationMs: 200 })
    const r = await run.finish()
    // 60 ms rounds start at 0, 60, 120, 180; none at 240
    expect(r).toMatchObject({ rounds: 4, roundsPastDeadline: 0, roundsMissed: 0, elapsedMs: 240, counts: { sent: 24, ok: 24, dropped: 0 } })
    expect(openTimes(run.made, 0)).toEqual([0, 30, 60, 90, 120, 150, 180, 210])
    expectValues(r.roundLatency, [60_000, 60_000, 60_000, 60_000])
    expectValues(r.roundLatencyUncorrected, [60_000, 60_000, 60_000, 60_000])
    expectValues(r.callLatency, Array.from({ length: 24 }, () => 10_000))
    expect(r.series.map(({ hist: _h, ...p }) => p)).toEqual([{ t: 1, ok: 24, errors: 0, p99Us: summarizeEncoded(r.callLatency).p99 }])
    expect(r.clients).toMatchObject({ connections: 1, peakInFlight: 1 })
    expect(run.made.every((m) => m.client.closed)).toBe(true)
    expect(run.clock.pendingTimers).toBe(0)
  })

  it('runs users concurrently, each with its own clients, and sums their stats', async () => {
    const run = start([plan(5, 'd1', 'd2'), plan(7, 'd3')], { kind: 'closed', durationMs: 50 }, { strategy: 'naive-parallel' })
    const r = await run.finish()
    expect(run.made.map((m) => [m.userIndex, m.index, m.client.kind])).toEqual([[5, 0, 'mqttnet'], [7, 0, 'mqttnet']])
    expect(openTimes(run.made, 5)).toEqual([0, 0, 30, 30])
    expect(openTimes(run.made, 7)).toEqual([0, 30])
    expect(r).toMatchObject({ rounds: 4, elapsedMs: 60, counts: { sent: 18, ok: 18 } })
    expect(r.clients).toMatchObject({ connections: 2, peakInFlight: 2 })
  })

  it('passes strategy options through: a pool per user', async () => {
    const run = start([plan(0, 'a', 'b', 'c'), plan(1, 'd', 'e', 'f')], { kind: 'closed', durationMs: 1 }, { strategy: 'pool', strategyOptions: { poolSize: 2 } })
    const r = await run.finish()
    expect(run.made.map((m) => [m.userIndex, m.index])).toEqual([[0, 0], [0, 1], [1, 0], [1, 1]])
    expect(r).toMatchObject({ rounds: 2, elapsedMs: 60, clients: { connections: 4, peakInFlight: 1 } })
  })

  it('gives each round its own deadline and counts rounds that ran past it', async () => {
    const run = start([plan(0, 'd1', 'd2')], { kind: 'closed', durationMs: 50 }, { roundTimeoutMs: 25 })
    const r = await run.finish()
    // each round: d1 open, read, then close times out at start + 25; d2 is never reached
    expect(r).toMatchObject({ rounds: 2, roundsPastDeadline: 2, elapsedMs: 50, counts: { sent: 6, ok: 4, errors: { timeout: 2 } } })
    expect(openTimes(run.made, 0)).toEqual([0, 25])
    expectValues(r.roundLatency, [25_000, 25_000])
    expect(r.clients.lateReplies).toBe(1) // the second late reply would come after the clients closed
  })

  it('records into WebAssembly histograms once the thread has loaded them', async () => {
    await initWasm()
    const r = await start([plan(0, 'd1', 'd2')], { kind: 'closed', durationMs: 100 }).finish()
    expect(r).toMatchObject({ rounds: 2, counts: { sent: 12, ok: 12 } })
    expectValues(r.roundLatency, [60_000, 60_000])
    expectValues(r.callLatency, Array.from({ length: 12 }, () => 10_000))
  })

  it('pauses 1 ms after a round that took no time, so an all-instant round cannot spin', async () => {
    const run = start([plan(0, 'd1')], { kind: 'closed', durationMs: 5 }, {}, () => ({ defaultLatencyMs: 0 }))
    const r = await run.finish()
    expect(r).toMatchObject({ rounds: 5, elapsedMs: 5, counts: { sent: 15, ok: 15 } })
  })

  it('reports progress when load starts and then every tickMs while rounds run', async () => {
    const ticks: SliceProgress[] = []
    const run = start([plan(0, 'd1')], { kind: 'closed', durationMs: 250 }, { tickMs: 105, onTick: (p) => ticks.push(p) })
    const r = await run.finish()
    expect(r.elapsedMs).toBe(270)
    expect(ticks).toHaveLength(3)
    // at 0, when setup is done and before the first round: the main thread times faults from it
    expect(ticks[0]).toEqual({ sent: 0, ok: 0, errors: 0, dropped: 0, rounds: 0, roundsPastDeadline: 0, elapsedMs: 0 })
    // at 105: three 30 ms rounds done, the fourth's open done and its read in flight
    expect(ticks[1]).toEqual({ sent: 11, ok: 10, errors: 0, dropped: 0, rounds: 3, roundsPastDeadline: 0, elapsedMs: 105 })
    // at 210 the tick (set at 105) runs before the seventh round's close (sent at 200) answers
    expect(ticks[2]).toMatchObject({ sent: 21, ok: 20, rounds: 6, elapsedMs: 210 })
    expect(run.clock.pendingTimers).toBe(0)
  })
})

describe('runUsers, open loop', () => {
  it('measures a late round from its intended start (coordinated omission corrected) and keeps the uncorrected makespan', async () => {
    // rounds intended every 100 ms; the very first open takes 250 ms, everything else 10 ms
    const slowFirst = () => ({ latencyMs: { open: (_device: string, nth: number) => (nth === 0 ? 250 : 10) } })
    const run = start([plan(0, 'd1')], { kind: 'open', durationMs: 500, roundsPerSec: 10 }, {}, slowFirst)
    const r = await run.finish()
    // intended 0, 100, 200, 300, 400; actual 0, 270, 300, 330, 400
    expect(openTimes(run.made, 0)).toEqual([0, 270, 300, 330, 400])
    expectValues(r.roundLatency, [270_000, 200_000, 130_000, 60_000, 30_000])
    expectValues(r.roundLatencyUncorrected, [270_000, 30_000, 30_000, 30_000, 30_000])
    expect(r).toMatchObject({ rounds: 5, roundsMissed: 0, elapsedMs: 430, counts: { sent: 15, ok: 15 } })
  })

  it('starts no round after the duration and counts the intended rounds it missed', async () => {
    const run = start([plan(0, 'd1')], { kind: 'open', durationMs: 300, roundsPerSec: 10 }, {}, () => ({ latencyMs: { open: 450 } }))
    const r = await run.finish()
    expect(r).toMatchObject({ rounds: 1, roundsMissed: 2, elapsedMs: 470 })
  })

  it('staggers users evenly across the interval', async () => {
    const run = start([plan(0, 'a'), plan(1, 'b')], { kind: 'open', durationMs: 200, roundsPerSec: 10 })
    await run.finish()
    expect([openTimes(run.made, 0), openTimes(run.made, 1)]).toEqual([[0, 100], [50, 150]])
  })

  it('staggers by userIndex across the whole cell when totalUsers is given', async () => {
    const run = start([plan(1, 'a'), plan(3, 'b')], { kind: 'open', durationMs: 100, roundsPerSec: 10 }, { totalUsers: 4 })
    await run.finish()
    expect([openTimes(run.made, 1), openTimes(run.made, 3)]).toEqual([[25], [75]])
  })
})

describe('runUsers, failures', () => {
  it('fails the slice when the accounting invariant breaks, with the numbers', async () => {
    vi.spyOn(CallRecorder.prototype, 'recordSent').mockImplementation(() => undefined)
    const run = start([plan(0, 'd1')], { kind: 'closed', durationMs: 1 })
    await expect(run.finish()).rejects.toThrow(
      'accounting invariant broken in strategy serial: sent 0 ≠ ok 3 + errors 0 + dropped 0 = 3 (3 more result(s) than calls sent)',
    )
    expect(run.made.every((m) => m.client.closed)).toBe(true)
  })

  it('fails with the user when a setup fails, and closes every client', async () => {
    const refuse = (userIndex: number) => ({ refuseConnect: () => userIndex === 1 })
    const run = start([plan(0, 'a'), plan(1, 'b'), plan(2, 'c')], { kind: 'closed', durationMs: 100 }, {}, refuse)
    await expect(run.finish()).rejects.toThrow('setting up user 1 failed: fake broker refused the connection')
    expect(run.made.map((m) => m.client.closed)).toEqual([true, true, true])
  })

  it.each([
    [{ roundTimeoutMs: 0 }, { kind: 'closed', durationMs: 1 }, 'roundTimeoutMs must be a positive number, got 0'],
    [{}, { kind: 'closed', durationMs: -1 }, 'durationMs must be a non-negative number, got -1'],
    [{}, { kind: 'open', durationMs: 1, roundsPerSec: 0 }, 'roundsPerSec must be a positive number, got 0'],
    [{ strategy: 'parallel' }, { kind: 'closed', durationMs: 1 }, 'unknown strategy "parallel"; expected one of'],
    [{ strategy: 'pool', strategyOptions: { poolSize: 0 } }, { kind: 'closed', durationMs: 1 }, 'pool-size must be a whole number from 1 to 1000, got 0'],
  ] as const)('rejects bad input: %o %o', async (cfg, load, message) => {
    const run = start([plan(0, 'a')], load, cfg)
    await expect(run.finish()).rejects.toThrow(message)
    expect(run.made).toHaveLength(0)
  })

  it('rejects a user without devices', async () => {
    await expect(start([plan(0, 'a'), plan(4)], { kind: 'closed', durationMs: 1 }).finish()).rejects.toThrow(
      'user 4 has no devices; every user needs at least one',
    )
  })
})
