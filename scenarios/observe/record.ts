/**
 * The observe "scenario": no load of its own. The fleet records what other programs do to it (a
 * wrapped command, a C# or Rust client pointed at it), and when it stops the recording becomes a
 * result like any scenario's (scenario `observe`, one cell per caller), with thresholds, a report,
 * and the fallback when the output directory fails.
 */
import type { RunResult } from '../../core/result.ts'
import type { FleetRecorder } from '../../simulator/observe/recorder.ts'
import type { Simulation } from '../../simulator/fleet.ts'
import { summaryText } from '../../reports/summary.ts'
import { brokerEnvironment } from '../broker-probe.ts'
import { fallbackNotice, writeRunOutputs, type Written } from '../outputs.ts'
import { assembleResult } from '../result.ts'
import { observeCells, type GroupBy } from './cells.ts'
import { OBSERVE_COLUMNS } from './columns.ts'
import { observeFindings } from './findings.ts'

export const OBSERVE = 'observe'

export interface RecordingOptions {
  dir: string
  groupBy: GroupBy
  thresholds: string[]
  /** Every effective option, as the command line gave them (written to the result). */
  options: Record<string, unknown>
  startedAt: Date
  /** Why the recording ended, for the notes (the wrapped command exited 3, Ctrl-C, --duration). */
  endedBy: string
}

export function observeResult(sim: Simulation, rec: FleetRecorder, o: RecordingOptions): RunResult {
  rec.finish()
  const cells = observeCells(rec, o.groupBy)
  const broker = brokerEnvironment(sim.broker ? sim.brokerUrl : undefined, undefined, sim.brokerUrl, sim.fleet.gateways[0]?.protocolVersion ?? 4)
  return assembleResult({
    scenario: OBSERVE,
    startedAt: o.startedAt,
    partial: false,
    broker,
    workers: 0,
    options: o.options,
    cells,
    thresholds: o.thresholds,
    findings: observeFindings(cells),
    notes: [
      `recorded by the fleet (${sim.fleet.deviceCount} devices on ${sim.fleet.gateways.length} gateways) until ${o.endedBy}; one cell per ${o.groupBy === 'client' ? 'caller (MQTT client id)' : 'client id prefix'}.`,
      rec.brokerAttached
        ? 'Round trip (latencyUs): from the embedded broker receiving a request to the gateway sending its reply, which the broker forwards in the same turn; service time (serviceUs): the gateway and device alone.'
        : 'Attached to an external broker: callers are known by their reply topic, and the round trip, SUBSCRIBE counts and connections, which only a broker sees, are left out (listed under unavailable).',
    ],
  })
}

/** Writes result.json and report.html (or the fallback) and prints the table; returns where they went. */
export async function writeRecording(result: RunResult, dir: string, quiet: boolean): Promise<Written> {
  const written = await writeRunOutputs(dir, result)
  if (!quiet) process.stdout.write(`\n${summaryText(result, OBSERVE_COLUMNS)}\n\nresult: ${written.file}\nreport: ${written.report}\n`)
  const fallback = fallbackNotice('simulator', written)
  if (fallback !== undefined) process.stderr.write(`${fallback}\n`)
  return written
}
