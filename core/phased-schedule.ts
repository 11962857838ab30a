/**
 * A periodic schedule of many items on one timer: item i is due at start + phase[i] + k·period for
 * k = 0, 1, … while that is before `end`. Phases spread the items over the period (devices sampling
 * at F Hz do not all sample at once). Due times are computed, never accumulated, so nothing drifts;
 * a late timer fires every item that came due meanwhile, in due order, with its own due time (none
 * is skipped: whoever fires decides what a late item means). With phases in [0, period) and an end
 * of start + m·period, every item fires exactly m times.
 *
 * The telemetry publisher (device side) and the RPC poller (caller side) both run on it.
 */
import type { Clock, TimerHandle } from './clock.ts'

export interface PhasedScheduleOptions {
  clock: Clock
  periodMs: number
  /** One phase per item, each in [0, periodMs). */
  phasesMs: readonly number[]
  /** Clock time of the first period's start, and the end (exclusive) after which nothing is due. */
  startMs: number
  endMs: number
  /** Item `index` is due at `dueMs`. */
  fire(index: number, dueMs: number): void
  /** Before each timer turn's fires (e.g. to hold a socket's writes for the batch). */
  beforeBatch?(): void
  /** Once `endMs` has come (every due item fired), or after stop(). */
  done?(): void
}

export class PhasedSchedule {
  /** Items fired so far. */
  fired = 0
  private readonly order: number[]
  private ptr = 0
  private cycle = 0
  private timer: TimerHandle | undefined
  private finished = false

  constructor(private readonly o: PhasedScheduleOptions) {
    if (!(o.periodMs > 0)) throw new Error(`periodMs must be positive, got ${o.periodMs}`)
    for (const p of o.phasesMs) if (!(p >= 0 && p < o.periodMs)) throw new Error(`every phase must be in [0, ${o.periodMs}), got ${p}`)
    this.order = o.phasesMs.map((_, i) => i).sort((a, b) => o.phasesMs[a]! - o.phasesMs[b]! || a - b)
  }

  /** Arms the timer for the first due item (with no item, only for the end). */
  start(): void {
    if (this.order.length === 0) {
      this.timer = this.o.clock.setTimeout(() => this.finish(), Math.max(0, this.o.endMs - this.o.clock.now()))
      return
    }
    this.arm()
  }

  /** Fires nothing more; calls done() if it had not finished. */
  stop(): void {
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer)
    this.timer = undefined
    this.finish()
  }

  get running(): boolean {
    return !this.finished
  }

  private due(): number {
    return this.o.startMs + this.cycle * this.o.periodMs + this.o.phasesMs[this.order[this.ptr]!]!
  }

  private arm(): void {
    const due = this.due()
    // After the last item: done when the schedule's time is up, not at its last fire.
    if (due >= this.o.endMs) this.timer = this.o.clock.setTimeout(() => this.finish(), Math.max(0, this.o.endMs - this.o.clock.now()))
    else this.timer = this.o.clock.setTimeout(this.tick, Math.max(0, due - this.o.clock.now()))
  }

  private readonly tick = (): void => {
    this.timer = undefined
    const now = this.o.clock.now()
    let due = this.due()
    if (due <= now && due < this.o.endMs) this.o.beforeBatch?.()
    while (!this.finished && due <= now && due < this.o.endMs) {
      this.fired++
      this.o.fire(this.order[this.ptr]!, due)
      if (++this.ptr === this.order.length) {
        this.ptr = 0
        this.cycle++
      }
      due = this.due()
    }
    if (!this.finished) this.arm()
  }

  private finish(): void {
    this.timer = undefined
    if (this.finished) return
    this.finished = true
    this.o.done?.()
  }
}

/** A phase in [0, periodMs) from a 32-bit hash of the item (its id and the seed): items spread over the period, the same on every run. */
export const hashedPhase = (periodMs: number, hash: number): number => ((hash >>> 0) / 2 ** 32) * periodMs
