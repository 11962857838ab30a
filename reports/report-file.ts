/** Writes report.html beside a result file, atomically. */
import { basename, dirname, join } from 'node:path'
import { renderReport, type ReportOptions } from './html.ts'
import { validateResult } from './read.ts'
import type { RunResult } from '../core/result.ts'
import { writeFileAtomic } from './write.ts'

/** `…/result.json` → `…/report.html`; any other `NAME.json` → `NAME.html` beside it. */
export function reportPathFor(resultPath: string): string {
  const name = basename(resultPath)
  if (name === 'result.json') return join(dirname(resultPath), 'report.html')
  return join(dirname(resultPath), `${name.replace(/\.json$/i, '')}.html`)
}

export async function writeReport(path: string, result: RunResult, o: ReportOptions = {}): Promise<string> {
  await writeFileAtomic(path, renderReport(result, o))
  return path
}

/**
 * report.html beside a result the run just wrote. The result is checked against the schema first
 * (as JSON, the way readers will see it): a scenario writing anything else is a fleetbench bug.
 */
export async function writeReportBeside(resultFile: string, result: RunResult): Promise<string> {
  try {
    validateResult(JSON.parse(JSON.stringify(result)), resultFile)
  } catch (err) {
    throw new Error(`the result just written does not match reports/result.schema.json (a fleetbench bug): ${(err as Error).message}`)
  }
  return writeReport(reportPathFor(resultFile), result)
}
