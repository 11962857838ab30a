/**
 * At most `permits` holders at once; the rest wait in FIFO order. A wait can be abandoned with an
 * AbortSignal (its place passes on). `Infinity` permits = no bound. Counts its peak, for tests
 * and progress.
 */
interface Waiter {
  grant(): void
  reject(err: unknown): void
  signal: AbortSignal | undefined
  onAbort: (() => void) | undefined
}

export class Semaphore {
  private held = 0
  private peakHeld = 0
  private readonly queue: Waiter[] = []

  constructor(readonly permits: number) {
    if (!(permits >= 1)) throw new Error(`a semaphore needs at least 1 permit, got ${permits}`)
  }

  get inUse(): number {
    return this.held
  }
  get waiting(): number {
    return this.queue.length
  }
  /** Most permits held at once so far; never above `permits`. */
  get peak(): number {
    return this.peakHeld
  }

  /** Resolves with a release function (calling it again does nothing) once a permit is free. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    if (this.held < this.permits && this.queue.length === 0) return Promise.resolve(this.take())
    return new Promise((resolve, reject) => {
      const w: Waiter = { grant: () => resolve(this.take()), reject, signal, onAbort: undefined }
      if (signal) {
        w.onAbort = () => {
          const i = this.queue.indexOf(w)
          if (i >= 0) this.queue.splice(i, 1)
          reject(signal.reason)
        }
        signal.addEventListener('abort', w.onAbort, { once: true })
      }
      this.queue.push(w)
    })
  }

  private take(): () => void {
    this.held++
    if (this.held > this.peakHeld) this.peakHeld = this.held
    let released = false
    return () => {
      if (released) return
      released = true
      this.held--
      const next = this.queue.shift()
      if (next === undefined) return
      if (next.signal && next.onAbort) next.signal.removeEventListener('abort', next.onAbort)
      next.grant()
    }
  }
}
