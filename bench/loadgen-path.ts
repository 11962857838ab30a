/**
 * Floor (c): fleetbench's `multiplexed` strategy through the full path, built from the same pieces
 * `executeRpcCells` uses: `startSimulation` (the embedded Aedes broker in this process, or the fleet
 * attached to Mosquitto) with a fleet of the `instant` profile; `RpcWorkerThreads.runCell`, whose Piscina
 * worker runs the strategy and records every call into WebAssembly HDR histograms (latency and the
 * per-second series) and whose slices are merged; `rpcCellFromSlice` for the result cell; and the
 * result written with `writeResultJson`.
 *
 * One difference from `executeRpcCells`: the pool is shared by every (c) measurement of the bench,
 * as a scenario shares it between its cells, instead of a fresh pool per call. A fresh worker needs
 * two to three seconds of load before V8 has optimised its hot path (seen in the per-second series),
 * which would otherwise dominate a 3 s measurement.
 *
 * Load shape: `closed-calls` with one user, one gateway and N devices, so N calls are in flight on
 * one multiplexed client (one connection, one response subscription) answered by one gateway
 * client: the shape of floor (b)'s one requester and one responder. MQTT 3.1.1 envelope on both
 * brokers, as floor (b) speaks.
 */
import { join } from 'node:path'
import { RpcWorkerThreads } from '../loadgen/engine/worker-threads.ts'
import { SCHEMA_VERSION, type RunResult } from '../core/result.ts'
import { writeResultJson } from '../reports/write.ts'
import { errorTotal } from '../core/accounting.ts'
import { brokerDelta } from '../core/counters.ts'
import { rpcCellFromSlice } from '../scenarios/rpc/cell-result.ts'
import { environment } from '../scenarios/environment.ts'
import { AEDES_VERSION } from '../simulator/broker.ts'
import { fleetLayout, startSimulation } from '../simulator/fleet.ts'
import { getProfile } from '../simulator/profiles.ts'
import type { BrokerKind, Measurement } from './types.ts'

export interface LoadgenRun {
  /** Undefined: the embedded Aedes broker, started in this process for this measurement. */
  url: string | undefined
  broker: BrokerKind
  qos: 0 | 1
  concurrency: number
  durationMs: number
  runId: string
  /** Where result.json files are written (a temp dir the bench removes). */
  resultDir: string
}

const CELL = { id: 'multiplexed', labels: { strategy: 'multiplexed' } }

/** One worker thread, as a scenario with `--workers 1`; reused by every (c) measurement. */
export const createLoadgenPool = (): RpcWorkerThreads => new RpcWorkerThreads(1)

export async function measureLoadgen(pool: RpcWorkerThreads, o: LoadgenRun): Promise<Measurement & { writeMs: number }> {
  const startedAt = new Date()
  const sim = await startSimulation(
    { devices: o.concurrency, gateways: 1, profile: getProfile('instant')!, seed: 1, protocolVersion: 4 },
    { external: o.url === undefined ? undefined : { url: o.url } },
  )
  const devices = fleetLayout(o.concurrency, 1).flatMap((g) => g.deviceIds.map((deviceId) => ({ deviceId, gatewayId: g.gatewayId })))
  const load = { kind: 'closed-calls', durationMs: o.durationMs } as const
  let run: Awaited<ReturnType<RpcWorkerThreads['runCell']>>
  let delta
  try {
    const before = sim.broker?.counts()
    run = await pool.runCell({
      cellId: CELL.id,
      strategy: 'multiplexed',
      strategyOptions: {},
      roundTimeoutMs: 5_000,
      load,
      users: [{ userIndex: 0, devices }],
      broker: { url: sim.brokerUrl },
      protocolVersion: 4,
      ackMode: 'lenient',
      qos: o.qos,
      clientIdPrefix: o.runId,
      reconnectPeriodMs: 1000,
    })
    delta = brokerDelta(before, sim.broker?.counts())
  } finally {
    await sim.close()
  }
  if (!run.ok) throw new Error(`loadgen cell failed: ${run.error}`)
  const cell = rpcCellFromSlice(CELL, run.slice, delta)
  if (cell.status !== 'ok') throw new Error(`loadgen cell ${cell.status}: ${cell.error ?? ''}`)

  const writeStart = performance.now()
  const result: RunResult = {
    schemaVersion: SCHEMA_VERSION,
    scenario: 'bench',
    partial: false,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    environment: environment(
      o.url === undefined ? { kind: 'aedes', version: AEDES_VERSION, protocolVersion: 4, url: sim.brokerUrl, noDelay: true } : { kind: o.broker, version: 'unknown', protocolVersion: 4, url: o.url, noDelay: true },
      1,
    ),
    options: { devices: o.concurrency, gateways: 1, users: 1, profile: 'instant', qos: o.qos, protocol: 4, load, broker: o.broker },
    cells: [cell],
    thresholds: [],
    findings: [],
    notes: [],
  }
  await writeResultJson(join(o.resultDir, `${o.runId}.json`), result)
  const writeMs = performance.now() - writeStart
  return {
    floor: 'loadgen',
    broker: o.broker,
    qos: o.qos,
    concurrency: o.concurrency,
    calls: cell.counts.ok,
    errors: errorTotal(cell.counts),
    elapsedMs: cell.elapsedMs,
    callsPerSec: cell.throughput.callsPerSec,
    p50Us: cell.latencyUs.p50,
    p99Us: cell.latencyUs.p99,
    writeMs,
  }
}
