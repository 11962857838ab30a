import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../test/support/manual-clock.ts'
import { ERROR_KINDS, type CallResult } from '../clients/types.ts'
import { createHistogram, recordUs, summarize } from '../../core/histogram.ts'
import { checkAccounting, CallRecorder } from './recorder.ts'
import { emptyCounts } from './types.ts'

const OK: CallResult = { ok: true, result: {} }
const fail = (kind: (typeof ERROR_KINDS)[number], code?: string): CallResult => ({ ok: false, kind, code, message: kind })

describe('CallRecorder', () => {
  it('counts each sent call once and each result as exactly one outcome', () => {
    const clock = new ManualClock(0)
    const rec = new CallRecorder({ series: { clock } })
    rec.recordSent(1)
    rec.recordSent(4) // a batch of four items
    expect(rec.pending).toBe(5)
    rec.recordResult(OK, 1_500)
    rec.recordResult(OK, 2_500)
    rec.recordResult(fail('device-error', 'out_of_range'), 9_000)
    rec.recordResult(fail('device-error'), 9_000)
    rec.recordResult(fail('timeout'), 50_000)
    rec.recordDropped(2)
    expect(rec.counts()).toEqual({
      sent: 5,
      ok: 2,
      dropped: 2,
      errors: { ...emptyCounts(ERROR_KINDS).errors, 'device-error': 2, timeout: 1 },
    })
    expect(rec.pending).toBe(-2)
    expect(rec.errorTotal).toBe(3)
    expect(rec.deviceErrors()).toEqual({ out_of_range: 1, unknown: 1 })
    rec.destroy()
  })

  it('keeps the latency of successful calls only, in the histogram and the series', async () => {
    const clock = new ManualClock(0)
    const rec = new CallRecorder({ series: { clock, intervalMs: 1_000 } })
    rec.recordSent(3)
    rec.recordResult(OK, 1_500)
    await clock.advance(1_000)
    rec.recordResult(OK, 2_500)
    rec.recordResult(fail('timeout'), 50_000)
    const expected = createHistogram()
    recordUs(expected, 1_500)
    recordUs(expected, 2_500)
    expect(summarize(rec.latency)).toEqual(summarize(expected))
    expect(rec.series.snapshot().map(({ t, ok, errors }) => ({ t, ok, errors }))).toEqual([
      { t: 1, ok: 1, errors: 0 },
      { t: 2, ok: 1, errors: 1 },
    ])
    rec.destroy()
  })

  it('counts a fresh counts() copy, not a live view', () => {
    const rec = new CallRecorder()
    const before = rec.counts()
    rec.recordSent()
    rec.recordResult(fail('cancelled'), 1)
    expect(before.sent).toBe(0)
    expect(before.errors.cancelled).toBe(0)
    expect(rec.counts().errors.cancelled).toBe(1)
    rec.destroy()
  })
})

describe('checkAccounting', () => {
  it('passes when sent = ok + errors + dropped', () => {
    const rec = new CallRecorder()
    rec.recordSent(3)
    rec.recordResult(OK, 1)
    rec.recordResult(fail('disconnected'), 1)
    rec.recordDropped()
    expect(() => checkAccounting(rec.counts())).not.toThrow()
    rec.destroy()
  })

  it('fails with the numbers when a call is left pending', () => {
    const rec = new CallRecorder()
    rec.recordSent(3)
    rec.recordResult(OK, 1)
    rec.recordResult(fail('timeout'), 1)
    expect(() => checkAccounting(rec.counts(), 'cell pool-8')).toThrow(
      'accounting invariant broken in cell pool-8: sent 3 ≠ ok 1 + errors 1 + dropped 0 = 2 (1 call(s) left pending); ' +
        'every sent call must end as exactly one of ok, an error or dropped',
    )
    rec.destroy()
  })

  it('fails when a broken recorder is fed results for calls never sent', () => {
    const rec = new CallRecorder()
    rec.recordSent(1)
    rec.recordResult(OK, 1)
    rec.recordResult(fail('bad-reply'), 1)
    expect(() => checkAccounting(rec.counts())).toThrow(
      'accounting invariant broken in slice: sent 1 ≠ ok 1 + errors 1 + dropped 0 = 2 (1 more result(s) than calls sent)',
    )
    rec.destroy()
  })
})
