import { describe, expect, it } from 'vitest'
import type { Clock } from '../../core/clock.ts'
import { emptyClientStats } from '../../core/counters.ts'
import { accountingError } from '../../core/accounting.ts'
import { ManualClock } from '../../test/support/manual-clock.ts'
import type { CallOptions, CallResult, RpcClient } from '../clients/types.ts'
import { startPoller } from './poller.ts'

/**
 * A device behind an RPC client: the n-th read answers after `latency(n)` ms with the sample taken
 * 1 ms before it answered, a gatt_error when `fails(n)`, or a timeout at its deadline.
 */
function fakeClient(clock: Clock, latency: (n: number) => number, fails: (n: number) => boolean = () => false): RpcClient & { reads: Array<{ at: number; device: string; params: unknown; deadline: number }> } {
  const reads: Array<{ at: number; device: string; params: unknown; deadline: number }> = []
  return {
    kind: 'multiplexed', connected: true, protocolVersion: 4, reads,
    connect: async () => {},
    stats: emptyClientStats,
    close: async () => {},
    call(device: string, _verb: string, params: unknown, o: CallOptions): Promise<CallResult> {
      const n = reads.length
      reads.push({ at: clock.now(), device, params, deadline: o.deadline })
      const ms = latency(n)
      return new Promise((resolve) => {
        if (clock.now() + ms >= o.deadline) return void clock.setTimeout(() => resolve({ ok: false, kind: 'timeout', message: 'deadline' }), o.deadline - clock.now())
        clock.setTimeout(() => resolve(fails(n) ? { ok: false, kind: 'device-error', code: 'gatt_error', message: 'GATT' } : { ok: true, result: { sampledAt: clock.now() - 1 } }), ms)
      })
    },
  }
}

const IDS = ['ble-0001', 'ble-0002', 'ble-0003']

describe('rpc poller on a ManualClock', () => {
  it('reads every characteristic of every device once per period: F·T reads each, freshness from sampledAt', async () => {
    const clock = new ManualClock()
    const client = fakeClient(clock, () => 10)
    const p = startPoller({ client, clock, deviceIds: IDS, characteristics: ['battery', 'temperature'], hz: 5, startMs: 100, durationMs: 2000, seed: 1, epoch: () => clock.now() })
    await clock.runAll()
    const t = await p.done
    expect(t.counts).toEqual({ sent: 60, ok: 60, dropped: 0, errors: {} })
    expect(client.reads).toHaveLength(60)
    for (const id of IDS) {
      const mine = client.reads.filter((r) => r.device === id)
      expect(mine.map((r) => r.params)).toEqual(Array.from({ length: 10 }, () => [{ characteristic: 'battery' }, { characteristic: 'temperature' }]).flat())
      // Both characteristics at the device's phase, once per 200 ms, each due before the next period.
      mine.forEach((r, i) => expect(r.at).toBeCloseTo(mine[0]!.at + 200 * Math.floor(i / 2), 9))
      mine.forEach((r) => expect(r.deadline).toBeCloseTo(r.at + 200, 9))
    }
    // The sample was taken 1 ms before its reply arrived: 1000 µs each.
    expect(t.freshness.totalCount).toBe(60)
    expect(t.freshness.minNonZeroValue).toBe(1000)
    expect(t.freshness.maxValue).toBeLessThanOrEqual(1001)
  })

  it('counts a reply after the next period as a timeout and a device error by its code; sent = ok + errors', async () => {
    const clock = new ManualClock()
    // Every 4th read takes 250 ms (a 200 ms period at 5 Hz), every 5th answers gatt_error.
    const client = fakeClient(clock, (n) => (n % 4 === 0 ? 250 : 5), (n) => n % 5 === 1)
    const p = startPoller({ client, clock, deviceIds: IDS, characteristics: ['battery', 'temperature'], hz: 5, startMs: 0, durationMs: 1000, seed: 2, epoch: () => clock.now() })
    await clock.runAll()
    const t = await p.done
    expect(t.counts.sent).toBe(30)
    expect(t.counts.errors.timeout).toBe(8)
    expect(t.counts.errors['device-error']).toBe(t.deviceErrors.gatt_error)
    expect(t.deviceErrors.gatt_error).toBe([...Array(30).keys()].filter((n) => n % 5 === 1 && n % 4 !== 0).length)
    expect(accountingError({ id: 'rpc', counts: t.counts })).toBeUndefined()
    expect(t.freshness.totalCount).toBe(t.counts.ok)
  })

  it('drops the reads it gets to a whole period late (never sent), and stops early on stop()', async () => {
    const manual = new ManualClock()
    let lag = 0
    const clock: Clock = { now: () => manual.now() + lag, setTimeout: (fn, ms) => manual.setTimeout(fn, ms), clearTimeout: (h) => manual.clearTimeout(h) }
    const client = fakeClient(clock, () => 1)
    const p = startPoller({ client, clock, deviceIds: IDS, characteristics: ['temperature'], hz: 5, startMs: 0, durationMs: 2000, seed: 3, epoch: () => clock.now() })
    await manual.advance(1000)
    lag = 400 // the caller's event loop is now 400 ms behind: the next reads due are past their period
    await manual.advance(200)
    lag = 0
    p.stop()
    await manual.runAll()
    const t = await p.done
    expect(t.counts.dropped).toBeGreaterThan(0)
    expect(accountingError({ id: 'rpc', counts: t.counts })).toBeUndefined()
    expect(client.reads).toHaveLength(t.counts.sent - t.counts.dropped)
    expect(t.counts.sent).toBeLessThan(30)
    expect(manual.pendingTimers).toBe(0)
  })
})
