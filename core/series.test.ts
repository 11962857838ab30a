import { describe, expect, it } from 'vitest'
import { createHistogram, decodeHistogram, initWasm, recordUs } from './histogram.ts'
import { IntervalSeries, mergeSeries, type SeriesPoint } from './series.ts'

class TestClock {
  constructor(public time = 0) {}
  now(): number {
    return this.time
  }
}

function p99Of(values: readonly number[]): number {
  const h = createHistogram()
  for (const v of values) recordUs(h, v)
  return h.getValueAtPercentile(99)
}

describe('IntervalSeries', () => {
  it('buckets by interval, fills gaps with zeros and reports t as the interval end', () => {
    const clock = new TestClock(10_000)
    const series = new IntervalSeries({ clock })
    clock.time = 10_100
    series.recordOk(1_000)
    series.recordOk(3_000)
    series.recordError()
    clock.time = 12_500 // interval 2 (t = 3), interval 1 stays empty
    series.recordOk(500)
    clock.time = 13_200
    const points = series.snapshot()
    expect(points.map(({ hist: _hist, ...rest }) => rest)).toEqual([
      { t: 1, ok: 2, errors: 1, p99Us: p99Of([1_000, 3_000]) },
      { t: 2, ok: 0, errors: 0, p99Us: 0 },
      { t: 3, ok: 1, errors: 0, p99Us: p99Of([500]) },
    ])
    expect(decodeHistogram(points[0]?.hist ?? '').totalCount).toBe(2)
    expect(points[1]?.hist).toBeUndefined()
  })

  it('includes completed empty intervals but not an empty partial one', () => {
    const clock = new TestClock()
    const series = new IntervalSeries({ clock })
    series.recordOk(100, 200)
    expect(series.snapshot(3_999).map((p) => [p.t, p.ok])).toEqual([
      [1, 1],
      [2, 0],
      [3, 0],
    ])
    series.recordError(4_000)
    expect(series.snapshot(4_500).map((p) => [p.t, p.errors])).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
      [4, 0],
      [5, 1],
    ])
  })

  it('supports other interval lengths, explicit starts and times before the start', () => {
    const series = new IntervalSeries({ clock: new TestClock(), intervalMs: 250, startMs: 1_000 })
    series.recordOk(10, 900) // before start: first interval
    series.recordOk(10, 1_600)
    expect(series.snapshot(1_760).map((p) => [p.t, p.ok])).toEqual([
      [0.25, 1],
      [0.5, 0],
      [0.75, 1],
    ])
  })

  it('can leave histograms out', () => {
    const series = new IntervalSeries({ clock: new TestClock(), keepHistograms: false })
    series.recordOk(700, 10)
    expect(series.snapshot(1_000)).toEqual([{ t: 1, ok: 1, errors: 0, p99Us: p99Of([700]) }])
  })

  it('rejects a non-positive interval', () => {
    expect(() => new IntervalSeries({ intervalMs: 0 })).toThrow(/intervalMs must be a positive/)
  })

  it('gives the same points with a WebAssembly histogram', async () => {
    await initWasm()
    const run = (wasm: boolean): SeriesPoint[] => {
      const series = new IntervalSeries({ clock: new TestClock(), build: wasm ? 'wasm' : 'js' })
      for (let i = 0; i < 300; i++) series.recordOk((i * 7_919) % 100_000, i * 10)
      const points = series.snapshot(3_000)
      series.destroy()
      return points
    }
    expect(run(true)).toEqual(run(false))
  })
})

describe('mergeSeries', () => {
  // Worker a ran 2 s, worker b 4 s with a quiet third second; all latencies by (worker, t).
  const latencies = { a: [[100, 200, 300], [5_000]], b: [[150], [], [], [50, 60, 70_000]] }
  const build = (perInterval: number[][], errorInterval: number): SeriesPoint[] => {
    const series = new IntervalSeries({ clock: new TestClock() })
    perInterval.forEach((values, i) => {
      for (const v of values) series.recordOk(v, i * 1_000 + 10)
      if (i === errorInterval) series.recordError(i * 1_000 + 500)
    })
    return series.snapshot(perInterval.length * 1_000)
  }
  const a = build(latencies.a, 1)
  const b = build(latencies.b, 2)

  it('aligns by t, adds counts and merges p99 exactly from the histograms', () => {
    const merged = mergeSeries(a, b)
    expect(merged.map(({ hist: _hist, ...rest }) => rest)).toEqual([
      { t: 1, ok: 4, errors: 0, p99Us: p99Of([100, 200, 300, 150]) },
      { t: 2, ok: 1, errors: 1, p99Us: p99Of([5_000]) },
      { t: 3, ok: 0, errors: 1, p99Us: 0 },
      { t: 4, ok: 3, errors: 0, p99Us: p99Of([50, 60, 70_000]) },
    ])
    expect(merged[0]?.p99Us).toBe(p99Of([300]))
    expect(decodeHistogram(merged[0]?.hist ?? '').totalCount).toBe(4)
    expect(mergeSeries(b, a)).toEqual(merged)
  })

  it('falls back to the larger p99, an upper bound, when a histogram is missing', () => {
    const noHist = a.map(({ hist: _hist, ...rest }) => rest)
    const merged = mergeSeries(noHist, b)
    expect(merged[0]).toEqual({ t: 1, ok: 4, errors: 0, p99Us: Math.max(a[0]?.p99Us ?? 0, b[0]?.p99Us ?? 0) })
    expect(merged[3]?.hist).toBe(b[3]?.hist)
  })
})
