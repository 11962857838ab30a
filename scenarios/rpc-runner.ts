/**
 * Runs RPC cells (strategy × options) against the fleet: starts the embedded broker and fleet (or
 * attaches the fleet to --broker), deals devices to users and users to worker threads, and turns
 * each cell's merged slice into a result cell. Cells run one after another on the same fleet.
 */
import type { LoadModel, SliceResult } from '../loadgen/engine/types.ts'
import { summarizeEncoded } from '../core/histogram.ts'
import { mergeRepeats, planUsers } from '../loadgen/engine/merge.ts'
import { WorkerPool } from '../loadgen/engine/pool.ts'
import type { CellResult } from '../core/result.ts'
import { AEDES_VERSION, type BrokerCounts } from '../simulator/broker.ts'
import { UsageError } from '../core/cli-support.ts'
import { fleetLayout, startSimulation, type Simulation } from '../simulator/fleet.ts'
import type { BrokerTarget, ProtocolChoice } from '../core/mqtt-connect.ts'
import { getProfile, type DeviceProfile } from '../simulator/profiles.ts'
import type { Credentials } from '../simulator/acl.ts'
import type { BrokerRestartFault } from './broker-fault.ts'
import { inShard, rendezvous, waitUntil, type Shard } from './shard.ts'
import { probeBroker, noDelayWarning, type BrokerProbe } from './broker-probe.ts'
import { brokerDelta, cellFromSlice, failedCell, type CellIdentity } from './cell-result.ts'
import { brokerAccess, type BrokerAccessOptions } from './options.ts'
import type { ExecuteOutcome, RunContext } from './types.ts'

export interface RpcCellSpec extends CellIdentity {
  strategy: string
  strategyOptions: Record<string, unknown>
  ackMode: 'strict' | 'lenient'
}

export interface RpcRunOptions {
  devices: number
  gateways: number
  users: number
  profile: string | DeviceProfile
  seed: number
  broker?: string
  username?: string
  password?: string
  /** Embedded broker: lock it down; clients log in with these, gateways with their own. */
  auth?: Credentials
  /** PEM file paths for an mqtts:// broker. */
  ca?: string
  cert?: string
  key?: string
  workers: number
  qos: 0 | 1
  protocol: ProtocolChoice
  roundTimeoutMs: number
  load: LoadModel
  /** Restart the embedded broker during every cell. */
  fault?: BrokerRestartFault
  /** Reconnect delay of the multiplexed clients after a lost connection; 0 = never. */
  reconnectPeriodMs?: number
  /** This machine's part of a sharded run (gateways and users whose index % count == index). */
  shard?: Shard
  /** Epoch ms at which the load starts (after set-up). */
  startAt?: number
  /** Shards meet on the broker under this id before the load starts. */
  rendezvous?: string
  rendezvousTimeoutMs?: number
  /** Each cell runs this many times, interleaved with the others (default 1). */
  repeat?: number
  /** Prefix of every client id, so concurrent runs (shards) never collide. */
  runId: string
}

const unreachable = (url: string, err: unknown): UsageError =>
  new UsageError(`cannot connect to --broker ${url}: ${(err as Error).message}; check the URL, that the broker runs, --username/--password, and for mqtts:// --ca/--cert/--key`)

/** Probes an external broker (version, TCP_NODELAY) before any load; refuses an unreachable one. */
export async function probeExternal(o: BrokerAccessOptions): Promise<BrokerProbe | undefined> {
  const { external } = brokerAccess(o)
  if (!external) return undefined
  try {
    return await probeBroker(external)
  } catch (err) {
    throw unreachable(external.url, err)
  }
}

export async function startFleet(o: RpcRunOptions): Promise<Simulation> {
  const profile = typeof o.profile === 'string' ? getProfile(o.profile)! : o.profile
  const { external, auth } = brokerAccess(o)
  try {
    const shard = o.shard && { index: o.shard.index, count: o.shard.count }
    return await startSimulation({ devices: o.devices, gateways: o.gateways, profile, seed: o.seed, protocolVersion: o.protocol, shard }, { external, embedded: auth ? { auth } : undefined })
  } catch (err) {
    if (!external) throw err
    throw unreachable(external.url, err)
  }
}

