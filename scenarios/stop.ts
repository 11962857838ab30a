/**
 * How a run stops early. The first SIGINT/SIGTERM stops it gently (no new rounds or cells; rounds in
 * progress finish or time out; a partial result is written; exit 130/143) and a second one exits at
 * once (a copy of the first arriving within SAME_PRESS_MS is not a second one: npm forwards it). The run's deadline (its plan plus a fixed margin) stops it the same way with exit 1; if the
 * run still has not ended `graceMs` later, `hardStop` writes what finished and the process exits.
 */
import { SIGNAL_EXIT, takeOverSignals } from '../core/early-signals.ts'

/** A second copy of the same signal within this long is the same press (npm forwards the terminal's). */
export const SAME_PRESS_MS = 500

export interface RunStop {
  readonly signal: AbortSignal
  /** 130 / 143 after a signal, 1 after the deadline; undefined while the run goes on. */
  readonly exitCode: number | undefined
  /** One line: why the run stopped early. */
  readonly reason: string | undefined
  dispose(): void
}

export interface StopOptions {
  /** The whole run's deadline from now. */
  deadlineMs?: number
  /** After the deadline, how long the run may take to wind down before `hardStop`. */
  graceMs?: number
  /** Writes what finished and exits; called once, only if the run did not end in its grace. */
  hardStop?(reason: string): void
  write?(line: string): void
  /** Default SAME_PRESS_MS. */
  samePressMs?: number
}

export function stopOn(name: string, o: StopOptions = {}): RunStop {
  const controller = new AbortController()
  const write = o.write ?? ((line: string) => void process.stderr.write(line))
  let exitCode: number | undefined
  let reason: string | undefined
  let grace: NodeJS.Timeout | undefined
  const stop = (code: number, why: string, line: string): void => {
    exitCode = code
    reason = why
    write(line)
    controller.abort(why)
  }
  let firstSignal: { sig: NodeJS.Signals; at: number } | undefined
  function onSignal(sig: NodeJS.Signals): void {
    // One Ctrl-C under `npm run` arrives twice: the terminal signals the whole foreground group and
    // npm forwards its own copy to the child. A repeat of the same signal that soon is that press.
    const now = Date.now()
    if (firstSignal !== undefined && firstSignal.sig === sig && now - firstSignal.at < (o.samePressMs ?? SAME_PRESS_MS)) return
    if (controller.signal.aborted) {
      write(`\n${name}: ${sig} again: exiting at once, nothing more is written\n`)
      process.exit(SIGNAL_EXIT[sig] ?? 130)
    }
    firstSignal = { sig, at: now }
    stop(SIGNAL_EXIT[sig] ?? 130, sig, `\n${name}: ${sig}: stopping; rounds in flight finish or time out, then a partial result is written (${sig === 'SIGINT' ? 'Ctrl-C' : sig} again to exit at once)\n`)
  }
  const deadline =
    o.deadlineMs === undefined
      ? undefined
      : setTimeout(() => {
          if (controller.signal.aborted) return
          const why = `the run passed its deadline of ${Math.round(o.deadlineMs! / 1000)} s (its plan plus a fixed margin)`
          stop(1, why, `\n${name}: ${why}; stopping: cells in flight end, then a partial result is written\n`)
          grace = setTimeout(() => o.hardStop?.(why), o.graceMs ?? 30_000)
          grace.unref()
        }, o.deadlineMs)
  deadline?.unref()
  const release = takeOverSignals()
  function dispose(): void {
    release()
    clearTimeout(deadline)
    clearTimeout(grace)
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    signal: controller.signal,
    get exitCode() {
      return exitCode
    },
    get reason() {
      return reason
    },
    dispose,
  }
}
