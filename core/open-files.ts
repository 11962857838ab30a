/**
 * The open-files limit (`ulimit -n`): every socket is a file descriptor, and a fleet on the
 * embedded broker holds two per connection in one process (the client's end and the broker's).
 *
 * Raising the soft limit to the hard limit needs no code here: the node binary does it itself at
 * start-up (src/node.cc, PlatformInit: setrlimit(RLIMIT_NOFILE) up to rlim_max), so a shell's
 * soft limit of 1024 becomes the hard limit inside Node (`sh -c 'ulimit -Sn 1024; node -e …'` reads
 * 20000/20000 from /proc/self/limits on a machine whose hard limit is 20000). Going past the hard
 * limit needs privilege (CAP_SYS_RESOURCE) that a load tester should not take by itself; so this
 * module reads the limit, refuses a fleet that cannot fit before any load, and turns EMFILE into
 * one line naming the limit and the fix.
 *
 * A listening server never sees its own EMFILE on Linux: libuv closes a spare descriptor, accepts
 * and drops the waiting connections, and reports nothing (measured: a server at `ulimit -n 60`
 * silently dropped 80 of 120 connections). So a dropped connection is recognised by counting
 * this process's descriptors (/proc/self/fd) against the limit: `nearOpenFilesLimit`, `fdLimitWatch`.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { UsageError } from './cli-support.ts'

export interface OpenFilesLimit {
  /** The limit in force (what `ulimit -n` prints). */
  soft: number
  /** How far an unprivileged process may raise it; Infinity for "unlimited". */
  hard: number
}

/** Descriptors a process needs besides its connections: stdio, the event loop, worker threads, files. */
export const FD_RESERVE = 256

const asLimit = (s: string): number => (s === 'unlimited' || s === 'infinity' ? Number.POSITIVE_INFINITY : Number(s))

/** The "Max open files" line of a /proc/PID/limits text, or undefined when it has none. */
export function parseProcLimits(text: string): OpenFilesLimit | undefined {
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)\s+files/m.exec(text)
  return m ? { soft: asLimit(m[1]!), hard: asLimit(m[2]!) } : undefined
}

/** The output of `sh -c 'ulimit -Sn; ulimit -Hn'`: two lines, soft then hard. */
export function parseUlimitOutput(text: string): OpenFilesLimit | undefined {
  const [soft, hard] = text.trim().split(/\s+/).map(asLimit)
  return soft !== undefined && hard !== undefined && !Number.isNaN(soft) && !Number.isNaN(hard) ? { soft, hard } : undefined
}

