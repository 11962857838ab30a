/** telemetry-vs-rpc's options, their parsers and the cells they give (pattern × F). */
import { UsageError } from '../../core/cli-support.ts'
import { TELEMETRY_CHARACTERISTICS, type TelemetryCharacteristic } from '../../core/protocol.ts'
import { TELEMETRY_PATTERNS, type TelemetryPattern } from '../../core/telemetry.ts'
import type { ProfileChoice } from '../../simulator/profiles.ts'
import type { CellIdentity } from '../cell-runner.ts'
import { nameList, numberList, positiveRate, type LinkOptions } from '../options.ts'

/** The caller link shapes the caller's connection; the gateway link every gateway's. */
export interface TelemetryVsRpcOptions extends LinkOptions {
  /** Sampling rates F in Hz, ascending. */
  hz: number[]
  patterns: TelemetryPattern[]
  devices: number
  gateways: number
  /** Load time of each cell, ms. */
  duration: number
  characteristics: TelemetryCharacteristic[]
  profile: ProfileChoice
  seed: number
  qos: 0 | 1
  /** After the load, longest wait for telemetry still on its way. */
  drainTimeout: number
  repeat: number
  out: string | undefined
}

export interface TelemetryCellSpec extends CellIdentity {
  pattern: TelemetryPattern
  hz: number
}

/** Most samples per second one cell may ask for (devices × characteristics × F). */
export const MAX_SAMPLES_PER_SEC = 100_000

export const hzList = numberList('sampling rates F in Hz, comma-separated (one cell per pattern and rate)', 'rate in Hz', '1,5,20', (raw, name) => positiveRate('').parse(raw, name)!)

export const patternList = nameList(TELEMETRY_PATTERNS, 'ways of reading the devices')
export const characteristicList = nameList(TELEMETRY_CHARACTERISTICS, 'characteristics every device is read for')

/** Cross-option checks, before any load. */
export function validateTelemetryOptions(o: TelemetryVsRpcOptions): void {
  if (o.gateways > o.devices) throw new UsageError(`--gateways (${o.gateways}) must not exceed --devices (${o.devices})`)
  const lowest = o.hz[0]!
  if ((o.duration * lowest) / 1000 < 1)
    throw new UsageError(`--duration ${o.duration} ms is shorter than one period at ${lowest} Hz; make it at least ${Math.ceil(1000 / lowest)} ms or raise --hz`)
  const highest = o.hz.at(-1)!
  const perSec = o.devices * o.characteristics.length * highest
  if (perSec > MAX_SAMPLES_PER_SEC)
    throw new UsageError(`--devices ${o.devices} × ${o.characteristics.length} characteristics × ${highest} Hz is ${perSec} samples/s; keep it at most ${MAX_SAMPLES_PER_SEC} (fewer --devices or a lower --hz)`)
}

/** The cell id of a pattern at a rate: `rpc-5hz`, `report-by-exception-0.5hz`. */
export const cellId = (pattern: TelemetryPattern, hz: number): string => `${pattern}-${hz}hz`

/** Every pattern at each rate, the rates ascending, so a drifting machine touches every pattern alike. */
export function telemetryCells(o: Pick<TelemetryVsRpcOptions, 'hz' | 'patterns'>): TelemetryCellSpec[] {
  return o.hz.flatMap((hz) => o.patterns.map((pattern) => ({ id: cellId(pattern, hz), labels: { pattern, hz }, pattern, hz })))
}
