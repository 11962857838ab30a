import { describe, expect, it } from 'vitest'
import { progressLine, startProgress } from './start-progress.ts'
import type { Fleet } from './fleet.ts'

describe('start-up progress', () => {
  it('says gateways connected, subscribed and subscriptions acknowledged, with thousands separated', () => {
    expect(progressLine({ gateways: 100, connected: 37, ready: 12, filtersAcked: 212_000 }, 600_100, 4_250))
      .toBe('starting: 37/100 gateways connected, 12 subscribed, 212,000/600,100 subscriptions acknowledged (4.3 s)')
  })

  it('writes nothing at all when the stream is not a terminal', () => {
    const written: string[] = []
    const p = startProgress({ isTTY: false, write: (t: string) => written.push(t) }, 1)
    p.watch({ gateways: [], progress: () => ({ gateways: 0, connected: 0, ready: 0, filtersAcked: 0 }) } as unknown as Fleet)
    p.done()
    expect(written).toEqual([])
  })

  it('on a terminal rewrites one line in place and erases it when done', async () => {
    const written: string[] = []
    const p = startProgress({ isTTY: true, write: (t: string) => written.push(t) }, 1)
    p.watch({ gateways: [{ filterCount: 10 }], progress: () => ({ gateways: 1, connected: 1, ready: 0, filtersAcked: 5 }) } as unknown as Fleet)
    await new Promise((r) => setTimeout(r, 20))
    p.done()
    expect(written.length).toBeGreaterThan(1)
    expect(written[0]!.startsWith('\r\x1b[2Kstarting: 1/1 gateways connected, 0 subscribed, 5/10 subscriptions acknowledged')).toBe(true)
    expect(written.at(-1)).toBe('\r\x1b[2K')
    expect(written.every((w) => !w.includes('\n'))).toBe(true)
  })
})
