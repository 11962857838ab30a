/**
 * One worker's slice of a cell: sets up one strategy run per user (all concurrently), runs every
 * user's loop concurrently under the load model, closes the runs, checks the accounting invariant
 * and returns the slice's counters and encoded histograms.
 */
import { realClock, tickEvery, type Clock } from '../../core/clock.ts'
import type { RpcClient } from '../clients/types.ts'
import { encodeHistogram } from '../../core/histogram.ts'
import { epochClock, type NowClock } from '../../core/series.ts'
import { sumClientStats } from '../../core/counters.ts'
import { configureStrategy } from '../strategies/registry.ts'
import type { ClientKind, StrategyName, StrategyRun } from '../strategies/types.ts'
import { CallRecorder, checkAccounting } from './recorder.ts'
import { Retrier, type RetryPolicy } from '../strategies/retry.ts'
import { Mulberry32, type Rng } from '../../core/rng.ts'
import { closedLoop, openLoop, RoundBook } from './rounds.ts'
import type { LoadModel, SliceProgress, SliceResult, UserPlan } from './types.ts'

export interface RunUsersConfig {
  /** A StrategyName; any other string is rejected with the list of names (worker messages carry strings). */
  strategy: StrategyName | (string & {})
  strategyOptions: Readonly<Record<string, unknown>>
  /** Each round's shared deadline is its actual start + this. */
  roundTimeoutMs: number
  /** Default realClock. */
  clock?: Clock
  /** `index` counts the user's clients from 0. */
  makeClient: (kind: ClientKind, userIndex: number, index: number) => RpcClient
  /** Called every `tickMs` (default 1000) while rounds run; must not throw. */
  onTick?: (progress: SliceProgress) => void
  tickMs?: number
  /** Series time base: default epochClock with the real clock (aligned across threads), else `clock`. */
  series?: { clock?: NowClock; startMs?: number; intervalMs?: number }
  /** Aborted when the run must stop early: no new rounds, rounds in progress finish (bounded by their deadline). */
  signal?: AbortSignal
  /** Users in the whole cell, to stagger open-loop starts by `userIndex` across workers; default: this slice's users, by position. */
  totalUsers?: number
  /** Retry failed calls under this policy (retries > 0), with backoff jitter drawn from `rng`. */
  retry?: RetryPolicy | undefined
  rng?: Rng
}

export async function runUsers(plans: readonly UserPlan[], load: LoadModel, cfg: RunUsersConfig): Promise<SliceResult> {
  checkConfig(plans, load, cfg)
  const clock = cfg.clock ?? realClock
  const strategy = configureStrategy(cfg.strategy, cfg.strategyOptions)
  const runs: StrategyRun[] = []
  let closed = false
  let rec: CallRecorder | undefined
  let book: RoundBook | undefined
  let stopTicks = (): void => undefined
  try {
    for (const plan of plans) {
      const makeClient = (kind: ClientKind, index: number): RpcClient => cfg.makeClient(kind, plan.userIndex, index)
      runs.push(strategy.create({ devices: plan.devices, clock, makeClient }))
    }
    if (load.kind === 'closed-calls' && runs.some((r) => r.runChains === undefined)) {
      throw new Error(`load closed-calls needs a strategy that keeps one call per device in flight (multiplexed); ${cfg.strategy} runs rounds only`)
    }
    await setupAll(runs, plans)
    const seriesClock = cfg.series?.clock ?? (cfg.clock === undefined || cfg.clock === realClock ? epochClock : cfg.clock)
    const retrier = cfg.retry !== undefined && cfg.retry.retries > 0 ? new Retrier(cfg.retry, cfg.rng ?? new Mulberry32(1)) : undefined
    rec = new CallRecorder({ series: { ...cfg.series, clock: seriesClock }, retrier })
    book = new RoundBook()
    const start = clock.now()
    const endAt = start + load.durationMs
    const progress = progressOf(rec, book, clock, start)
    if (cfg.onTick !== undefined) {
      cfg.onTick(progress()) // load starts now: lets the main thread time faults from here, not from setup
      stopTicks = tickEvery(clock, cfg.tickMs ?? 1000, () => cfg.onTick?.(progress()))
    }
    const signal = cfg.signal
    const base = { rec, book, clock, timeoutMs: cfg.roundTimeoutMs, endAt, stopped: () => signal?.aborted === true }
    await Promise.all(
      runs.map((run, i) => {
        if (load.kind === 'closed') return closedLoop({ ...base, run })
        if (load.kind === 'closed-calls') return run.runChains!(endAt, cfg.roundTimeoutMs, base.rec, base.stopped)
        const intervalMs = 1000 / load.roundsPerSec
        const position = cfg.totalUsers === undefined ? i / plans.length : ((plans[i]?.userIndex ?? i) % cfg.totalUsers) / cfg.totalUsers
        return openLoop({ ...base, run, intervalMs, firstAt: start + position * intervalMs })
      }),
    )
    const elapsedMs = clock.now() - start
    stopTicks()
    const clients = sumClientStats(runs.map((r) => r.stats()))
    closed = true
    await closeRuns(runs)
    checkAccounting(rec.counts(), `strategy ${cfg.strategy}`)
    return {
      counts: rec.counts(),
      deviceErrors: rec.deviceErrors(),
      rounds: book.rounds,
      roundsPastDeadline: book.pastDeadline,
      roundsMissed: book.missed,
      attempts: rec.attempts(),
      callLatency: encodeHistogram(rec.latency),
      roundLatency: encodeHistogram(book.corrected),
      roundLatencyUncorrected: encodeHistogram(book.uncorrected),
      series: rec.series.snapshot(),
      clients,
      elapsedMs,
    }
  } finally {
    stopTicks()
    if (!closed) await closeRuns(runs).catch(() => undefined)
    rec?.destroy()
    book?.destroy()
  }
}

