/** A device's two sensors (created on first use) and what an RPC `read` of them answers. */
import { CHARACTERISTICS, type TelemetryCharacteristic } from '../../core/protocol.ts'
import { deriveRng } from '../../core/rng.ts'
import { gattHex, Sensor } from './sensor.ts'

/** GATT UUID → the sensor behind it. */
const BY_UUID: ReadonlyMap<string, TelemetryCharacteristic> = new Map([
  [CHARACTERISTICS.battery!, 'battery'],
  [CHARACTERISTICS.temperature!, 'temperature'],
])

export interface SensorRead {
  value: string
  /** When the device took the sample: epoch ms, sub-ms precision. */
  sampledAt: number
  /** This characteristic's reads so far on this device, from 1. */
  seq: number
}

export class DeviceSensors {
  private battery: Sensor | undefined
  private temperature: Sensor | undefined
  private readonly reads = { battery: 0, temperature: 0 }

  constructor(
    private readonly deviceId: string,
    private readonly seed: number,
    /** Epoch ms at clock time 0: performance.timeOrigin for the real clock (performance.now()). */
    readonly epochOffset = performance.timeOrigin,
  ) {}

  of(c: TelemetryCharacteristic): Sensor {
    if (c === 'battery') return (this.battery ??= new Sensor(c, deriveRng(this.seed, `${this.deviceId}/battery`)))
    return (this.temperature ??= new Sensor(c, deriveRng(this.seed, `${this.deviceId}/temperature`)))
  }

  /** An RPC read at clock time `nowMs`: undefined for a characteristic that is not a sensor. */
  read(uuid: string, nowMs: number): SensorRead | undefined {
    const kind = BY_UUID.get(uuid)
    if (kind === undefined) return undefined
    const reading = this.of(kind).sample(nowMs)
    return { value: gattHex(kind, reading), sampledAt: this.epochOffset + nowMs, seq: ++this.reads[kind] }
  }
}
