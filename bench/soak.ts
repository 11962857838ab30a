/**
 * `npm run bench -- --soak 10m`: parallel-ble and channel-capacity cells back to back, in this
 * process, through the same sessions the scenarios use (fleet, worker threads, channel worker),
 * for the whole soak; every minute it samples RSS, V8 heap, event-loop delay and the process's
 * active handles, and counts MaxListenersExceededWarning. A long run is flat when, after its first
 * minute, RSS grows less than 5% and the handle count does not grow.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { formatDuration } from './format.ts'
import { executeChannelCells } from '../scenarios/channel-capacity/session.ts'
import { channelCells } from '../scenarios/channel-capacity/cells.ts'
import { channelCapacity } from '../scenarios/channel-capacity/index.ts'
import { parallelBleCells, type ParallelBleOptions } from '../scenarios/parallel-ble/cells.ts'
import { parallelBle, rpcOptions } from '../scenarios/parallel-ble/index.ts'
import { executeRpcCells } from '../scenarios/rpc/session.ts'
import type { RunContext } from '../scenarios/types.ts'

export interface SoakMinute {
  minute: number
  /** RSS between two iterations (no fleet, no worker thread alive): what must stay flat. */
  rssMiB: number
  /** Highest RSS sampled (every second) during the minute, threads and fleets included. */
  peakRssMiB: number
  heapUsedMiB: number
  eventLoopP99Ms: number
  eventLoopMaxMs: number
  /** process.getActiveResourcesInfo() between two iterations (sockets, timers, worker ports…). */
  handles: number
  /** Scenario iterations finished by the end of this minute. */
  iterations: number
}

export interface SoakResult {
  /** Asked for, and taken (the last iteration finishes after the time is up). */
  requestedMs: number
  durationMs: number
  minutes: SoakMinute[]
  iterations: number
  cellsRun: number
  cellsFailed: number
  maxListenersWarnings: number
  /** RSS at the end against the end of the first minute. */
  rssGrowth: number
  handlesGrowth: number
  flat: boolean
}

const MiB = 2 ** 20
const round1 = (n: number): number => Math.round(n * 10) / 10

/** One iteration: a short parallel-ble run (strict naive-parallel and multiplexed) and a short channel-capacity sweep. */
async function iteration(i: number, ctx: RunContext): Promise<{ cells: number; failed: number }> {
  const ble: ParallelBleOptions = { ...parallelBle.defaults, devices: 40, gateways: 2, users: 2, duration: 5_000, strategies: ['naive-parallel', 'multiplexed'], ackMode: 'strict', seed: i + 1 }
  const rpc = await executeRpcCells(rpcOptions(ble), parallelBleCells(ble), ctx)
  const ch = { ...channelCapacity.defaults, capacities: [0, 100], policies: ['block', 'drop-oldest'] as Array<'block' | 'drop-oldest'>, duration: 2_000, deadlockCell: 'off' as const, seed: i + 1 }
  const channel = await executeChannelCells(ch, channelCells(ch), ctx)
  const cells = [...rpc.cells, ...channel.cells]
  return { cells: cells.length, failed: cells.filter((c) => c.status === 'failed').length }
}

