/**
 * Outputs proven before any work: every command that writes creates its directory and writes and
 * removes a probe file before it starts, so a bad `--out` costs a second, not a run. The walk is our
 * own, one `mkdir` per level, stopping at the first error: Node 20's `mkdirSync(…, { recursive })`
 * loops forever under /proc, and `access(W_OK)` says yes to a regular file and, for root, to almost
 * anything.
 */
import { mkdirSync, rmdirSync, statfsSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs'
import { dirname, join, parse, resolve, sep } from 'node:path'
import { reasonOf, UsageError } from './cli-support.ts'

/** statfs magic numbers of kernel pseudo file systems, where nothing should be written. */
const PSEUDO_FS = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x1cd1, 'devpts'],
  [0x6165676c, 'pstore'],
  [0xcafe4a11, 'bpf'],
  [0x62656570, 'configfs'],
  [0x65735543, 'fusectl'],
  [0x19800202, 'mqueue'],
  [0xde5e81e4, 'efivarfs'],
  [0x42494e4d, 'binfmt_misc'],
])

function pseudoFs(path: string): string | undefined {
  try {
    return PSEUDO_FS.get(Number(statfsSync(path).type))
  } catch {
    return undefined
  }
}

function stat(path: string): Stats | undefined {
  try {
    return statSync(path)
  } catch (err) {
    // Absent, or under something that is not a directory: the walk of the parents says which.
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    throw err
  }
}

const refuse = (option: string, path: string, why: string, fix: string): UsageError => new UsageError(`${option} ${path}: ${why}; ${fix}`)

/**
 * Creates `path` and every missing parent (pushed to `created`, so a run that fails before writing
 * can take them back), then writes and removes a probe file in it. Returns the absolute path;
 * throws a UsageError naming the option, the path and the reason.
 */
export function prepareOutputDir(option: string, path: string, created: string[] = []): string {
  const abs = resolve(path)
  proveDir(abs, created, (why) => refuse(option, abs, why, 'choose a directory you can write to'))
  return abs
}

/** The walk and the probe; `refuse` words the error for the path the user gave (a directory, or a file in it). */
function proveDir(abs: string, created: string[], refuse: (why: string) => UsageError): void {
  const { root } = parse(abs)
  let cur = root
  for (const part of abs.slice(root.length).split(sep).filter((p) => p !== '')) {
    const parent = cur
    cur = join(cur, part)
    let st: Stats | undefined
    try {
      st = stat(cur)
    } catch (err) {
      throw refuse(`${cur}: ${reasonOf(err)}`)
    }
    if (st !== undefined) {
      if (!st.isDirectory()) throw refuse(`${cur} is not a directory`)
      continue
    }
    const fs = pseudoFs(parent)
    if (fs !== undefined) throw refuse(`not a real file system (${parent} is ${fs})`)
    try {
      mkdirSync(cur)
      created.push(cur)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw refuse(`cannot create ${cur}: ${reasonOf(err)}`)
    }
  }
  const fs = pseudoFs(abs)
  if (fs !== undefined) throw refuse(`not a real file system (${fs})`)
  const probe = join(abs, `.fleetbench-probe-${process.pid}`)
  try {
    writeFileSync(probe, 'fleetbench write probe\n')
    unlinkSync(probe)
  } catch (err) {
    throw refuse(`cannot write in it: ${reasonOf(err)}`)
  }
}

/**
 * Proves that `path` can be written as a file: its directory as above, and `path` itself absent or
 * a regular file (never a directory, a device or a FIFO, which an atomic rename would replace).
 */
export function prepareOutputFile(option: string, path: string): string {
  const abs = resolve(path)
  const fix = 'give the path of a file you can write'
  let st: Stats | undefined
  try {
    st = stat(abs)
  } catch (err) {
    throw refuse(option, abs, reasonOf(err), fix)
  }
  if (st?.isDirectory()) throw refuse(option, abs, 'is a directory', fix)
  if (st !== undefined && !st.isFile()) throw refuse(option, abs, 'is not a regular file', fix)
  // Name the file the user gave, with the reason found on the way to it.
  proveDir(dirname(abs), [], (why) => refuse(option, abs, why, fix))
  return abs
}

/** Removes directories prepareOutputDir created, deepest first, as long as they are still empty. */
export function removeCreatedDirs(created: readonly string[]): void {
  for (const dir of [...created].reverse()) {
    try {
      rmdirSync(dir)
    } catch {
      return // not empty (something was written), or gone: leave it and its parents
    }
  }
}
