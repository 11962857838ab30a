/**
 * Paces connection attempts: a token bucket of `burst` tokens refilled at `ratePerSec`, shared by
 * everything that connects (every gateway of a fleet, every caller of a scenario). Up to `burst`
 * attempts go at once, then one every 1/rate s, in FIFO order. Rate 0 is no pacing at all.
 *
 * Kept as a theoretical arrival time (GCRA, the same bucket written as one number): the next grant
 * may happen at `tat - (burst - 1) · interval`, and each grant moves `tat` one interval on from
 * max(tat, now). Only the head of the queue has a timer. Exact on an injected Clock.
 */
import { realClock, type Clock, type TimerHandle } from './clock.ts'
import { UsageError } from './cli-support.ts'

export interface PacerOptions {
  /** Grants per second; 0 = every take is granted at once. */
  ratePerSec: number
  /** Grants that may happen at once after a quiet spell (the bucket's size). Default 1. */
  burst?: number
  clock?: Clock
}

interface Waiter {
  resolve(): void
  reject(err: unknown): void
  signal: AbortSignal | undefined
  onAbort: (() => void) | undefined
}

/** Float error in `tat` arithmetic (1000 / rate is rarely exact) must not cost a second timer. */
const EPSILON_MS = 1e-6

export class Pacer {
  readonly ratePerSec: number
  readonly burst: number
  private readonly clock: Clock
  private readonly intervalMs: number
  private tat = -Infinity
  private readonly queue: Waiter[] = []
  private timer: TimerHandle | undefined
  private grantedCount = 0

  constructor(opts: PacerOptions) {
    if (!(opts.ratePerSec >= 0) || !Number.isFinite(opts.ratePerSec)) throw new Error(`pacer rate must be a finite number >= 0, got ${opts.ratePerSec}`)
    const burst = opts.burst ?? 1
    if (!Number.isInteger(burst) || burst < 1) throw new Error(`pacer burst must be a whole number >= 1, got ${burst}`)
    this.ratePerSec = opts.ratePerSec
    this.burst = burst
    this.clock = opts.clock ?? realClock
    this.intervalMs = opts.ratePerSec > 0 ? 1000 / opts.ratePerSec : 0
  }

  /** Takes waiting for a grant. */
  get waiting(): number {
    return this.queue.length
  }

  /** Grants so far. */
  get granted(): number {
    return this.grantedCount
  }

  /** Resolves when this attempt may go; rejects with the signal's reason if it is aborted first (its turn passes on). */
  take(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    if (this.ratePerSec === 0 || (this.queue.length === 0 && this.conforms(this.clock.now()))) {
      this.grant()
      return Promise.resolve()
    }
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { resolve, reject, signal, onAbort: undefined }
      if (signal) {
        w.onAbort = () => this.abandon(w)
        signal.addEventListener('abort', w.onAbort, { once: true })
      }
      this.queue.push(w)
      this.arm()
    })
  }

  private conforms(now: number): boolean {
    return now + EPSILON_MS >= this.tat - (this.burst - 1) * this.intervalMs
  }

  private grant(): void {
    this.grantedCount++
    if (this.intervalMs > 0) this.tat = Math.max(this.tat, this.clock.now()) + this.intervalMs
  }

  private arm(): void {
    if (this.timer !== undefined || this.queue.length === 0) return
    const at = this.tat - (this.burst - 1) * this.intervalMs
    this.timer = this.clock.setTimeout(this.fire, Math.max(0, at - this.clock.now()))
  }

  private readonly fire = (): void => {
    this.timer = undefined
    while (this.queue.length > 0 && this.conforms(this.clock.now())) {
      const w = this.queue.shift()!
      if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort)
      this.grant()
      w.resolve()
    }
    this.arm()
  }

  private abandon(w: Waiter): void {
    const i = this.queue.indexOf(w)
    if (i < 0) return
    this.queue.splice(i, 1)
    w.reject(w.signal!.reason)
    if (this.queue.length === 0 && this.timer !== undefined) {
      this.clock.clearTimeout(this.timer)
      this.timer = undefined
    }
  }
}

/** `--connect-rate`: `200/s` or `200` (per second), `0` = unpaced. Throws a UsageError naming `--name`. */
export function parseRate(name: string, raw: unknown, max = 1_000_000): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*s)?\s*$/.exec(String(raw))
  const n = m ? Number(m[1]) : Number.NaN
  if (!(n >= 0 && n <= max)) throw new UsageError(`--${name} must be a rate like 200/s (per second, up to ${max}; 0 = all at once), got ${JSON.stringify(raw)}`)
  return n
}
