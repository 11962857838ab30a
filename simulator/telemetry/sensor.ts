/**
 * What a device's battery and temperature read: a deterministic model driven by the sampling times
 * and a generator seeded by (--seed, device, characteristic), so the same run replays the same
 * values however the samples interleave with other devices'. Time is continuous: a reading at t
 * advances the model by the time since the previous reading, so how many samples *change* depends
 * on how often one samples — which is what report-by-exception lives on.
 *
 * - temperature: a random walk, sd 0.05 °C per √s (a step over dt seconds is normal with sd
 *   0.05·√dt), starting uniform in 18–26 °C, kept within −40…85 °C, read quantised to 0.1 °C. About
 *   40% of samples change at 1 Hz, 18% at 5 Hz, 9% at 20 Hz (E|step| / 0.1 °C).
 * - battery: whole percent, starting uniform in 20–100, draining by 1% steps that come as a Poisson
 *   process of one per 60 s on average (fast, so that a 10 s cell sees some), stopping at 0: 1.7% of
 *   samples change at 1 Hz, 0.08% at 20 Hz.
 */
import { normal, type Rng } from '../../core/rng.ts'
import type { TelemetryCharacteristic } from '../../core/protocol.ts'

export const TEMPERATURE_SD_PER_SQRT_S = 0.05
export const BATTERY_STEP_MEAN_S = 60
const TEMPERATURE_RANGE = [-40, 85] as const

/** One Poisson draw with mean `lambda` from a single uniform (inversion; lambda is small here). */
function poisson(lambda: number, rng: Rng): number {
  if (lambda <= 0) return 0
  const u = rng.next()
  let p = Math.exp(-lambda)
  let sum = p
  let k = 0
  while (u > sum && k < 1000) {
    k++
    p *= lambda / k
    sum += p
  }
  return k
}

export class Sensor {
  /** The last reading (quantised). */
  reading: number
  private truth: number
  private lastMs: number | undefined

  constructor(
    readonly kind: TelemetryCharacteristic,
    private readonly rng: Rng,
  ) {
    this.truth = kind === 'temperature' ? 18 + 8 * rng.next() : 20 + Math.floor(81 * rng.next())
    this.reading = this.quantised()
  }

  /** Advances the model to `nowMs` (a monotonic clock's ms) and returns the reading then. */
  sample(nowMs: number): number {
    const dtS = this.lastMs === undefined ? 0 : Math.max(0, nowMs - this.lastMs) / 1000
    this.lastMs = nowMs
    if (this.kind === 'temperature') {
      const next = this.truth + TEMPERATURE_SD_PER_SQRT_S * Math.sqrt(dtS) * normal(this.rng)
      this.truth = Math.min(TEMPERATURE_RANGE[1], Math.max(TEMPERATURE_RANGE[0], next))
    } else {
      this.truth = Math.max(0, this.truth - poisson(dtS / BATTERY_STEP_MEAN_S, this.rng))
    }
    this.reading = this.quantised()
    return this.reading
  }

  private quantised(): number {
    return this.kind === 'temperature' ? Math.round(this.truth * 10) / 10 : this.truth
  }
}

/** A reading as the GATT characteristic's bytes in hex: battery level one byte (%), temperature sint16 little-endian in 0.01 °C. */
export function gattHex(kind: TelemetryCharacteristic, reading: number): string {
  if (kind === 'battery') return (reading & 0xff).toString(16).padStart(2, '0')
  const v = Math.round(reading * 100) & 0xffff
  return ((v & 0xff).toString(16).padStart(2, '0')) + ((v >>> 8).toString(16).padStart(2, '0'))
}