function checkConfig(plans: readonly UserPlan[], load: LoadModel, cfg: RunUsersConfig): void {
  const positive = (name: string, v: number, zeroOk: boolean): void => {
    if (Number.isFinite(v) && (v > 0 || (zeroOk && v === 0))) return
    throw new Error(`${name} must be a ${zeroOk ? 'non-negative' : 'positive'} number, got ${v}`)
  }
  positive('roundTimeoutMs', cfg.roundTimeoutMs, false)
  positive('durationMs', load.durationMs, true)
  if (load.kind === 'open') positive('roundsPerSec', load.roundsPerSec, false)
  if (cfg.tickMs !== undefined) positive('tickMs', cfg.tickMs, false)
  if (cfg.totalUsers !== undefined && !(Number.isInteger(cfg.totalUsers) && cfg.totalUsers > 0)) {
    throw new Error(`totalUsers must be a positive whole number, got ${cfg.totalUsers}`)
  }
  for (const plan of plans) {
    if (plan.devices.length === 0) throw new Error(`user ${plan.userIndex} has no devices; every user needs at least one`)
  }
}

async function setupAll(runs: readonly StrategyRun[], plans: readonly UserPlan[]): Promise<void> {
  const settled = await Promise.allSettled(runs.map((r) => r.setup()))
  const i = settled.findIndex((s) => s.status === 'rejected')
  const failed = settled[i]
  if (failed?.status !== 'rejected') return
  const reason = failed.reason instanceof Error ? failed.reason.message : String(failed.reason)
  const others = settled.filter((s) => s.status === 'rejected').length - 1
  throw new Error(`setting up user ${plans[i]?.userIndex ?? i} failed: ${reason}${others > 0 ? ` (and ${others} more users)` : ''}`)
}

async function closeRuns(runs: readonly StrategyRun[]): Promise<void> {
  const settled = await Promise.allSettled(runs.map((r) => r.close()))
  const failed = settled.find((s) => s.status === 'rejected')
  if (failed?.status === 'rejected') {
    const reason = failed.reason instanceof Error ? failed.reason.message : String(failed.reason)
    throw new Error(`closing clients failed: ${reason}`)
  }
}

function progressOf(rec: CallRecorder, book: RoundBook, clock: Clock, start: number): () => SliceProgress {
  return () => {
    const { sent, ok, dropped } = rec
    const elapsedMs = clock.now() - start
    return { sent, ok, errors: rec.errorTotal, dropped, rounds: book.rounds, roundsPastDeadline: book.pastDeadline, elapsedMs }
  }
}
