/** `npm run bench -- --fleet-workers`: runs the measurement (fleet-workers.ts), prints it, and writes its own section of docs/benchmarks.md. */
import { AEDES_VERSION } from '../simulator/broker.ts'
import { DOCS_PATH, FLEET_WORKERS_MARKERS, writeSection } from './doc-sections.ts'
import { FLEET_WORKERS_PLANS, measureFleetWorkers } from './fleet-workers.ts'
import { fleetWorkersMarkdown } from './fleet-workers-md.ts'
import { machine } from './machine.ts'

/** `--fleet-workers`: measures, prints, and with `--write-docs` rewrites its own section of docs/benchmarks.md; exit 1 when a layout failed. */
export async function fleetWorkersBench(mode: 'quick' | 'full', writeDocs: boolean, json: boolean): Promise<number> {
  const began = performance.now()
  const progress = (line: string): void => void process.stderr.write(`bench ${((performance.now() - began) / 1000).toFixed(0).padStart(4)}s  ${line}\n`)
  const info = machine(AEDES_VERSION)
  const result = await measureFleetWorkers({ ...FLEET_WORKERS_PLANS[mode], fleetWorkers: [0, 1, 2], devices: 2_000, gateways: 20, runId: `fbfw${process.pid}${Date.now().toString(36)}`, progress })
  const line = `${info.cpuModel}, ${info.cores} cores, ${info.memoryGiB} GiB, ${info.platform}, Node ${info.node}, fleetbench ${info.git}, ${info.date.slice(0, 10)}`
  const markdown = fleetWorkersMarkdown(result, line, info.cores)
  if (writeDocs) {
    await writeSection(FLEET_WORKERS_MARKERS, markdown)
    progress(`wrote the fleet-workers section of ${DOCS_PATH.pathname}`)
  }
  process.stdout.write(json ? `${JSON.stringify({ machine: info, ...result })}\n` : `${markdown}\n`)
  progress(`done in ${result.elapsedSec} s${result.failures.length > 0 ? `, ${result.failures.length} layout(s) failed` : ''}`)
  return result.failures.length > 0 ? 1 : 0
}
