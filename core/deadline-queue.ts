/**
 * Deadlines behind ONE timer: entries sit in a binary min-heap ordered by deadline, and a single
 * timer on the injected clock fires at the earliest one and expires everything due. This replaces a
 * setTimeout per call (10,000 pending calls = 1 timer, not 10,000), and removal is O(log n).
 *
 * An entry carries its own heap position (`heapIndex`, -1 when not queued), so a caller can remove
 * it without a search and without allocating a handle.
 */
import type { Clock, TimerHandle } from './clock.ts'

export interface DeadlineEntry {
  /** Absolute time on the queue's clock (ms) at which the entry expires. */
  deadline: number
  /** Owned by DeadlineQueue: index in the heap, -1 when not queued. Initialise to -1. */
  heapIndex: number
  /** Owned by DeadlineQueue: insertion order, so equal deadlines expire first-in first-out. Initialise to 0. */
  queueSeq: number
}

/** a expires before b: earlier deadline, then earlier insertion. */
const before = (a: DeadlineEntry, b: DeadlineEntry): boolean => a.deadline < b.deadline || (a.deadline === b.deadline && a.queueSeq < b.queueSeq)

export class DeadlineQueue<T extends DeadlineEntry> {
  private readonly heap: T[] = []
  private timer: TimerHandle | undefined
  /** When the armed timer fires; Infinity when none is armed. */
  private timerAt = Infinity
  private seq = 0

  constructor(
    private readonly clock: Clock,
    /** Called once per expired entry, after it left the queue; may add or remove entries. */
    private readonly onExpire: (entry: T) => void,
  ) {}

  get size(): number {
    return this.heap.length
  }

  /** True when a timer is armed (tests check that an idle queue holds no timer). */
  get armed(): boolean {
    return this.timer !== undefined
  }

  add(entry: T): void {
    if (entry.heapIndex >= 0) throw new Error('DeadlineQueue.add: entry is already queued')
    entry.heapIndex = this.heap.length
    entry.queueSeq = ++this.seq
    this.heap.push(entry)
    this.up(entry.heapIndex)
    if (entry.deadline < this.timerAt) this.arm()
  }

  /** Removes an entry; false when it was not queued. A timer left armed for it fires early and re-arms. */
  remove(entry: T): boolean {
    const i = entry.heapIndex
    if (i < 0) return false
    const last = this.heap.pop()!
    entry.heapIndex = -1
    if (last !== entry) {
      this.heap[i] = last
      last.heapIndex = i
      this.down(i)
      this.up(last.heapIndex)
    }
    if (this.heap.length === 0) this.disarm()
    return true
  }

  /** Empties the queue without expiring anything and frees the timer; returns the entries. */
  clear(): T[] {
    const all = this.heap.splice(0)
    for (const e of all) e.heapIndex = -1
    this.disarm()
    return all
  }

  private readonly fire = (): void => {
    this.timer = undefined
    this.timerAt = Infinity
    const now = this.clock.now()
    for (;;) {
      const top = this.heap[0]
      if (top === undefined || top.deadline > now) break
      this.remove(top)
      this.onExpire(top)
    }
    if (this.heap.length > 0 && this.timer === undefined) this.arm()
  }

  private arm(): void {
    const top = this.heap[0]
    if (top === undefined) return
    this.disarm()
    // Real timers have 1 ms granularity and may fire a fraction early: fire() re-arms if nothing is due yet.
    const delay = Math.max(0, Math.ceil(top.deadline - this.clock.now()))
    this.timerAt = top.deadline
    this.timer = this.clock.setTimeout(this.fire, delay)
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer)
    this.timer = undefined
    this.timerAt = Infinity
  }

  private up(i: number): void {
    const heap = this.heap
    const e = heap[i]!
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = heap[parent]!
      if (!before(e, p)) break
      heap[i] = p
      p.heapIndex = i
      i = parent
    }
    heap[i] = e
    e.heapIndex = i
  }

  private down(i: number): void {
    const heap = this.heap
    const n = heap.length
    const e = heap[i]!
    for (;;) {
      let child = 2 * i + 1
      if (child >= n) break
      const right = child + 1
      if (right < n && before(heap[right]!, heap[child]!)) child = right
      const c = heap[child]!
      if (!before(c, e)) break
      heap[i] = c
      c.heapIndex = i
      i = child
    }
    heap[i] = e
    e.heapIndex = i
  }
}
