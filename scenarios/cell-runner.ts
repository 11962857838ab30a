/**
 * The one cell runner of every scenario. A scenario opens a session (its broker, fleet and worker
 * threads) and hands it the cells; the runner does the rest the same way for every kind: repeats
 * interleaved (A, B, C, A, B, C… so a drifting machine spreads over every cell), progress lines,
 * broker packet deltas, failed cells kept with their reason, each repeat's figures for the gate,
 * repeats merged exactly (`mergeCells`), and a stopped run marked partial with the cells that ran.
 */
import { errorRate } from '../core/accounting.ts'
import { emptySummary } from '../core/histogram.ts'
import { brokerDelta, type BrokerCounts } from '../core/counters.ts'
import type { AnyRepeatFigures, CellResult, Environment } from '../core/result.ts'
import { mergeCells } from '../reports/merge.ts'
import type { ExecuteOutcome, RunContext } from './types.ts'

export interface CellIdentity {
  id: string
  labels: CellResult['labels']
}

/**
 * What every kind's cell that could not run has: its identity, status `failed` with the reason,
 * nothing counted, no latency, no series. Each kind's `failedCell` adds its own empty fields.
 */
export function failedCellCommon(cell: CellIdentity, error: string) {
  return {
    id: cell.id,
    labels: cell.labels,
    status: 'failed' as const,
    error,
    counts: { sent: 0, ok: 0, dropped: 0, errors: {} },
    elapsedMs: 0,
    throughput: { callsPerSec: 0 },
    latencyUs: emptySummary(),
    series: [],
  }
}

/** What a session's `runCell` is given for one run of one cell. */
export interface CellRun {
  /** 0-based repeat and position of the cell in the run. */
  repeat: number
  index: number
  /** A progress line's detail for this cell (calls/s, queue depth …); the runner adds label, time and ETA. */
  progress(detail: string): void
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal
}

/** One run of one cell: what the session measured, or why it could not run. */
export type CellOutcome<P> = { ok: true; part: P } | { ok: false; error: string }

/** A scenario's running state: one per run, shared by all its cells. */
export interface CellSession<S extends CellIdentity, P> {
  /** How long one cell's load runs, for progress and the time left. */
  readonly cellMs: number
  /** Runs once before the first cell (warm-up, shard rendezvous). */
  beforeCells?(ctx: RunContext): Promise<void>
  runCell(cell: S, run: CellRun): Promise<CellOutcome<P>>
  /** The result cell of one run, with the broker packets it caused (undefined: not countable). */
  toCell(cell: S, part: P, broker: BrokerCounts | undefined): CellResult
  /** A cell that could not run, kept with its reason. */
  failedCell(cell: S, error: string): CellResult
  /** The embedded broker's packet counts so far; undefined for an external broker. */
  brokerCounts(): BrokerCounts | undefined
  /** Runs once after the last cell unless stopped (shard rendezvous). */
  afterCells?(ctx: RunContext): Promise<void>
  close(): Promise<void>
  readonly environmentBroker: Environment['broker']
  readonly workers: number
  /** Warnings learned while setting up (e.g. a broker without TCP_NODELAY). */
  readonly notes: string[]
}

/** One repeat's headline figures, kept so the gate can judge the spread between repeats. */
export function repeatFigures(c: CellResult): AnyRepeatFigures {
  const figures = { callsPerSec: c.throughput.callsPerSec, p50: c.latencyUs.p50, p99: c.latencyUs.p99, errorRate: errorRate(c.counts) }
  return c.kind === 'channel' ? { ...figures, blockingP99: c.blockingUs.p99 } : figures
}

/** Repeats of one cell, in order: a failed one stands for the cell; otherwise they merge. */
export function mergeRepeats(parts: readonly CellResult[]): CellResult {
  const failed = parts.find((c) => c.status === 'failed')
  if (failed) return failed
  const merged = parts.length === 1 ? parts[0]! : mergeCells(parts, 'sequential')
  return { ...merged, repeats: parts.map(repeatFigures) } as CellResult
}

function progressLine(label: string, started: number, cellMs: number, cellsLeft: number, detail: string): string {
  const elapsed = (Date.now() - started) / 1000
  const perCell = cellMs / 1000
  const left = Math.max(0, perCell - elapsed) + cellsLeft * perCell
  return `${label}  ${elapsed.toFixed(0)}s/${perCell.toFixed(0)}s  ~${left.toFixed(0)}s left  ${detail}`
}

/** Runs every cell `repeats` times on the session and closes it; never throws for a failing cell. */
export async function runCells<S extends CellIdentity, P>(session: CellSession<S, P>, cells: readonly S[], repeats: number, ctx: RunContext): Promise<ExecuteOutcome> {
  const runs = cells.map(() => [] as CellResult[])
  const total = cells.length * repeats
  // A stopped run keeps the cells that ran (even partly); the others are left out, not faked.
  const ran = (): CellResult[] => runs.filter((parts) => parts.length > 0).map(mergeRepeats)
  ctx.finished?.(ran)
  try {
    await session.beforeCells?.(ctx)
    for (let r = 0; r < repeats && !ctx.signal.aborted; r++) {
      for (const [i, cell] of cells.entries()) {
        if (ctx.signal.aborted) break
        const done = runs[i]!
        if (done.some((c) => c.status === 'failed')) continue
        const n = r * cells.length + i + 1
        const label = `[${n}/${total}] ${cell.id}${repeats > 1 ? ` (repeat ${r + 1}/${repeats})` : ''}`
        ctx.progress(`${label} starting`)
        const started = Date.now()
        const before = session.brokerCounts()
        const outcome = await session.runCell(cell, {
          repeat: r,
          index: i,
          signal: ctx.signal,
          progress: (detail) => ctx.progress(progressLine(label, started, session.cellMs, total - n, detail)),
        })
        const delta = brokerDelta(before, session.brokerCounts())
        done.push(outcome.ok ? session.toCell(cell, outcome.part, delta) : session.failedCell(cell, outcome.error))
      }
    }
    if (!ctx.signal.aborted) await session.afterCells?.(ctx)
  } finally {
    await session.close()
  }
  return { cells: ran(), partial: ctx.signal.aborted, workers: session.workers, environmentBroker: session.environmentBroker, notes: session.notes }
}
