/** reconnect-storm's bookkeeping, caller, options and findings, exact (hand-fed events, fake client, ManualClock). */
import { describe, expect, it } from 'vitest'
import { accountingError } from '../../core/accounting.ts'
import { encodeHistogram } from '../../core/histogram.ts'
import { Mulberry32 } from '../../core/rng.ts'
import type { RecoveryCell } from '../../core/result.ts'
import { CallRecorder } from '../../loadgen/engine/recorder.ts'
import { RandomCaller } from '../../loadgen/storm/random-caller.ts'
import { evaluateThresholds } from '../../reports/thresholds.ts'
import { FakeRpcClient } from '../../test/support/fake-client.ts'
import { ManualClock } from '../../test/support/manual-clock.ts'
import { resolveOptions } from '../run.ts'
import { recoveryCellResult } from './cell-result.ts'
import { stormFindings } from './findings.ts'
import { reconnectStorm } from './index.ts'
import { stormCells } from './options.ts'
import { RecoveryBook } from './recovery-book.ts'

/** Three gateways: a restart at 1000, the broker back at 2000; gw-3 never comes back. */
function book(): RecoveryBook {
  const b = new RecoveryBook(3)
  b.subscribed('gw-1', 500, 10) // before the fault: not a recovery
  b.fault(1000)
  for (const [gw, at] of [['gw-1', 1100], ['gw-2', 1200], ['gw-3', 1300], ['gw-1', 2050], ['gw-2', 2100], ['gw-3', 2150], ['gw-2', 3400]] as const) b.attempt(gw, at)
  b.back(2000)
  b.connected('gw-1', 2060, 10)
  b.subscribed('gw-1', 2080, 10)
  b.connected('gw-2', 3420, 20)
  b.subscribed('gw-2', 3500, 10)
  b.subscribed('gw-2', 3600, 10) // a second time: counted once
  return b
}

describe('the recovery book', () => {
  it('times each gateway from the broker back up, counts CONNECTs per second and subscriptions restored', () => {
    const b = book()
    expect(b.recovered).toBe(2)
    expect(b.allRecoveredAt).toBeUndefined()
    const s = b.stats('broker-restart', 1000, 2000 + 5000, { calls: 50, failed: 20 })
    expect(s).toMatchObject({ gateways: 3, recovered: 2, downtimeMs: 1000, attempts: 7, peakAttemptsPerSec: 3, filtersRestored: 20, recoveryWindowMs: 5000, callsDuringRecovery: 50, callsFailedDuringRecovery: 20 })
    expect(s.recoveryUs.count).toBe(2)
    expect(s.recoveryUs.min).toBeGreaterThanOrEqual(79_000)
    expect(s.recoveryUs.max).toBeLessThanOrEqual(1_501_000)
    expect(s.connackUs.count).toBe(2)
    b.destroy()
  })

  it('ends its window at the last recovery once every gateway is back', () => {
    const b = book()
    b.subscribed('gw-3', 4000, 10)
    expect(b.allRecoveredAt).toBe(4000)
    expect(b.stats('cut', 1000, 9999, { calls: 0, failed: 0 }).recoveryWindowMs).toBe(2000)
    b.destroy()
  })
})

describe('the random caller', () => {
  it('starts rate calls per second on seeded random devices without waiting, and records every one', async () => {
    const clock = new ManualClock()
    const client = new FakeRpcClient({ kind: 'multiplexed', clock, defaultLatencyMs: 300 })
    await client.connect()
    const rec = new CallRecorder({ series: { clock } })
    const caller = new RandomCaller({ client, deviceIds: ['a', 'b', 'c'], rate: 10, timeoutMs: 1000, clock, rng: new Mulberry32(3), rec })
    caller.start()
    await clock.advance(1000)
    const stopping = caller.stop()
    await clock.runAll()
    await stopping
    // Calls at 0, 100, …, 900 and the one due at 1000: each 300 ms long, so several were in flight at once.
    expect(rec.counts()).toMatchObject({ sent: 11, ok: 11 })
    expect(new Set(client.calls.map((c) => c.deviceId)).size).toBeGreaterThan(1)
    expect(caller.between(0, 500)).toEqual({ calls: 5, failed: 0 })
    expect(accountingError({ id: 'x', counts: rec.counts() })).toBeUndefined()
    rec.destroy()
  })
})

describe('reconnect-storm options, findings and thresholds', () => {
  it('gives one cell per pacing and refuses bad input in one line', () => {
    const o = resolveOptions(reconnectStorm, { connectRate: '1000,0,100' }, false)
    expect(stormCells(o).map((c) => c.id)).toEqual(['connect-rate-0', 'connect-rate-100', 'connect-rate-1000'])
    expect(resolveOptions(reconnectStorm, {}, true)).toMatchObject({ gateways: 200, devicesPerGateway: 5 })
    expect(() => resolveOptions(reconnectStorm, { fault: 'flood' }, false)).toThrow(/--fault must be one of broker-restart, cut/)
    expect(() => reconnectStorm.validate!(resolveOptions(reconnectStorm, { callTimeout: '2m', recoveryTimeout: '1m' }, false))).toThrow(/--call-timeout \(120000 ms\) must be shorter than --recovery-timeout/)
  })

  it('says what pacing cost and bought, from the cells, and fails a cell whose gateways did not all come back', () => {
    const b0 = book()
    b0.subscribed('gw-3', 2200, 10)
    const burst = recoveryCellResult({ id: 'connect-rate-0', labels: { connectRate: 0 }, connectRate: 0 }, part(b0.stats('broker-restart', 1000, 2200, { calls: 10, failed: 4 })), undefined)
    const b1 = book()
    const paced = recoveryCellResult({ id: 'connect-rate-1', labels: { connectRate: 1 }, connectRate: 1 }, part(b1.stats('broker-restart', 1000, 7000, { calls: 10, failed: 9 })), undefined)
    const lines = stormFindings([burst, paced])
    expect(lines[0]).toMatch(/^connect-rate-0 \(all at once\): the broker was down for 1\.0 s; all 3 gateways had every subscription back/)
    expect(lines[1]).toMatch(/^connect-rate-1 \(paced at 1 connects\/s\): .*only 2 of 3 gateways recovered before the deadline \(1 never did\)/)
    const outcomes = evaluateThresholds(reconnectStorm.thresholds(resolveOptions(reconnectStorm, {}, false)), [burst, paced])
    expect(outcomes.map((t) => [t.cell, t.pass])).toEqual([['connect-rate-0', true], ['connect-rate-1', false]])
    for (const c of [burst, paced]) expect(accountingError(c)).toBeUndefined()
  })
})

function part(stats: RecoveryCell['recovery']) {
  const rec = new CallRecorder()
  rec.recordSent(2)
  rec.recordResult({ ok: true, result: 1 }, 1000)
  rec.recordResult({ ok: false, kind: 'timeout', message: 'late' }, 1000)
  const latency = encodeHistogram(rec.latency)
  rec.destroy()
  return { counts: rec.counts(), deviceErrors: {}, latency, series: [], elapsedMs: 1000, stats }
}
