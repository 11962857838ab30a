import { beforeAll, describe, expect, it } from 'vitest'
import {
  addInto,
  clampUs,
  createHistogram,
  decodeHistogram,
  destroyHistogram,
  emptySummary,
  encodeHistogram,
  initWasm,
  isWasmHistogram,
  MAX_US,
  mergeEncoded,
  recordUs,
  summarize,
  summarizeEncoded,
  type Histogram,
} from './histogram.ts'

/** mulberry32: a tiny seeded PRNG so samples are the same on every run. */
function prng(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Latency-like samples: log-uniform from ~1 µs to ~10 s, with fractions, plus a few outliers. */
function samples(n: number, seed: number): number[] {
  const next = prng(seed)
  const out: number[] = []
  for (let i = 0; i < n; i++) out.push(i % 997 === 0 ? MAX_US * 2 : Math.exp(next() * Math.log(1e7)))
  return out
}

function recordAll(h: Histogram, values: readonly number[]): Histogram {
  for (const v of values) recordUs(h, v)
  return h
}

const values = samples(20_000, 42)

it("createHistogram({ build: 'wasm' }) before initWasm says what to do", () => {
  expect(() => createHistogram({ build: 'wasm' })).toThrow(/await initWasm\(\)/)
})

describe('JS build', () => {
  it('covers 1 µs to 1 h at 3 significant digits without resizing', () => {
    const h = createHistogram()
    expect(h.highestTrackableValue).toBe(MAX_US)
    expect(h.numberOfSignificantValueDigits).toBe(3)
    expect(h.autoResize).toBe(false)
    expect(isWasmHistogram(h)).toBe(false)
  })

  it('round-trips through compressed base64 with the same summary', () => {
    const h = recordAll(createHistogram(), values)
    const b64 = encodeHistogram(h)
    expect(b64.startsWith('HIST')).toBe(true)
    const back = decodeHistogram(b64)
    expect(back.totalCount).toBe(values.length)
    expect(summarize(back)).toEqual(summarize(h))
    expect(summarizeEncoded(b64)).toEqual(summarize(h))
    expect(encodeHistogram(back)).toBe(b64)
  })

  it('merges two disjoint halves into exactly the histogram of all values', () => {
    const whole = summarize(recordAll(createHistogram(), values))
    const first = recordAll(createHistogram(), values.slice(0, 7_000))
    const second = recordAll(createHistogram(), values.slice(7_000))
    expect(whole.count).toBe(20_000)
    expect(mergeEncoded([encodeHistogram(first), encodeHistogram(second)])).toBe(whole.hist)
    expect(summarizeEncoded(mergeEncoded([encodeHistogram(first), encodeHistogram(second)]))).toEqual(whole)
    expect(summarize(addInto(first, second))).toEqual(whole)
  })

  it('clamps out-of-range values instead of throwing', () => {
    const h = createHistogram()
    for (const v of [0, -5, 0.3, -Infinity]) recordUs(h, v)
    expect(summarize(h)).toMatchObject({ count: 4, min: 1, max: 1 })
    for (const v of [MAX_US + 1, 1e15, Infinity, NaN]) recordUs(h, v)
    expect(h.totalCount).toBe(8)
    expect(h.maxValue).toBe(MAX_US)
    expect(clampUs(1234.9)).toBe(1234)
    expect(clampUs(MAX_US)).toBe(MAX_US)
    expect(clampUs(NaN)).toBe(MAX_US)
  })


  it('summarizes and merges empty histograms to zeros', () => {
    expect(summarize(createHistogram())).toEqual(emptySummary())
    expect(summarizeEncoded(mergeEncoded([]))).toEqual(emptySummary())
    expect(emptySummary()).toMatchObject({ count: 0, p99: 0, max: 0, min: 0, mean: 0 })
  })

  it('rejects a corrupt encoded histogram with a clear message', () => {
    expect(() => decodeHistogram('not-a-histogram')).toThrow(/invalid encoded histogram.*HdrHistogram V2/)
  })
})

describe('WebAssembly build', () => {
  beforeAll(async () => {
    const first = initWasm()
    expect(initWasm()).toBe(first)
    await first
  })

  it('gives identical percentiles, summary and encoding as the JS build', () => {
    const wasm = recordAll(createHistogram({ build: 'wasm' }), values)
    const js = recordAll(createHistogram(), values)
    expect(isWasmHistogram(wasm)).toBe(true)
    for (const p of [0, 1, 25, 50, 75, 90, 99, 99.9, 99.99, 100]) {
      expect(wasm.getValueAtPercentile(p)).toBe(js.getValueAtPercentile(p))
    }
    expect(summarize(wasm)).toEqual(summarize(js))
    expect(encodeHistogram(wasm)).toBe(encodeHistogram(js))
    destroyHistogram(wasm)
    expect(() => wasm.totalCount).toThrow(/destroyed/)
  })

  it('records clamped values the same way as the JS build', () => {
    const wasm = createHistogram({ build: 'wasm' })
    const js = createHistogram()
    for (const h of [wasm, js]) {
      for (const v of [-1, NaN, 0.5, Infinity, 1e13]) recordUs(h, v)
      for (let v = 50_000; v > 0; v -= 3_000) recordUs(h, v)
    }
    expect(summarize(wasm)).toEqual(summarize(js))
    destroyHistogram(wasm)
  })

  it('adds across builds in both directions', () => {
    const whole = summarize(recordAll(createHistogram(), values))
    const wasmHalf = recordAll(createHistogram({ build: 'wasm' }), values.slice(0, 10_000))
    const jsHalf = recordAll(createHistogram(), values.slice(10_000))
    const wasmTarget = addInto(recordAll(createHistogram({ build: 'wasm' }), values.slice(0, 10_000)), jsHalf)
    expect(summarize(wasmTarget)).toEqual(whole)
    expect(summarize(addInto(jsHalf, wasmHalf))).toEqual(whole)
    expect(mergeEncoded([encodeHistogram(wasmHalf), encodeHistogram(recordAll(createHistogram(), values.slice(10_000)))])).toBe(
      whole.hist,
    )
    destroyHistogram(wasmHalf)
    destroyHistogram(wasmTarget)
  })
})
