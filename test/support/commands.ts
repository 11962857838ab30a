/** Running external programs from tests: find them (Debian puts some in /usr/sbin) and run them bounded in time. */
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants as fsConstants } from 'node:fs'
import path from 'node:path'

export interface CommandResult {
  /** Exit code; null when the process was killed by a signal (for example on timeout). */
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  timedOut: boolean
}

const SEARCH_DIRS_EXTRA = ['/usr/sbin', '/usr/local/sbin', '/sbin', '/usr/bin', '/usr/local/bin', '/opt/homebrew/sbin']

/** Finds an executable on PATH or in the usual sbin directories (Debian installs mosquitto in /usr/sbin). */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter((d) => d !== ''), ...SEARCH_DIRS_EXTRA]
  for (const dir of dirs) {
    const candidate = path.join(dir, name)
    try {
      accessSync(candidate, fsConstants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

/** Runs a command to completion, bounded by `timeoutMs` (the child is SIGKILLed on timeout). */
export function runCommand(cmd: string, args: readonly string[], timeoutMs: number, opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess
    try {
      child = spawn(cmd, args, { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], env: opts.env ?? process.env })
    } catch (err) {
      reject(err)
      return
    }
    let stdout = ''
    let stderr = ''
    let timedOut = false
    let settled = false
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    if (opts.input !== undefined) child.stdin!.end(opts.input)
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.once('error', (err) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      reject(new Error(`cannot run ${cmd}: ${err.message}`))
    })
    // 'close' fires after exit and after stdout/stderr are drained.
    child.once('close', (code, signal) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, timedOut })
    })
  })
}
