/**
 * What an application does when the request channel is full, as four policies over one
 * BoundedChannel:
 *
 * - `block`: `send` — the producer waits (FIFO) until the event loop makes room.
 * - `try`: `trySend` — a full channel fails the request at once (counted as a failure).
 * - `drop-newest`: `trySend` — a full channel drops the new request (counted as dropped).
 * - `drop-oldest`: a ring of N in front of a forwarder that awaits `send`; when the ring is full the
 *   oldest queued request is dropped (if the forwarder was sending it, that send is cancelled, so
 *   it leaves nothing behind). The ring is not a channel feature: the effective buffer is N + cap.
 *
 * `submit` never rejects and never waits except under `block`; outcomes that are known at once
 * come back as shared resolved promises, so the non-blocking policies allocate nothing per call.
 */
import { BoundedChannel, ChannelClosedError, type Present } from './bounded-channel.ts'
import { Ring } from '../../core/ring.ts'

export const POLICY_NAMES = ['block', 'try', 'drop-newest', 'drop-oldest'] as const
export type PolicyName = (typeof POLICY_NAMES)[number]

/** accepted: in the channel (or drop-oldest's ring); dropped: the submitted item was dropped;
 *  full: trySend failed; closed: the channel is closed; cancelled: a blocked send was aborted. */
export type SubmitOutcome = 'accepted' | 'dropped' | 'full' | 'closed' | 'cancelled'

/** Why drop-oldest withdraws a send (one preallocated reason). */
const DROPPED = new Error('dropped by drop-oldest')

const OUTCOME: { readonly [K in SubmitOutcome]: Promise<K> } = {
  accepted: Promise.resolve('accepted'),
  dropped: Promise.resolve('dropped'),
  full: Promise.resolve('full'),
  closed: Promise.resolve('closed'),
  cancelled: Promise.resolve('cancelled'),
}

export interface SendPolicy<T> {
  readonly name: PolicyName
  /** Offers one item; resolves with its outcome, never rejects. Only `block` may wait. */
  submit(item: T, signal?: AbortSignal): Promise<SubmitOutcome>
  /** Items queued in front of the channel (drop-oldest's ring); 0 for the other policies. */
  readonly depth: number
  readonly maxDepth: number
  /** Items dropped: the submitted one (drop-newest) or the oldest queued (drop-oldest). */
  readonly dropped: number
  /** `try` failures because the channel was full. */
  readonly failedFull: number
  /** Submits refused because the channel was closed. */
  readonly failedClosed: number
  /** Blocked sends cancelled by their signal. */
  readonly cancelled: number
  /** drop-oldest: items accepted into the ring that never reached the channel (closed first). */
  readonly discarded: number
  /** Stops forwarding; items still queued in front of the channel go to `onDiscarded`. */
  close(): void
}

/** True for an outcome known when `submit` returned (the call did not wait). */
export function settledAtOnce(p: Promise<SubmitOutcome>): boolean {
  return p === OUTCOME.accepted || p === OUTCOME.dropped || p === OUTCOME.full || p === OUTCOME.closed || p === OUTCOME.cancelled
}

export interface PolicyOptions<T> {
  /** Called synchronously the instant an item is accepted (into the channel, or drop-oldest's ring). */
  onAccepted?: (item: T) => void
  /** drop-oldest: size N of the ring in front of the channel (≥ 1). */
  ring?: number
  /** Every dropped item (drop-newest: the new one; drop-oldest: the oldest queued). */
  onDropped?: (item: T) => void
  /** drop-oldest: items accepted into the ring that never reached the channel because it closed. */
  onDiscarded?: (item: T) => void
}

export function createPolicy<T extends Present>(name: PolicyName, channel: BoundedChannel<T>, opts: PolicyOptions<T> = {}): SendPolicy<T> {
  switch (name) {
    case 'block':
      return new BlockPolicy(channel, opts.onAccepted)
    case 'try':
    case 'drop-newest':
      return new TryPolicy(name, channel, opts)
    case 'drop-oldest':
      return new DropOldestPolicy(channel, opts)
  }
}

abstract class Counters {
  dropped = 0
  failedFull = 0
  failedClosed = 0
  cancelled = 0
  discarded = 0
  get depth(): number {
    return 0
  }
  get maxDepth(): number {
    return 0
  }
}

class BlockPolicy<T extends Present> extends Counters implements SendPolicy<T> {
  readonly name = 'block'
  private readonly onAccepted = (): SubmitOutcome => 'accepted'
  private readonly onRefused = (err: unknown): SubmitOutcome => {
    if (err instanceof ChannelClosedError) {
      this.failedClosed++
      return 'closed'
    }
    this.cancelled++
    return 'cancelled'
  }

