/**
 * The contract every send policy runs (policies.test.ts), like MQTT.js's abstract store suite:
 * FIFO order, the capacity-0 rendezvous, cancellation leaving nothing behind, exact drop counts,
 * and the effective buffer (capacity; N + capacity for drop-oldest). What a policy does when the
 * channel is full is its one difference, stated in `OVERFLOW`. Time is a ManualClock: blocking is
 * asserted exactly.
 */
import { describe, expect, it } from 'vitest'
import { ManualClock } from './manual-clock.ts'
import { BoundedChannel } from '../../loadgen/channel/bounded-channel.ts'
import { createPolicy, type PolicyName, type SendPolicy, type SubmitOutcome } from '../../loadgen/channel/policies.ts'

/** What happens to the request that finds the channel full. */
export const OVERFLOW: Record<PolicyName, 'waits' | 'refused' | 'dropped' | 'drops-oldest'> = {
  block: 'waits',
  try: 'refused',
  'drop-newest': 'dropped',
  'drop-oldest': 'drops-oldest',
}

interface Offer {
  outcome?: SubmitOutcome
  blockedMs?: number
}

class Harness {
  readonly clock = new ManualClock()
  readonly channel: BoundedChannel<number>
  readonly policy: SendPolicy<number>
  readonly dropped: number[] = []
  readonly accepted: number[] = []

  constructor(name: PolicyName, capacity: number, ring: number) {
    this.channel = new BoundedChannel<number>(capacity)
    this.policy = createPolicy(name, this.channel, { ring, onDropped: (i) => this.dropped.push(i), onAccepted: (i) => this.accepted.push(i) })
  }

  offer(item: number, signal?: AbortSignal): Offer {
    const o: Offer = {}
    const start = this.clock.now()
    void this.policy.submit(item, signal).then((outcome) => Object.assign(o, { outcome, blockedMs: this.clock.now() - start }))
    return o
  }

  offerAll(items: readonly number[]): Offer[] {
    return items.map((i) => this.offer(i))
  }

  /** What the event loop would take, in order, until nothing is left. */
  takeAll(): number[] {
    const out: number[] = []
    for (let x = this.channel.tryRecv(); x !== undefined; x = this.channel.tryRecv()) out.push(x)
    return out
  }

