/**
 * The session of telemetry-vs-rpc: the embedded broker (with a meter of its PUBLISH traffic) and the
 * fleet in this process, the caller in a process of its own (so its CPU time is its own), and one
 * cell at a time through the cell runner. A cell: the caller gets ready (connects and subscribes, or
 * opens every device), both sides start on one instant, the devices publish (telemetry patterns) or
 * the caller polls (rpc) for --duration, the caller drains what is still on its way and answers.
 *
 * Where the network goes: the gateways reach the broker through `startSimulation`'s `gatewayRoute`
 * (the shaped gateway link), and the caller through `callerBroker`, one BrokerTarget handed to the
 * caller process whose `via` is the shaped caller link's proxy, run in this process.
 */
import { callerRouteOf, gatewayRouteOf } from '../links.ts'
import { CLOSE_BOUND_MS, closeWithin, warn, WARM_UP_BOUND_MS, withDeadline } from '../../core/deadline.ts'
import type { BrokerTarget } from '../../core/mqtt-connect.ts'
import { publishModeOf, trafficDelta, type PublishTraffic, type StreamTotals } from '../../core/telemetry.ts'
import { CallerProcess } from '../../loadgen/telemetry/caller-process.ts'
import { localEpoch } from '../../loadgen/telemetry/clock-sync.ts'
import { fleetLayout, startSimulation, type Simulation } from '../../simulator/fleet.ts'
import { profileOf } from '../../simulator/profiles.ts'
import { BrokerMeter } from '../../simulator/telemetry/broker-meter.ts'
import { brokerEnvironment } from '../broker-probe.ts'
import { runCells, type CellOutcome, type CellRun, type CellSession } from '../cell-runner.ts'
import { fleetStartBoundMs } from '../rpc/session.ts'
import type { Route } from '../../loadgen/faults/route.ts'
import type { ExecuteOutcome, RunContext } from '../types.ts'
import { failedTelemetryCell, telemetryCellResult, type TelemetryPart } from './cell-result.ts'
import type { TelemetryCellSpec, TelemetryVsRpcOptions } from './options.ts'

/** Between "ready" and the first period: time for the go message to reach the caller. */
const START_DELAY_MS = 100
/** Load time of the unreported warm-up run of each pattern. */
const WARM_UP_MS = 500
/** The rpc set-up at most: connect, then every device opened (up to 5 attempts of 10 s each). */
const SETUP_BOUND_MS = 60_000

/** Longest one cell may take: set-up, load, the last period's deadline, the drain. Past it the caller is stopped and the cell fails. */
export const telemetryCellBoundMs = (o: Pick<TelemetryVsRpcOptions, 'duration' | 'drainTimeout' | 'hz'>): number =>
  SETUP_BOUND_MS + START_DELAY_MS + o.duration + 2 * (1000 / o.hz[0]!) + o.drainTimeout + 10_000

/** The whole run at most: fleet, caller process, and every cell's bound. */
export const telemetryPlanMs = (o: TelemetryVsRpcOptions, cells: number): number =>
  fleetStartBoundMs(o.devices) + WARM_UP_BOUND_MS + (o.patterns.length + cells * o.repeat) * telemetryCellBoundMs(o)

