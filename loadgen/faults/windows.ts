/**
 * When a fault is active, as time windows from the start of a run, played on a Clock: `on` at each
 * window's start, `off` at its end, and `finish()` lifts whatever is active and cancels the rest.
 */
import type { Clock, TimerHandle } from '../../core/clock.ts'

export interface FaultWindow {
  /** ms from the start */
  from: number
  to: number
}

/**
 * `forMs` in the middle of every `everyMs` period, within [0, durationMs): each period starts and
 * ends normal, so every fault window has a calm stretch before and after it.
 */
export function periodicWindows(durationMs: number, everyMs: number, forMs: number): FaultWindow[] {
  const out: FaultWindow[] = []
  const len = Math.min(forMs, everyMs)
  if (!(len > 0) || !(everyMs > 0)) return out
  for (let start = (everyMs - len) / 2; start < durationMs; start += everyMs) out.push({ from: start, to: Math.min(durationMs, start + len) })
  return out
}

/** One window of `forMs` starting at `atMs`, clipped to [0, durationMs). */
export function singleWindow(durationMs: number, atMs: number, forMs: number): FaultWindow[] {
  const from = Math.max(0, atMs)
  const to = Math.min(durationMs, from + forMs)
  return to > from ? [{ from, to }] : []
}

export interface WindowHooks {
  on(): void
  off(): void
}

export class WindowTimer {
  active = false
  /** Windows that began so far. */
  begun = 0
  private timer: TimerHandle | undefined
  private start = 0
  private index = 0

  constructor(
    private readonly clock: Clock,
    private readonly windows: readonly FaultWindow[],
    private readonly hooks: WindowHooks,
  ) {}

  begin(at: number = this.clock.now()): void {
    this.start = at
    this.arm()
  }

  /** Lifts an active window now and cancels the windows still to come. */
  finish(): void {
    if (this.timer) this.clock.clearTimeout(this.timer)
    this.timer = undefined
    this.index = this.windows.length
    if (this.active) {
      this.active = false
      this.hooks.off()
    }
  }

  private arm(): void {
    const w = this.windows[this.index]
    if (w === undefined) return
    const at = this.start + (this.active ? w.to : w.from)
    this.timer = this.clock.setTimeout(() => this.step(), Math.max(0, at - this.clock.now()))
  }

  private step(): void {
    this.timer = undefined
    if (this.active) {
      this.active = false
      this.index++
      this.hooks.off()
    } else {
      this.active = true
      this.begun++
      this.hooks.on()
    }
    this.arm()
  }
}
