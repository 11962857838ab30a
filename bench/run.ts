/**
 * `npm run bench -- [--quick] [--json] [--write-docs]`: fleetbench measured against its floors, side
 * by side in one run, on this machine, reported as ratios; instead `--soak 10m`, `--scale` or
 * `--fleet-workers` run one section of their own. Not a test: nothing here asserts a
 * timing, and CI never runs it. Every server binds 127.0.0.1 port 0; everything started is stopped.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { writeFileAtomic } from '../reports/write.ts'
import { AEDES_VERSION } from '../simulator/broker.ts'
import { duration, integer, listOf, runMain, strictParser } from '../core/cli-support.ts'
import { prepareOutputFile } from '../core/output.ts'
import { mosquittoAvailable, startMosquitto, type MosquittoBroker } from '../test/support/mosquitto.ts'
import { runFloors } from './floors.ts'
import { measureHdrCost } from './hdr-cost.ts'
import { loadAverage, machine } from './machine.ts'
import { idleConnectionMemory, simulatorMemory, splitMemory, type MemoryResults } from './memory.ts'
import { buildReport, type Collected } from './report-json.ts'
import { renderMarkdown } from './report-md.ts'
import { measureWorkerScaling } from './worker-scaling.ts'
import { soak, soakMarkdown } from './soak.ts'
import { runScale } from './scale.ts'
import { scaleMarkdown } from './scale-md.ts'
import { DOCS_PATH, SCALE_MARKERS, SOAK_MARKERS, withKeptSections, writeSection } from './doc-sections.ts'
import { measureRecordCost } from './record-cost.ts'
import { fleetWorkersBench } from './fleet-workers-bench.ts'

const SCRIPT = 'bench'
const SECTIONS = ['floors', 'hdr', 'scaling', 'memory', 'record'] as const

const PLANS = {
  quick: { durationMs: 3_000, repeats: 1, hdrValues: 500_000, hdrPasses: 3, scalingRepeats: 1 },
  full: { durationMs: 5_000, repeats: 3, hdrValues: 1_000_000, hdrPasses: 5, scalingRepeats: 3 },
} as const

async function main(): Promise<number> {
  const argv = await strictParser(yargs(hideBin(process.argv)), 'npm run bench --')
    .usage('$0 [options]\n\nMeasures fleetbench against raw TCP and a hand-written MQTT.js loop, on Aedes and Mosquitto, and reports ratios.')
    .option('quick', { type: 'boolean', default: false, describe: '3 s per measurement, no repeats: about 3 minutes' })
    .option('json', { type: 'boolean', default: false, describe: 'print a machine-readable summary on stdout instead of the report' })
    .option('write-docs', { type: 'boolean', default: false, describe: 'write the report to docs/benchmarks.md' })
    .option('duration', { type: 'string', describe: 'per measurement, e.g. 5s (default 5s; 3s with --quick)' })
    .option('repeat', { type: 'string', describe: 'runs of every floor cell, interleaved (default 3; 1 with --quick)' })
    .option('only', { type: 'string', describe: `sections to run, comma-separated: ${SECTIONS.join(', ')} (default all)` })
    .option('scale', { type: 'boolean', default: false, describe: 'instead: 100,000 devices on the embedded broker and 1,000,000 on Mosquitto (start-up, RSS per device in the fleet and the broker, calls answered), and lazy against eager devices; about a minute here (--quick: a tenth of the size)' })
    .option('fleet-workers', { type: 'boolean', default: false, describe: 'instead: parallel-ble\'s multiplexed cell (instant profile, loopback, 2,000 devices on 20 gateways) with --fleet-workers 0, 1 and 2 side by side, calls/s and CPU per thread; about 1 minute' })
    .option('soak', { type: 'string', describe: 'instead: run parallel-ble and channel-capacity cells back to back this long (e.g. 10m) and report RSS, heap, event-loop delay and handles per minute' })
    .parseAsync()
  const mode = argv.quick ? 'quick' : 'full'
  const plan = PLANS[mode]
  const durationMs = argv.duration === undefined ? plan.durationMs : duration('duration', argv.duration, 500, 120_000)
  const repeats = argv.repeat === undefined ? plan.repeats : integer('repeat', argv.repeat, 1, 20)
  const sections = argv.only === undefined ? [...SECTIONS] : listOf('only', argv.only, SECTIONS)
  // The docs file is proven writable before minutes of measurement.
  if (argv.writeDocs) prepareOutputFile('--write-docs', DOCS_PATH.pathname)
  if (argv.fleetWorkers) return fleetWorkersBench(mode, argv.writeDocs === true, argv.json === true)
  if (argv.scale) return scale(mode, argv.writeDocs === true, argv.json === true)
  if (argv.soak !== undefined) return runSoak(duration('soak', argv.soak, 60_000, 24 * 3_600_000), argv.writeDocs === true)

  const began = performance.now()
  const progress = (line: string): void => void process.stderr.write(`bench ${((performance.now() - began) / 1000).toFixed(0).padStart(4)}s  ${line}\n`)
  const info = machine(AEDES_VERSION)
  const collected: Collected = { mode, durationMs, repeats, machine: info, failures: [], notes: [], elapsedSec: 0 }
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn()
    } catch (err) {
      collected.failures.push(`${what}: ${err instanceof Error ? err.message : String(err)}`)
      progress(`${what} FAILED: ${err instanceof Error ? err.message : String(err)}`)
      return undefined
    }
  }
  const runId = `fbb${process.pid}${Date.now().toString(36)}`
  const resultDir = await mkdtemp(join(os.tmpdir(), 'fleetbench-bench-'))
  let mosquitto: MosquittoBroker | undefined
  try {
    if (sections.includes('floors')) {
      const unavailable = mosquittoAvailable()
      if (unavailable !== undefined) collected.notes.push(`Mosquitto was not measured: ${unavailable}.`)
      else mosquitto = await attempt('starting Mosquitto', () => startMosquitto())
      info.mosquitto = mosquitto?.version
      const floors = await runFloors({ durationMs, repeats, concurrencies: [1, 16, 256], qos: [0, 1], mosquittoUrl: mosquitto?.url, resultDir, runId, progress })
      collected.floors = { samples: floors.samples, writeMs: floors.writeMs }
      collected.failures.push(...floors.failures)
      await mosquitto?.stop()
      mosquitto = undefined
    }
    if (sections.includes('hdr')) {
      progress('HDR recording cost')
      collected.hdr = await attempt('HDR recording cost', () => measureHdrCost(plan.hdrValues, plan.hdrPasses))
    }
    if (sections.includes('scaling')) {
      collected.scaling = await attempt('worker scaling', () => measureWorkerScaling({ durationMs, repeats: plan.scalingRepeats, runId: `${runId}-ws`, progress }))
    }
    if (sections.includes('memory')) collected.memory = await measureMemory(collected, progress, attempt)
    if (sections.includes('record')) collected.recordCost = await attempt('recording cost', () => measureRecordCost({ durationMs, repeats: plan.scalingRepeats, runId: `${runId}-rec`, progress }))
  } finally {
    await mosquitto?.stop()
    await rm(resultDir, { recursive: true, force: true })
  }
  info.loadAtEnd = loadAverage()
  collected.elapsedSec = Math.round((performance.now() - began) / 1000)
  const report = buildReport(collected)
  const markdown = renderMarkdown(report)
  if (argv.writeDocs) {
    await writeFileAtomic(DOCS_PATH.pathname, withKeptSections(markdown))
    progress(`wrote ${DOCS_PATH.pathname}`)
  }
  process.stdout.write(argv.json ? `${JSON.stringify(report)}\n` : markdown)
  progress(`done in ${collected.elapsedSec} s${collected.failures.length > 0 ? `, ${collected.failures.length} measurement(s) failed` : ''}`)
  return collected.failures.length > 0 ? 1 : 0
}

async function measureMemory(
  collected: Collected,
  progress: (line: string) => void,
  attempt: <T>(what: string, fn: () => Promise<T>) => Promise<T | undefined>,
): Promise<MemoryResults> {
  const out: MemoryResults = { simulator: [], split: undefined, idle: undefined }
  for (const devices of [1_000, 10_000]) {
    progress(`memory: simulator process with ${devices.toLocaleString('en-US')} devices`)
    const m = await attempt(`memory, ${devices} devices`, () => simulatorMemory(devices, 4))
    if (m) out.simulator.push(m)
  }
  progress('memory: 10,000 devices, fleet and broker in separate processes')
  out.split = await attempt('memory, fleet/broker split', () => splitMemory(10_000, 4))
  progress('memory: 200 idle client connections')
  out.idle = await attempt('memory, idle connections', () => idleConnectionMemory(200))
  if (out.simulator.length === 0) collected.notes.push('No simulator memory figure was measured.')
  return out
}

// Ctrl-C: exit through process.exit so the exit hooks stop Mosquitto and the simulator child.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(signal === 'SIGINT' ? 130 : 143))

async function runSoak(durationMs: number, writeDocs: boolean): Promise<number> {
  const began = performance.now()
  const progress = (line: string): void => void process.stderr.write(`bench ${((performance.now() - began) / 1000).toFixed(0).padStart(4)}s  ${line}\n`)
  const stop = new AbortController()
  const onSignal = (): void => stop.abort()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const info = machine(AEDES_VERSION)
  const result = await soak(durationMs, progress, stop.signal)
  process.off('SIGINT', onSignal)
  process.off('SIGTERM', onSignal)
  const line = `${info.cpuModel}, ${info.cores} cores, ${info.memoryGiB} GiB, ${info.platform}, Node ${info.node}, fleetbench ${info.git}, ${info.date.slice(0, 10)}`
  if (writeDocs) {
    await writeSection(SOAK_MARKERS, soakMarkdown(result, line))
    progress(`wrote the soak section of ${DOCS_PATH.pathname}`)
  }
  process.stdout.write(`${soakMarkdown(result, line)}\n`)
  return result.flat ? 0 : 1
}

/** `--scale`: its own section of docs/benchmarks.md; exit 1 when a phase failed (a missed target is reported, not failed). */
async function scale(mode: 'quick' | 'full', writeDocs: boolean, json: boolean): Promise<number> {
  const began = performance.now()
  const progress = (line: string): void => void process.stderr.write(`bench ${((performance.now() - began) / 1000).toFixed(0).padStart(4)}s  ${line}\n`)
  const info = machine(AEDES_VERSION)
  const result = await runScale(mode, progress)
  const line = `${info.cpuModel}, ${info.cores} cores, ${info.memoryGiB} GiB, ${info.platform}, Node ${info.node}, fleetbench ${info.git}, ${info.date.slice(0, 10)}`
  const markdown = scaleMarkdown(result, line)
  if (writeDocs) {
    await writeSection(SCALE_MARKERS, markdown)
    progress(`wrote the scale section of ${DOCS_PATH.pathname}`)
  }
  process.stdout.write(json ? `${JSON.stringify({ machine: info, ...result })}\n` : `${markdown}\n`)
  progress(`done in ${result.elapsedSec} s${result.failures.length > 0 ? `, ${result.failures.length} phase(s) failed` : ''}`)
  return result.failures.length > 0 ? 1 : 0
}

void runMain(SCRIPT, main)
