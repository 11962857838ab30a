/**
 * `npm run scenario -- <name|list> [options]`. This entry imports almost nothing, so that Ctrl-C
 * works from the first moment; the command itself (cli/scenario-main.ts) is loaded after.
 */
import { runMain } from '../core/cli-support.ts'
import { exitOnSignalsWhileStarting } from '../core/early-signals.ts'

exitOnSignalsWhileStarting('scenario')
// Tests only: a start-up as slow as a cold, loaded machine's, so a signal can land in it.
const slowStart = Number(process.env.FLEETBENCH_TEST_SLOW_START_MS ?? 0)
if (slowStart > 0) await new Promise((r) => setTimeout(r, slowStart))
const { main } = await import('./scenario-main.ts')
void runMain('scenario', main)
