/** Retries in every strategy, on fake clients and a ManualClock: exact attempts, waits and accounting. */
import { describe, expect, it } from 'vitest'
import { accountingError } from '../../core/accounting.ts'
import { ManualClock } from '../../test/support/manual-clock.ts'
import { deviceError, FakeRpcClient } from '../../test/support/fake-client.ts'
import { CallRecorder } from '../engine/recorder.ts'
import type { DeviceTarget } from '../engine/types.ts'
import type { CallResult } from '../clients/types.ts'
import { configureStrategy } from './registry.ts'
import { Retrier, type RetryPolicy } from './retry.ts'
import { STRATEGY_NAMES, type StrategyName } from './types.ts'

const DEVICES: DeviceTarget[] = [
  { deviceId: 'd1', gatewayId: 'gw-a' },
  { deviceId: 'd2', gatewayId: 'gw-a' },
  { deviceId: 'd3', gatewayId: 'gw-b' },
]
const POLICY: RetryPolicy = { retries: 3, baseMs: 100, capMs: 1000, on: ['timeout', 'connect_timeout', 'disconnected'] }
/** rng.next() is always 0.5: each wait is half its ceiling (50, 100, 200 ms). */
const HALF = { next: () => 0.5 }

/** d1's first two opens fail with connect_timeout, then it opens; d2's every open fails with a non-retried code. */
function failures(): (deviceId: string, verb: string) => CallResult | undefined {
  let d1Opens = 0
  return (deviceId, verb) => {
    if (verb !== 'open') return undefined
    if (deviceId === 'd1' && d1Opens++ < 2) return deviceError('connect_timeout')
    if (deviceId === 'd2') return deviceError('out_of_range')
    return undefined
  }
}

async function oneRound(name: StrategyName, policy: RetryPolicy | undefined, deadline = 5_000) {
  const clock = new ManualClock()
  const clients: FakeRpcClient[] = []
  const fail = failures()
  const run = configureStrategy(name, name === 'pool' ? { poolSize: 2 } : {}).create({
    devices: DEVICES,
    clock,
    makeClient: (kind, i) => (clients[i] = new FakeRpcClient({ kind, clock, defaultLatencyMs: 10, fail })),
  })
  const rec = new CallRecorder({ series: { clock }, retrier: policy && new Retrier(policy, HALF) })
  await run.setup()
  const done = run.runRound(deadline, rec)
  await clock.runAll()
  await done
  await run.close()
  const sends = clients.flatMap((c) => [...c.calls.map((x) => ({ at: x.at, key: `${x.deviceId}:${x.verb}` })), ...c.batches.flatMap((b) => b.items.map((i) => ({ at: b.at, key: `${i.device}:${i.verb}` })))])
  return { rec, sends, end: clock.now() }
}

describe.each(STRATEGY_NAMES)('retries in strategy %s', (name) => {
  it('retries a retryable failure after its backoff, counts attempts apart from calls, keeps both accountings', async () => {
    const { rec, sends } = await oneRound(name, POLICY)
    const counts = rec.counts()
    // Calls: 3 opens (d1 ok on its third attempt, d2 out_of_range, d3 ok), then read + close for d1 and d3.
    expect(counts).toMatchObject({ sent: 7, ok: 6, dropped: 0 })
    expect(counts.errors['device-error']).toBe(1)
    const attempts = rec.attempts()
    expect(attempts).toMatchObject({ sent: 9, ok: 6, retried: 1, retriedOk: 1 })
    expect(attempts.errors['device-error']).toBe(3)
    expect(accountingError({ id: name, counts, attempts })).toBeUndefined()
    // d1's opens: at the first attempt's end, +50 ms, then +100 ms (each 10 ms long).
    const d1 = sends.filter((s) => s.key === 'd1:open').map((s) => s.at)
    expect(d1).toHaveLength(3)
    expect(d1[1]! - d1[0]!).toBe(10 + 50)
    expect(d1[2]! - d1[1]!).toBe(10 + 100)
    // A non-retried code is tried once.
    expect(sends.filter((s) => s.key === 'd2:open')).toHaveLength(1)
  })

  it('without a policy, a failed call is never tried again', async () => {
    const { rec, sends } = await oneRound(name, undefined)
    expect(sends.filter((s) => s.key === 'd1:open')).toHaveLength(1)
    expect(rec.attempts()).toMatchObject({ sent: rec.counts().sent, retried: 0 })
  })

  it('no retry starts when its wait would reach the round deadline', async () => {
    // Deadline 55 ms: the first attempt ends at 10 (or later for serial), the wait of 50 would end at or after 55 for most.
    const { rec } = await oneRound(name, POLICY, 55)
    const a = rec.attempts()
    expect(accountingError({ id: name, counts: rec.counts(), attempts: a })).toBeUndefined()
    expect(a.retriedOk).toBe(0)
  })
})

describe('attempt timeouts', () => {
  it('a timed-out attempt is retried within the round when each attempt has its own timeout', async () => {
    const clock = new ManualClock()
    let opens = 0
    const client = new FakeRpcClient({ kind: 'multiplexed', clock, latencyMs: { open: (_d, _n) => (opens++ === 0 ? 500 : 10) }, defaultLatencyMs: 10 })
    const run = configureStrategy('multiplexed', {}).create({ devices: [DEVICES[0]!], clock, makeClient: () => client })
    const rec = new CallRecorder({ series: { clock }, retrier: new Retrier({ ...POLICY, attemptTimeoutMs: 100 }, HALF) })
    await run.setup()
    const done = run.runRound(1_000, rec)
    await clock.runAll()
    await done
    await run.close()
    expect(rec.counts()).toMatchObject({ sent: 3, ok: 3 })
    expect(rec.attempts()).toMatchObject({ sent: 4, retried: 1, retriedOk: 1 })
    expect(rec.attempts().errors.timeout).toBe(1)
    // The first open was given until 100 ms, not the round's 1000.
    expect(client.calls[0]!.deadline).toBe(100)
  })
})
