/**
 * What recording costs the fleet: the same bare MQTT.js caller (floor (b)'s requester thread)
 * against the instant-profile fleet on the embedded broker, with the recorder on and off,
 * interleaved in one run. Target: calls/s with recording ≥ 0.9 × without.
 */
import { FleetRecorder } from '../simulator/observe/recorder.ts'
import { startSimulation } from '../simulator/fleet.ts'
import { PROFILES } from '../simulator/profiles.ts'
import { BareRequesterThread } from './bare-mqtt.ts'

export interface RecordCost {
  concurrency: number
  durationMs: number
  repeats: number
  /** calls/s per repeat, without and with the recorder. */
  off: number[]
  on: number[]
  /** median(on) / median(off). */
  ratio: number
  /** Calls the recorder counted in the last recorded run, against the caller's own count. */
  recorded: { caller: number; fleet: number }
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? 0 : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

export async function measureRecordCost(o: { durationMs: number; repeats: number; concurrency?: number; runId: string; progress(line: string): void }): Promise<RecordCost> {
  const concurrency = o.concurrency ?? 16
  const thread = new BareRequesterThread()
  const off: number[] = []
  const on: number[] = []
  const recorded = { caller: 0, fleet: 0 }
  try {
    // The first pass warms the thread and the fleet code up and is not kept.
    for (let r = -1; r < o.repeats; r++) {
      for (const recording of [false, true]) {
        const recorder = recording ? new FleetRecorder() : undefined
        const sim = await startSimulation({ devices: concurrency, gateways: 2, profile: PROFILES.instant!, seed: 1, recorder })
        try {
          const outcome = await thread.run({ url: sim.brokerUrl, qos: 1, concurrency, durationMs: r < 0 ? 1000 : o.durationMs, clientId: `${o.runId}-rec-${r}-${recording ? 'on' : 'off'}`, graceMs: 5000 })
          const rate = outcome.calls / (outcome.elapsedMs / 1000)
          if (r >= 0) {
            ;(recording ? on : off).push(Math.round(rate))
            o.progress(`recording ${recording ? 'on ' : 'off'} (repeat ${r + 1}/${o.repeats}): ${Math.round(rate).toLocaleString('en-US')} calls/s`)
          }
          if (recorder) {
            await recorder.settle(2000)
            recorder.finish()
            recorded.caller = outcome.calls
            recorded.fleet = [...recorder.callers.values()].reduce((n, c) => n + c.ok, 0)
          }
        } finally {
          await sim.close()
        }
      }
    }
  } finally {
    await thread.close()
  }
  return { concurrency, durationMs: o.durationMs, repeats: o.repeats, off, on, ratio: Math.round((median(on) / Math.max(1, median(off))) * 100) / 100, recorded }
}
