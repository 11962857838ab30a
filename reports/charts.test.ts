import { describe, expect, it } from 'vitest'
import { createHistogram, encodeHistogram, recordUs } from '../core/histogram.ts'
import { channel, channelCapacityResult, latencies, parallelBleResult } from '../test/support/results.ts'
import { align, BASELINE_DASH } from './chart-spec.ts'
import { reportCharts, spectrumPoints } from './charts.ts'

const encoded = (samples: readonly number[]): string => {
  const h = createHistogram()
  for (const s of samples) recordUs(h, s)
  return encodeHistogram(h)
}

describe('spectrumPoints', () => {
  it('places p at x = 1/(1-p) with the histogram value, up to the sample count, then the maximum at x = count', () => {
    const samples = latencies(1234, 5_000, 1)
    const h = createHistogram()
    for (const s of samples) recordUs(h, s)
    const points = spectrumPoints(encodeHistogram(h))
    expect(points.map((p) => p[0])).toEqual([1, 2, 4, 10, 20, 100, 200, 1000, 1234])
    const ps = [0, 50, 75, 90, 95, 99, 99.5, 99.9]
    ps.forEach((p, i) => expect(points[i]![1]).toBe(h.getValueAtPercentile(p)))
    expect(points.at(-1)![1]).toBe(h.getValueAtPercentile(100))
  })

  it('reaches p99.999 with enough samples, and is empty for an empty histogram', () => {
    expect(spectrumPoints(encoded(latencies(200_000, 100, 2))).map((p) => p[0])).toEqual([1, 2, 4, 10, 20, 100, 200, 1000, 2000, 10000, 100000, 200000])
    expect(spectrumPoints(encoded([]))).toEqual([])
  })

  it('with one sample draws one point, its value', () => {
    expect(spectrumPoints(encoded([777]))).toEqual([[1, 777]])
  })
})

describe('align', () => {
  it('puts lines on the union of their x values with nulls where a line has no point', () => {
    const out = align([
      { line: { label: 'a', color: '#000' }, points: [[1, 5], [3, 6]] },
      { line: { label: 'b', color: '#111' }, points: [[2, 7], [3, 8]] },
    ])
    expect(out.xs).toEqual([1, 2, 3])
    expect(out.lines.map((l) => l.values)).toEqual([[5, null, 6], [null, 7, 8]])
  })
})

describe('reportCharts', () => {
  it('parallel-ble: the percentile spectrum, throughput and p99 over time, one line per cell', () => {
    const r = parallelBleResult()
    const charts = reportCharts(r)
    expect(charts.map((c) => c.id)).toEqual(['spectrum', 'throughput', 'p99'])
    for (const c of charts) {
      expect(c.lines.map((l) => l.label)).toEqual(r.cells.map((x) => x.id))
      for (const l of c.lines) expect(l.values).toHaveLength(c.xs.length)
    }
    const spectrum = charts[0]!
    expect(spectrum.x.kind).toBe('percentile')
    const mux = r.cells.find((c) => c.id === 'multiplexed')!
    const line = spectrum.lines.find((l) => l.label === 'multiplexed')!
    expect(line.values[spectrum.xs.indexOf(2)]).toBe(mux.latencyUs.p50 / 1000)
    expect(line.values[spectrum.xs.indexOf(100)]).toBe(mux.latencyUs.p99 / 1000)
    // Throughput: ok per second of the series.
    const tp = charts[1]!
    expect(tp.lines.find((l) => l.label === 'multiplexed')!.values).toEqual(mux.series.map((p) => p.ok))
  })

  it('counts a last interval cut short by the cell end over its real length', () => {
    const r = parallelBleResult()
    const cell = r.cells[1]!
    cell.elapsedMs = 2500
    const tp = reportCharts({ ...r, cells: [cell] }).find((c) => c.id === 'throughput')!
    expect(tp.lines[0]!.values).toEqual([cell.series[0]!.ok, cell.series[1]!.ok, cell.series[2]!.ok * 2])
  })

  it('overlays a baseline as dashed lines in the cell colour', () => {
    const charts = reportCharts(parallelBleResult(1), parallelBleResult(2))
    const spectrum = charts[0]!
    expect(spectrum.lines).toHaveLength(8)
    const base = spectrum.lines.find((l) => l.label === 'serial (baseline)')!
    const run = spectrum.lines.find((l) => l.label === 'serial')!
    expect(base).toMatchObject({ dash: BASELINE_DASH, color: run.color, baselineOf: 'serial' })
  })

  it('channel-capacity: blocking p50/p99/max and losses against capacity, one line per policy, and queue depth', () => {
    const r = channelCapacityResult()
    const charts = reportCharts(r)
    expect(charts.map((c) => c.id)).toEqual(['spectrum', 'throughput', 'p99', 'queue-depth', 'blocking-p50', 'blocking-p99', 'blocking-max', 'channel-losses'])
    const p99 = charts.find((c) => c.id === 'blocking-p99')!
    expect(p99.x.categories).toEqual(['0', '1', '10', '100', '1000'])
    // Only block blocked in this result; the others are named in the explanation.
    expect(p99.lines.map((l) => l.label)).toEqual(['block'])
    expect(p99.explain).toContain('never blocked: try, drop-newest, drop-oldest')
    const cap10 = channel(r.cells.find((c) => c.id === 'cap-10-block'))
    expect(p99.lines[0]!.values[2]).toBe(cap10.blockingUs.p99 / 1000)
    const losses = charts.find((c) => c.id === 'channel-losses')!
    expect(losses.lines.map((l) => l.label)).toEqual(['try: refused', 'drop-newest: dropped', 'drop-oldest: dropped'])
    expect(losses.explain).toContain('nothing lost: block')
  })

  it('channel-capacity with several faults draws one line per policy and fault', () => {
    const r = channelCapacityResult()
    for (const [i, c] of r.cells.map(channel).entries()) {
      const fault = i % 2 ? 'stall' : 'cut'
      c.labels = { ...c.labels, fault }
      c.channel.fault = fault
    }
    const p50 = reportCharts(r).find((c) => c.id === 'blocking-p50')!
    expect(p50.lines.map((l) => l.label).sort()).toEqual(['block · cut', 'block · stall'])
  })

  it('draws nothing for cells without calls', () => {
    const r = parallelBleResult()
    for (const c of r.cells) {
      c.latencyUs = { ...c.latencyUs, count: 0, hist: encoded([]) }
      c.series = []
    }
    expect(reportCharts(r)).toEqual([])
  })
})
