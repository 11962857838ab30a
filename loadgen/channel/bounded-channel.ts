/**
 * rumqtt's request channel (a flume bounded channel): many senders, one receiver (the event loop).
 *
 * - `send` is accepted at once when a receiver is waiting or the buffer has room; otherwise it waits
 *   in FIFO order until the receiver makes room. Capacity 0 is a rendezvous: a send completes only
 *   when the receiver takes its item (from a waiting receiver, or by `tryRecv`/`recv` later).
 * - A send can be cancelled with an AbortSignal while it waits; its item is then gone, as if never
 *   sent (the receiver never sees it). A send that was already accepted cannot be cancelled.
 *   `withdraw(item)` does the same for the caller that owns the item, without an AbortController.
 * - `trySend` never waits: `'full'` or `'closed'` at once. At capacity 0 it succeeds only while the
 *   receiver is waiting in `recv`.
 * - `close` fails every waiting send (ChannelClosedError) and every later one; items already
 *   buffered can still be received.
 *
 * Hot path: the buffer is a ring, accepted sends return one shared resolved promise, and nothing is
 * allocated unless a send has to wait.
 */
import { Ring } from '../../core/ring.ts'

export type TrySendResult = 'ok' | 'full' | 'closed'
/** What `trySend` answers when the buffer is full (or, at capacity 0, no receiver is waiting). */
const Full = 'full' satisfies TrySendResult
/** What `trySend` answers after `close`. */
export const Closed = 'closed' satisfies TrySendResult

export class ChannelClosedError extends Error {
  override readonly name = 'ChannelClosedError'
  readonly code = 'closed'
  constructor() {
    super('channel closed')
  }
}

export interface SendOptions {
  /** Cancels the send while it waits; the promise rejects with the signal's reason. */
  signal?: AbortSignal
  /** Called synchronously at the instant the item is accepted (before the promise settles). */
  onAccepted?: () => void
}

interface SendWaiter<T> {
  item: T
  resolve: () => void
  reject: (err: unknown) => void
  signal: AbortSignal | undefined
  onAbort: (() => void) | undefined
  onAccepted: (() => void) | undefined
  prev: SendWaiter<T> | undefined
  next: SendWaiter<T> | undefined
  linked: boolean
}

interface RecvWaiter<T> {
  resolve: (item: T | undefined) => void
  reject: (err: unknown) => void
  signal: AbortSignal | undefined
  onAbort: (() => void) | undefined
}

const RESOLVED: Promise<void> = Promise.resolve()

/** Any value but null and undefined: `tryRecv` answers undefined for an empty channel. */
export type Present = NonNullable<unknown>

