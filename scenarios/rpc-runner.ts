/**
 * Runs RPC cells (strategy × options) against the fleet: starts the embedded broker and fleet (or
 * attaches the fleet to --broker), deals devices to users and users to worker threads, and turns
 * each cell's merged slice into a result cell. Cells run one after another on the same fleet.
 */
import type { LoadModel, SliceResult } from '../loadgen/engine/types.ts'
import { summarizeEncoded } from '../loadgen/metrics/histogram.ts'
import { mergeRepeats, planUsers } from '../loadgen/engine/merge.ts'
import { WorkerPool } from '../loadgen/engine/pool.ts'
import type { CellResult } from '../reports/result.ts'
import { AEDES_VERSION, type BrokerCounts } from '../simulator/broker.ts'
import { UsageError } from '../simulator/cli-support.ts'
import { fleetLayout, startSimulation, type Simulation } from '../simulator/fleet.ts'
import type { BrokerTarget, ProtocolChoice } from '../simulator/mqtt-connect.ts'
import { getProfile, type DeviceProfile } from '../simulator/profiles.ts'
import { probeBroker, noDelayWarning, type BrokerProbe } from './broker-probe.ts'
import { brokerDelta, cellFromSlice, failedCell, type CellIdentity } from './cell-result.ts'
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
  workers: number
  qos: 0 | 1
  protocol: ProtocolChoice
  roundTimeoutMs: number
  load: LoadModel
  /** Each cell runs this many times, interleaved with the others (default 1). */
  repeat?: number
  /** Prefix of every client id, so concurrent runs (shards) never collide. */
  runId: string
}

const unreachable = (url: string, err: unknown): UsageError =>
  new UsageError(`cannot connect to --broker ${url}: ${(err as Error).message}; check the URL, that the broker runs, and --username/--password`)

/** Probes an external broker (version, TCP_NODELAY) before any load; refuses an unreachable one. */
export async function probeExternal(o: Pick<RpcRunOptions, 'broker' | 'username' | 'password'>): Promise<BrokerProbe | undefined> {
  if (!o.broker) return undefined
  try {
    return await probeBroker({ url: o.broker, username: o.username, password: o.password })
  } catch (err) {
    throw unreachable(o.broker, err)
  }
}

export async function startFleet(o: RpcRunOptions): Promise<Simulation> {
  const profile = typeof o.profile === 'string' ? getProfile(o.profile)! : o.profile
  const external: BrokerTarget | undefined = o.broker ? { url: o.broker, username: o.username, password: o.password } : undefined
  try {
    return await startSimulation({ devices: o.devices, gateways: o.gateways, profile, seed: o.seed, protocolVersion: o.protocol }, { external })
  } catch (err) {
    if (!external) throw err
    throw unreachable(external.url, err)
  }
}

export async function executeRpcCells(o: RpcRunOptions, cells: readonly RpcCellSpec[], ctx: RunContext): Promise<ExecuteOutcome> {
  const probe = await probeExternal(o)
  const sim = await startFleet(o)
  const target: BrokerTarget = o.broker ? { url: o.broker, username: o.username, password: o.password } : { url: sim.brokerUrl }
  const protocolVersion = sim.fleet.gateways[0]?.protocolVersion ?? 4
  const devices = fleetLayout(o.devices, o.gateways).flatMap((g) => g.deviceIds.map((deviceId) => ({ deviceId, gatewayId: g.gatewayId })))
  const plans = planUsers(devices, o.users)
  const workers = Math.min(o.workers, plans.length)
  const pool = new WorkerPool(workers)
  const repeats = o.repeat ?? 1
  // Repeats are interleaved (cell A, B, C, A, B, C…) so slow drift of the machine spreads over every cell.
  const runs = cells.map(() => ({ slices: [] as SliceResult[], delta: undefined as BrokerCounts | undefined, error: undefined as string | undefined }))
  try {
    for (let r = 0; r < repeats; r++) {
      for (const [i, cell] of cells.entries()) {
        const acc = runs[i]!
        if (acc.error !== undefined) continue
        const started = Date.now()
        const label = `[${r * cells.length + i + 1}/${cells.length * repeats}] ${cell.id}${repeats > 1 ? ` (repeat ${r + 1}/${repeats})` : ''}`
        ctx.progress(`${label} starting`)
        const before = sim.broker?.counts()
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
            wasm: true,
          },
          (p) => {
            const elapsed = (Date.now() - started) / 1000
            ctx.progress(`${label}  ${elapsed.toFixed(0)}s/${(o.load.durationMs / 1000).toFixed(0)}s  ${(p.ok / Math.max(elapsed, 0.001)).toFixed(0)} calls/s  errors ${p.errors}`)
          },
        )
        acc.delta = addCounts(acc.delta, brokerDelta(before, sim.broker?.counts()))
        if (run.ok) acc.slices.push(run.slice)
        else acc.error = run.error
      }
    }
  } finally {
    await pool.close()
    await sim.close()
  }
  const results: CellResult[] = cells.map((cell, i) => {
    const acc = runs[i]!
    if (acc.error !== undefined) return failedCell(cell, acc.error)
    const merged = cellFromSlice(cell, mergeRepeats(acc.slices), acc.delta)
    return { ...merged, repeats: acc.slices.map(repeatFigures) }
  })
  return {
    cells: results,
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
