/**
 * The session of RPC cells (strategy × options) against the fleet: starts the embedded broker and
 * fleet (or attaches the fleet to --broker), deals devices to users and users to worker threads,
 * and runs each cell's users on the threads. The cell runner does repeats, progress and merging.
 */
import { gatewayRouteOf } from '../links.ts'
import { brokerAccess, unreachableBroker, type BrokerAccessOptions } from '../../core/broker-access.ts'
import { CLOSE_BOUND_MS, closeWithin, warn, WARM_UP_BOUND_MS, withDeadline } from '../../core/deadline.ts'
import type { BrokerTarget, ProtocolChoice } from '../../core/mqtt-connect.ts'
import type { LoadModel, SliceResult } from '../../loadgen/engine/types.ts'
import { planUsers } from '../../loadgen/engine/merge.ts'
import { RpcWorkerThreads } from '../../loadgen/engine/worker-threads.ts'
import { fleetLayout, startSimulation } from '../../simulator/fleet.ts'
import { hostOf, type FleetHost } from '../../simulator/fleet-host.ts'
import { startThreadedSimulation } from '../../simulator/threads/threaded-simulation.ts'
import { profileOf, type ProfileChoice } from '../../simulator/profiles.ts'
import type { BrokerRestartFault } from '../broker-fault.ts'
import { brokerEnvironment, probeExternal, probeNotes } from '../broker-probe.ts'
import { runCells, type CellIdentity, type CellSession } from '../cell-runner.ts'
import { inShard, rendezvous, waitUntil, type Shard } from '../shard.ts'
import type { ExecuteOutcome, RunContext } from '../types.ts'
import { failedRpcCell, rpcCellFromSlice } from './cell-result.ts'
import { linkConditions, type LinkSpec } from '../../loadgen/faults/link-profile.ts'
import type { RetryPolicy } from '../../loadgen/strategies/retry.ts'

export interface RpcCellSpec extends CellIdentity {
  strategy: string
  strategyOptions: Record<string, unknown>
  ackMode: 'strict' | 'lenient'
  /** Retries of failed calls; undefined = none. */
  retry?: RetryPolicy | undefined
}

/** Where to connect (BrokerAccessOptions: --broker and its credentials and TLS files, or --auth for the embedded broker) and what to run. */
export interface RpcRunOptions extends BrokerAccessOptions {
  devices: number
  gateways: number
  users: number
  profile: ProfileChoice
  seed: number
  workers: number
  qos: 0 | 1
  protocol: ProtocolChoice
  roundTimeoutMs: number
  load: LoadModel
  /** Restart the embedded broker during every cell. */
  fault?: BrokerRestartFault | undefined
  /** Reconnect delay of the multiplexed clients after a lost connection; 0 = never. */
  reconnectPeriodMs?: number
  /** This machine's part of a sharded run (gateways and users whose index % count == index). */
  shard?: Shard | undefined
  /** Epoch ms at which the load starts (after set-up). */
  startAt?: number | undefined
  /** Shards meet on the broker under this id before the load starts. */
  rendezvous?: string | undefined
  rendezvousTimeoutMs?: number
  /** Each cell runs this many times, interleaved with the others (default 1). */
  repeat?: number
  /** Prefix of every client id, so concurrent runs (shards) never collide. */
  runId: string
  /** Shaped links: callers ↔ broker (in each worker) and gateways ↔ broker (in front of the fleet); default loopback. */
  callerLink?: LinkSpec
  gatewayLink?: LinkSpec
  /** Gateway threads, the embedded broker on a thread of its own (--fleet-workers); 0 or undefined = the fleet in this thread. */
  fleetWorkers?: number
  /** Connects per second of the gateways and, apart, of the callers (split over the worker threads); undefined = the fleet's default and callers all at once. */
  connectRate?: number | undefined
}

/** Longest one RPC cell may take: its load, the last rounds' deadlines, and thread start-up. Past it the cell fails. */
export const rpcCellBoundMs = (o: Pick<RpcRunOptions, 'load' | 'roundTimeoutMs'>): number => o.load.durationMs + 2 * o.roundTimeoutMs + 15_000

/** Longest the fleet may take to start: connect, subscribe and publish the registry of every gateway. */
export const fleetStartBoundMs = (devices: number): number => 30_000 + devices

/** Longest shards may wait for each other at a rendezvous. */
export const RENDEZVOUS_TIMEOUT_MS = 600_000

/** The whole run at most: fleet start, waits for shards or --start-at, and every cell's bound. */
export function rpcPlanMs(o: Pick<RpcRunOptions, 'load' | 'roundTimeoutMs' | 'devices' | 'repeat' | 'startAt' | 'rendezvous' | 'rendezvousTimeoutMs'>, cells: number, now = Date.now()): number {
  const waits = (o.startAt === undefined ? 0 : Math.max(0, o.startAt - now)) + (o.rendezvous === undefined ? 0 : 2 * (o.rendezvousTimeoutMs ?? RENDEZVOUS_TIMEOUT_MS))
  return fleetStartBoundMs(o.devices) + waits + cells * (o.repeat ?? 1) * rpcCellBoundMs(o)
}

