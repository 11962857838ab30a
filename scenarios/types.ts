/**
 * A scenario is one file exporting a typed definition: what load (options and defaults), which
 * cells, what is measured and what passes (thresholds), and how to read the outcome (findings).
 */
import type { CellResult, RunResult } from '../core/result.ts'
import type { Column } from '../reports/summary.ts'

export interface OptionSpec<T> {
  describe: string
  /** Turns the raw command-line string into a value; throws UsageError naming the option. */
  parse(raw: string, name: string): T
  /** How the default is shown in --help. */
  show?(value: T): string
}

export type OptionSpecs<O> = { [K in keyof O]: OptionSpec<O[K]> }

export interface ScenarioDefinition<O extends object> {
  name: string
  description: string
  defaults: O
  /** Overrides applied by --quick (CI smoke runs). */
  quick: Partial<O>
  options: OptionSpecs<O>
  /** Cross-option checks after parsing (throws UsageError). */
  validate?(opts: O): void
  /** Default thresholds, e.g. `multiplexed:errorRate<1%`. */
  thresholds(opts: O): string[]
  /** Two or three sentences per finding, computed from measured cells only. */
  findings(cells: readonly CellResult[], opts: O): string[]
  notes(opts: O): string[]
  /** Columns of the terminal table. */
  columns: Column[]
  /** How long the run should take at most, start-up to last cell, from the options (the run's deadline adds a fixed margin). */
  planMs(opts: O): number
  /** Runs every cell; the shared runner adds environment, writes files and prints. */
  execute(opts: O, ctx: RunContext): Promise<ExecuteOutcome>
}

export interface RunContext {
  /** Progress lines (TTY only); never results. */
  progress(line: string): void
  seedLabel: string
  /** Aborted on SIGINT/SIGTERM or the run deadline: finish the cell in progress, start no other, report what ran. */
  signal: AbortSignal
  /** Handed, once, a way to get the cells finished so far, so a run stopped hard still writes them. */
  finished?(cellsSoFar: () => CellResult[]): void
}

export interface ExecuteOutcome {
  cells: CellResult[]
  environmentBroker: RunResult['environment']['broker']
  workers: number
  /** True when the run was stopped early: some cells did not run or ran short. */
  partial?: boolean
  /** Warnings learned while running (e.g. a broker without TCP_NODELAY). */
  notes?: string[]
}