export async function executeTelemetryCells(o: TelemetryVsRpcOptions, cells: readonly TelemetryCellSpec[], ctx: RunContext): Promise<ExecuteOutcome> {
  const meter = new BrokerMeter()
  const layout = fleetLayout(o.devices, o.gateways)
  const deviceIds = layout.flatMap((l) => l.deviceIds)
  const start = startSimulation({ devices: o.devices, gateways: o.gateways, profile: profileOf(o.profile), seed: o.seed, protocolVersion: 4 }, { embedded: { hooks: meter.hooks }, gatewayRoute: gatewayRouteOf(o) })
  const sim: Simulation = await withDeadline(start, fleetStartBoundMs(o.devices), `starting the fleet (${o.devices} devices on ${o.gateways} gateways)`)
  // The caller's link runs in this process, not the caller's, so the caller's CPU figure stays its own.
  let callerRoute: Route
  try {
    callerRoute = await callerRouteOf(sim.brokerUrl, o)
  } catch (err) {
    await sim.close()
    throw err
  }
  const callerBroker: BrokerTarget = callerRoute.target
  const caller = new CallerProcess()
  const runId = `fb${process.pid}${Date.now().toString(36)}`
  const notes: string[] = []
  let runs = 0
  const stopDevices = (): void => sim.fleet.gateways.forEach((g) => g.telemetry.stop())

  /** One run of one cell for `durationMs`: the caller's figures and the broker's PUBLISH traffic during the load. */
  const measure = async (cell: TelemetryCellSpec, durationMs: number, run: Pick<CellRun, 'signal' | 'progress'>): Promise<CellOutcome<TelemetryPart>> => {
    const runNo = ++runs
    const mode = publishModeOf(cell.pattern)
    let before: PublishTraffic | undefined
    let published: Promise<StreamTotals[]> | undefined
    run.signal.addEventListener('abort', stopDevices)
    try {
      const outcome = await caller.runCell(
        {
          cellId: cell.id, pattern: cell.pattern, hz: cell.hz, durationMs, deviceIds, characteristics: o.characteristics,
          broker: callerBroker, qos: o.qos, run: runNo, clientId: `${runId}-caller-${runNo}`, drainMs: o.drainTimeout, seed: o.seed,
        },
        {
          ready: () => {
            before = meter.snapshot()
            const startAt = localEpoch() + START_DELAY_MS
            if (mode !== undefined) {
              // The gateways' clock is performance.now(): the same instant on it.
              const startMs = startAt - performance.timeOrigin
              const plan = { hz: cell.hz, mode, characteristics: o.characteristics, qos: o.qos, run: runNo, startMs, endMs: startMs + durationMs, seed: o.seed }
              published = Promise.all(sim.fleet.gateways.map((g) => g.telemetry.run(plan))).then((perGateway) => perGateway.flat())
              if (run.signal.aborted) stopDevices()
            }
            return { startAt }
          },
          published: mode === undefined ? undefined : async () => ({ type: 'finish' as const, streams: await published! }),
          tick: (t) => run.progress(`${t.ok.toLocaleString('en-US')} samples  missed ${t.missed.toLocaleString('en-US')}`),
          signal: run.signal,
        },
        telemetryCellBoundMs(o),
        WARM_UP_BOUND_MS,
      )
      if (!outcome.ok) return outcome
      return { ok: true, part: { data: outcome.data, traffic: trafficDelta(before!, meter.snapshot()), durationMs } }
    } finally {
      run.signal.removeEventListener('abort', stopDevices)
      stopDevices()
    }
  }

  const session: CellSession<TelemetryCellSpec, TelemetryPart> = {
    cellMs: o.duration,
    workers: 1,
    environmentBroker: brokerEnvironment(sim.brokerUrl, undefined, sim.brokerUrl, 4),
    notes,
    async beforeCells(c) {
      c.progress('starting the caller process')
      await caller.start(WARM_UP_BOUND_MS)
      // An unreported short run of each pattern first, so no measured cell pays for compiling its code paths (CPU per sample).
      for (const pattern of new Set(cells.map((x) => x.pattern))) {
        if (c.signal.aborted) break
        c.progress(`warming up the caller (${pattern})`)
        const warm = await measure({ id: `warm-up-${pattern}`, labels: {}, pattern, hz: o.hz.at(-1)! }, WARM_UP_MS, { signal: c.signal, progress: () => {} })
        if (!warm.ok) notes.push(`the ${pattern} warm-up failed (${warm.error}); its first cell includes the caller's start-up costs.`)
      }
      notes.push(`The caller ran in a process of its own; its clock agreed with the devices' within ${(caller.clockErrorMs * 1000).toFixed(0)} µs (half the shortest of 20 clock-sync round trips; offset ${(caller.offsetMs * 1000).toFixed(0)} µs corrected).`)
    },
    async runCell(cell, run) {
      const outcome = await measure(cell, o.duration, run)
      if (!outcome.ok) return outcome
      if (outcome.part.data.unopened > 0) notes.push(`${cell.id}: ${outcome.part.data.unopened} devices could not be opened in 5 attempts; their reads failed as not_connected (device errors).`)
      return outcome
    },
    toCell: telemetryCellResult,
    failedCell: failedTelemetryCell,
    brokerCounts: () => sim.brokerCounts(),
    async close() {
      stopDevices()
      await closeWithin(() => caller.close(), CLOSE_BOUND_MS, 'stopping the caller process', warn)
      await closeWithin(() => callerRoute.close(), CLOSE_BOUND_MS, "stopping the caller's link", warn)
      await closeWithin(() => sim.close(), CLOSE_BOUND_MS, 'stopping the fleet', warn)
    },
  }
  return runCells(session, cells, o.repeat, ctx)
}
