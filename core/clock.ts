/**
 * Time as a dependency. Everything that waits takes a Clock, so unit tests drive time with
 * ManualClock (test/support/manual-clock.ts) and get exact, fast results; production code uses realClock.
 */
export interface TimerHandle {
  readonly id: number
}

export interface Clock {
  /** Milliseconds, monotonic (not wall time). */
  now(): number
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
}

interface RealHandle extends TimerHandle {
  timer: NodeJS.Timeout
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms)
    return { id: 0, timer } as RealHandle
  },
  clearTimeout(handle) {
    clearTimeout((handle as RealHandle).timer)
  },
}

export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms))
}

/** Calls `fn` every `ms` on `clock` until the returned stop function is called (also from inside `fn`). */
export function tickEvery(clock: Clock, ms: number, fn: () => void): () => void {
  let handle: TimerHandle | undefined
  let stopped = false
  const tick = (): void => {
    fn()
    if (!stopped) handle = clock.setTimeout(tick, ms)
  }
  handle = clock.setTimeout(tick, ms)
  return () => {
    stopped = true
    if (handle !== undefined) clock.clearTimeout(handle)
  }
}
