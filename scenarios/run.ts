/** The shared run: options → execute → environment, thresholds, invariant → files → terminal. */
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { accountingError } from '../core/accounting.ts'
import { SCHEMA_VERSION, type RunResult } from '../core/result.ts'
import { summaryText } from '../reports/summary.ts'
import { evaluateThresholds, parseThreshold } from '../reports/thresholds.ts'
import { writeReportBeside } from '../reports/report-file.ts'
import { writeResultJson } from '../reports/write.ts'
import { EXIT, UsageError } from '../core/cli-support.ts'
import { environment } from './environment.ts'
import type { ScenarioDefinition } from './types.ts'

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

function outputDir(def: ScenarioDefinition<object>, out: unknown, startedAt: Date): string {
  const dir = typeof out === 'string' ? resolve(out) : resolve('results', def.name, startedAt.toISOString().replace(/[:.]/g, '-'))
  // Refuse an unwritable place before spending minutes on load.
  let probe = dir
  while (!existsSync(probe)) probe = dirname(probe)
  try {
    accessSync(probe, constants.W_OK)
  } catch {
    throw new UsageError(`--out ${dir}: ${probe} is not writable; choose a directory you can write to`)
  }
  return dir
}

export async function runScenario<O extends object>(def: ScenarioDefinition<O>, argv: Record<string, unknown>, flags: RunFlags): Promise<number> {
  const opts = resolveOptions(def, argv, flags.quick)
  const thresholdExprs = [...def.thresholds(opts), ...flags.thresholds]
  for (const t of thresholdExprs) {
    try {
      parseThreshold(t)
    } catch (err) {
      throw new UsageError(`--threshold: ${(err as Error).message}`)
    }
  }
  const startedAt = new Date()
  const dir = outputDir(def as ScenarioDefinition<object>, (opts as { out?: unknown }).out, startedAt)
  const tty = process.stderr.isTTY === true && !flags.quiet && !flags.json
  const progress = tty ? (line: string): void => void process.stderr.write(`\r${line.slice(0, (process.stderr.columns || 100) - 1)}\x1b[K`) : (): void => {}
  // Signals are handled until the result is written: a second one exits at once in any phase.
  const stop = stopOnSignals(def.name)
  try {
    return await runAndWrite(def, opts, flags, { dir, startedAt, thresholdExprs, tty, progress, stop })
  } finally {
    stop.dispose()
  }
}

interface RunState {
  dir: string
  startedAt: Date
  thresholdExprs: string[]
  tty: boolean
  progress(line: string): void
  stop: ReturnType<typeof stopOnSignals>
}

async function runAndWrite<O extends object>(def: ScenarioDefinition<O>, opts: O, flags: RunFlags, st: RunState): Promise<number> {
  const { dir, startedAt, thresholdExprs, tty, progress, stop } = st
  const exec = await def.execute(opts, { progress, seedLabel: String((opts as { seed?: number }).seed ?? ''), signal: stop.signal })
  if (tty) process.stderr.write('\r\x1b[K')

  const result: RunResult = {
    schemaVersion: SCHEMA_VERSION,
    scenario: def.name,
    partial: exec.partial === true,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    environment: environment(exec.environmentBroker, exec.workers),
    options: { ...redacted(opts as Record<string, unknown>), quick: flags.quick, thresholds: thresholdExprs },
    cells: exec.cells,
    thresholds: evaluateThresholds(thresholdExprs, exec.cells),
    findings: def.findings(exec.cells, opts),
    notes: [...def.notes(opts), ...(exec.notes ?? [])],
  }
  mkdirSync(dir, { recursive: true })
  const file = join(dir, 'result.json')
  await writeResultJson(file, result)
  const report = await writeReportBeside(file, result)

  if (flags.json) process.stdout.write(`${JSON.stringify(result)}\n`)
  else if (!flags.quiet) process.stdout.write(`${summaryText(result, def.columns)}\n\nresult: ${file}\n`)
  if (!flags.json && !flags.quiet) process.stdout.write(`report: ${report}\n`)
  const broken = exec.cells.map(accountingError).filter((e): e is string => e !== undefined)
  const failedCells = exec.cells.filter((c) => c.status === 'failed')
  if (broken.length > 0 || failedCells.length > 0) {
    for (const c of failedCells) process.stderr.write(`${def.name}: cell ${c.id} failed: ${c.error ?? 'no detail'}\n`)
    return EXIT.internal
  }
  if (stop.exitCode !== undefined) {
    process.stderr.write(`${def.name}: stopped by ${stop.signal.reason as string}; partial result written to ${file}\n`)
    return stop.exitCode
  }
  return result.thresholds.some((t) => !t.pass) ? EXIT.thresholds : EXIT.ok
}

/**
 * The first SIGINT/SIGTERM stops the run gently (no new rounds or cells; rounds in progress finish
 * or time out; a partial result is written, exit 130/143); a second one exits at once.
 */
function stopOnSignals(name: string): { signal: AbortSignal; exitCode: number | undefined; dispose(): void } {
  const controller = new AbortController()
  const state = { signal: controller.signal, exitCode: undefined as number | undefined, dispose }
  const codes: Record<string, number> = { SIGINT: 130, SIGTERM: 143 }
  function onSignal(sig: NodeJS.Signals): void {
    if (controller.signal.aborted) {
      process.stderr.write(`\n${name}: ${sig} again: exiting at once, nothing more is written\n`)
      process.exit(codes[sig] ?? 130)
    }
    state.exitCode = codes[sig] ?? 130
    process.stderr.write(`\n${name}: ${sig}: stopping; rounds in flight finish or time out, then a partial result is written (${sig === 'SIGINT' ? 'Ctrl-C' : sig} again to exit at once)\n`)
    controller.abort(sig)
  }
  function dispose(): void {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return state
}

/** Secrets never reach a result file: a set password is written as "***". */
function redacted(opts: Record<string, unknown>): Record<string, unknown> {
  return opts.password === undefined ? opts : { ...opts, password: '***' }
}
