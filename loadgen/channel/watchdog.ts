/**
 * Detects that no progress is possible: work is pending, nothing holds the loop back from outside
 * (no stall, connection up), and yet its progress counter has not moved for `timeoutMs`. Then it
 * calls `onStuck` once, so a deadlocked cell ends in bounded time instead of hanging the run.
 */
import type { Clock, TimerHandle } from '../../core/clock.ts'

export interface WatchdogProbe {
  /** Monotonic counter of the watched loop's steps. */
  progress(): number
  /** Work is waiting for the loop (queued requests, blocked senders, unhandled events). */
  pending(): boolean
  /** Something outside holds the loop (a stall, a cut): not counted as being stuck. */
  excused(): boolean
}

export interface WatchdogOptions {
  clock: Clock
  timeoutMs: number
  /** How often to look (default timeoutMs / 10, at least 1 ms). */
  checkEveryMs?: number
  probe: WatchdogProbe
  onStuck(stuckForMs: number): void
}

export class Watchdog {
  fired = false
  private lastProgress = Number.NaN
  private since = 0
  private timer: TimerHandle | undefined
  private readonly every: number

  constructor(private readonly opts: WatchdogOptions) {
    if (!(opts.timeoutMs > 0)) throw new Error(`watchdog timeoutMs must be > 0, got ${opts.timeoutMs}`)
    this.every = opts.checkEveryMs ?? Math.max(1, opts.timeoutMs / 10)
  }

  start(): void {
    this.since = this.opts.clock.now()
    this.lastProgress = this.opts.probe.progress()
    this.arm()
  }

  stop(): void {
    if (this.timer) this.opts.clock.clearTimeout(this.timer)
    this.timer = undefined
  }

  private arm(): void {
    this.timer = this.opts.clock.setTimeout(() => this.check(), this.every)
  }

  private check(): void {
    this.timer = undefined
    const now = this.opts.clock.now()
    const p = this.opts.probe
    const progress = p.progress()
    if (progress !== this.lastProgress || !p.pending() || p.excused()) {
      this.lastProgress = progress
      this.since = now
    } else if (now - this.since >= this.opts.timeoutMs) {
      this.fired = true
      this.opts.onStuck(now - this.since)
      return
    }
    this.arm()
  }
}