export async function startFleet(o: RpcRunOptions): Promise<FleetHost> {
  const profile = profileOf(o.profile)
  const { external, auth } = brokerAccess(o)
  try {
    const shard = o.shard && { index: o.shard.index, count: o.shard.count }
    const gatewayRoute = o.gatewayLink && gatewayRouteOf({ gatewayLink: o.gatewayLink, seed: o.seed })
    const fleet = { devices: o.devices, gateways: o.gateways, profile, seed: o.seed, protocolVersion: o.protocol, shard, connectRate: o.connectRate }
    const where = { external, embedded: auth ? { auth } : undefined, gatewayRoute }
    const start = o.fleetWorkers ? startThreadedSimulation(fleet, where, { workers: o.fleetWorkers, onThreadEnd: warn }) : startSimulation(fleet, where).then(hostOf)
    return await withDeadline(start, fleetStartBoundMs(o.devices), `starting the fleet (${o.devices} devices on ${o.gateways} gateways)`)
  } catch (err) {
    if (!external) throw err
    throw unreachableBroker(external.url, err)
  }
}

/** Probes the broker, starts the fleet and worker threads, and runs every cell through the cell runner. */
export async function executeRpcCells(o: RpcRunOptions, cells: readonly RpcCellSpec[], ctx: RunContext): Promise<ExecuteOutcome> {
  const { external, auth } = brokerAccess(o)
  const probe = await probeExternal(external)
  const sim = await startFleet(o)
  const target: BrokerTarget = external ?? { url: sim.brokerUrl, username: auth?.username, password: auth?.password }
  const devices = fleetLayout(o.devices, o.gateways).flatMap((g) => g.deviceIds.map((deviceId) => ({ deviceId, gatewayId: g.gatewayId })))
  // Every shard plans all users the same way and runs its own slice of them.
  const plans = planUsers(devices, o.users).filter((p) => inShard(p.userIndex, o.shard))
  const workers = Math.min(o.workers, plans.length)
  const threads = new RpcWorkerThreads(workers)
  let leave: (() => Promise<void>) | undefined
  const meet = async (phase: 'ready' | 'done', c: RunContext): Promise<(() => Promise<void>) | undefined> =>
    o.rendezvous !== undefined && o.shard !== undefined ? rendezvous(target, o.rendezvous, phase, o.shard, o.rendezvousTimeoutMs ?? RENDEZVOUS_TIMEOUT_MS, c.signal) : undefined

  const session: CellSession<RpcCellSpec, SliceResult> = {
    cellMs: o.load.durationMs,
    workers,
    environmentBroker: brokerEnvironment(sim.embedded ? sim.brokerUrl : undefined, probe, target.url, sim.protocolVersion ?? 4),
    notes: probeNotes(target.url, probe),
    async beforeCells(c) {
      if (o.rendezvous !== undefined && o.shard !== undefined) {
        // A cold worker (loading TypeScript) must not make this shard start late.
        await withDeadline(threads.warm(), WARM_UP_BOUND_MS, 'warming up the worker threads')
        c.progress(`waiting for ${o.shard.count} shards at rendezvous ${o.rendezvous}`)
        leave = await meet('ready', c)
      }
      if (o.startAt !== undefined) c.progress(`waiting until ${new Date(o.startAt).toISOString()}`)
      await waitUntil(o.startAt, c.signal)
    },
    async runCell(cell, run) {
      const started = Date.now()
      const fault = o.fault && scheduleRestart(sim, o.fault, run.progress)
      const outcome = await threads.runCell(
        {
          cellId: cell.id,
          strategy: cell.strategy,
          strategyOptions: cell.strategyOptions,
          roundTimeoutMs: o.roundTimeoutMs,
          load: o.load,
          users: plans,
          broker: target,
          protocolVersion: o.protocol,
          ackMode: cell.ackMode,
          qos: o.qos,
          clientIdPrefix: `${o.runId}-${run.repeat}-${run.index}`,
          reconnectPeriodMs: o.reconnectPeriodMs ?? 1000,
          connectRate: o.connectRate === undefined ? undefined : o.connectRate / workers,
          callerLink: o.callerLink && linkConditions(o.callerLink),
          retry: cell.retry,
          seed: o.seed,
        },
        (p) => {
          fault?.started()
          run.progress(`${(p.ok / Math.max((Date.now() - started) / 1000, 0.001)).toFixed(0)} calls/s  errors ${p.errors}`)
        },
        run.signal,
        rpcCellBoundMs(o),
      )
      await fault?.done()
      return outcome.ok ? { ok: true, part: outcome.slice } : outcome
    },
    toCell: rpcCellFromSlice,
    failedCell: failedRpcCell,
    brokerCounts: () => sim.brokerCounts(),
    async afterCells(c) {
      if (o.rendezvous === undefined || o.shard === undefined) return
      c.progress(`waiting for the other shards to finish before stopping this shard's gateways`)
      const done = await meet('done', c)
      await done?.()
    },
    async close() {
      await leave?.()
      await closeWithin(() => threads.close(), CLOSE_BOUND_MS, 'stopping the worker threads', warn)
      await closeWithin(() => sim.close(), CLOSE_BOUND_MS, 'stopping the fleet', warn)
    },
  }
  return runCells(session, cells, o.repeat ?? 1, ctx)
}

/**
 * Restarts the embedded broker `atMs` after the cell's load starts (the first progress tick, sent
 * when setup is done); `done()` waits for it, or cancels it if the cell ended first.
 */
function scheduleRestart(sim: FleetHost, fault: BrokerRestartFault, progress: (line: string) => void): { started(): void; done(): Promise<void> } {
  let restart: Promise<void> | undefined
  let timer: NodeJS.Timeout | undefined
  return {
    started: () => {
      timer ??= setTimeout(() => {
        progress(`restarting the broker (down ${fault.downtimeMs} ms)`)
        restart = sim.restartBroker(fault.downtimeMs)
      }, fault.atMs)
    },
    done: async () => {
      clearTimeout(timer)
      await restart
    },
  }
}
