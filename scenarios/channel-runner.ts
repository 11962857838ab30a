/**
 * Runs channel-capacity cells one after another: starts the embedded broker (or checks --broker),
 * hands each cell to the channel worker thread, and turns what it measured into a result cell.
 * Cells run sequentially so that no cell's figures include another's load; a short unreported
 * warm-up cell first compiles the hot paths in the fresh worker, so the first measured cell is not
 * the JIT's. SIGINT/SIGTERM stops before the next cell and the result is marked partial.
 */
import { ChannelWorkerPool, type ChannelCellRun } from '../loadgen/channel/pool.ts'
import type { FaultName } from '../loadgen/channel/messages.ts'
import type { PolicyName } from '../loadgen/channel/policies.ts'
import type { CellResult } from '../core/result.ts'
import { AEDES_VERSION, startBroker } from '../simulator/broker.ts'
import { UsageError } from '../core/cli-support.ts'
import { connectMqtt, endClient, type BrokerTarget } from '../core/mqtt-connect.ts'
import type { ChannelCapacityOptions } from './channel-capacity/index.ts'
import { channelCellResult, failedChannelCell } from './channel-capacity/cell-result.ts'
import { mergeCells } from '../reports/merge.ts'
import { brokerDelta, type CellIdentity } from './cell-result.ts'
import type { ExecuteOutcome, RunContext } from './types.ts'

/** Production time of the unreported warm-up cell. */
const WARM_UP_MS = 500

export interface ChannelCellSpec extends CellIdentity {
  capacity: number
  policy: PolicyName
  fault: FaultName
  /** The rumqtt #1025 pattern cell. */
  sendInPoll: boolean
}

/** Fails with a usage error naming --broker when it cannot be reached, before any cell runs. */
async function probeBroker(target: BrokerTarget): Promise<void> {
  try {
    const client = await connectMqtt(target, { protocolVersion: 4, connectTimeoutMs: 5_000, clientId: `fleetbench-probe-${process.pid}` })
    await endClient(client, true)
  } catch (err) {
    throw new UsageError(`cannot connect to --broker ${target.url}: ${(err as Error).message}; check the URL, that the broker runs, and --username/--password`)
  }
}

export async function executeChannelCells(o: ChannelCapacityOptions, cells: readonly ChannelCellSpec[], ctx: RunContext): Promise<ExecuteOutcome> {
  const external: BrokerTarget | undefined = o.broker === undefined ? undefined : { url: o.broker, username: o.username, password: o.password }
  if (external) await probeBroker(external)
  const broker = external ? undefined : await startBroker()
  const target: BrokerTarget = external ?? { url: broker!.url }
  const runId = `fb${process.pid}${Date.now().toString(36)}`
  const limitMs = o.duration + o.drainTimeout + 3 * o.watchdog + 30_000
  const pool = new ChannelWorkerPool()
  const results: CellResult[] = []
  let partial = false
  try {
    const taskOf = (cell: ChannelCellSpec, i: number | 'warm-up'): ChannelCellRun => ({
      cellId: cell.id,
      capacity: cell.capacity,
      policy: cell.policy,
      ring: o.ring,
      fault: cell.fault,
      sendInPoll: cell.sendInPoll,
      producers: o.producers,
      rate: o.rate,
      durationMs: i === 'warm-up' ? Math.min(o.duration, WARM_UP_MS) : o.duration,
      payloadBytes: o.payload,
      qos: o.qos,
      maxInflight: o.maxInflight,
      window: { forMs: o.faultFor, everyMs: o.faultEvery },
      cutForMs: o.cutFor,
      link: { bandwidth: o.linkBandwidth, latencyMs: o.linkLatency },
      watchdogMs: o.watchdog,
      drainTimeoutMs: o.drainTimeout,
      broker: target,
      topicPrefix: `fleetbench/${runId}/${i}`,
      clientIdPrefix: `${runId}-${i}`,
      seed: o.seed,
    })
    ctx.progress('warming up the worker')
    await pool.runCell(taskOf({ id: 'warm-up', labels: {}, capacity: 10, policy: 'block', fault: 'none', sendInPoll: false }, 'warm-up'), limitMs)
    // Repeats are interleaved (A, B, C, A, B, C…) so a drifting machine spreads over every cell.
    const repeats = o.repeat
    const done: CellResult[][] = cells.map(() => [])
    for (let r = 0; r < repeats && !partial; r++) {
      for (const [i, cell] of cells.entries()) {
        if (ctx.signal.aborted) {
          partial = true
          break
        }
        if (done[i]!.some((c) => c.status === 'failed')) continue
        const label = `[${r * cells.length + i + 1}/${cells.length * repeats}] ${cell.id}${repeats > 1 ? ` (repeat ${r + 1}/${repeats})` : ''}`
        ctx.progress(`${label} starting`)
        const started = Date.now()
        const before = broker?.counts()
        const outcome = await pool.runCell(taskOf(cell, r * cells.length + i), limitMs, (t) =>
          ctx.progress(`${label}  ${((Date.now() - started) / 1000).toFixed(0)}s/${(o.duration / 1000).toFixed(0)}s  produced ${t.produced}  delivered ${t.delivered}  queued ${t.queueDepth}`),
        )
        const delta = brokerDelta(before, broker?.counts())
        done[i]!.push(outcome.type === 'result' ? channelCellResult(cell, outcome.data, delta) : failedChannelCell(cell, outcome.message))
      }
    }
    for (const parts of done) {
      if (parts.length === 0) continue
      const failed = parts.find((c) => c.status !== 'ok')
      if (failed || parts.length === 1) results.push(failed ?? { ...parts[0]!, repeats: parts.map(repeatFigures) })
      else results.push({ ...mergeCells(parts, 'sequential'), repeats: parts.map(repeatFigures) })
    }
  } finally {
    await pool.close()
    await broker?.close()
  }
  return {
    cells: results,
    workers: 1,
    partial,
    environmentBroker: broker
      ? { kind: 'aedes', version: AEDES_VERSION, protocolVersion: 4, url: broker.url, noDelay: true }
      : { kind: 'external', version: 'unknown', protocolVersion: 4, url: target.url, noDelay: 'unknown' },
  }
}

/** One repeat's headline figures, kept so the gate can judge the spread between repeats. */
function repeatFigures(c: CellResult): NonNullable<CellResult['repeats']>[number] & { blockingP99?: number } {
  const errors = Object.values(c.counts.errors).reduce((a, b) => a + b, 0)
  return {
    callsPerSec: c.throughput.callsPerSec,
    p50: c.latencyUs.p50,
    p99: c.latencyUs.p99,
    errorRate: c.counts.sent > 0 ? errors / c.counts.sent : 0,
    ...(c.blockingUs ? { blockingP99: c.blockingUs.p99 } : {}),
  }
}
