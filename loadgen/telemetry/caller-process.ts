/**
 * The main process's side of the caller process: forks it (caller-child.mjs, structured-clone IPC),
 * answers its clock pings, and runs one cell at a time on it. Every wait is bounded: a cell that
 * does not answer within its limit gets the process killed (the next cell forks a new one) and is
 * reported as an error; a process that exits mid-cell fails that cell only.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { localEpoch } from './clock-sync.ts'
import type { CallerCellData, CallerCellTask, FromCaller, ToCaller } from './messages.ts'

export interface CellHooks {
  /** The caller is connected and ready (subscribed, devices open): say when the load starts. */
  ready(): { startAt: number }
  /** Telemetry patterns: resolves with what every stream published, once the devices are done. */
  published?(): Promise<ToCaller & { type: 'finish' }>
  tick?(t: { ok: number; missed: number }): void
  signal?: AbortSignal
}

export type CallerOutcome = { ok: true; data: CallerCellData } | { ok: false; error: string }

export class CallerProcess {
  /** Half the shortest clock-sync round trip: the most the two clocks can disagree, ms. */
  clockErrorMs = 0
  offsetMs = 0
  private child: ChildProcess | undefined
  private starting: Promise<ChildProcess> | undefined
  private onMessage: ((m: FromCaller) => void) | undefined
  private onExit: ((why: string) => void) | undefined

  /** Forks the process (if none is running) and waits until its clock is aligned, at most `limitMs`. */
  start(limitMs: number): Promise<ChildProcess> {
    if (this.child !== undefined && this.child.exitCode === null) return Promise.resolve(this.child)
    return (this.starting ??= this.spawn(limitMs).finally(() => (this.starting = undefined)))
  }

  private spawn(limitMs: number): Promise<ChildProcess> {
    const child = fork(new URL('./caller-child.mjs', import.meta.url), [], { serialization: 'advanced', execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    this.child = child
    child.on('message', (m: FromCaller) => {
      if (m.type === 'ping') return void child.send({ type: 'pong', id: m.id, epoch: localEpoch() } satisfies ToCaller)
      this.onMessage?.(m)
    })
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined
      this.onExit?.(`the caller process exited (${signal ?? `code ${code}`})`)
    })
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(`the caller process did not start within ${limitMs} ms`), limitMs)
      const fail = (why: string): void => {
        clearTimeout(timer)
        this.onMessage = this.onExit = undefined
        child.kill('SIGKILL')
        reject(new Error(why))
      }
      this.onExit = fail
      this.onMessage = (m) => {
        if (m.type !== 'synced') return
        clearTimeout(timer)
        this.onMessage = this.onExit = undefined
        this.offsetMs = m.offsetMs
        this.clockErrorMs = m.rttMs / 2
        resolve(child)
      }
    })
  }

  /** Runs one cell; never throws. Past `limitMs` the process is killed and the cell is an error. */
  async runCell(task: CallerCellTask, hooks: CellHooks, limitMs: number, startLimitMs: number): Promise<CallerOutcome> {
    let child: ChildProcess
    try {
      child = await this.start(startLimitMs)
    } catch (err) {
      return { ok: false, error: (err as Error).message }
    }
    const post = (m: ToCaller): void => void (child.connected && child.send(m))
    const stop = (): void => post({ type: 'stop' })
    return new Promise<CallerOutcome>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        done({ ok: false, error: `cell ${task.cellId}: the caller did not finish within ${limitMs} ms; its process was stopped` })
      }, limitMs)
      const done = (o: CallerOutcome): void => {
        clearTimeout(timer)
        hooks.signal?.removeEventListener('abort', stop)
        this.onMessage = this.onExit = undefined
        resolve(o)
      }
      this.onExit = (why) => done({ ok: false, error: `cell ${task.cellId}: ${why}` })
      this.onMessage = (m) => {
        if (m.type === 'ready') {
          post({ type: 'go', startAt: hooks.ready().startAt })
          void hooks.published?.().then(post)
        } else if (m.type === 'tick') hooks.tick?.(m)
        else if (m.type === 'result') done({ ok: true, data: m.data })
        else if (m.type === 'error') done({ ok: false, error: `cell ${task.cellId}: ${m.message}` })
      }
      hooks.signal?.addEventListener('abort', stop)
      if (hooks.signal?.aborted) stop()
      post({ type: 'cell', task })
    })
  }

  /** Ends the process (it also exits by itself when this one goes away). */
  async close(): Promise<void> {
    const child = this.child
    this.child = undefined
    if (child === undefined || child.exitCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.disconnect()
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000)
    await exited
    clearTimeout(timer)
  }
}
