import { describe, expect, it } from 'vitest'
import { createHistogram, decodeHistogram, recordUs, summarize } from '../core/histogram.ts'
import { UsageError } from '../core/cli-support.ts'
import { cellOf, channel, channelCapacityResult, latencies, resultOf, rpc } from '../test/support/results.ts'
import { detectTiming, mergeCells, mergeResults } from './merge.ts'
import { validateResult } from './read.ts'
import type { CellResult, ChannelCell } from '../core/result.ts'

/** One sample set, its two disjoint halves recorded as two results of the same cells. */
function halves(): { all: Map<string, number[]>; a: CellResult[]; b: CellResult[] } {
  const all = new Map<string, number[]>()
  const a: CellResult[] = []
  const b: CellResult[] = []
  for (const [i, id] of ['serial', 'multiplexed'].entries()) {
    const samples = latencies(5003 + i * 1000, 8_000 * (i + 1), 42 + i, 0.9)
    all.set(id, samples)
    const cut = Math.floor(samples.length * 0.37)
    a.push(cellOf({ id, labels: { strategy: id }, samples: samples.slice(0, cut), errors: { timeout: 3, 'device-error': 1 }, withSeriesHist: true }))
    b.push(cellOf({ id, labels: { strategy: id }, samples: samples.slice(cut), errors: { timeout: 5, disconnected: 2 }, withSeriesHist: true }))
  }
  return { all, a, b }
}

