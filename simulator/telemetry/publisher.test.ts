import { describe, expect, it } from 'vitest'
import { decodeTelemetry, type TelemetryMessage } from '../../core/protocol.ts'
import { ManualClock } from '../../test/support/manual-clock.ts'
import { DeviceSensors } from './sensors.ts'
import type { PublishMode } from '../../core/telemetry.ts'
import { TelemetryPublisher, type TelemetryPlan } from './publisher.ts'

const IDS = ['ble-0001', 'ble-0002', 'ble-0003']

function setup(seed = 7) {
  const clock = new ManualClock()
  const sent: Array<{ topic: string; m: TelemetryMessage; at: number; turn: number }> = []
  let turns = 0
  const sources = IDS.map((id) => ({ id, sensors: new DeviceSensors(id, seed, 0) }))
  const pub = new TelemetryPublisher(sources, {
    clock,
    publish: (topic, payload) => sent.push({ topic, m: decodeTelemetry(Buffer.from(payload))!, at: clock.now(), turn: turns }),
    hold: () => void turns++,
  })
  return { clock, sent, pub, turns: () => turns }
}

const plan = (mode: PublishMode, over: Partial<TelemetryPlan> = {}): TelemetryPlan => ({
  hz: 5, mode, characteristics: ['battery', 'temperature'], qos: 1, run: 3, startMs: 100, endMs: 2100, seed: 7, ...over,
})

describe('telemetry publisher on a ManualClock', () => {
  it('publishes F·T samples per device and characteristic, numbered 1… with n = seq − 1, stamped with their due time', async () => {
    const { clock, sent, pub, turns } = setup()
    const totals = pub.run(plan('every-sample'))
    await clock.runAll()
    // 5 Hz for 2 s: 10 samples per stream, 3 devices × 2 characteristics.
    expect(await totals).toEqual(Array.from({ length: 6 }, () => ({ samples: 10, published: 10 })))
    expect(sent).toHaveLength(60)
    expect(clock.pendingTimers).toBe(0)
    for (const id of IDS) {
      for (const c of ['battery', 'temperature']) {
        const stream = sent.filter((s) => s.topic === `fleet/${id}/telemetry/${c}`)
        expect(stream.map((s) => s.m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
        expect(stream.map((s) => s.m.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
        // Sampled at its phase in each 200 ms period, published at that instant.
        const phase = stream[0]!.at - 100
        expect(phase).toBeGreaterThanOrEqual(0)
        expect(phase).toBeLessThan(200)
        stream.forEach((s, k) => {
          expect(s.at).toBeCloseTo(100 + phase + 200 * k, 9)
          expect(s.m.at).toBeCloseTo(s.at, 3)
          expect(s.m.run).toBe(3)
        })
      }
    }
    // A device's two characteristics leave in the same held turn.
    expect(turns()).toBeLessThanOrEqual(30)
    expect(new Set(sent.filter((s) => s.topic.startsWith('fleet/ble-0002/')).map((s) => s.turn)).size).toBe(10)
  })

  it('report-by-exception publishes exactly the changes of the same model, the first sample included', async () => {
    const { clock, sent, pub } = setup()
    const every = setup()
    const totals = pub.run(plan('on-change', { hz: 20, endMs: 10_100 }))
    const all = every.pub.run(plan('every-sample', { hz: 20, endMs: 10_100 }))
    await clock.runAll()
    await every.clock.runAll()
    const t = await totals
    const a = await all
    expect(t.map((s) => s.samples)).toEqual(Array.from({ length: 6 }, () => 200))
    IDS.forEach((id, d) => {
      ;(['battery', 'temperature'] as const).forEach((c, i) => {
        const topic = `fleet/${id}/telemetry/${c}`
        const values = every.sent.filter((s) => s.topic === topic).map((s) => s.m.value)
        const changes = values.flatMap((v, n) => (n === 0 || v !== values[n - 1] ? [n] : []))
        const stream = sent.filter((s) => s.topic === topic)
        expect(stream.map((s) => s.m.n)).toEqual(changes)
        expect(stream.map((s) => s.m.seq)).toEqual(changes.map((_, k) => k + 1))
        expect(stream.map((s) => s.m.value)).toEqual(changes.map((n) => values[n]))
        expect(t[d * 2 + i]).toEqual({ samples: 200, published: changes.length, changesAt: Int32Array.from(changes) })
        expect(a[d * 2 + i]!.published).toBe(200)
      })
    })
    // Temperature at 20 Hz changes in about 9% of samples; battery rarely in 10 s.
    const temperature = t.filter((_, i) => i % 2 === 1).reduce((n, s) => n + s.published, 0)
    expect(temperature).toBeGreaterThan(20)
    expect(temperature).toBeLessThan(120)
  })

  it('stops early on stop(), leaves no timer, and can run again', async () => {
    const { clock, sent, pub } = setup()
    const totals = pub.run(plan('every-sample'))
    await clock.advance(1000)
    pub.stop()
    const t = await totals
    expect(clock.pendingTimers).toBe(0)
    expect(t.reduce((n, s) => n + s.published, 0)).toBe(sent.length)
    expect(t.every((s) => s.samples >= 4 && s.samples <= 5)).toBe(true)
    expect(() => pub.run(plan('every-sample', { startMs: 3000, endMs: 3400 }))).not.toThrow()
    await clock.runAll()
  })
})
