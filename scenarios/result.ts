/** A run's result file, put together the same way for every scenario and for a recording. */
import { SCHEMA_VERSION, type CellResult, type Environment, type RunResult } from '../core/result.ts'
import { evaluateThresholds } from '../reports/thresholds.ts'
import { environment } from './environment.ts'

export interface ResultParts {
  scenario: string
  startedAt: Date
  partial: boolean
  broker: Environment['broker']
  workers: number
  /** The run's shaped links, named (scenarios with link options). */
  links?: Environment['links']
  /** Every effective option; the threshold expressions are added under `thresholds`. */
  options: Record<string, unknown>
  cells: CellResult[]
  /** Checked expressions (checkThresholds), judged here against the cells. */
  thresholds: string[]
  findings: string[]
  notes: string[]
}

export function assembleResult(p: ResultParts): RunResult {
  return {
    schemaVersion: SCHEMA_VERSION,
    scenario: p.scenario,
    partial: p.partial,
    startedAt: p.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    environment: environment(p.broker, p.workers, p.links),
    options: { ...p.options, thresholds: p.thresholds },
    cells: p.cells,
    thresholds: evaluateThresholds(p.thresholds, p.cells),
    findings: p.findings,
    notes: p.notes,
  }
}
