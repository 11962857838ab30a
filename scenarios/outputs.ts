/**
 * Writing a run's result and report so that a measured result is never lost: when the output
 * directory fails at the end anyway (removed or replaced by a file mid-run, disk full, a write that
 * hangs), both go to a fresh directory in the OS temp directory instead, and the caller says where.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { withDeadline } from '../core/deadline.ts'
import { reasonOf } from '../core/cli-support.ts'
import type { RunResult } from '../core/result.ts'
import { writeReportBeside } from '../reports/report-file.ts'
import { writeResultJson } from '../reports/write.ts'

/** Longest a write of result and report may take before the fallback is used. */
export const WRITE_DEADLINE_MS = 30_000

export type Writer = (file: string, result: RunResult) => Promise<string>

/** Tests only: hold every write this long, so a signal can be sent while a run is writing. */
const TEST_SLOW_WRITE_MS = Number(process.env.FLEETBENCH_TEST_SLOW_WRITE_MS ?? 0)

/** result.json, then report.html beside it; returns the report's path. */
export const writeBoth: Writer = async (file, result) => {
  if (TEST_SLOW_WRITE_MS > 0) await new Promise((r) => setTimeout(r, TEST_SLOW_WRITE_MS))
  await writeResultJson(file, result)
  return writeReportBeside(file, result)
}

export interface Written {
  file: string
  report: string
  /** Set when the output directory failed and the temp directory took the files. */
  fallback?: { reason: string; intended: string }
}

export async function writeRunOutputs(dir: string, result: RunResult, o: { write?: Writer; deadlineMs?: number } = {}): Promise<Written> {
  const write = o.write ?? writeBoth
  const deadlineMs = o.deadlineMs ?? WRITE_DEADLINE_MS
  const intended = join(dir, 'result.json')
  try {
    return { file: intended, report: await withDeadline(write(intended, result), deadlineMs, `writing ${intended}`) }
  } catch (err) {
    const reason = reasonOf(err)
    const spare = mkdtempSync(join(tmpdir(), `fleetbench-${result.scenario.replace(/[^\w.-]/g, '_')}-`))
    const file = join(spare, 'result.json')
    const report = await withDeadline(writeBoth(file, result), deadlineMs, `writing ${file}`)
    return { file, report, fallback: { reason, intended } }
  }
}

/** The one line a run prints when its result went to the fallback instead of where it was asked. */
export const fallbackNotice = (script: string, w: Written): string | undefined =>
  w.fallback && `${script}: cannot write ${w.fallback.intended}: ${w.fallback.reason}; the result was saved to ${w.file} instead`
