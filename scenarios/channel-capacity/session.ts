/**
 * The session of channel-capacity cells: starts the embedded broker (or probes --broker) and one
 * channel worker thread, and runs each cell there. Cells run one after another so that no cell's
 * figures include another's load; a short unreported warm-up cell first compiles the hot paths in
 * the fresh worker, so the first measured cell is not the JIT's.
 */
import { brokerAccess } from '../../core/broker-access.ts'
import { CLOSE_BOUND_MS, closeWithin, warn } from '../../core/deadline.ts'
import type { BrokerTarget } from '../../core/mqtt-connect.ts'
import type { ChannelCellData } from '../../loadgen/channel/messages.ts'
import { ChannelWorkerThread, type ChannelCellRun } from '../../loadgen/channel/worker-thread.ts'
import { startBroker } from '../../simulator/broker.ts'
import { brokerEnvironment, probeExternal, probeNotes } from '../broker-probe.ts'
import { runCells, type CellSession } from '../cell-runner.ts'
import type { ExecuteOutcome, RunContext } from '../types.ts'
import type { ChannelCellSpec } from './cells.ts'
import { channelCellResult, failedChannelCell } from './cell-result.ts'
import type { ChannelCapacityOptions } from './options.ts'
import { linkConditions } from '../../loadgen/faults/link-profile.ts'

/** Production time of the unreported warm-up cell. */
const WARM_UP_MS = 500

/** Longest one channel cell may take: production, drain, the watchdog, and thread start-up. Past it the cell fails. */
export const channelCellBoundMs = (o: Pick<ChannelCapacityOptions, 'duration' | 'drainTimeout' | 'watchdog'>): number => o.duration + o.drainTimeout + 3 * o.watchdog + 30_000

/** The whole run at most: the warm-up cell and every cell's bound. */
export const channelPlanMs = (o: ChannelCapacityOptions, cells: number): number => (1 + cells * o.repeat) * channelCellBoundMs(o)

export async function executeChannelCells(o: ChannelCapacityOptions, cells: readonly ChannelCellSpec[], ctx: RunContext): Promise<ExecuteOutcome> {
  const { external } = brokerAccess({ broker: o.broker, username: o.username, password: o.password })
  const probe = await probeExternal(external)
  const broker = external ? undefined : await startBroker()
  const target: BrokerTarget = external ?? { url: broker!.url }
  const runId = `fb${process.pid}${Date.now().toString(36)}`
  const limitMs = channelCellBoundMs(o)
  const thread = new ChannelWorkerThread()
  const taskOf = (cell: ChannelCellSpec, n: number | 'warm-up'): ChannelCellRun => ({
    cellId: cell.id,
    capacity: cell.capacity,
    policy: cell.policy,
    ring: o.ring,
    fault: cell.fault,
    sendInPoll: cell.sendInPoll,
    producers: o.producers,
    rate: o.rate,
    durationMs: n === 'warm-up' ? Math.min(o.duration, WARM_UP_MS) : o.duration,
    payloadBytes: o.payload,
    qos: o.qos,
    maxInFlight: o.maxInFlight,
    window: { forMs: o.faultFor, everyMs: o.faultEvery },
    cutForMs: o.cutFor,
    link: { bandwidth: o.linkBandwidth, latencyMs: o.linkLatency },
    callerLink: linkConditions(o.callerLink),
    receiverLink: linkConditions(o.gatewayLink),
    watchdogMs: o.watchdog,
    drainTimeoutMs: o.drainTimeout,
    broker: target,
    topicPrefix: `fleetbench/${runId}/${n}`,
    clientIdPrefix: `${runId}-${n}`,
    seed: o.seed,
  })
  const session: CellSession<ChannelCellSpec, ChannelCellData> = {
    cellMs: o.duration,
    workers: 1,
    environmentBroker: brokerEnvironment(broker?.url, probe, target.url, probe?.protocolVersion ?? 4),
    notes: probeNotes(target.url, probe),
    async beforeCells(c) {
      c.progress('warming up the worker')
      await thread.runCell(taskOf({ id: 'warm-up', labels: {}, capacity: 10, policy: 'block', fault: 'none', sendInPoll: false }, 'warm-up'), limitMs)
    },
    async runCell(cell, run) {
      const outcome = await thread.runCell(taskOf(cell, run.repeat * cells.length + run.index), limitMs, (t) =>
        run.progress(`produced ${t.produced}  delivered ${t.delivered}  queued ${t.queueDepth}`),
      )
      return outcome.type === 'result' ? { ok: true, part: outcome.data } : { ok: false, error: outcome.message }
    },
    toCell: channelCellResult,
    failedCell: failedChannelCell,
    brokerCounts: () => broker?.counts(),
    async close() {
      await closeWithin(() => thread.close(), CLOSE_BOUND_MS, 'stopping the channel worker', warn)
      await closeWithin(async () => broker?.close(), CLOSE_BOUND_MS, 'stopping the embedded broker', warn)
    },
  }
  return runCells(session, cells, o.repeat, ctx)
}
