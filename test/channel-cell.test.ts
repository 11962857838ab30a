import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBroker, type EmbeddedBroker } from '../simulator/broker.ts'
import { decodeHistogram } from '../core/histogram.ts'
import { runChannelCell } from '../loadgen/channel/cell.ts'
import type { ChannelCellTask } from '../loadgen/channel/messages.ts'

let broker: EmbeddedBroker
beforeAll(async () => {
  broker = await startBroker()
})
afterAll(() => broker.close())

let n = 0
function task(over: Partial<ChannelCellTask>): ChannelCellTask {
  n++
  return {
    type: 'channel-cell',
    cellId: `t${n}`,
    capacity: 10,
    policy: 'block',
    ring: 5,
    fault: 'none',
    sendInPoll: false,
    producers: 5,
    rate: 200,
    durationMs: 1200,
    payloadBytes: 32,
    qos: 1,
    maxInFlight: 20,
    window: { forMs: 300, everyMs: 600 },
    cutForMs: 400,
    link: { bandwidth: 2_000, latencyMs: 20 },
    watchdogMs: 2_000,
    drainTimeoutMs: 5_000,
    broker: { url: broker.url },
    topicPrefix: `fbtest/${process.pid}/${n}`,
    clientIdPrefix: `fbtest-${process.pid}-${n}`,
    seed: 1,
    ...over,
  }
}

describe('runChannelCell (real sockets, embedded broker)', () => {
  it('cut: nothing is taken while disconnected; after the reconnect every queued request is delivered', async () => {
    const d = await runChannelCell(task({ fault: 'cut', capacity: 50 }))
    expect(d.status).toBe('ok')
    expect(d.takenWhileDown).toBe(0)
    expect(d.disconnects).toBeGreaterThanOrEqual(1)
    expect(d.proxy?.severed).toBeGreaterThanOrEqual(1)
    // 400 ms at 200/s queue 80 requests: the channel filled up and producers blocked.
    expect(d.maxQueueDepth).toBe(50)
    expect(d.maxBlockedSenders).toBe(5)
    expect(d.errors).toEqual({})
    expect(d.delivered).toBe(d.produced)
    expect(d.produced + d.missed).toBe(240)
    expect(decodeHistogram(d.latency).totalCount).toBe(d.delivered)
    expect(decodeHistogram(d.blocking).totalCount).toBe(d.produced)
  })

  it('slow-link: the proxy throttles the publisher during its windows; accounting still closes', async () => {
    const d = await runChannelCell(task({ fault: 'slow-link', policy: 'drop-oldest' }))
    expect(d.status).toBe('ok')
    expect(d.faultWindows).toBe(2)
    expect(d.proxy?.bytesUp).toBeGreaterThan(0)
    expect(d.produced).toBe(d.delivered + d.dropped + Object.values(d.errors).reduce((a, b) => a + b, 0))
    expect(d.maxQueueDepth).toBeLessThanOrEqual(5 + 10)
  })

  it('QoS 0: payload buffers are reused only once flushed, so every delivery is distinct', async () => {
    const d = await runChannelCell(task({ qos: 0, rate: 1000, producers: 10, durationMs: 600, capacity: 1000 }))
    expect(d.duplicates).toBe(0)
    expect(d.delivered).toBe(d.produced)
    expect(d.peakInFlight).toBe(0)
  })
})
