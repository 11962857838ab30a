/**
 * The two load models, per user. Closed loop: rounds back to back until the duration has elapsed.
 * Open loop: rounds intended at a fixed interval; a late round starts as soon as the previous one
 * ends and its makespan is measured from its intended start (coordinated omission corrected, wrk2
 * style), with the makespan from its actual start kept beside it. No round starts after the
 * duration; rounds in progress finish, bounded by their deadline.
 */
import { sleep, type Clock } from '../../core/clock.ts'
import { createHistogram, destroyHistogram, recordUs, type Histogram } from '../../core/histogram.ts'
import type { StrategyRun } from '../strategies/types.ts'
import type { CallRecorder } from './recorder.ts'

/** Pause after a round that took no clock time at all (every call failed at once), so a loop cannot spin. */
export const EMPTY_ROUND_PAUSE_MS = 1

/** Round counters and makespan histograms (µs), shared by every user of a slice. */
export class RoundBook {
  rounds = 0
  pastDeadline = 0
  /** Open loop: rounds intended before the end that never started because earlier rounds ran late. */
  missed = 0
  /** Makespan from the intended start (equals `uncorrected` in closed loop). */
  readonly corrected: Histogram
  /** Makespan from the actual start. */
  readonly uncorrected: Histogram

  constructor() {
    this.corrected = createHistogram()
    try {
      this.uncorrected = createHistogram()
    } catch (err) {
      destroyHistogram(this.corrected)
      throw err
    }
  }

  /** Plays one round starting now, with deadline now + timeoutMs, and records its makespans. */
  async play(run: StrategyRun, rec: CallRecorder, clock: Clock, intendedStart: number, timeoutMs: number): Promise<void> {
    const start = clock.now()
    const deadline = start + timeoutMs
    await run.runRound(deadline, rec)
    const end = clock.now()
    this.rounds++
    if (end >= deadline) this.pastDeadline++
    // a real timer can wake a fraction of a millisecond early: never measure from after the actual start
    recordUs(this.corrected, (end - Math.min(intendedStart, start)) * 1000)
    recordUs(this.uncorrected, (end - start) * 1000)
  }

  destroy(): void {
    destroyHistogram(this.corrected)
    destroyHistogram(this.uncorrected)
  }
}

export interface LoopParams {
  run: StrategyRun
  rec: CallRecorder
  book: RoundBook
  clock: Clock
  timeoutMs: number
  /** No round starts at or after this time. */
  endAt: number
  /** True once the run was asked to stop (SIGINT): no new round starts; rounds in progress finish. */
  stopped?: () => boolean
}

export async function closedLoop(p: LoopParams): Promise<void> {
  while (p.clock.now() < p.endAt && p.stopped?.() !== true) {
    const start = p.clock.now()
    await p.book.play(p.run, p.rec, p.clock, start, p.timeoutMs)
    if (p.clock.now() === start) await sleep(p.clock, EMPTY_ROUND_PAUSE_MS)
  }
}

/** Rounds intended at `firstAt + k·intervalMs` while that is before `endAt`. */
export async function openLoop(p: LoopParams & { firstAt: number; intervalMs: number }): Promise<void> {
  for (let k = 0; ; k++) {
    const intended = p.firstAt + k * p.intervalMs
    if (intended >= p.endAt) return
    const now = p.clock.now()
    if (now >= p.endAt) {
      while (p.firstAt + k * p.intervalMs < p.endAt) {
        p.book.missed++
        k++
      }
      return
    }
    if (now < intended) await sleep(p.clock, intended - now)
    if (p.stopped?.() === true) return
    await p.book.play(p.run, p.rec, p.clock, intended, p.timeoutMs)
  }
}
