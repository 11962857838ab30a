import { describe, expect, it } from 'vitest'
import { accountingError } from '../../core/accounting.ts'
import { publishedAccounting } from './accounting.ts'
import { StreamTracker } from './streams.ts'

/** A tracker that received these (seq, n) pairs on stream 0 (and nothing else). */
function received(pairs: ReadonlyArray<readonly [number, number]>, streams = 1): StreamTracker {
  const t = new StreamTracker(streams, 4)
  for (const [seq, n] of pairs) t.record(0, seq, n)
  return t
}

const cell = (counts: ReturnType<typeof publishedAccounting>['counts']) => ({ id: 'x', counts })

describe('telemetry accounting from both sides', () => {
  it('tracks duplicates and grows past its first size', () => {
    const t = new StreamTracker(2, 4)
    expect(t.record(1, 1, 0)).toBe(true)
    expect(t.record(1, 1, 0)).toBe(false)
    expect(t.record(1, 100, 99)).toBe(true)
    expect(t.total).toBe(2)
    expect(t.duplicates).toBe(1)
    expect(t.received()[1]![99]).toBe(100)
  })

  it('every sample: gaps are lost, a missing tail is undelivered, sent = ok + errors', () => {
    const t = received([[1, 0], [2, 1], [4, 3], [5, 4], [7, 6]])
    const a = publishedAccounting('every-sample', [{ samples: 10, published: 10 }], t.received())
    expect(a.counts).toEqual({ sent: 10, ok: 5, dropped: 0, errors: { lost: 2, undelivered: 3 } })
    expect(a.messagesMissed).toBe(5)
    expect(accountingError(cell(a.counts))).toBeUndefined()
  })

  it('every sample: nothing received is all undelivered; everything received is all ok', () => {
    const none = publishedAccounting('every-sample', [{ samples: 4, published: 4 }], new StreamTracker(1).received())
    expect(none.counts).toEqual({ sent: 4, ok: 0, dropped: 0, errors: { lost: 0, undelivered: 4 } })
    const all = publishedAccounting('every-sample', [{ samples: 3, published: 3 }], received([[3, 2], [1, 0], [2, 1]]).received())
    expect(all.counts).toEqual({ sent: 3, ok: 3, dropped: 0, errors: { lost: 0, undelivered: 0 } })
  })

  it('report by exception: every change received means every sample known', () => {
    const d = { samples: 20, published: 3, changesAt: Int32Array.from([0, 7, 15]) }
    const a = publishedAccounting('on-change', [d], received([[1, 0], [2, 7], [3, 15]]).received())
    expect(a.counts).toEqual({ sent: 20, ok: 20, dropped: 0, errors: { lost: 0, undelivered: 0 } })
    expect(a.messagesMissed).toBe(0)
  })

  it('report by exception: a lost change leaves its samples wrong until the next change arrives, or to the end', () => {
    // Changes at samples 0, 7, 10, 15 of 20; the change at 7 is lost (wrong 7..9), and the last one (wrong 15..19).
    const d = { samples: 20, published: 4, changesAt: Int32Array.from([0, 7, 10, 15]) }
    const a = publishedAccounting('on-change', [d], received([[1, 0], [3, 10]]).received())
    expect(a.counts).toEqual({ sent: 20, ok: 12, dropped: 0, errors: { lost: 3, undelivered: 5 } })
    expect(a.messagesMissed).toBe(2)
    expect(accountingError(cell(a.counts))).toBeUndefined()
    // The first change lost: the caller has no value until the next one.
    const first = publishedAccounting('on-change', [d], received([[2, 7], [3, 10], [4, 15]]).received())
    expect(first.counts.errors).toEqual({ lost: 7, undelivered: 0 })
  })

  it('adds streams up and refuses mismatched sides', () => {
    const t = new StreamTracker(2, 4)
    t.record(0, 1, 0)
    t.record(1, 2, 1)
    const a = publishedAccounting('every-sample', [{ samples: 1, published: 1 }, { samples: 2, published: 2 }], t.received())
    expect(a.counts).toEqual({ sent: 3, ok: 2, dropped: 0, errors: { lost: 1, undelivered: 0 } })
    expect(() => publishedAccounting('every-sample', [{ samples: 1, published: 1 }], t.received())).toThrow(/one caller stream per device stream/)
    expect(() => publishedAccounting('on-change', [{ samples: 1, published: 1 }], new StreamTracker(1).received())).toThrow(/sample index of every change/)
  })
})
