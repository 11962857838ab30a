import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../test/support/manual-clock.ts'
import { BoundedChannel } from './bounded-channel.ts'
import { createPolicy, type PolicyName, type SubmitOutcome } from './policies.ts'
import { OpenLoopProducers } from './producers.ts'

interface Item {
  seq: number
  producer: number
  intendedAt: number
  calledAt: number
}

interface Settled {
  seq: number
  outcome: SubmitOutcome
  blockedMs: number
}

function rig(policy: PolicyName, capacity: number, plan: { producers: number; ratePerSec: number; durationMs: number }) {
  const clock = new ManualClock()
  const channel = new BoundedChannel<Item>(capacity)
  const p = createPolicy(policy, channel)
  const made: Item[] = []
  const settled: Settled[] = []
  const producers = new OpenLoopProducers<Item>(
    plan,
    {
      make: (seq, producer, intendedAt, calledAt) => {
        const item = { seq, producer, intendedAt, calledAt }
        made.push(item)
        return item
      },
      submit: (item, signal) => p.submit(item, signal),
      settled: (item, outcome, calledAt, settledAt) => settled.push({ seq: item.seq, outcome, blockedMs: settledAt - calledAt }),
    },
    clock,
  )
  return { clock, channel, producers, made, settled }
}

describe('OpenLoopProducers', () => {
  it('sends at the intended times, round-robin over producers, and stops at the end', async () => {
    const { clock, producers, made, settled } = rig('drop-newest', 100, { producers: 2, ratePerSec: 4, durationMs: 1000 })
    producers.begin(0)
    await clock.advance(2000)
    expect(made).toEqual([0, 250, 500, 750].map((t, seq) => ({ seq, producer: seq % 2, intendedAt: t, calledAt: t })))
    expect(settled.map((s) => s.outcome)).toEqual(['accepted', 'accepted', 'accepted', 'accepted'])
    expect([producers.produced, producers.intended, producers.stop()]).toEqual([4, 4, 0])
    expect(clock.pendingTimers).toBe(0)
  })

  it('a producer held by a blocking send catches up back to back, measured from the intended time', async () => {
    const { clock, channel, producers, made, settled } = rig('block', 0, { producers: 1, ratePerSec: 10, durationMs: 600 })
    producers.begin(0)
    await clock.advance(350)
    expect(made.map((m) => m.seq)).toEqual([0])
    expect(producers.held).toBe(1)
    // The receiver comes back at 350 ms and keeps taking.
    const taken: number[] = []
    const consume = async (): Promise<void> => {
      for (let x = await channel.recv(); x !== undefined; x = await channel.recv()) taken.push(x.seq)
    }
    const done = consume()
    await clock.advance(400)
    expect(taken).toEqual([0, 1, 2, 3, 4, 5])
    expect(made.map((m) => [m.intendedAt, m.calledAt])).toEqual([
      [0, 0],
      [100, 350],
      [200, 350],
      [300, 350],
      [400, 400],
      [500, 500],
    ])
    expect(settled.map((s) => s.blockedMs)).toEqual([350, 0, 0, 0, 0, 0])
    expect(producers.stop()).toBe(0)
    channel.close()
    await done
  })

  it('counts intended sends a held producer never made as missed; abort cancels the held send', async () => {
    const { clock, producers, settled } = rig('block', 0, { producers: 1, ratePerSec: 10, durationMs: 1000 })
    producers.begin(0)
    await clock.advance(500)
    expect(producers.stop()).toBe(5)
    expect([producers.produced, producers.held]).toEqual([1, 1])
    producers.abort()
    await producers.idle()
    expect(settled).toEqual([{ seq: 0, outcome: 'cancelled', blockedMs: 500 }])
    expect(clock.pendingTimers).toBe(0)
  })
})
