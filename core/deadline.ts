/** Every phase has a deadline: a promise that does not settle in time is rejected with one line. */

/** Closing one thing (a broker, a fleet, worker threads) at most; then shutdown goes on without it. */
export const CLOSE_BOUND_MS = 10_000
/** Worker threads loading their modules at most. */
export const WARM_UP_BOUND_MS = 60_000
/** Probing an external broker (connect, subscribe, nine round trips) at most. */
export const PROBE_BOUND_MS = 30_000

/** A warning on stderr, one line. */
export const warn = (line: string): void => void process.stderr.write(`warning: ${line}\n`)

export class DeadlineError extends Error {
  override readonly name = 'DeadlineError'
}

/**
 * `promise`, or a DeadlineError saying `what did not finish within N ms` once `ms` have passed.
 * The timer never keeps the process alive and is cleared when the promise settles.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`${what} did not finish within ${ms} ms`)), ms)
    timer.unref()
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}

/** Like withDeadline, but a late or failed close is reported to `warn` instead of thrown: shutdown goes on. */
export async function closeWithin(close: () => Promise<unknown>, ms: number, what: string, warn: (line: string) => void): Promise<void> {
  try {
    await withDeadline(Promise.resolve().then(close), ms, what)
  } catch (err) {
    warn(err instanceof DeadlineError ? `${err.message}; going on without it` : `${what} failed: ${(err as Error).message}`)
  }
}
