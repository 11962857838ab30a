/**
 * The one histogram factory of fleetbench. Every latency is recorded in microseconds, 1 µs to 1 h,
 * 3 significant digits (so any reported value is within 0.1% of the truth), 32-bit counts.
 * Histograms cross threads and machines as compressed base64 (HdrHistogram V2 encoding, the same
 * bytes from the JS and the WebAssembly builds) and are merged with `add`, never averaged.
 *
 * Builds: the JS build needs no set-up and is what the main thread and reports use. A worker thread
 * calls `await initWasm()` once at start; from then on every histogram that thread creates is a
 * WebAssembly one, about 4x faster to record, with no flag to pass down. A WASM histogram lives in the module's linear memory (measured ~94 KB each for this
 * range, though `estimatedFootprintInBytes` says ~24 KB), which is not garbage collected and never
 * shrinks: call `destroyHistogram(h)` when done so new histograms can reuse the space (using `h`
 * afterwards throws "Cannot use a destroyed histogram"). It is a no-op for JS histograms.
 */
import {
  build,
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
  initWebAssembly,
  WasmHistogram,
} from 'hdr-histogram-js'
import type { Histogram } from 'hdr-histogram-js'

export type { Histogram }

/** Lowest recordable value: anything below (0, negative) is recorded as 1 µs. */
export const MIN_US = 1
/** Highest recordable value, one hour: anything above is recorded as this. */
export const MAX_US = 3_600_000_000
export const SIGNIFICANT_DIGITS = 3

const BUILD = {
  lowestDiscernibleValue: MIN_US,
  highestTrackableValue: MAX_US,
  numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
  bitBucketSize: 32,
  autoResize: false,
} as const

let wasmInit: Promise<void> | undefined
let wasmReady = false

/** Loads the WebAssembly module once (later calls return the same promise). */
export function initWasm(): Promise<void> {
  wasmInit ??= initWebAssembly().then(
    () => {
      wasmReady = true
    },
    (err: unknown) => {
      wasmInit = undefined
      throw err
    },
  )
  return wasmInit
}

export function isWasmHistogram(h: Histogram): boolean {
  return h instanceof WasmHistogram
}

/**
 * A histogram with the project's range and precision: WebAssembly once this thread has called
 * `initWasm()`, JS before. `build` forces one (tests and the bench compare them).
 */
export function createHistogram(opts: { build?: 'js' | 'wasm' } = {}): Histogram {
  const wasm = opts.build === undefined ? wasmReady : opts.build === 'wasm'
  if (wasm) {
    if (!wasmReady) throw new Error("createHistogram({ build: 'wasm' }) needs `await initWasm()` first")
    return build({ ...BUILD, useWebAssembly: true })
  }
  return build(BUILD)
}

/** Frees a WASM histogram's memory; a no-op for JS histograms. */
export function destroyHistogram(h: Histogram): void {
  h.destroy()
}

/**
 * Maps any number to a recordable integer: below 1 (and -Infinity) → 1, above 1 h (and +Infinity)
 * → 1 h, fractions truncated. NaN becomes 1 h so that a broken measurement shows up in max/p99.9
 * instead of hiding among the fast calls.
 */
export function clampUs(us: number): number {
  if (us >= MIN_US) return us < MAX_US ? Math.floor(us) : MAX_US
  return us < MIN_US ? MIN_US : MAX_US
}

/** Records one latency; never throws and allocates nothing. */
export function recordUs(h: Histogram, us: number): void {
  h.recordValue(clampUs(us))
}


export function encodeHistogram(h: Histogram): string {
  return encodeIntoCompressedBase64(h)
}

/** Decodes into a JS histogram (no WASM needed) covering at least the project's range. */
export function decodeHistogram(b64: string): Histogram {
  return decodeEncoded(b64, false)
}

function decodeEncoded(b64: string, wasm: boolean): Histogram {
  try {
    return decodeFromCompressedBase64(b64, 32, wasm, MAX_US)
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    const head = b64.length > 16 ? `${b64.slice(0, 16)}…` : b64
    throw new Error(
      `invalid encoded histogram "${head}": ${reason}; expected HdrHistogram V2 compressed base64 (starts with "HIST")`,
    )
  }
}

/**
 * Adds `source` into `target` and returns `target`. Works across builds (the library's own `add`
 * throws when mixing JS and WASM): the source is then re-encoded into the target's build.
 */
export function addInto(target: Histogram, source: Histogram): Histogram {
  const targetWasm = isWasmHistogram(target)
  if (targetWasm === isWasmHistogram(source)) {
    target.add(source)
    return target
  }
  const bridged = decodeEncoded(encodeHistogram(source), targetWasm)
  try {
    target.add(bridged)
  } finally {
    bridged.destroy()
  }
  return target
}

/** Merges encoded histograms exactly; an empty list gives an empty histogram. */
export function mergeEncoded(list: readonly string[]): string {
  const acc = createHistogram()
  for (const b64 of list) addInto(acc, decodeHistogram(b64))
  return encodeHistogram(acc)
}

/**
 * Percentile summary in µs plus the encoded histogram. Values are HdrHistogram's reported values:
 * percentiles and max are the upper edge of their bucket, min the lower edge, mean uses bucket
 * midpoints — so a summary is identical whether taken from a live, a decoded or a merged histogram.
 */
export type LatencySummary = {
  count: number
  p50: number
  p90: number
  p99: number
  p999: number
  max: number
  min: number
  mean: number
  /** HdrHistogram V2 compressed base64 */
  hist: string
}

let emptyHist: string | undefined

export function emptySummary(): LatencySummary {
  emptyHist ??= encodeHistogram(createHistogram())
  return { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, min: 0, mean: 0, hist: emptyHist }
}

export function summarize(h: Histogram): LatencySummary {
  return summaryOf(h, undefined)
}

export function summarizeEncoded(b64: string): LatencySummary {
  return summaryOf(decodeHistogram(b64), b64)
}

function summaryOf(h: Histogram, encoded: string | undefined): LatencySummary {
  const count = h.totalCount
  if (count === 0) return emptySummary()
  return {
    count,
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    max: h.getValueAtPercentile(100),
    min: h.getValueAtPercentile(0),
    mean: h.mean,
    hist: encoded ?? encodeHistogram(h),
  }
}
