/**
 * The bench's machine-readable summary (`--json`), also the input of the Markdown report. The
 * `ratios` object is the stable part scripts read: (c)/(b), (b)/(a) and Aedes/Mosquitto at
 * concurrency 16, QoS 1; null when a side could not be measured (e.g. Mosquitto not installed).
 */
import type { HdrCost } from './hdr-cost.ts'
import type { RecordCost } from './record-cost.ts'
import type { Machine } from './machine.ts'
import type { MemoryResults } from './memory.ts'
import { brokerRatios, findCell, HEADLINE, headlineRatios, median, pairRatios, summarizeCells, type BrokerRatio, type CellSummary, type PairRatio } from './summary.ts'
import type { Measurement } from './types.ts'
import type { ScalingRun } from './worker-scaling.ts'

export const TARGETS = { loadgenVsBare: 0.9, rssKiBPerDevice: 10, recordOnVsOff: 0.9 } as const

export interface ScalingSummary {
  workers: 1 | 2
  callsPerSec: number
  p50Us: number
  p99Us: number
  simulatorCpuPct: number | null
  loadgenCpuPct: number
}

export interface BenchReport {
  schema: 'fleetbench-bench/1'
  mode: 'quick' | 'full'
  durationMs: number
  repeats: number
  machine: Machine
  ratios: { loadgenVsBare: number | null; bareVsTcp: number | null; aedesVsMosquitto: number | null; recordOnVsOff: number | null }
  targets: {
    loadgenVsBare: { min: number; value: number | null; met: boolean | null }
    rssKiBPerDevice10k: { max: number; value: number | null; met: boolean | null }
    recordOnVsOff: { min: number; value: number | null; met: boolean | null }
  }
  floors?: { cells: CellSummary[]; pairs: PairRatio[]; brokers: BrokerRatio[]; resultWriteMs: number | null }
  hdr?: HdrCost & { rpcUs: number | null; recorderShareOfRpc: number | null }
  workerScaling?: { runs: ScalingRun[]; byWorkers: ScalingSummary[]; speedup: number | null }
  memory?: MemoryResults
  recordCost?: RecordCost
  failures: string[]
  notes: string[]
  elapsedSec: number
}

export interface Collected {
  mode: 'quick' | 'full'
  durationMs: number
  repeats: number
  machine: Machine
  floors?: { samples: Measurement[]; writeMs: number[] }
  hdr?: HdrCost
  scaling?: ScalingRun[]
  memory?: MemoryResults
  recordCost?: RecordCost
  failures: string[]
  notes: string[]
  elapsedSec: number
}

function scalingSummary(runs: readonly ScalingRun[], workers: 1 | 2): ScalingSummary | undefined {
  const mine = runs.filter((r) => r.workers === workers)
  if (mine.length === 0) return undefined
  const cpu = mine.map((r) => r.simulatorCpuPct).filter((v): v is number => v !== undefined)
  return {
    workers,
    callsPerSec: median(mine.map((r) => r.callsPerSec)),
    p50Us: median(mine.map((r) => r.p50Us)),
    p99Us: median(mine.map((r) => r.p99Us)),
    simulatorCpuPct: cpu.length > 0 ? median(cpu) : null,
    loadgenCpuPct: median(mine.map((r) => r.loadgenCpuPct)),
  }
}

export function buildReport(c: Collected): BenchReport {
  const cells = c.floors ? summarizeCells(c.floors.samples) : []
  const ratios = { ...headlineRatios(cells), recordOnVsOff: c.recordCost?.ratio ?? null }
  const rss10k = c.memory?.simulator.find((m) => m.devices === 10_000)?.rssKiB ?? null
  const report: BenchReport = {
    schema: 'fleetbench-bench/1',
    mode: c.mode,
    durationMs: c.durationMs,
    repeats: c.repeats,
    machine: c.machine,
    ratios,
    targets: {
      loadgenVsBare: { min: TARGETS.loadgenVsBare, value: ratios.loadgenVsBare, met: ratios.loadgenVsBare === null ? null : ratios.loadgenVsBare >= TARGETS.loadgenVsBare },
      rssKiBPerDevice10k: { max: TARGETS.rssKiBPerDevice, value: rss10k, met: rss10k === null ? null : rss10k < TARGETS.rssKiBPerDevice },
      recordOnVsOff: { min: TARGETS.recordOnVsOff, value: ratios.recordOnVsOff, met: ratios.recordOnVsOff === null ? null : ratios.recordOnVsOff >= TARGETS.recordOnVsOff },
    },
    failures: c.failures,
    notes: c.notes,
    elapsedSec: c.elapsedSec,
  }
  if (c.floors) {
    report.floors = { cells, pairs: pairRatios(cells), brokers: brokerRatios(cells), resultWriteMs: c.floors.writeMs.length > 0 ? median(c.floors.writeMs) : null }
  }
  if (c.hdr) {
    const rpc = findCell(cells, { floor: 'loadgen', broker: 'aedes', ...HEADLINE })
    const rpcUs = rpc && rpc.callsPerSec > 0 ? 1e6 / rpc.callsPerSec : null
    report.hdr = { ...c.hdr, rpcUs, recorderShareOfRpc: rpcUs === null ? null : c.hdr.recorderNsPerCall / 1000 / rpcUs }
  }
  if (c.scaling) {
    const byWorkers = [scalingSummary(c.scaling, 1), scalingSummary(c.scaling, 2)].filter((s): s is ScalingSummary => s !== undefined)
    const [one, two] = byWorkers
    report.workerScaling = { runs: c.scaling, byWorkers, speedup: one && two && one.callsPerSec > 0 ? two.callsPerSec / one.callsPerSec : null }
  }
  if (c.memory) report.memory = c.memory
  if (c.recordCost) report.recordCost = c.recordCost
  return report
}
