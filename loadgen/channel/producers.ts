/**
 * Open-loop producers: P tasks, each publishing through the send policy one request at a time,
 * together at a constant rate. Item j (all producers) is intended at `start + j / rate`, and
 * belongs to producer j mod P. A producer held by a blocking send falls behind and then catches
 * up back to back, its late sends measured from their intended time (coordinated omission
 * corrected, wrk2 style); a producer never has two sends outstanding. No send is made at or after
 * the end; intended sends a held producer never got to make by then are `missed`.
 *
 * One timer drives every producer (the next intended time); per send nothing is allocated but the
 * async step itself and whatever the `make` hook returns.
 */
import type { Clock, TimerHandle } from '../../core/clock.ts'
import { setMaxListeners } from 'node:events'
import { settledAtOnce, type SubmitOutcome } from './policies.ts'

export interface ProducerPlan {
  producers: number
  /** Sends per second, all producers together. */
  ratePerSec: number
  durationMs: number
}

export interface ProducerHooks<T> {
  /** The request for producer `producer`'s send number `seq` (global order), intended at `intendedAt`. */
  make(seq: number, producer: number, intendedAt: number, calledAt: number): T
  submit(item: T, signal: AbortSignal): Promise<SubmitOutcome>
  /**
   * After each submit: its outcome, when the call started, and when it was known — when the call
   * returned if it did not wait, else when the producer resumed (an accepted item's own acceptance
   * instant is more exact: see the policy's `onAccepted`).
   */
  settled(item: T, outcome: SubmitOutcome, calledAt: number, settledAt: number): void
}

export class OpenLoopProducers<T> {
  /** Sends made (submit called). */
  produced = 0
  /** Sends intended before the end (or stop) that were never made because their producer was held. */
  missed = 0
  private readonly intervalMs: number
  private readonly total: number
  private readonly nextK: Int32Array
  private readonly busyFlags: Uint8Array
  private busy = 0
  private start = 0
  private seq = 0
  private dueSoFar = 0
  private stopped = false
  private timer: TimerHandle | undefined
  private readonly abortCtrl = new AbortController()
  private idleWaiters: Array<() => void> = []

  constructor(
    private readonly plan: ProducerPlan,
    private readonly hooks: ProducerHooks<T>,
    private readonly clock: Clock,
  ) {
    if (!Number.isInteger(plan.producers) || plan.producers < 1) throw new Error(`producers must be a whole number ≥ 1, got ${plan.producers}`)
    if (!(plan.ratePerSec > 0)) throw new Error(`ratePerSec must be > 0, got ${plan.ratePerSec}`)
    this.intervalMs = 1000 / plan.ratePerSec
    this.total = Math.ceil(plan.durationMs / this.intervalMs)
    // Every held producer listens to the one abort signal.
    setMaxListeners(plan.producers + 16, this.abortCtrl.signal)
    this.nextK = new Int32Array(plan.producers)
    this.busyFlags = new Uint8Array(plan.producers)
  }

  /** Sends intended over the whole duration. */
  get intended(): number {
    return this.total
  }

  /** Producers inside a submit right now. */
  get held(): number {
    return this.busy
  }

  /** Starts at `at` (default now); the first send is intended at `at`. */
  begin(at: number = this.clock.now()): void {
    this.start = at
    this.arm()
  }

  /** No further sends; returns the number missed. Producers inside a submit finish it (see `abort`). */
  stop(): number {
    if (this.stopped) return this.missed
    this.stopped = true
    if (this.timer) this.clock.clearTimeout(this.timer)
    this.timer = undefined
    this.missed = Math.max(0, this.dueAt(this.clock.now()) - this.produced)
    return this.missed
  }

  /** Cancels every blocked submit (their outcome becomes `cancelled`). */
  abort(): void {
    this.abortCtrl.abort()
  }

  /** Resolves when no producer is inside a submit. */
  idle(): Promise<void> {
    if (this.busy === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  /** Sends intended at or before `now` (capped at the total). */
  private dueAt(now: number): number {
    if (now < this.start) return 0
    return Math.min(this.total, Math.floor((now - this.start) / this.intervalMs) + 1)
  }

  private dueFor(p: number, due: number): number {
    return p < due ? Math.floor((due - 1 - p) / this.plan.producers) + 1 : 0
  }

  private arm(): void {
    if (this.stopped || this.dueSoFar >= this.total) return
    const at = this.start + this.dueSoFar * this.intervalMs
    this.timer = this.clock.setTimeout(() => this.tick(), Math.max(0, at - this.clock.now()))
  }

  private tick(): void {
    this.timer = undefined
    if (this.stopped) return
    const due = this.dueAt(this.clock.now())
    const P = this.plan.producers
    // Producers with a newly due send; a held one picks its backlog up when its submit returns.
    const first = this.dueSoFar
    const last = Math.min(due, first + P)
    for (let j = first; j < last; j++) {
      const p = j % P
      if (this.busyFlags[p] === 0) void this.run(p)
    }
    this.dueSoFar = due
    this.arm()
  }

  private async run(p: number): Promise<void> {
    this.busyFlags[p] = 1
    this.busy++
    try {
      const P = this.plan.producers
      while (!this.stopped) {
        const k = this.nextK[p]!
        if (k >= this.dueFor(p, this.dueAt(this.clock.now()))) break
        this.nextK[p] = k + 1
        const calledAt = this.clock.now()
        const intendedAt = this.start + (k * P + p) * this.intervalMs
        const item = this.hooks.make(this.seq++, p, intendedAt, calledAt)
        this.produced++
        const pending = this.hooks.submit(item, this.abortCtrl.signal)
        const returnedAt = this.clock.now()
        const outcome = await pending
        this.hooks.settled(item, outcome, calledAt, settledAtOnce(pending) ? returnedAt : this.clock.now())
      }
    } finally {
      this.busyFlags[p] = 0
      if (--this.busy === 0) for (const w of this.idleWaiters.splice(0)) w()
    }
  }
}
