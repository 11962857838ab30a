/** `npm run scenario -- <name|list> [options]`: parse, validate, run, write, print (loaded by cli/scenario.ts). */
import yargs, { type Argv } from 'yargs'
import { hideBin } from 'yargs/helpers'
import { strictParser, UsageError } from '../core/cli-support.ts'
import { SCENARIOS } from '../scenarios/registry.ts'
import { runScenario } from '../scenarios/run.ts'
import type { ScenarioDefinition } from '../scenarios/types.ts'

const kebab = (k: string): string => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)

function describeDefault(def: ScenarioDefinition<object>, key: string): string {
  const value = (def.defaults as Record<string, unknown>)[key]
  const spec = (def.options as Record<string, { show?(v: unknown): string }>)[key]
  if (value === undefined) return ''
  return ` [default: ${spec?.show ? spec.show(value) : String(value)}]`
}

function addOptions(y: Argv, def: ScenarioDefinition<object>): Argv {
  let out = y
  for (const [key, spec] of Object.entries(def.options) as Array<[string, { describe: string }]>)
    out = out.option(kebab(key), { type: 'string', describe: `${spec.describe}${describeDefault(def, key)}` })
  return out
    .option('quick', { type: 'boolean', default: false, describe: 'short CI smoke run' })
    .option('json', { type: 'boolean', default: false, describe: 'print the result JSON to stdout' })
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress and no table' })
    .option('threshold', { type: 'string', array: true, describe: "extra threshold, e.g. 'multiplexed:p99<250ms' (repeatable)" })
}

export async function main(): Promise<number> {
  let code = 0
  const first = hideBin(process.argv)[0]
  if (first !== undefined && !first.startsWith('-') && first !== 'list' && !SCENARIOS.some((s) => s.name === first))
    throw new UsageError(`unknown scenario ${JSON.stringify(first)}; the scenarios are ${SCENARIOS.map((s) => s.name).join(', ')} (npm run scenario -- list)`)
  let y = strictParser(yargs(hideBin(process.argv)), 'npm run scenario --')
    .usage('$0 <scenario> [options]\n\nRuns a scenario and writes results/<scenario>/<time>/result.json.')
    .command('list', 'list the scenarios', {}, () => {
      for (const s of SCENARIOS) process.stdout.write(`${s.name.padEnd(18)} ${s.description}\n`)
    })
    .demandCommand(1, 'name a scenario, or list; e.g. npm run scenario -- parallel-ble')
  for (const def of SCENARIOS) {
    y = y.command(
      def.name,
      def.description,
      (b) => addOptions(b, def),
      async (argv) => {
        const flags = { quick: argv.quick === true, json: argv.json === true, quiet: argv.quiet === true, thresholds: (argv.threshold as string[] | undefined) ?? [] }
        code = await runScenario(def, argv as Record<string, unknown>, flags)
      },
    )
  }
  await y.parseAsync()
  return code
}

