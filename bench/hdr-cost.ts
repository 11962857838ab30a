/**
 * What recording costs per value, next to what one RPC costs: `recordUs` into a JS and into a
 * WebAssembly histogram (the project's range and precision), and `CallRecorder.recordResult` as
 * workers call it for every successful call (WASM latency histogram + per-second series histogram
 * + a clock read). Values are realistic latencies (log-normal around 3 ms), prebuilt so that only
 * recording is timed; the best of several passes is kept, as timer noise only ever adds.
 */
import { CallRecorder } from '../loadgen/engine/recorder.ts'
import { createHistogram, destroyHistogram, initWasm, recordUs } from '../core/histogram.ts'

export interface HdrCost {
  jsNsPerValue: number
  wasmNsPerValue: number
  /** recordResult of one ok call, WASM, as in the workers. */
  recorderNsPerCall: number
  values: number
}

function latencies(n: number): Float64Array {
  const out = new Float64Array(n)
  let seed = 12345
  const uniform = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) + 0.5) / 2 ** 32
  for (let i = 0; i < n; i++) {
    const normal = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform())
    out[i] = 3000 * Math.exp(0.8 * normal)
  }
  return out
}

function bestNsPerValue(passes: number, n: number, pass: () => void): number {
  let best = Infinity
  for (let p = 0; p < passes; p++) {
    const t0 = process.hrtime.bigint()
    pass()
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / n)
  }
  return best
}

export async function measureHdrCost(values = 1_000_000, passes = 5): Promise<HdrCost> {
  await initWasm()
  const data = latencies(values)
  const histogramPass = (wasm: boolean) => (): void => {
    const h = createHistogram({ build: wasm ? 'wasm' : 'js' })
    for (let i = 0; i < data.length; i++) recordUs(h, data[i]!)
    destroyHistogram(h)
  }
  const ok = { ok: true, result: undefined } as const
  const recorderPass = (): void => {
    const rec = new CallRecorder({}) // WebAssembly: initWasm() ran above
    for (let i = 0; i < data.length; i++) rec.recordResult(ok, data[i]!)
    rec.destroy()
  }
  // one untimed pass each, so all three are compiled before timing
  histogramPass(false)()
  histogramPass(true)()
  recorderPass()
  return {
    jsNsPerValue: bestNsPerValue(passes, values, histogramPass(false)),
    wasmNsPerValue: bestNsPerValue(passes, values, histogramPass(true)),
    recorderNsPerCall: bestNsPerValue(passes, values, recorderPass),
    values,
  }
}
