/**
 * The session of reconnect-storm. Each cell starts its own embedded broker and fleet with the
 * cell's connect pacing (so no cell inherits another's connections), a multiplexed caller that
 * calls random devices throughout, then plays the fault: the broker restarted, or every gateway
 * connection cut at the gateways' proxy, for --downtime. The cell ends when every gateway has all
 * its filters acknowledged again (or at --recovery-timeout), plus a short tail of calls.
 */
import type { FaultProxy } from '../../loadgen/faults/proxy.ts'
import { callerRouteOf, gatewayRouteOf } from '../links.ts'
import { realClock, sleep } from '../../core/clock.ts'
import { encodeHistogram } from '../../core/histogram.ts'
import { CLOSE_BOUND_MS, closeWithin, warn, withDeadline } from '../../core/deadline.ts'
import { deriveRng } from '../../core/rng.ts'
import { MultiplexedRpcClient } from '../../loadgen/clients/multiplexed.ts'
import { CallRecorder } from '../../loadgen/engine/recorder.ts'
import { RandomCaller } from '../../loadgen/storm/random-caller.ts'
import { fleetLayout, startSimulation, type Simulation } from '../../simulator/fleet.ts'
import { profileOf } from '../../simulator/profiles.ts'
import { runCells, type CellOutcome, type CellRun, type CellSession } from '../cell-runner.ts'
import { brokerEnvironment } from '../broker-probe.ts'
import { fleetStartBoundMs } from '../rpc/session.ts'
import type { ExecuteOutcome, RunContext } from '../types.ts'
import { failedRecoveryCell, recoveryCellResult, type RecoveryPart } from './cell-result.ts'
import type { ReconnectStormOptions, StormCellSpec } from './options.ts'
import { RecoveryBook } from './recovery-book.ts'

/** Calls keep going this long after the last gateway recovered, so the result shows them succeed again. */
const TAIL_MS = 500
const POLL_MS = 25

/** Fleet start at the cell's pacing: connects take gateways / rate seconds. */
const startBoundMs = (o: ReconnectStormOptions, rate: number): number => fleetStartBoundMs(o.gateways * o.devicesPerGateway) + (rate > 0 ? (1000 * o.gateways) / rate : 0)

/** Longest one cell may take: fleet start, warm-up, downtime, recovery, tail, closing. */
export const stormCellBoundMs = (o: ReconnectStormOptions, rate: number): number => startBoundMs(o, rate) + o.warmUp + o.downtime + o.recoveryTimeout + TAIL_MS + o.callTimeout + 2 * CLOSE_BOUND_MS

export const stormPlanMs = (o: ReconnectStormOptions, cells: readonly StormCellSpec[]): number => o.repeat * cells.reduce((ms, c) => ms + stormCellBoundMs(o, c.connectRate), 0)

export async function executeStormCells(o: ReconnectStormOptions, cells: readonly StormCellSpec[], ctx: RunContext): Promise<ExecuteOutcome> {
  const runId = `fb${process.pid}${Date.now().toString(36)}`
  const devices = o.gateways * o.devicesPerGateway
  const deviceIds = fleetLayout(devices, o.gateways).flatMap((l) => l.deviceIds)
  let brokerUrl = ''
  let runs = 0
  const session: CellSession<StormCellSpec, RecoveryPart> = {
    cellMs: o.warmUp + o.downtime + o.recoveryTimeout,
    workers: 0,
    get environmentBroker() {
      return brokerEnvironment(brokerUrl || undefined, undefined, brokerUrl, 4)
    },
    notes: [],
    runCell: (cell, run) => playCell(o, cell, run, deviceIds, `${runId}-${++runs}`, (url) => (brokerUrl = url)),
    toCell: recoveryCellResult,
    failedCell: (cell, error) => failedRecoveryCell(cell, o, error),
    // Each cell has its own broker: packet counts are not compared across cells.
    brokerCounts: () => undefined,
    close: async () => undefined,
  }
  return runCells(session, cells, o.repeat, ctx)
}

async function playCell(o: ReconnectStormOptions, cell: StormCellSpec, run: CellRun, deviceIds: readonly string[], runId: string, onBroker: (url: string) => void): Promise<CellOutcome<RecoveryPart>> {
  const clock = realClock
  const book = new RecoveryBook(o.gateways)
  const closers: Array<[string, () => Promise<void>]> = []
  let proxy: FaultProxy | undefined
  const rec = new CallRecorder()
  try {
    run.progress(`starting ${o.gateways} gateways at ${cell.connectRate > 0 ? `${cell.connectRate}/s` : 'once'}`)
    const start = startSimulation(
      {
        devices: deviceIds.length,
        gateways: o.gateways,
        profile: profileOf(o.profile),
        seed: o.seed,
        protocolVersion: 4,
        conventions: ['envelope'],
        connectRate: cell.connectRate,
        reconnectBackoff: o.reconnectBackoff,
        connections: book,
      },
      {
        gatewayRoute: gatewayRouteOf(o, { always: o.fault === 'cut', onRoute: (r) => (proxy = r.proxy) }),
      },
    )
    const sim: Simulation = await withDeadline(start, startBoundMs(o, cell.connectRate), `starting the fleet (${o.gateways} gateways)`)
    closers.push(['stopping the fleet', () => sim.close()])
    onBroker(sim.brokerUrl)
    const route = await callerRouteOf(sim.brokerUrl, o)
    closers.push(["stopping the caller's link", () => route.close()])
    const client = new MultiplexedRpcClient({ broker: route.target, clientId: `${runId}-caller`, protocolVersion: 4, qos: 1, reconnectPeriodMs: 200 })
    closers.push(['closing the caller', () => client.close()])
    await withDeadline(client.connect(), 10_000, 'connecting the caller')
    const caller = new RandomCaller({ client, deviceIds, rate: o.callRate, timeoutMs: o.callTimeout, clock, rng: deriveRng(o.seed, `calls/${cell.id}`), rec })
    caller.start()
    const started = clock.now()
    await sleep(clock, o.warmUp)
    if (run.signal.aborted) return { ok: false, error: 'stopped before the fault' }

    const faultAt = clock.now()
    book.fault(faultAt)
    run.progress(`${o.fault === 'cut' ? 'cutting every gateway connection' : 'restarting the broker'} for ${o.downtime} ms`)
    if (o.fault === 'cut') {
      proxy!.cut()
      await sleep(clock, o.downtime)
      proxy!.restore()
    } else {
      await sim.restartBroker(o.downtime)
    }
    const backAt = clock.now()
    book.back(backAt)
    const deadline = backAt + o.recoveryTimeout
    while (book.allRecoveredAt === undefined && clock.now() < deadline && !run.signal.aborted) {
      await sleep(clock, POLL_MS)
      run.progress(`${book.recovered}/${o.gateways} gateways subscribed again, ${((clock.now() - backAt) / 1000).toFixed(1)} s after the broker was back`)
    }
    const endAt = book.allRecoveredAt ?? clock.now()
    await sleep(clock, TAIL_MS)
    await caller.stop()
    const elapsedMs = clock.now() - started
    const stats = book.stats(o.fault, backAt - faultAt, endAt, caller.between(faultAt, endAt))
    return { ok: true, part: { counts: rec.counts(), deviceErrors: rec.deviceErrors(), latency: encodeHistogram(rec.latency), series: rec.series.snapshot(), elapsedMs, stats } }
  } finally {
    for (const [what, close] of closers.reverse()) await closeWithin(close, CLOSE_BOUND_MS, what, warn)
    book.destroy()
    rec.destroy()
  }
}
