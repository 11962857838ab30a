/**
 * Signals while a command is still starting (loading its modules through tsx takes a second or
 * two, before any handler of the run exists): the process stops at once with the signal's exit
 * code and one line, instead of going on or dying silently. Once the command has its own handler
 * (`takeOverSignals`), that one decides and this one stays out of the way. tsx installs listeners
 * of its own, so counting listeners cannot tell.
 */
/** The exit code of a run stopped by a signal: 128 + its number, as a shell reports it. */
export const SIGNAL_EXIT: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 }
let takenOver = 0

/** The run handles signals from now on; call the returned function when it stops doing so. */
export function takeOverSignals(): () => void {
  takenOver++
  let released = false
  return () => {
    if (!released) takenOver--
    released = true
  }
}

export function exitOnSignalsWhileStarting(script: string): void {
  const onSignal = (sig: NodeJS.Signals): void => {
    if (takenOver > 0) return
    process.stderr.write(`${script}: ${sig} while starting: nothing was run\n`)
    process.exit(SIGNAL_EXIT[sig] ?? 130)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
}
