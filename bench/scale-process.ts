/**
 * A scale-child.ts process, as the bench drives it: reports arrive in order and are awaited one by
 * one (each with its own deadline, after which the child is killed), progress lines are passed on as
 * they come, and `done()` asks the child to stop its fleet and waits for it (killing it if it
 * lingers).
 */
import { fork } from 'node:child_process'
import type { ScaleCommand, ScaleReport, ScaleTask } from './scale-child.ts'

export interface ScaleChild {
  expect<T extends Exclude<ScaleReport['type'], 'progress'>>(type: T, timeoutMs: number): Promise<Extract<ScaleReport, { type: T }>>
  send(command: ScaleCommand): void
  done(): Promise<void>
}

/** A million devices stop in a few seconds; past this the child is killed. */
const STOP_GRACE_MS = 60_000
const MAX_STDERR = 16 * 1024

export function startScaleChild(task: ScaleTask, onProgress: (line: string) => void): ScaleChild {
  const child = fork(new URL('./scale-child.ts', import.meta.url), [JSON.stringify(task)], {
    execArgv: ['--expose-gc', '--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  })
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-MAX_STDERR)))
  let exitInfo: string | undefined
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exitInfo = signal !== null ? `was killed by ${signal}` : `exited with ${code}`
      resolve()
    }),
  )
  const queue: ScaleReport[] = []
  let wake: (() => void) | undefined
  child.on('message', (m: ScaleReport) => {
    if (m.type === 'progress') return onProgress(m.line)
    queue.push(m)
    wake?.()
  })
  const next = async (timeoutMs: number): Promise<ScaleReport> => {
    const until = Date.now() + timeoutMs
    while (queue.length === 0) {
      if (exitInfo !== undefined) throw new Error(`the fleet process ${exitInfo}: ${stderr.trim() || '(nothing on stderr)'}`)
      const left = until - Date.now()
      if (left <= 0) {
        child.kill('SIGKILL')
        throw new Error(`the fleet process sent nothing within ${Math.round(timeoutMs / 1000)} s and was stopped`)
      }
      await Promise.race([new Promise<void>((r) => (wake = r)), exited, new Promise((r) => setTimeout(r, Math.min(left, 1000)))])
      wake = undefined
    }
    return queue.shift()!
  }
  return {
    async expect(type, timeoutMs) {
      const r = await next(timeoutMs)
      if (r.type !== type) throw new Error(`the fleet process sent ${r.type}, expected ${type}`)
      return r as Extract<ScaleReport, { type: typeof type }>
    },
    send: (command) => void (child.connected && child.send(command)),
    async done() {
      if (exitInfo === undefined) {
        if (child.connected) child.send('done')
        const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
        await exited
        clearTimeout(killer)
      }
    },
  }
}
