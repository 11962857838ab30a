import { describe, expect, it } from 'vitest'
import { UsageError } from '../../core/cli-support.ts'
import { Mulberry32 } from '../../core/rng.ts'
import { LinkSchedule, MIN_RTO_MS, MSS_BYTES } from './link.ts'
import { describeLink, LINK_PROFILES, linkConditions, linkSpecText, parseLink } from './link-profile.ts'

describe('link profiles and specs', () => {
  it('names the issue\'s profiles with their figures', () => {
    expect(parseLink('caller-link', 'cellular')).toEqual({ name: 'cellular', rttMs: 120, jitterMs: 40, bandwidthBytesPerSec: 250_000, lossPct: 0.5 })
    expect(parseLink('caller-link', 'LAN')).toMatchObject({ name: 'lan', rttMs: 1 })
    expect(parseLink('caller-link', 'satellite')).toMatchObject({ rttMs: 600, jitterMs: 50 })
    expect(linkConditions(LINK_PROFILES.loopback!)).toBeUndefined()
  })

  it('parses a spec and writes it back the same', () => {
    const spec = parseLink('gateway-link', 'rtt=40ms,jitter=5ms,bandwidth=1mbit,loss=1%')
    expect(spec).toEqual({ name: 'custom', rttMs: 40, jitterMs: 5, bandwidthBytesPerSec: 125_000, lossPct: 1 })
    expect(linkSpecText(spec)).toBe('rtt=40ms,jitter=5ms,bandwidth=1mbit,loss=1%')
    expect(parseLink('x', linkSpecText(spec))).toEqual(spec)
    expect(parseLink('x', 'rtt=1.5s,bandwidth=512kbit')).toMatchObject({ rttMs: 1500, bandwidthBytesPerSec: 64_000 })
    expect(describeLink(LINK_PROFILES.cellular!)).toBe('cellular (rtt=120ms,jitter=40ms,bandwidth=2mbit,loss=0.5%)')
  })

  it('applies rtt/2 and jitter/2 each way, bandwidth per direction, loss as a probability, the RTO above the rtt', () => {
    expect(linkConditions(parseLink('x', 'rtt=40ms,jitter=7ms,bandwidth=1mbit,loss=1%'))).toEqual({ latencyMs: 20, jitterMs: 3.5, bandwidth: 125_000, loss: 0.01, retransmitMs: 240 })
    expect(linkConditions(parseLink('x', 'satellite'))!.retransmitMs).toBe(800)
  })

  it.each([
    ['fast', /must be a name \(loopback, lan, wan, cellular, satellite\) or a spec/],
    ['rtt=40', /rtt must be a time like 40ms/],
    ['rtt=40ms,rtt=2ms', /rtt is given twice/],
    ['rtt=40ms,speed=1mbit', /unknown key "speed"/],
    ['bandwidth=fast', /bandwidth must be a rate like 2mbit/],
    ['loss=60%', /loss must be a percentage from 0% to 50%/],
    ['loss=1', /loss must be a percentage/],
    ['rtt', /must be a name/],
    ['rtt=', /is not key=value/],
  ])('refuses %j with a one-line error naming the flag', (raw, message) => {
    let err: unknown
    try {
      parseLink('caller-link', raw)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(UsageError)
    expect((err as Error).message).toMatch(/^--caller-link/)
    expect((err as Error).message).toMatch(message)
    expect((err as Error).message).not.toContain('\n')
  })
})

describe('loss on a TCP link is delay, never lost bytes', () => {
  it('a chunk that draws a loss waits one RTO; chunks behind it wait too (order kept)', () => {
    const c = { latencyMs: 20, loss: 1, retransmitMs: 240 }
    const s = new LinkSchedule(new Mulberry32(1))
    const first = s.deliveryTime(100, 0, s.drawDelay(100, c), c)
    expect(first).toBe(260)
    s.delivered(first)
    // Arrived 1 ms later on a loss-free link: still behind the retransmitted one.
    const clean = { latencyMs: 20 }
    expect(s.deliveryTime(100, 1, s.drawDelay(100, clean), clean)).toBe(260)
  })

  it('the share of delayed chunks follows the loss per segment (seeded, within 10%)', () => {
    const c = { loss: 0.01, retransmitMs: MIN_RTO_MS }
    const s = new LinkSchedule(new Mulberry32(42))
    const n = 20_000
    let small = 0
    let large = 0
    for (let i = 0; i < n; i++) {
      if (s.drawDelay(100, c) > 0) small++
      if (s.drawDelay(10 * MSS_BYTES, c) > 0) large++
    }
    expect(small / n).toBeGreaterThan(0.009)
    expect(small / n).toBeLessThan(0.011)
    // Ten segments: 1 - 0.99^10 ≈ 9.6% of chunks carry a loss.
    expect(large / n).toBeGreaterThan(0.0956 * 0.9)
    expect(large / n).toBeLessThan(0.0956 * 1.1)
  })
})
