/** The shared run: options → outputs proven → execute → environment, thresholds, invariant → files → terminal. */
import { resolve } from 'node:path'
import { accountingError } from '../core/accounting.ts'
import { EXIT } from '../core/cli-support.ts'
import { prepareOutputDir, removeCreatedDirs } from '../core/output.ts'
import type { CellResult, RunResult } from '../core/result.ts'
import { summaryText } from '../reports/summary.ts'
import { checkThresholds } from '../reports/thresholds.ts'
import { fallbackNotice, writeRunOutputs, type Written } from './outputs.ts'
import { assembleResult } from './result.ts'
import { stopOn, type RunStop } from './stop.ts'
import type { ExecuteOutcome, ScenarioDefinition } from './types.ts'
import { linkEnvironment, type LinkOptions } from './options.ts'

/** What a run may take beyond its plan (start-up of threads, slow shutdown) before it is stopped. */
export const RUN_MARGIN_MS = 60_000

export interface RunFlags {
  quick: boolean
  json: boolean
  quiet: boolean
  thresholds: string[]
}

/** defaults ← --quick overrides ← explicit options; every value parsed by its spec. */
export function resolveOptions<O extends object>(def: ScenarioDefinition<O>, argv: Record<string, unknown>, quick: boolean): O {
  const opts = { ...def.defaults, ...(quick ? def.quick : {}) } as Record<string, unknown>
  for (const [key, spec] of Object.entries(def.options) as Array<[string, { parse(raw: string, name: string): unknown }]>) {
    const raw = argv[key]
    if (raw === undefined) continue
    const flag = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
    opts[key] = spec.parse(String(raw), flag)
  }
  def.validate?.(opts as O)
  return opts as O
}

function outputDir(def: ScenarioDefinition<object>, out: unknown, startedAt: Date, created: string[]): string {
  const dir = typeof out === 'string' ? out : resolve('results', def.name, startedAt.toISOString().replace(/[:.]/g, '-'))
  // Created and proven writable now, before minutes of load are spent.
  return prepareOutputDir('--out', dir, created)
}

export async function runScenario<O extends object>(def: ScenarioDefinition<O>, argv: Record<string, unknown>, flags: RunFlags): Promise<number> {
  const opts = resolveOptions(def, argv, flags.quick)
  const thresholdExprs = checkThresholds([...def.thresholds(opts), ...flags.thresholds])
  const startedAt = new Date()
  const created: string[] = []
  const dir = outputDir(def as ScenarioDefinition<object>, (opts as { out?: unknown }).out, startedAt, created)
  const tty = process.stderr.isTTY === true && !flags.quiet && !flags.json
  const progress = tty ? (line: string): void => void process.stderr.write(`\r${line.slice(0, (process.stderr.columns || 100) - 1)}\x1b[K`) : (): void => {}
  const build = (exec: ExecuteOutcome): RunResult =>
    assembleResult({
      scenario: def.name,
      startedAt,
      partial: exec.partial === true,
      broker: exec.environmentBroker,
      workers: exec.workers,
      links: hasLinks(opts) ? linkEnvironment(opts) : undefined,
      options: { ...redacted(opts as Record<string, unknown>), quick: flags.quick },
      cells: exec.cells,
      thresholds: thresholdExprs,
      findings: def.findings(exec.cells, opts),
      notes: [...def.notes(opts), ...(exec.notes ?? [])],
    })
  // What finished so far, for a run that has to be cut off after its deadline.
  let finished = (): CellResult[] => []
  const hardStop = (why: string): void => {
    const result = build({ cells: finished(), partial: true, workers: 0, environmentBroker: { kind: 'unknown', version: 'unknown', protocolVersion: 4, url: '', noDelay: 'unknown' }, notes: [`the run did not wind down after ${why}: written without waiting for it`] })
    void writeRunOutputs(dir, result).then(
      (w) => exitAfter(def.name, w, `${why}, and the run did not wind down in time`, EXIT.internal),
      () => process.exit(EXIT.internal),
    )
  }
  // Signals and the deadline are handled until the result is written: a second signal exits at once in any phase.
  const stop = stopOn(def.name, { deadlineMs: def.planMs(opts) + RUN_MARGIN_MS, hardStop })
  try {
    let exec
    try {
      exec = await def.execute(opts, { progress, seedLabel: String((opts as { seed?: number }).seed ?? ''), signal: stop.signal, finished: (cellsSoFar) => (finished = cellsSoFar) })
    } catch (err) {
      // Nothing was measured (an unreachable broker, a fleet that did not start): leave no empty directory behind.
      removeCreatedDirs(created)
      throw err
    }
    if (tty) process.stderr.write('\r\x1b[K')
    const result = build(exec)
    const written = await writeRunOutputs(dir, result)
    return report(def, result, written, flags, stop)
  } finally {
    stop.dispose()
  }
}

function exitAfter(name: string, w: Written, why: string, code: number): never {
  process.stderr.write(`${name}: ${why}; partial result written to ${w.file}\n`)
  process.exit(code)
}

function report(def: Pick<ScenarioDefinition<object>, 'name' | 'columns'>, result: RunResult, w: Written, flags: RunFlags, stop: RunStop): number {
  if (flags.json) process.stdout.write(`${JSON.stringify(result)}\n`)
  else if (!flags.quiet) process.stdout.write(`${summaryText(result, def.columns)}\n\nresult: ${w.file}\nreport: ${w.report}\n`)
  const fallback = fallbackNotice(def.name, w)
  if (fallback !== undefined) {
    process.stderr.write(`${fallback}\n`)
    return EXIT.internal
  }
  const broken = result.cells.map(accountingError).filter((e): e is string => e !== undefined)
  const failedCells = result.cells.filter((c) => c.status === 'failed')
  if (broken.length > 0 || failedCells.length > 0) {
    for (const c of failedCells) process.stderr.write(`${def.name}: cell ${c.id} failed: ${c.error ?? 'no detail'}\n`)
    return EXIT.internal
  }
  if (stop.exitCode !== undefined) {
    process.stderr.write(`${def.name}: stopped by ${stop.reason ?? 'a signal'}; partial result written to ${w.file}\n`)
    return stop.exitCode
  }
  return result.thresholds.some((t) => !t.pass) ? EXIT.thresholds : EXIT.ok
}

/** Secrets never reach a result file: a set password is written as "***". */
function redacted(opts: Record<string, unknown>): Record<string, unknown> {
  return opts.password === undefined ? opts : { ...opts, password: '***' }
}

const hasLinks = (o: object): o is LinkOptions => 'callerLink' in o && 'gatewayLink' in o
