import { describe, expect, it } from 'vitest'
import { createHistogram, recordUs, summarize } from '../../core/histogram.ts'
import { emptyChannelMeasures } from '../../core/channel-measures.ts'
import type { ChannelCell } from '../../core/result.ts'
import { channelCells } from './cells.ts'
import { channelCapacity } from './index.ts'
import { channelCapacityFindings, trend } from './findings.ts'

const summary = (us: number) => {
  const h = createHistogram()
  recordUs(h, us)
  return summarize(h)
}

function cell(policy: string, capacity: number, o: { blockUs?: number; tryFull?: number; dropped?: number; fault?: string; status?: ChannelCell['status']; pattern?: string; error?: string }): ChannelCell {
  const fault = o.fault ?? 'stall'
  return {
    kind: 'channel',
    id: `${o.pattern ?? policy}-c${capacity}-${fault}`,
    labels: { capacity, policy, fault, ...(o.pattern ? { pattern: o.pattern } : {}) },
    status: o.status ?? 'ok',
    ...(o.error ? { error: o.error } : {}),
    counts: { sent: 100, ok: 100 - (o.tryFull ?? 0) - (o.dropped ?? 0), dropped: o.dropped ?? 0, errors: o.tryFull ? { 'try-full': o.tryFull } : {} },
    throughput: { callsPerSec: 100 },
    elapsedMs: 1000,
    latencyUs: summary(400_000),
    latencyUncorrectedUs: summary(300_000),
    blockingUs: summary(o.blockUs ?? 5),
    channel: { ...emptyChannelMeasures(), capacity, policy, fault, tryFailures: o.tryFull ?? 0, maxQueueDepth: capacity, memoryGrowthBytes: 2 ** 20, deadlockAfterMs: 1700 },
    series: [],
  }
}

describe('channel-capacity definition and findings', () => {
  it('plans capacity × policy × fault cells plus the send-in-poll cell, with stable ids and labels', () => {
    const o = { ...channelCapacity.defaults, capacities: [0, 10], policies: ['block', 'drop-oldest'] as const, faults: ['stall', 'cut'] as const }
    const cells = channelCells({ ...o, policies: [...o.policies], faults: [...o.faults] })
    expect(cells.map((c) => c.id)).toEqual(['block-c0-stall', 'block-c10-stall', 'drop-oldest-c0-stall', 'drop-oldest-c10-stall', 'block-c0-cut', 'block-c10-cut', 'drop-oldest-c0-cut', 'drop-oldest-c10-cut', 'send-in-poll-c10-stall'])
    expect(cells[2]?.labels).toEqual({ capacity: 0, policy: 'drop-oldest', fault: 'stall', ring: 10 })
    expect(cells.at(-1)).toMatchObject({ sendInPoll: true, labels: { pattern: 'send-in-poll', policy: 'block' } })
    expect(channelCells({ ...channelCapacity.defaults, deadlockCell: 'off' }).some((c) => c.sendInPoll)).toBe(false)
  })

  it('words a trend only as far as the figures go', () => {
    expect(trend([5, 5, 3, 0])).toBe('fell at every step')
    expect(trend([5, 6, 3])).toBe('fell overall, though not at every step')
    expect(trend([3, 3])).toBe('did not fall')
  })

  it('says what the sweep shows from the measured cells, the deadlock cell and the failed ones', () => {
    const cells = [
      cell('block', 0, { blockUs: 400_000 }),
      cell('block', 100, { blockUs: 190_000 }),
      cell('block', 1000, { blockUs: 20 }),
      cell('try', 0, { tryFull: 60 }),
      cell('try', 100, { tryFull: 30 }),
      cell('try', 1000, { tryFull: 0 }),
      cell('drop-newest', 0, { dropped: 60 }),
      cell('drop-newest', 1000, { dropped: 0 }),
      cell('block', 10, { status: 'deadlock', pattern: 'send-in-poll', error: 'the event loop awaited send() into its own full channel' }),
      cell('try', 10, { status: 'failed', error: 'worker crashed: boom' }),
    ]
    const f = channelCapacityFindings(cells, { ...channelCapacity.defaults, policies: ['block', 'try', 'drop-newest'] })
    expect(f).toHaveLength(3)
    expect(f[0]).toMatch(/`block`'s send p99 fell at every step as capacity grew \(400ms → 190ms → 20µs\), and `try`'s failures fell at every step \(60 → 30 → 0\)/)
    expect(f[0]).toMatch(/a fault window queues about 200 requests/)
    expect(f[0]).toMatch(/The drop policies never waited for room .* dropped drop-newest 60 → 0 requests/)
    expect(f[1]).toMatch(/^send-in-poll-c10-stall \(rumqtt #1025\): the event loop awaited send\(\).* deadlock 1700 ms into production/)
    expect(f[2]).toBe('try-c10-stall: failed: worker crashed: boom')
  })
})
