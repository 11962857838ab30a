/** What every fleetbench command shares: usage errors (exit 2), option checks, and the main wrapper. */
import { readFileSync, statSync } from 'node:fs'
import type { Argv } from 'yargs'

/** Bad input: the message names the problem and the fix; the process exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

export const EXIT = { ok: 0, internal: 1, usage: 2, thresholds: 99 } as const

export function integer(name: string, value: unknown, min: number, max: number): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`)
  return n
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** `250ms`, `10s`, `1.5m`, `1h`; a bare number is seconds. Returns milliseconds. */
export function duration(name: string, value: unknown, minMs = 1, maxMs = 24 * 3_600_000): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(String(value))
  const ms = m ? Number(m[1]) * UNITS[m[2] ?? 's']! : Number.NaN
  if (!Number.isFinite(ms) || ms < minMs || ms > maxMs)
    throw new UsageError(`--${name} must be a duration like 500ms, 10s or 2m (from ${minMs} ms to ${maxMs / 1000} s), got ${JSON.stringify(value)}`)
  return Math.round(ms)
}

export function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T
  throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`)
}

/** A comma-separated list whose items must all be allowed; duplicates are removed, order kept. */
export function listOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T[] {
  const items = String(value).split(',').map((s) => s.trim()).filter((s) => s !== '')
  if (items.length === 0) throw new UsageError(`--${name} needs at least one of ${allowed.join(', ')}`)
  for (const item of items) oneOf(name, item, allowed)
  return [...new Set(items)] as T[]
}

/** File-system error codes as the few words a user reads. */
const REASONS: Record<string, string> = {
  ENOTDIR: 'not a directory',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENAMETOOLONG: 'name too long',
  ELOOP: 'too many symbolic links',
  ENOENT: 'no such file',
  EISDIR: 'is a directory',
}

/** A file-system error as the few words a user reads. */
export function reasonOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code
  return (code !== undefined ? REASONS[code] : undefined) ?? (err as Error).message
}

/** The code's words, or the code itself when it has none (a user can look it up). */
const codeWords = (code: string): string => REASONS[code] ?? code

/**
 * The contents of a regular file this process can read, refusing a directory, a missing,
 * unreadable or empty file with one line naming the option (checked at parse time, so a typo fails
 * at once, not after minutes of load).
 */
export function readableFile(name: string, path: string, what: string): Buffer {
  const fix = `give the path of ${what}`
  let st
  try {
    st = statSync(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error'
    throw new UsageError(`--${name} ${path}: ${codeWords(code)}; ${fix}`)
  }
  if (st.isDirectory()) throw new UsageError(`--${name} ${path}: is a directory; ${fix}`)
  // A FIFO or a device would block or never end: only regular files are read.
  if (!st.isFile()) throw new UsageError(`--${name} ${path}: is not a regular file; ${fix}`)
  let data: Buffer
  try {
    data = readFileSync(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error'
    throw new UsageError(`--${name} ${path}: cannot read it (${codeWords(code)}); ${fix}`)
  }
  if (data.length === 0) throw new UsageError(`--${name} ${path}: the file is empty; ${fix}`)
  return data
}

/** A PEM file (certificate or key) this process can read; returns the path. */
export function readablePem(name: string, path: string): string {
  const data = readableFile(name, path, 'a PEM file')
  if (!data.includes('-----BEGIN ')) throw new UsageError(`--${name} ${path}: not a PEM file (no -----BEGIN line); give the path of a PEM file`)
  return path
}

/** `i/n`, 0-based (like JOB_COMPLETION_INDEX); `0/1` means no sharding and gives undefined. */
export function shardOf(name: string, raw: unknown): { index: number; count: number } | undefined {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(String(raw))
  const index = m ? Number(m[1]) : Number.NaN
  const count = m ? Number(m[2]) : Number.NaN
  if (!(count >= 1 && count <= 10_000 && index >= 0 && index < count))
    throw new UsageError(`--${name} must be i/n with 0 <= i < n <= 10000 (e.g. 0/4), got ${JSON.stringify(raw)}`)
  return count === 1 ? undefined : { index, count }
}

/** `user:pass` → credentials. */
export function credentials(name: string, value: unknown): { username: string; password: string } {
  const s = String(value)
  const i = s.indexOf(':')
  if (i <= 0) throw new UsageError(`--${name} must be user:password, got ${JSON.stringify(s.replace(/:.*/, ':…'))}`)
  return { username: s.slice(0, i), password: s.slice(i + 1) }
}

/** yargs configured for one-line usage errors: unknown options and bad values exit 2. */
export function strictParser<T>(argv: Argv<T>, script: string): Argv<T> {
  return argv
    .scriptName(script)
    .strict()
    .parserConfiguration({ 'camel-case-expansion': true })
    .fail((msg, err) => {
      if (err) throw err
      const unknown = /^Unknown arguments?: (.*)$/m.exec(msg)
      if (unknown) throw new UsageError(`unknown option ${unknown[1]!.split(', ').map((a) => (a.length > 1 ? `--${a}` : a)).join(', ')}; run with --help to list the options`)
      throw new UsageError(`${msg.replace(/\n.*/s, '')}; run with --help to list the options`)
    })
    .help()
    .version(false)
}

/** After a command is done, how long what it opened may take to close before the process exits anyway. */
export const EXIT_GRACE_MS = 3_000

/**
 * Runs a command: usage errors print one line and exit 2; anything else prints and exits 1. Once it
 * is done the process ends by itself, and within EXIT_GRACE_MS at the latest: a socket or timer left
 * open by a library can never keep a CI job waiting.
 */
export async function runMain(script: string, main: () => Promise<number | void>): Promise<void> {
  try {
    const code = await main()
    process.exitCode = code ?? EXIT.ok
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${script}: ${err.message}\n`)
      process.exitCode = EXIT.usage
    } else {
      process.stderr.write(`${script}: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
      process.exitCode = EXIT.internal
    }
  }
  setTimeout(() => process.exit(), EXIT_GRACE_MS).unref()
}
