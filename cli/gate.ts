/**
 * `npm run gate -- --baseline BASE.json RESULT.json [--tolerance 10%] [--junit FILE] [--markdown FILE]`
 * `npm run gate -- --update-baseline RESULT.json [--baseline FILE]`
 * Exit 0 when nothing regressed, 99 when something did, 2 for bad or mismatched input.
 */
import { appendFile, copyFile, rename } from 'node:fs/promises'
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { duration, EXIT, runMain, strictParser, UsageError } from '../core/cli-support.ts'
import { prepareOutputFile } from '../core/output.ts'
import { DEFAULT_GATE, gate, optionMismatch } from '../reports/gate.ts'
import { gateJUnit, gateMarkdown, gateTable } from '../reports/gate-output.ts'
import { readResult } from '../reports/read.ts'
import { checkThresholds, evaluateThresholds } from '../reports/thresholds.ts'
import { writeFileAtomic } from '../reports/write.ts'

function percent(name: string, raw: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(raw)
  const v = m ? Number(m[1]) / 100 : Number.NaN
  if (!(v >= 0 && v <= 10)) throw new UsageError(`--${name} must be a percentage like 10% (0% to 1000%), got ${JSON.stringify(raw)}`)
  return v
}

async function main(): Promise<number> {
  const argv = await strictParser(yargs(hideBin(process.argv)), 'npm run gate --')
    .strict(false)
    .strictOptions()
    .usage('$0 --baseline BASE.json RESULT.json [options]\n$0 --update-baseline RESULT.json [--baseline FILE]')
    .option('baseline', { type: 'string', describe: 'baseline result (default for --update-baseline: baselines/<scenario>.json)' })
    .option('update-baseline', { type: 'string', describe: 'copy this result to the baseline file and exit' })
    .option('tolerance', { type: 'string', default: '10%', describe: 'relative change allowed in latency, throughput and blocking' })
    .option('error-tolerance', { type: 'string', default: '1%', describe: 'absolute change allowed in the error rate (percentage points)' })
    .option('min-change', { type: 'string', default: '1ms', describe: 'latency and blocking changes smaller than this never count' })
    .option('threshold', { type: 'string', array: true, describe: "extra threshold on the result, e.g. 'multiplexed:callsPerSec>3x serial'" })
    .option('junit', { type: 'string', describe: 'write JUnit XML here' })
    .option('markdown', { type: 'string', describe: 'write Markdown here (also appended to $GITHUB_STEP_SUMMARY when set)' })
    .parseAsync()
  const positional = argv._.map(String)
  // Outputs are proven writable before any input is read.
  const junit = argv.junit === undefined ? undefined : prepareOutputFile('--junit', argv.junit)
  const markdown = argv.markdown === undefined ? undefined : prepareOutputFile('--markdown', argv.markdown)

  if (argv.updateBaseline !== undefined) {
    if (positional.length > 0) throw new UsageError(`--update-baseline takes one result; unexpected ${positional.join(' ')}`)
    const result = await readResult(argv.updateBaseline)
    const target = prepareOutputFile('--baseline', argv.baseline ?? `baselines/${result.scenario}.json`)
    await copyFile(argv.updateBaseline, `${target}.tmp`)
    await rename(`${target}.tmp`, target)
    process.stdout.write(`baseline for ${result.scenario} updated: ${target}\n`)
    return EXIT.ok
  }
  if (argv.baseline === undefined) throw new UsageError('--baseline BASE.json is required (or --update-baseline RESULT.json to record one)')
  if (positional.length !== 1) throw new UsageError(`expected one result file after the options, got ${positional.length}: npm run gate -- --baseline BASE.json RESULT.json`)
  const opts = {
    ...DEFAULT_GATE,
    tolerance: percent('tolerance', argv.tolerance),
    errorTolerance: percent('error-tolerance', argv.errorTolerance),
    minChangeUs: duration('min-change', argv.minChange, 0, 3_600_000) * 1000,
  }
  const baseline = await readResult(argv.baseline)
  const current = await readResult(positional[0]!)
  const mismatch = optionMismatch(baseline, current)
  if (mismatch) throw new UsageError(`${argv.baseline} and ${positional[0]} are not comparable: ${mismatch}`)
  const extra = evaluateThresholds(checkThresholds(argv.threshold ?? []), current.cells)
  const report = gate(baseline, { ...current, thresholds: [...current.thresholds, ...extra] }, opts)
  process.stdout.write(`${gateTable(report)}\n`)
  const md = gateMarkdown(report)
  if (markdown) await writeFileAtomic(markdown, md)
  if (process.env.GITHUB_STEP_SUMMARY) await appendFile(process.env.GITHUB_STEP_SUMMARY, md)
  if (junit) await writeFileAtomic(junit, gateJUnit(report))
  return report.failed ? EXIT.thresholds : EXIT.ok
}

void runMain('gate', main)
