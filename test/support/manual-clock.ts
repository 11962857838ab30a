/** A clock for tests that only moves when told to, so timing tests are exact and fast. */
import type { Clock, TimerHandle } from '../../core/clock.ts'

interface ManualTimer {
  id: number
  at: number
  fn: () => void
}

const flushMicrotasks = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** A clock that only moves when told to. Timers due at the same instant run in creation order. */
export class ManualClock implements Clock {
  private time: number
  private nextId = 1
  private timers: ManualTimer[] = []

  constructor(start = 0) {
    this.time = start
  }

  now(): number {
    return this.time
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, at: this.time + Math.max(0, ms), fn }
    this.timers.push(timer)
    return { id: timer.id }
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle.id)
  }

  get pendingTimers(): number {
    return this.timers.length
  }

  /** Advances time by `ms`, running each due timer in order and letting promises settle between them. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms
    await flushMicrotasks()
    for (;;) {
      const next = this.earliest()
      if (next === undefined || next.at > target) break
      this.timers = this.timers.filter((t) => t !== next)
      this.time = next.at
      next.fn()
      await flushMicrotasks()
    }
    this.time = target
    await flushMicrotasks()
  }

  /** Runs timers until none are left (bounded, so a timer loop cannot hang a test). */
  async runAll(maxSteps = 100_000): Promise<void> {
    for (let i = 0; i < maxSteps; i++) {
      await flushMicrotasks()
      const next = this.earliest()
      if (next === undefined) return
      await this.advance(next.at - this.time)
    }
    throw new Error(`ManualClock.runAll: still ${this.timers.length} timers after ${maxSteps} steps`)
  }

  private earliest(): ManualTimer | undefined {
    let best: ManualTimer | undefined
    for (const t of this.timers) if (best === undefined || t.at < best.at || (t.at === best.at && t.id < best.id)) best = t
    return best
  }
}

/**
 * `finish()` runs the clock until no timer is left and gives what `promise` settled to. Handlers
 * are attached at once, so a rejection is never "unhandled" while the clock runs.
 */
export function onClock<T>(clock: ManualClock, promise: Promise<T>): () => Promise<T> {
  const outcome = promise.then((value) => ({ value }), (error: unknown) => ({ error }))
  return async () => {
    await clock.runAll()
    const o = await outcome
    if ('error' in o) throw o.error
    return o.value
  }
}