export class BoundedChannel<T extends Present> {
  readonly capacity: number
  /** Items accepted / received so far. */
  accepted = 0
  received = 0
  /** Highest number of items buffered at once, and of sends waiting at once. */
  maxLength = 0
  maxWaitingSenders = 0
  private readonly buffer: Ring<T>
  private head: SendWaiter<T> | undefined
  private tail: SendWaiter<T> | undefined
  private waiting = 0
  private receiver: RecvWaiter<T> | undefined
  private isClosed = false

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new Error(`channel capacity must be a whole number ≥ 0, got ${capacity}`)
    this.capacity = capacity
    this.buffer = new Ring<T>(capacity)
  }

  /** Items buffered (waiting sends not included). */
  get length(): number {
    return this.buffer.length
  }

  get waitingSenders(): number {
    return this.waiting
  }

  /** True while the receiver waits in `recv`. */
  get receiverWaiting(): boolean {
    return this.receiver !== undefined
  }

  get closed(): boolean {
    return this.isClosed
  }

  send(item: T, opts?: SendOptions): Promise<void> {
    if (this.isClosed) return Promise.reject(new ChannelClosedError())
    const signal = opts?.signal
    if (signal?.aborted === true) return Promise.reject(signal.reason)
    if (this.offer(item)) {
      opts?.onAccepted?.()
      return RESOLVED
    }
    return new Promise<void>((resolve, reject) => {
      const w: SendWaiter<T> = { item, resolve, reject, signal, onAbort: undefined, onAccepted: opts?.onAccepted, prev: this.tail, next: undefined, linked: true }
      if (this.tail) this.tail.next = w
      else this.head = w
      this.tail = w
      this.waiting++
      if (this.waiting > this.maxWaitingSenders) this.maxWaitingSenders = this.waiting
      if (signal) {
        w.onAbort = () => {
          if (!w.linked) return
          this.unlink(w)
          reject(signal.reason)
        }
        signal.addEventListener('abort', w.onAbort, { once: true })
      }
    })
  }

  trySend(item: T): TrySendResult {
    if (this.isClosed) return Closed
    return this.offer(item) ? 'ok' : Full
  }

  /**
   * Cancels the waiting send of `item` (the oldest such send), which rejects with `reason`; false
   * when no send of it is waiting (it was accepted already, or never waited).
   */
  withdraw(item: T, reason: unknown): boolean {
    for (let w = this.head; w !== undefined; w = w.next) {
      if (w.item !== item) continue
      this.unlink(w)
      w.reject(reason)
      return true
    }
    return false
  }

  /** Takes the next item without waiting: from the buffer (refilled from the first waiting send), or at capacity 0 from the first waiting send. */
  tryRecv(): T | undefined {
    if (this.buffer.length > 0) {
      const item = this.buffer.shift()!
      const w = this.head
      if (w !== undefined) {
        this.buffer.push(w.item)
        this.acceptWaiter(w)
      }
      this.received++
      return item
    }
    const w = this.head
    if (w === undefined) return undefined
    this.acceptWaiter(w)
    this.received++
    return w.item
  }

  /**
   * The next item, waiting if there is none; `undefined` once the channel is closed and empty, or
   * when `interruptRecv` is called. One receiver at a time.
   */
  recv(opts?: { signal?: AbortSignal }): Promise<T | undefined> {
    const item = this.tryRecv()
    if (item !== undefined) return Promise.resolve(item)
    if (this.isClosed) return Promise.resolve(undefined)
    if (this.receiver !== undefined) return Promise.reject(new Error('BoundedChannel has one receiver: recv() is already waiting'))
    const signal = opts?.signal
    if (signal?.aborted === true) return Promise.reject(signal.reason)
    return new Promise<T | undefined>((resolve, reject) => {
      const r: RecvWaiter<T> = { resolve, reject, signal, onAbort: undefined }
      if (signal) {
        r.onAbort = () => {
          if (this.receiver !== r) return
          this.receiver = undefined
          reject(signal.reason)
        }
        signal.addEventListener('abort', r.onAbort, { once: true })
      }
      this.receiver = r
    })
  }

  /** Ends a waiting `recv` with `undefined`, taking nothing (the receiver stops being a rendezvous partner). */
  interruptRecv(): void {
    const r = this.receiver
    if (r === undefined) return
    this.receiver = undefined
    if (r.signal && r.onAbort) r.signal.removeEventListener('abort', r.onAbort)
    r.resolve(undefined)
  }

  /** No more sends: waiting and later sends fail with ChannelClosedError; buffered items stay receivable. */
  close(): void {
    if (this.isClosed) return
    this.isClosed = true
    const err = new ChannelClosedError()
    for (let w = this.head; w !== undefined; w = this.head) {
      this.unlink(w)
      w.reject(err)
    }
    if (this.buffer.length === 0) this.interruptRecv()
  }

  private offer(item: T): boolean {
    const r = this.receiver
    if (r !== undefined) {
      // A waiting receiver means the buffer is empty and no send waits: hand over directly.
      this.receiver = undefined
      if (r.signal && r.onAbort) r.signal.removeEventListener('abort', r.onAbort)
      this.accepted++
      this.received++
      r.resolve(item)
      return true
    }
    if (this.head !== undefined || this.buffer.length >= this.capacity) return false
    this.buffer.push(item)
    if (this.buffer.length > this.maxLength) this.maxLength = this.buffer.length
    this.accepted++
    return true
  }

  private acceptWaiter(w: SendWaiter<T>): void {
    this.unlink(w)
    this.accepted++
    if (this.buffer.length > this.maxLength) this.maxLength = this.buffer.length
    w.onAccepted?.()
    w.resolve()
  }

  private unlink(w: SendWaiter<T>): void {
    w.linked = false
    if (w.prev) w.prev.next = w.next
    else this.head = w.next
    if (w.next) w.next.prev = w.prev
    else this.tail = w.prev
    w.prev = undefined
    w.next = undefined
    this.waiting--
    if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort)
  }
}
