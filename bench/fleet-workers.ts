/**
 * `npm run bench -- --fleet-workers`: parallel-ble's multiplexed cell (instant profile, loopback
 * links, closed loop) against the same fleet run three ways, side by side in one process: the
 * broker and every gateway on the main thread (`--fleet-workers 0`), the gateways on one thread and
 * the broker on another (1), the gateways on two threads (2). Per run: calls/s, and every thread's
 * CPU time from /proc/self/task (main, broker, each gateway thread, the caller workers, the rest),
 * as a share of one core and per call. The caller threads are kept (and warm) for the whole run, as
 * a scenario keeps them across its cells; every fleet gets an untimed warm-up before it is measured.
 */
import { lookup } from 'node:dns/promises'
import { stat } from 'node:fs/promises'
import { summarizeEncoded } from '../core/histogram.ts'
import { planUsers } from '../loadgen/engine/merge.ts'
import { RpcWorkerThreads } from '../loadgen/engine/worker-threads.ts'
import { parallelBle, parallelBleCells, rpcOptions } from '../scenarios/parallel-ble/index.ts'
import { startFleet } from '../scenarios/rpc/session.ts'
import { resolveOptions } from '../scenarios/run.ts'
import { fleetLayout } from '../simulator/fleet.ts'
import type { FleetHost } from '../simulator/fleet-host.ts'
import type { FleetThreadInfo } from '../simulator/threads/threaded-simulation.ts'
import { loadAverage } from './machine.ts'
import { threadCpuMs, threadIds } from './thread-cpu.ts'
import { perSec } from './types.ts'

export interface ThreadShare {
  /** main, broker, gateways 1…, callers, other */
  thread: string
  /** Threads in this row (callers, other: several). */
  threads: number
  /** CPU time as a share of one core over the run's wall time, %. */
  cpuPct: number
  /** CPU time per successful call, µs. */
  cpuUsPerCall: number
  /** Event loop busy share, % (fleet threads only). */
  eluPct: number | undefined
}

export interface FleetWorkersRun {
  fleetWorkers: number
  calls: number
  errors: number
  callsPerSec: number
  p50Us: number
  p99Us: number
  wallMs: number
  shares: ThreadShare[]
}

export interface FleetWorkersResult {
  devices: number
  gateways: number
  users: number
  callerWorkers: number
  roundTimeoutMs: number
  durationMs: number
  warmMs: number
  runs: FleetWorkersRun[]
  /** False where /proc/self/task cannot be read: shares are then missing. */
  perThreadCpu: boolean
  failures: string[]
  notes: string[]
  loadAtStart: [number, number, number]
  loadAtEnd: [number, number, number]
  elapsedSec: number
}

export interface FleetWorkersOptions {
  durationMs: number
  warmMs: number
  fleetWorkers: readonly number[]
  devices: number
  gateways: number
  runId: string
  progress(line: string): void
}

export const FLEET_WORKERS_PLANS = {
  quick: { durationMs: 3_000, warmMs: 1_500 },
  full: { durationMs: 6_000, warmMs: 3_000 },
} as const

const sumOver = (tids: Iterable<number>, before: Map<number, number>, after: Map<number, number>): number => {
  let ms = 0
  for (const t of tids) ms += (after.get(t) ?? before.get(t) ?? 0) - (before.get(t) ?? 0)
  return ms
}