  constructor(
    private readonly channel: BoundedChannel<T>,
    private readonly accepted: ((item: T) => void) | undefined,
  ) {
    super()
  }

  submit(item: T, signal?: AbortSignal): Promise<SubmitOutcome> {
    // Same rule as send's own fast path; only a send that has to wait allocates.
    const r = this.channel.trySend(item)
    if (r === 'ok') {
      this.accepted?.(item)
      return OUTCOME.accepted
    }
    if (r === 'closed') {
      this.failedClosed++
      return OUTCOME.closed
    }
    if (signal?.aborted === true) {
      this.cancelled++
      return OUTCOME.cancelled
    }
    const accepted = this.accepted
    const onAccepted = accepted === undefined ? undefined : () => accepted(item)
    return this.channel.send(item, { signal, onAccepted }).then(this.onAccepted, this.onRefused)
  }

  close(): void {}
}

class TryPolicy<T extends Present> extends Counters implements SendPolicy<T> {
  constructor(
    readonly name: 'try' | 'drop-newest',
    private readonly channel: BoundedChannel<T>,
    private readonly opts: PolicyOptions<T>,
  ) {
    super()
  }

  submit(item: T): Promise<SubmitOutcome> {
    const r = this.channel.trySend(item)
    if (r === 'ok') {
      this.opts.onAccepted?.(item)
      return OUTCOME.accepted
    }
    if (r === 'closed') {
      this.failedClosed++
      return OUTCOME.closed
    }
    if (this.name === 'try') {
      this.failedFull++
      return OUTCOME.full
    }
    this.dropped++
    this.opts.onDropped?.(item)
    return OUTCOME.dropped
  }

  close(): void {}
}

class DropOldestPolicy<T extends Present> extends Counters implements SendPolicy<T> {
  readonly name = 'drop-oldest'
  private readonly ring: Ring<T>
  private peak = 0
  private forwarding = false
  private closed = false
  /** The ring's head is in a pending `send`: withdrawing it cancels that send. */
  private sending = false
  private readonly onHeadAccepted = (): void => {
    this.ring.shift()
    this.sending = false
  }

  constructor(
    private readonly channel: BoundedChannel<T>,
    private readonly opts: PolicyOptions<T>,
  ) {
    super()
    const n = opts.ring ?? 1
    if (!Number.isInteger(n) || n < 1) throw new Error(`drop-oldest needs a ring of at least 1, got ${n}`)
    this.ring = new Ring<T>(n)
  }

  override get depth(): number {
    return this.ring.length
  }

  override get maxDepth(): number {
    return this.peak
  }

  submit(item: T): Promise<SubmitOutcome> {
    if (this.closed || this.channel.closed) {
      this.failedClosed++
      return OUTCOME.closed
    }
    if (this.ring.full) {
      const oldest = this.ring.shift()!
      if (this.sending) {
        // The oldest is the one being forwarded: cancel that send so it leaves no item behind.
        this.sending = false
        this.channel.withdraw(oldest, DROPPED)
      }
      this.dropped++
      this.opts.onDropped?.(oldest)
    }
    this.ring.push(item)
    this.opts.onAccepted?.(item)
    if (!this.forwarding) void this.forward()
    // After the forwarder's synchronous part: what really waits in the ring.
    if (this.ring.length > this.peak) this.peak = this.ring.length
    return OUTCOME.accepted
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    if (this.sending) {
      this.sending = false
      this.channel.withdraw(this.ring.peek()!, DROPPED)
    }
    if (!this.forwarding) this.discardAll()
  }

  private async forward(): Promise<void> {
    this.forwarding = true
    try {
      while (this.ring.length > 0 && !this.closed) {
        const head = this.ring.peek()!
        const r = this.channel.trySend(head)
        if (r === 'ok') {
          this.ring.shift()
          continue
        }
        if (r === 'closed') break
        this.sending = true
        try {
          await this.channel.send(head, { onAccepted: this.onHeadAccepted })
        } catch (err) {
          if (err instanceof ChannelClosedError) break
          // Withdrawn: `submit` dropped this head (or `close` stopped us); go on with the new head.
        }
      }
    } finally {
      this.forwarding = false
      this.sending = false
      if (this.closed || this.channel.closed) this.discardAll()
    }
  }

  private discardAll(): void {
    for (let item = this.ring.shift(); item !== undefined; item = this.ring.shift()) {
      this.discarded++
      this.opts.onDiscarded?.(item)
    }
  }
}