export async function executeRpcCells(o: RpcRunOptions, cells: readonly RpcCellSpec[], ctx: RunContext): Promise<ExecuteOutcome> {
  const probe = await probeExternal(o)
  const sim = await startFleet(o)
  const { external, auth } = brokerAccess(o)
  const target: BrokerTarget = external ?? { url: sim.brokerUrl, username: auth?.username, password: auth?.password }
  const protocolVersion = sim.fleet.gateways[0]?.protocolVersion ?? 4
  const devices = fleetLayout(o.devices, o.gateways).flatMap((g) => g.deviceIds.map((deviceId) => ({ deviceId, gatewayId: g.gatewayId })))
  // Every shard plans all users the same way and runs its own slice of them.
  const plans = planUsers(devices, o.users).filter((p) => inShard(p.userIndex, o.shard))
  const workers = Math.min(o.workers, plans.length)
  const pool = new WorkerPool(workers)
  let leave: (() => Promise<void>) | undefined
  const repeats = o.repeat ?? 1
  // Repeats are interleaved (cell A, B, C, A, B, C…) so slow drift of the machine spreads over every cell.
  const runs = cells.map(() => ({ slices: [] as SliceResult[], delta: undefined as BrokerCounts | undefined, error: undefined as string | undefined }))
  try {
    if (o.rendezvous !== undefined && o.shard !== undefined) {
      await pool.warm() // a cold worker (loading TypeScript) must not make this shard start late
      ctx.progress(`waiting for ${o.shard.count} shards at rendezvous ${o.rendezvous}`)
      leave = await rendezvous(target, o.rendezvous, 'ready', o.shard, o.rendezvousTimeoutMs ?? 600_000, ctx.signal)
    }
    if (o.startAt !== undefined) ctx.progress(`waiting until ${new Date(o.startAt).toISOString()}`)
    await waitUntil(o.startAt, ctx.signal)
    for (let r = 0; r < repeats; r++) {
      for (const [i, cell] of cells.entries()) {
        const acc = runs[i]!
        if (acc.error !== undefined || ctx.signal.aborted) continue
        const started = Date.now()
        const label = `[${r * cells.length + i + 1}/${cells.length * repeats}] ${cell.id}${repeats > 1 ? ` (repeat ${r + 1}/${repeats})` : ''}`
        ctx.progress(`${label} starting`)
        const before = sim.brokerCounts()
        const fault = o.fault && scheduleRestart(sim, o.fault, ctx)
        const run = await pool.runCell(
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
            clientIdPrefix: `${o.runId}-${r}-${i}`,
            reconnectPeriodMs: o.reconnectPeriodMs ?? 1000,
            wasm: true,
          },
          (p) => {
            fault?.started()
            const elapsed = (Date.now() - started) / 1000
            const perCell = o.load.durationMs / 1000
            const left = Math.max(0, perCell - elapsed) + (cells.length * repeats - (r * cells.length + i + 1)) * perCell
            ctx.progress(`${label}  ${elapsed.toFixed(0)}s/${perCell.toFixed(0)}s  ~${left.toFixed(0)}s left  ${(p.ok / Math.max(elapsed, 0.001)).toFixed(0)} calls/s  errors ${p.errors}`)
          },
          ctx.signal,
        )
        await fault?.done()
        acc.delta = addCounts(acc.delta, brokerDelta(before, sim.brokerCounts()))
        if (run.ok) acc.slices.push(run.slice)
        else acc.error = run.error
      }
    }
    if (o.rendezvous !== undefined && o.shard !== undefined && !ctx.signal.aborted) {
      ctx.progress(`waiting for the other shards to finish before stopping this shard's gateways`)
      const done = await rendezvous(target, o.rendezvous, 'done', o.shard, o.rendezvousTimeoutMs ?? 600_000, ctx.signal)
      await done()
    }
  } finally {
    await leave?.()
    await pool.close()
    await sim.close()
  }
  // A stopped run keeps the cells that ran (even partly); the others are left out, not faked.
  const ran = cells.map((cell, i) => ({ cell, acc: runs[i]! })).filter(({ acc }) => acc.error !== undefined || acc.slices.length > 0)
  const results: CellResult[] = ran.map(({ cell, acc }) => {
    if (acc.error !== undefined) return failedCell(cell, acc.error)
    const merged = cellFromSlice(cell, mergeRepeats(acc.slices), acc.delta)
    return { ...merged, repeats: acc.slices.map(repeatFigures) }
  })
  return {
    cells: results,
    partial: ctx.signal.aborted,
    workers,
    environmentBroker: sim.broker
      ? { kind: 'aedes', version: AEDES_VERSION, protocolVersion: 4, url: sim.brokerUrl, noDelay: true }
      : {
          kind: /mosquitto/i.test(probe?.version ?? '') ? 'mosquitto' : 'external',
          version: probe?.version.replace(/^mosquitto version /i, '') ?? 'unknown',
          protocolVersion,
          url: target.url,
          noDelay: probe?.noDelay ?? 'unknown',
        },
    notes: probe ? [noDelayWarning(target.url, probe)].filter((n): n is string => n !== undefined) : [],
  }
}

function addCounts(a: BrokerCounts | undefined, b: BrokerCounts | undefined): BrokerCounts | undefined {
  if (!a || !b) return a ?? b
  return { connect: a.connect + b.connect, subscribe: a.subscribe + b.subscribe, unsubscribe: a.unsubscribe + b.unsubscribe, publish: a.publish + b.publish }
}

/** One repeat's headline figures, kept so the gate can judge the spread between repeats. */
function repeatFigures(s: SliceResult): NonNullable<CellResult['repeats']>[number] {
  const lat = summarizeEncoded(s.callLatency)
  const errors = Object.entries(s.counts.errors).reduce((t, [k, v]) => (k === 'device-error' ? t : t + v), 0)
  return {
    callsPerSec: s.elapsedMs > 0 ? Math.round((s.counts.ok / (s.elapsedMs / 1000)) * 100) / 100 : 0,
    p50: lat.p50,
    p99: lat.p99,
    errorRate: s.counts.sent > 0 ? errors / s.counts.sent : 0,
  }
}

/**
 * Restarts the embedded broker `atMs` after the cell's load starts (the first progress tick, sent
 * when setup is done); `done()` waits for it, or cancels it if the cell ended first.
 */
function scheduleRestart(sim: Simulation, fault: BrokerRestartFault, ctx: RunContext): { started(): void; done(): Promise<void> } {
  let restart: Promise<void> | undefined
  let timer: NodeJS.Timeout | undefined
  return {
    started: () => {
      timer ??= setTimeout(() => {
        ctx.progress(`restarting the broker (down ${fault.downtimeMs} ms)`)
        restart = sim.restartBroker(fault.downtimeMs)
      }, fault.atMs)
    },
    done: async () => {
      clearTimeout(timer)
      await restart
    },
  }
}
