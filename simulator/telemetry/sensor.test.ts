import { describe, expect, it } from 'vitest'
import { deriveRng } from '../../core/rng.ts'
import { gattHex, Sensor } from './sensor.ts'
import { DeviceSensors } from './sensors.ts'

/** Readings of a fresh sensor sampled every `periodMs` for `n` samples. */
function readings(kind: 'battery' | 'temperature', seed: number, periodMs: number, n: number): number[] {
  const s = new Sensor(kind, deriveRng(seed, `ble-0001/${kind}`))
  return Array.from({ length: n }, (_, i) => s.sample(i * periodMs))
}

const changed = (values: readonly number[]): number => values.reduce((k, v, i) => k + (i > 0 && v !== values[i - 1] ? 1 : 0), 0)

describe('sensor value model', () => {
  it('replays the same readings for the same seed and differs for another', () => {
    expect(readings('temperature', 5, 200, 50)).toEqual(readings('temperature', 5, 200, 50))
    expect(readings('temperature', 5, 200, 50)).not.toEqual(readings('temperature', 6, 200, 50))
    expect(readings('battery', 5, 1000, 50)).toEqual(readings('battery', 5, 1000, 50))
  })

  it('reads temperature in 0.1 °C steps from 18–26 °C, and battery in whole percent that only drains', () => {
    const t = readings('temperature', 1, 1000, 500)
    expect(t[0]).toBeGreaterThanOrEqual(18)
    expect(t[0]).toBeLessThanOrEqual(26)
    for (const v of t) expect(Math.round(v * 10) / 10).toBe(v)
    const b = readings('battery', 1, 1000, 500)
    expect(b[0]).toBeGreaterThanOrEqual(20)
    expect(b[0]).toBeLessThanOrEqual(100)
    b.forEach((v, i) => {
      expect(Number.isInteger(v)).toBe(true)
      if (i > 0) expect(v).toBeLessThanOrEqual(b[i - 1]!)
    })
    // About one 1% step per 60 s: 500 s of samples drained a handful of percent.
    expect(b[0]! - b.at(-1)!).toBeGreaterThan(2)
    expect(b[0]! - b.at(-1)!).toBeLessThan(20)
  })

  it('changes less often per sample the faster it is sampled (the same walk in real time)', () => {
    const share = (hz: number): number => changed(readings('temperature', 3, 1000 / hz, 4000)) / 3999
    // E|step| / 0.1 °C with sd 0.05·√dt: ≈ 0.40 at 1 Hz, 0.18 at 5 Hz, 0.09 at 20 Hz.
    expect(share(1)).toBeGreaterThan(0.33)
    expect(share(1)).toBeLessThan(0.47)
    expect(share(5)).toBeGreaterThan(0.13)
    expect(share(5)).toBeLessThan(0.23)
    expect(share(20)).toBeGreaterThan(0.06)
    expect(share(20)).toBeLessThan(0.12)
  })

  it('does not move when sampled twice at the same instant', () => {
    const s = new Sensor('temperature', deriveRng(9, 'x'))
    const first = s.sample(1000)
    expect(s.sample(1000)).toBe(first)
  })

  it('encodes readings as their GATT characteristics: battery one byte, temperature sint16 LE in 0.01 °C', () => {
    expect(gattHex('battery', 87)).toBe('57')
    expect(gattHex('temperature', 21.3)).toBe('5208')
    expect(gattHex('temperature', -5.5)).toBe('dafd')
  })

  it('answers RPC reads of battery and temperature with the sample time and a read number; other characteristics are not sensors', () => {
    const s = new DeviceSensors('ble-0001', 4, 1_000_000)
    const a = s.read('2a19', 250.5)
    const b = s.read('2a19', 500)
    expect(a).toMatchObject({ sampledAt: 1_000_250.5, seq: 1, value: expect.stringMatching(/^[0-9a-f]{2}$/) })
    expect(b).toMatchObject({ sampledAt: 1_000_500, seq: 2 })
    expect(s.read('2a6e', 500)).toMatchObject({ seq: 1, value: expect.stringMatching(/^[0-9a-f]{4}$/) })
    expect(s.read('2a26', 500)).toBeUndefined()
  })
})
