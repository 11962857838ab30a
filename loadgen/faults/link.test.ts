import { describe, expect, it } from 'vitest'
import { Mulberry32 } from '../../core/rng.ts'
import { isPlain, LinkSchedule, sliceBytes } from './link.ts'

describe('LinkSchedule', () => {
  it('a plain wire delivers at once, in order', () => {
    const s = new LinkSchedule()
    expect(s.deliveryTime(1000, 5, 0, undefined)).toBe(5)
    s.delivered(5)
    expect(s.deliveryTime(1000, 3, 0, undefined)).toBe(5)
  })

  it('bandwidth serialises chunks one after another; latency delays each from its arrival', () => {
    const s = new LinkSchedule()
    const c = { bandwidth: 1000, latencyMs: 100 }
    // 500 B at 1000 B/s: 100 ms latency, then 500 ms on the wire.
    const a = s.deliveryTime(500, 0, 0, c)
    expect(a).toBe(600)
    s.delivered(a)
    // The next chunk arrived at 50 ms: its latency is over at 150, but the wire is busy until 600.
    expect(s.deliveryTime(250, 50, 0, c)).toBe(850)
    s.delivered(850)
    // Much later: latency plus its own serialisation only.
    expect(s.deliveryTime(100, 2000, 0, c)).toBe(2200)
  })

  it('jitter (seeded) never reorders; hold delivers nothing', () => {
    const s = new LinkSchedule(new Mulberry32(7))
    const c = { latencyMs: 10, jitterMs: 50 }
    let last = 0
    for (let t = 0; t < 100; t += 3) {
      const at = s.deliveryTime(10, t, s.drawJitter(c), c)
      expect(at).toBeGreaterThanOrEqual(Math.max(last, t + 10))
      expect(at).toBeLessThan(Math.max(last, t + 60) + 1e-9)
      s.delivered(at)
      last = at
    }
    expect(s.deliveryTime(10, 0, 0, { hold: true })).toBe(Number.POSITIVE_INFINITY)
  })

  it('knows a plain wire and slices about 10 ms of bandwidth', () => {
    expect([isPlain(undefined), isPlain({}), isPlain({ bandwidth: 0 }), isPlain({ latencyMs: 1 }), isPlain({ hold: true })]).toEqual([true, true, true, false, false])
    expect([sliceBytes(undefined), sliceBytes({ bandwidth: 40_000 }), sliceBytes({ bandwidth: 1_000 }), sliceBytes({ bandwidth: 1e9 })]).toEqual([16_384, 400, 256, 16_384])
  })
})