export async function soak(durationMs: number, progress: (line: string) => void, signal: AbortSignal): Promise<SoakResult> {
  let warnings = 0
  const onWarning = (w: Error): void => {
    if (w.name === 'MaxListenersExceededWarning') warnings++
  }
  process.on('warning', onWarning)
  const delay = monitorEventLoopDelay({ resolution: 10 })
  delay.enable()
  const began = performance.now()
  const minutes: SoakMinute[] = []
  let iterations = 0
  let cellsRun = 0
  let cellsFailed = 0
  let handles = process.getActiveResourcesInfo().length
  let quietRss = process.memoryUsage().rss
  let peakRss = 0
  const peak = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 1000)
  const sample = (): void => {
    const m = process.memoryUsage()
    minutes.push({
      minute: minutes.length + 1,
      rssMiB: round1(quietRss / MiB),
      peakRssMiB: round1(Math.max(peakRss, m.rss) / MiB),
      heapUsedMiB: round1(m.heapUsed / MiB),
      eventLoopP99Ms: round1(delay.percentile(99) / 1e6),
      eventLoopMaxMs: round1(delay.max / 1e6),
      handles,
      iterations,
    })
    delay.reset()
    peakRss = 0
    const last = minutes.at(-1)!
    progress(`soak minute ${last.minute}: RSS ${last.rssMiB} MiB between iterations (peak ${last.peakRssMiB}), heap ${last.heapUsedMiB} MiB, event loop p99 ${last.eventLoopP99Ms} ms, ${last.handles} handles, ${iterations} iterations`)
  }
  const ticker = setInterval(sample, 60_000)
  const ctx: RunContext = { progress: () => {}, seedLabel: 'soak', signal }
  try {
    while (performance.now() - began < durationMs && !signal.aborted) {
      const r = await iteration(iterations, ctx)
      iterations++
      cellsRun += r.cells
      cellsFailed += r.failed
      // Between iterations nothing of a run should be left open: neither count may grow.
      handles = process.getActiveResourcesInfo().length
      quietRss = process.memoryUsage().rss
    }
  } finally {
    clearInterval(ticker)
    clearInterval(peak)
    sample()
    delay.disable()
    process.off('warning', onWarning)
  }
  const first = minutes[0]!
  const last = minutes.at(-1)!
  const rssGrowth = first.rssMiB > 0 ? (last.rssMiB - first.rssMiB) / first.rssMiB : 0
  const handlesGrowth = last.handles - first.handles
  progress(`soak done in ${formatDuration(performance.now() - began)}: ${iterations} iterations, ${cellsRun} cells`)
  return {
    requestedMs: durationMs,
    durationMs: Math.round(performance.now() - began),
    minutes,
    iterations,
    cellsRun,
    cellsFailed,
    maxListenersWarnings: warnings,
    rssGrowth: Math.round(rssGrowth * 1000) / 1000,
    handlesGrowth,
    flat: rssGrowth < 0.05 && handlesGrowth <= 0 && warnings === 0 && cellsFailed === 0,
  }
}

export function soakMarkdown(r: SoakResult, machineLine: string): string {
  const rows = r.minutes.map((m) => `| ${m.minute} | ${m.rssMiB} | ${m.peakRssMiB} | ${m.heapUsedMiB} | ${m.eventLoopP99Ms} | ${m.eventLoopMaxMs} | ${m.handles} | ${m.iterations} |`)
  return [
    '## Soak: long runs stay flat',
    '',
    `\`npm run bench -- --soak ${formatDuration(r.requestedMs)}\` (${formatDuration(r.durationMs)} in all) on ${machineLine}: parallel-ble cells (naive-parallel strict and multiplexed, 40 devices, 5 s each) and channel-capacity cells (block and drop-oldest at capacities 0 and 100 under stall, 2 s each) back to back in one process, through the scenarios' own sessions (a fleet, worker threads and a channel worker started and stopped every iteration).`,
    '',
    '| minute | RSS MiB between iterations | peak RSS MiB | heap MiB | event loop p99 ms | event loop max ms | active handles | iterations |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `RSS between iterations is what must stay flat (no fleet and no worker thread is alive then); the peak includes them, and moves with which phase a minute ended in. ${r.iterations} iterations, ${r.cellsRun} cells (${r.cellsFailed} failed). After the first minute RSS between iterations ${r.rssGrowth >= 0 ? 'grew' : 'fell'} ${Math.abs(r.rssGrowth * 100).toFixed(1)}% (target: less than 5%); active handles between iterations changed by ${r.handlesGrowth}; MaxListenersExceededWarning ${r.maxListenersWarnings} times. Verdict: ${r.flat ? 'flat' : 'NOT flat'}.`,
  ].join('\n')
}
