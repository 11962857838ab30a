/**
 * `npm run report -- RESULT.json [--out FILE] [--baseline BASE.json]` writes the HTML report;
 * `npm run report -- merge A.json B.json ... -o OUT.json` merges results of one scenario exactly.
 * Every input is validated against result.schema.json; bad input exits 2 with one line.
 */
import { resolve } from 'node:path'
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { reasonOf, runMain, strictParser, UsageError } from '../core/cli-support.ts'
import { prepareOutputFile } from '../core/output.ts'
import { getScenario } from '../scenarios/registry.ts'
import { observeFindings } from '../scenarios/observe/findings.ts'
import { OBSERVE } from '../scenarios/observe/record.ts'
import { mergeResults, type MergeOptions, type Timing } from '../reports/merge.ts'
import { readResult } from '../reports/read.ts'
import { reportPathFor, writeReport } from '../reports/report-file.ts'
import type { RunResult } from '../core/result.ts'
import { writeResultJson } from '../reports/write.ts'

async function writing<T>(path: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f()
  } catch (err) {
    if (typeof (err as NodeJS.ErrnoException).code === 'string') throw new Error(`cannot write ${path}: ${reasonOf(err)}`)
    throw err
  }
}

/** The scenario's own findings, so a merged result describes the merged figures. */
function findingsFor(scenario: string): MergeOptions['findings'] {
  if (scenario === OBSERVE) return (cells) => observeFindings(cells)
  const def = getScenario(scenario)
  return def ? (cells, options) => def.findings(cells, options) : undefined
}

async function report(file: string, out: string | undefined, baselineFile: string | undefined): Promise<void> {
  // Proven writable before anything is read or rendered.
  const path = out === undefined ? undefined : prepareOutputFile('--out', out)
  const result = await readResult(file)
  let baseline: RunResult | undefined
  if (baselineFile !== undefined) {
    baseline = await readResult(baselineFile)
    if (baseline.scenario !== result.scenario)
      throw new UsageError(`--baseline ${baselineFile} is a ${baseline.scenario} result but ${file} is ${result.scenario}; compare results of the same scenario`)
  }
  const target = path ?? prepareOutputFile('the report', reportPathFor(resolve(file)))
  await writing(target, () => writeReport(target, result, { baseline, baselineName: baselineFile }))
  process.stdout.write(`report: ${target}\n`)
}

async function merge(files: readonly string[], out: string, timing: Timing | undefined): Promise<void> {
  if (files.length < 2) throw new UsageError('merge needs at least two result files, e.g. npm run report -- merge a.json b.json -o merged.json')
  const dup = files.find((f, i) => files.findIndex((g) => resolve(g) === resolve(f)) !== i)
  if (dup !== undefined) throw new UsageError(`merge: ${dup} is named twice; each result can be merged once`)
  const path = prepareOutputFile('-o', out)
  const html = prepareOutputFile('-o', reportPathFor(path))
  const inputs = []
  for (const file of files) inputs.push({ file, result: await readResult(file) })
  const merged = mergeResults(inputs, { timing, findings: findingsFor(inputs[0]!.result.scenario) })
  await writing(path, () => writeResultJson(path, merged))
  await writing(html, () => writeReport(html, merged))
  process.stdout.write(`merged ${files.length} results (${merged.merged?.timing}): ${path}\nreport: ${html}\n`)
}

async function main(): Promise<void> {
  await strictParser(yargs(hideBin(process.argv)), 'npm run report --')
    .usage('$0 RESULT.json [--out FILE] [--baseline BASE.json]\n$0 merge A.json B.json ... -o OUT.json')
    .command(
      'merge <files..>',
      'merge results of the same scenario exactly (counters and histograms added)',
      (y) =>
        y
          .positional('files', { type: 'string', array: true, demandOption: true, describe: 'result files' })
          .option('out', { alias: 'o', type: 'string', demandOption: 'give the merged file with -o OUT.json', describe: 'merged result file (report.html is written beside it)' })
          .option('timing', { choices: ['auto', 'concurrent', 'sequential'] as const, default: 'auto' as const, describe: 'concurrent: the parts ran at the same time (shards); sequential: one after another; auto: from their start and finish times' }),
      async (argv) => merge(argv.files, argv.out, argv.timing === 'auto' ? undefined : argv.timing),
    )
    .command(
      '$0 <result>',
      'write the HTML report of a result (report.html beside result.json by default)',
      (y) =>
        y
          .positional('result', { type: 'string', demandOption: true, describe: 'a result.json' })
          .option('out', { alias: 'o', type: 'string', describe: 'where to write the report' })
          .option('baseline', { type: 'string', describe: 'a result of the same scenario to overlay (dashed)' }),
      async (argv) => report(argv.result, argv.out, argv.baseline),
    )
    .parseAsync()
}

void runMain('report', main)