  settle(): Promise<void> {
    return this.clock.advance(0)
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i)

export function policyContract(name: PolicyName): void {
  const overflow = OVERFLOW[name]

  describe(`send policy contract: ${name}`, () => {
    it('keeps FIFO order: whatever is delivered comes out in the order it was submitted', async () => {
      const h = new Harness(name, 3, 2)
      h.offerAll(range(1, 12))
      await h.settle()
      const got: number[] = []
      for (let round = 0; round < 20; round++) {
        got.push(...h.takeAll())
        await h.settle()
      }
      expect(got).toEqual([...got].sort((a, b) => a - b))
      expect(new Set(got).size).toBe(got.length)
      const expected = { waits: range(1, 12), refused: [1, 2, 3], dropped: [1, 2, 3], 'drops-oldest': [1, 2, 3, 11, 12] }[overflow]
      expect(got).toEqual(expected)
    })

    it('capacity 0 is a rendezvous: nothing is buffered, an item moves only when the receiver takes it', async () => {
      const h = new Harness(name, 0, 2)
      const first = h.offer(1)
      await h.clock.advance(250)
      expect(h.channel.length).toBe(0)
      if (overflow === 'waits' || overflow === 'drops-oldest') {
        // block waits for the receiver; drop-oldest's forwarder waits with the item in its ring.
        expect(first.outcome).toBe(overflow === 'waits' ? undefined : 'accepted')
        expect(h.takeAll()).toEqual([1])
        await h.settle()
        expect(first).toEqual({ outcome: 'accepted', blockedMs: overflow === 'waits' ? 250 : 0 })
      } else {
        // trySend has no partner unless the receiver is waiting in recv.
        expect(first).toEqual({ outcome: overflow === 'refused' ? 'full' : 'dropped', blockedMs: 0 })
        expect(h.takeAll()).toEqual([])
      }
      const waiting = h.channel.recv()
      const second = h.offer(2)
      await h.settle()
      expect(await waiting).toBe(2)
      expect(second).toEqual({ outcome: 'accepted', blockedMs: 0 })
      expect(h.channel.maxLength).toBe(0)
    })

    it('cancellation and refusal leave no item behind', async () => {
      if (overflow === 'drops-oldest') {
        // Ring of 1 at capacity 0: the forwarder is sending 1 when 2 arrives; 1 is dropped and its send withdrawn.
        const h = new Harness(name, 0, 1)
        h.offerAll([1, 2])
        await h.settle()
        expect(h.dropped).toEqual([1])
        expect(h.channel.waitingSenders).toBe(1)
        expect(h.takeAll()).toEqual([2])
        return
      }
      const h = new Harness(name, 1, 1)
      const ctrl = new AbortController()
      const [a] = h.offerAll([1])
      const b = h.offer(2, ctrl.signal)
      await h.settle()
      ctrl.abort()
      await h.settle()
      expect(a?.outcome).toBe('accepted')
      expect(b.outcome).toBe({ waits: 'cancelled', refused: 'full', dropped: 'dropped' }[overflow])
      expect(h.channel.waitingSenders).toBe(0)
      expect(h.takeAll()).toEqual([1])
      expect(h.policy.cancelled).toBe(overflow === 'waits' ? 1 : 0)
    })

    it('counts exactly: 25 requests into capacity 5 (ring 4) with no receiver', async () => {
      const h = new Harness(name, 5, 4)
      const offers = h.offerAll(range(1, 25))
      await h.settle()
      const accepted = offers.filter((o) => o.outcome === 'accepted').length
      const expected = {
        waits: { accepted: 5, dropped: [], failedFull: 0, waiting: 20, taken: range(1, 25) },
        refused: { accepted: 5, dropped: [], failedFull: 20, waiting: 0, taken: range(1, 5) },
        dropped: { accepted: 5, dropped: range(6, 25), failedFull: 0, waiting: 0, taken: range(1, 5) },
        'drops-oldest': { accepted: 25, dropped: range(6, 21), failedFull: 0, waiting: 1, taken: [...range(1, 5), ...range(22, 25)] },
      }[overflow]
      expect({ accepted, dropped: h.dropped, failedFull: h.policy.failedFull, waiting: h.channel.waitingSenders }).toEqual({
        accepted: expected.accepted,
        dropped: expected.dropped,
        failedFull: expected.failedFull,
        waiting: expected.waiting,
      })
      expect(h.policy.dropped).toBe(expected.dropped.length)
      const taken: number[] = []
      for (let round = 0; round < 30; round++) {
        taken.push(...h.takeAll())
        await h.settle()
      }
      expect(taken).toEqual(expected.taken)
      expect(h.accepted).toEqual(overflow === 'drops-oldest' ? range(1, 25) : expected.taken)
    })

    it.each([
      [0, 1],
      [0, 3],
      [5, 2],
      [1, 4],
    ])('holds exactly its effective buffer at capacity %i (ring %i): capacity, or N + capacity for drop-oldest', async (capacity, ring) => {
      const h = new Harness(name, capacity, ring)
      const buffer = overflow === 'drops-oldest' ? ring + capacity : capacity
      const offers = h.offerAll(range(1, buffer))
      await h.settle()
      expect(offers.every((o) => o.outcome === 'accepted')).toBe(true)
      expect(h.channel.length + h.policy.depth).toBe(buffer)
      const extra = h.offer(buffer + 1)
      await h.settle()
      expect(extra.outcome).toBe({ waits: undefined, refused: 'full', dropped: 'dropped', 'drops-oldest': 'accepted' }[overflow])
      expect(h.policy.dropped + h.policy.failedFull).toBe(overflow === 'waits' ? 0 : 1)
      expect(h.channel.length + h.policy.depth).toBe(buffer)
    })
  })
}