function readLimit(): OpenFilesLimit | undefined {
  if (process.platform === 'win32') return undefined
  try {
    if (process.platform === 'linux') return parseProcLimits(readFileSync('/proc/self/limits', 'utf8'))
    return parseUlimitOutput(execFileSync('/bin/sh', ['-c', 'ulimit -Sn; ulimit -Hn'], { encoding: 'utf8', timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'] }))
  } catch {
    return undefined
  }
}

// Read once at start as well: out of descriptors, /proc/self/limits cannot be opened to say so.
const atStart = process.platform === 'linux' ? readLimit() : undefined

/**
 * This process's limit: /proc/self/limits on Linux (or its value at start when it cannot be read
 * now); elsewhere on POSIX a child shell's `ulimit` (a child inherits the limit, so it prints this
 * process's); undefined where neither works (Windows).
 */
export function openFilesLimit(): OpenFilesLimit | undefined {
  return readLimit() ?? atStart
}

/**
 * Descriptors this process has open (Linux: /proc/self/fd); Infinity when there is none left to
 * read that with; undefined where it cannot be known.
 */
export function openFileCount(): number | undefined {
  if (process.platform !== 'linux') return undefined
  try {
    return readdirSync('/proc/self/fd').length - 1 // the directory being read is one of them
  } catch (err) {
    return isOutOfFiles(err) ? Number.POSITIVE_INFINITY : undefined
  }
}

/** True when this process is within `margin` descriptors of its limit; false where either is unknown. */
export function nearOpenFilesLimit(margin = 16, limit: OpenFilesLimit | undefined = openFilesLimit()): boolean {
  const open = limit === undefined ? undefined : openFileCount()
  return limit !== undefined && open !== undefined && open >= limit.soft - margin
}

/**
 * For a server: call the returned function on every accepted connection; `onNear` gets the EMFILE
 * error (once) when the process is within `margin` descriptors of its limit, so connections beyond
 * it are being dropped. Counts at most every `everyMs`, and once more after the last connection.
 */
export function fdLimitWatch(onNear: (err: NodeJS.ErrnoException) => void, margin = 32, everyMs = 500): () => void {
  const limit = openFilesLimit()
  if (limit === undefined || !Number.isFinite(limit.soft) || openFileCount() === undefined) return () => undefined
  let last = 0
  let trailing: NodeJS.Timeout | undefined
  let told = false
  const look = (): void => {
    trailing = undefined
    last = Date.now()
    if (told || !nearOpenFilesLimit(margin, limit)) return
    told = true
    onNear(Object.assign(new Error(outOfFilesMessage(limit)), { code: 'EMFILE' }))
  }
  return () => {
    if (told || trailing !== undefined) return
    const wait = last + everyMs - Date.now()
    if (wait <= 0) return look()
    trailing = setTimeout(look, wait)
    trailing.unref()
  }
}

/** True for "too many open files" in this process (EMFILE) or on the whole system (ENFILE). */
export function isOutOfFiles(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return code === 'EMFILE' || code === 'ENFILE'
}

const show = (n: number): string => (Number.isFinite(n) ? String(n) : 'unlimited')

/** A limit to suggest: at least `need`, rounded up to a power of two, at least 65536. */
export function suggestedLimit(need: number): number {
  let n = 65_536
  while (n < need) n *= 2
  return n
}

/** "the open-files limit of N (ulimit -n; hard limit H); <how to raise it to `want`>" */
function limitAndFix(limit: OpenFilesLimit | undefined, want: number): string {
  const now = limit === undefined ? 'the open-files limit (ulimit -n)' : `the open-files limit of ${show(limit.soft)} (ulimit -n; hard limit ${show(limit.hard)})`
  const fix = limit !== undefined && limit.hard >= want
    ? `run \`ulimit -n ${want}\` in the shell that starts fleetbench`
    : `raise it with \`ulimit -n ${want}\` (above the hard limit this needs root; in a container --ulimit nofile=${want}:${want}, under systemd LimitNOFILE=${want})`
  return `${now}; ${fix}`
}

/** The one line for running out of descriptors at run time, naming the limit and the fix. */
export function outOfFilesMessage(limit: OpenFilesLimit | undefined, code: 'EMFILE' | 'ENFILE' = 'EMFILE'): string {
  const want = suggestedLimit((limit?.soft ?? 0) * 2)
  if (code === 'ENFILE')
    return `out of file descriptors (ENFILE): the system's open-file table is full (sysctl fs.file-max); raise it with \`sysctl -w fs.file-max=${want * 4}\`, or open fewer connections`
  return `out of file descriptors (EMFILE): this process reached ${limitAndFix(limit, want)}, or open fewer connections`
}

/** The same error with the one-line message, kept recognisable by its code; any other error unchanged. */
export function explainOutOfFiles(err: unknown, limit: () => OpenFilesLimit | undefined = openFilesLimit): unknown {
  if (!isOutOfFiles(err)) return err
  const code = (err as { code: 'EMFILE' | 'ENFILE' }).code
  return Object.assign(new Error(outOfFilesMessage(limit(), code)), { code })
}

/**
 * Refuses, before any load, a run that needs `connections` descriptors (plus FD_RESERVE) when the
 * limit in force is lower. `what` names them ("--gateways 10000 on the embedded broker"), `fewer`
 * the other way out ("fewer --gateways").
 */
export function checkOpenFiles(connections: number, what: string, fewer: string, limitOf: () => OpenFilesLimit | undefined = openFilesLimit): void {
  const need = connections + FD_RESERVE
  const limit = limitOf()
  if (limit === undefined || need <= limit.soft) return
  throw new UsageError(`${what} need about ${need} file descriptors, over ${limitAndFix(limit, suggestedLimit(need))}, or use ${fewer}`)
}