export async function measureFleetWorkers(o: FleetWorkersOptions): Promise<FleetWorkersResult> {
  const began = performance.now()
  const loadAtStart = loadAverage()
  // parallel-ble's own options and cell; a longer round deadline so a busy machine slows rounds instead of failing them.
  const opts = resolveOptions(parallelBle, {
    profile: 'instant', devices: String(o.devices), gateways: String(o.gateways), strategies: 'multiplexed',
    callerLink: 'loopback', gatewayLink: 'loopback', duration: `${o.durationMs}ms`, timeout: '5s',
  }, false)
  const run = rpcOptions(opts)
  const cell = parallelBleCells(opts)[0]!
  const devices = fleetLayout(o.devices, o.gateways).flatMap((g) => g.deviceIds.map((deviceId) => ({ deviceId, gatewayId: g.gatewayId })))
  const users = planUsers(devices, run.users)
  const result: FleetWorkersResult = {
    devices: o.devices, gateways: o.gateways, users: users.length, callerWorkers: run.workers, roundTimeoutMs: run.roundTimeoutMs,
    durationMs: o.durationMs, warmMs: o.warmMs, runs: [], perThreadCpu: threadIds().size > 0, failures: [], notes: [],
    loadAtStart, loadAtEnd: loadAtStart, elapsedSec: 0,
  }
  // libuv starts its pool on first use: start it now, so that the threads new after the caller pool are the callers.
  await stat('.')
  await lookup('localhost').catch(() => undefined)
  const beforePool = threadIds()
  const callers = new RpcWorkerThreads(run.workers)
  let seq = 0
  try {
    await callers.warm()
    const callerTids = [...threadIds()].filter((t) => !beforePool.has(t))
    if (result.perThreadCpu && callerTids.length !== run.workers)
      result.notes.push(`${callerTids.length} threads appeared with the ${run.workers} caller workers: the workers and the module-loader threads that tsx's hooks run on (idle once the code is loaded); the callers row sums them all. Each fleet thread has such loader threads too, counted under "other".`)
    const runOnce = (host: FleetHost, durationMs: number) =>
      callers.runCell({
        cellId: cell.id, strategy: cell.strategy, strategyOptions: cell.strategyOptions, roundTimeoutMs: run.roundTimeoutMs,
        load: { kind: 'closed', durationMs }, users, broker: { url: host.brokerUrl }, protocolVersion: run.protocol, ackMode: cell.ackMode,
        qos: run.qos, clientIdPrefix: `${o.runId}-${seq++}`, reconnectPeriodMs: run.reconnectPeriodMs ?? 1000, retry: cell.retry, seed: run.seed,
      })
    for (const fleetWorkers of o.fleetWorkers) {
      o.progress(`fleet workers ${fleetWorkers}: starting ${o.devices.toLocaleString('en-US')} devices on ${o.gateways} gateways`)
      let host: FleetHost | undefined
      try {
        host = await startFleet({ ...run, fleetWorkers })
        const threads: readonly FleetThreadInfo[] = (host as { threads?: readonly FleetThreadInfo[] }).threads ?? []
        o.progress(`fleet workers ${fleetWorkers}: warm-up ${o.warmMs} ms, then ${o.durationMs} ms measured`)
        const warm = await runOnce(host, o.warmMs)
        if (!warm.ok) throw new Error(warm.error)
        const elu0 = threads.map((t) => t.eventLoopUtilization())
        const cpu0 = threadCpuMs()
        const t0 = performance.now()
        const r = await runOnce(host, o.durationMs)
        const wallMs = performance.now() - t0
        const cpu1 = threadCpuMs()
        const elu1 = threads.map((t) => t.eventLoopUtilization())
        if (!r.ok) throw new Error(r.error)
        const calls = r.slice.counts.ok
        const share = (thread: string, tids: number[], eluPct?: number): ThreadShare => {
          const ms = sumOver(tids, cpu0, cpu1)
          return { thread, threads: tids.length, cpuPct: (100 * ms) / wallMs, cpuUsPerCall: calls > 0 ? (1000 * ms) / calls : 0, eluPct }
        }
        const elu = (i: number): number => {
          const a = elu0[i]!
          const b = elu1[i]!
          const active = b.active - a.active
          const total = active + b.idle - a.idle
          return total > 0 ? (100 * active) / total : 0
        }
        const known = new Set<number>([process.pid, ...callerTids, ...threads.map((t) => t.tid).filter((t): t is number => t !== undefined)])
        const every = new Set([...cpu0.keys(), ...cpu1.keys()])
        const lat = summarizeEncoded(r.slice.callLatency)
        result.runs.push({
          fleetWorkers,
          calls,
          errors: r.slice.counts.sent - calls,
          callsPerSec: perSec(calls, r.slice.elapsedMs),
          p50Us: lat.p50,
          p99Us: lat.p99,
          wallMs,
          shares: result.perThreadCpu
            ? [
                share(fleetWorkers === 0 ? 'main (broker + gateways)' : 'main', [process.pid]),
                ...threads.map((t, i) => share(t.role === 'broker' ? 'broker' : `gateways ${t.index + 1} (${t.gateways} gw)`, t.tid === undefined ? [] : [t.tid], elu(i))),
                share(`callers (${run.workers} workers)`, callerTids),
                share('other', [...every].filter((t) => !known.has(t))),
              ]
            : [],
        })
      } catch (err) {
        result.failures.push(`fleet workers ${fleetWorkers}: ${err instanceof Error ? err.message : String(err)}`)
        o.progress(`fleet workers ${fleetWorkers} FAILED: ${err instanceof Error ? err.message : String(err)}`)
      } finally {
        await host?.close()
      }
    }
  } finally {
    await callers.close()
  }
  result.loadAtEnd = loadAverage()
  result.elapsedSec = Math.round((performance.now() - began) / 1000)
  return result
}