describe('mergeResults: exact, from disjoint halves of one sample set', () => {
  const { all, a, b } = halves()
  const A = resultOf('parallel-ble', a, { startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:01:00.000Z' })
  const B = resultOf('parallel-ble', b, { startedAt: '2026-01-01T00:00:01.000Z', finishedAt: '2026-01-01T00:01:01.000Z' })
  const merged = mergeResults([{ file: 'a.json', result: A }, { file: 'b.json', result: B }])

  it('gives the same counts and the same percentiles as one histogram of all the samples', () => {
    for (const cell of merged.cells) {
      const samples = all.get(cell.id)!
      const whole = createHistogram()
      for (const s of samples) recordUs(whole, s)
      const expected = summarize(whole)
      expect(cell.latencyUs.count).toBe(samples.length)
      expect(cell.counts.ok).toBe(samples.length)
      expect({ ...cell.latencyUs, hist: '' }).toEqual({ ...expected, hist: '' })
      // The merged histogram itself equals the whole one at every percentile the report draws.
      const h = decodeHistogram(cell.latencyUs.hist)
      for (const p of [0, 50, 75, 90, 95, 99, 99.9, 99.99, 100]) expect(h.getValueAtPercentile(p)).toBe(whole.getValueAtPercentile(p))
    }
  })

  it('adds counters and error kinds, keeps the accounting invariant, and validates', () => {
    const [ca, cb, cm] = [rpc(A.cells[0]), rpc(B.cells[0]), rpc(merged.cells[0])]
    expect(cm.counts).toEqual({ sent: ca.counts.sent + cb.counts.sent, ok: ca.counts.ok + cb.counts.ok, dropped: 0, errors: { timeout: 8, 'device-error': 1, disconnected: 2 } })
    expect(cm.rounds).toBe(ca.rounds + cb.rounds)
    expect(cm.clients.connections).toBe(8)
    expect(cm.clients.peakInFlight).toBe(50) // a peak: max, not sum
    expect(cm.broker).toEqual({ subscribe: ca.broker.subscribe + cb.broker.subscribe, unsubscribe: ca.broker.unsubscribe + cb.broker.unsubscribe, publish: ca.broker.publish + cb.broker.publish, source: 'broker' })
    expect(cm.status).toBe('ok')
    expect(() => validateResult(JSON.parse(JSON.stringify(merged)), 'merged')).not.toThrow()
    expect(merged.merged).toEqual({ timing: 'concurrent', parts: [expect.objectContaining({ file: 'a.json' }), expect.objectContaining({ file: 'b.json' })] })
  })

  it('aligns series by time: counts add per second and p99 comes from the merged interval histograms', () => {
    const cm = merged.cells[1]!
    const [sa, sb] = [A.cells[1]!.series, B.cells[1]!.series]
    expect(cm.series.map((p) => p.t)).toEqual([1, 2, 3])
    cm.series.forEach((p, i) => {
      expect(p.ok).toBe(sa[i]!.ok + sb[i]!.ok)
      expect(p.errors).toBe(sa[i]!.errors + sb[i]!.errors)
      const h = decodeHistogram(sa[i]!.hist!)
      h.add(decodeHistogram(sb[i]!.hist!))
      expect(p.p99Us).toBe(h.getValueAtPercentile(99))
    })
  })

  it('recomputes throughput from the merged counts over the shared elapsed time (concurrent parts)', () => {
    const cm = rpc(merged.cells[0])
    expect(cm.elapsedMs).toBe(3000)
    expect(cm.throughput.callsPerSec).toBe(Math.round((cm.counts.ok / 3) * 100) / 100)
    expect(cm.throughput.roundsPerSec).toBe(Math.round((cm.rounds / 3) * 100) / 100)
  })

  it('adds elapsed time and chains series for parts that ran one after another', () => {
    const later = { ...B, startedAt: '2026-01-01T00:02:00.000Z', finishedAt: '2026-01-01T00:03:00.000Z' }
    expect(detectTiming([A, later])).toBe('sequential')
    expect(detectTiming([A, B])).toBe('concurrent')
    const seq = mergeResults([{ file: 'a.json', result: A }, { file: 'b.json', result: later }])
    const cm = seq.cells[0]!
    expect(seq.merged?.timing).toBe('sequential')
    expect(cm.elapsedMs).toBe(6000)
    expect(cm.throughput.callsPerSec).toBe(Math.round((cm.counts.ok / 6) * 100) / 100)
    expect(cm.series.map((p) => p.t)).toEqual([1, 2, 3, 4, 5, 6])
    expect(seq.startedAt).toBe(A.startedAt)
    expect(seq.finishedAt).toBe(later.finishedAt)
  })

  it('re-evaluates thresholds on the merged cells and recomputes findings when given the scenario function', () => {
    const withThresholds = { ...A, options: { thresholds: ['multiplexed:errorRate<1%', 'serial:p99<1ms'] } }
    const m = mergeResults([{ file: 'a', result: withThresholds }, { file: 'b', result: B }], { findings: (cells) => [`${cells.length} cells merged`] })
    expect(m.thresholds.map((t) => [t.expr, t.pass])).toEqual([['multiplexed:errorRate<1%', true], ['serial:p99<1ms', false]])
    expect(m.findings).toEqual(['2 cells merged'])
  })
})

describe('mergeResults refuses what it cannot merge exactly', () => {
  const { a, b } = halves()
  const A = resultOf('parallel-ble', a)
  it.each([
    ['a different scenario', resultOf('channel-capacity', b), /^cannot merge: a\.json is a parallel-ble result but b\.json is a channel-capacity result$/],
    ['different cells', resultOf('parallel-ble', [b[0]!, { ...b[1]!, id: 'batch' }]), /^cannot merge: a\.json and b\.json have different cells \(only in the first: multiplexed; only in the second: batch\)$/],
    ['fewer cells', resultOf('parallel-ble', [b[0]!]), /different cells \(only in the first: multiplexed; only in the second: -\)/],
    ['different labels', resultOf('parallel-ble', [b[0]!, { ...b[1]!, labels: { strategy: 'other' } }]), /^cannot merge: cell multiplexed has different labels/],
  ])('%s', (_name, other, message) => {
    const merge = (): unknown => mergeResults([{ file: 'a.json', result: A }, { file: 'b.json', result: other }])
    expect(merge).toThrow(UsageError)
    expect(merge).toThrow(message)
  })

  it('one result alone', () => {
    expect(() => mergeResults([{ file: 'a.json', result: A }])).toThrow(/at least two/)
  })
})

describe('mergeCells on channel-capacity cells (optional fields)', () => {
  const one = channel(channelCapacityResult(1).cells.find((c) => c.id === 'cap-10-block'))
  const two = channel(channelCapacityResult(2).cells.find((c) => c.id === 'cap-10-block'))
  const ch = (c: CellResult): ChannelCell['channel'] => channel(c).channel

  it('adds channel counters, keeps peaks as maxima and the configuration as is; blocking merges by histogram', () => {
    const bigger: ChannelCell = { ...two, channel: { ...ch(two), maxQueueDepth: 99, peakRssBytes: 1 } }
    const m = channel(mergeCells([one, bigger], 'concurrent'))
    expect(ch(m)).toMatchObject({ capacity: 10, policy: 'block', produced: ch(one).produced + ch(two).produced, maxQueueDepth: 99, peakRssBytes: ch(one).peakRssBytes })
    expect(m.blockingUs.count).toBe(one.blockingUs.count + two.blockingUs.count)
    const both = decodeHistogram(one.blockingUs.hist)
    both.add(decodeHistogram(two.blockingUs.hist))
    expect(m.blockingUs.p99).toBe(both.getValueAtPercentile(99))
    expect(m.latencyUncorrectedUs.count).toBe(one.latencyUncorrectedUs.count + two.latencyUncorrectedUs.count)
  })

  it('keeps queue depth per second as a maximum', () => {
    const m = mergeCells([one, two], 'concurrent')
    const depth = (c: CellResult): unknown[] => c.series.map((p) => (p as { queueDepth?: number }).queueDepth)
    expect(depth(m)).toEqual(depth(one).map((d, i) => Math.max(d as number, depth(two)[i] as number)))
  })

  it('refuses parts whose capacity differs', () => {
    const other = { ...two, channel: { ...ch(two), capacity: 11 } } as CellResult
    expect(() => mergeCells([one, other], 'concurrent')).toThrow(/channel\.capacity differs between the results \(10 vs 11\)/)
  })

  it('marks the worse status and keeps every error message', () => {
    const m = mergeCells([{ ...one, status: 'deadlock', error: 'pump stalled' }, two], 'sequential')
    expect(m.status).toBe('deadlock')
    expect(m.error).toBe('pump stalled')
  })
})
