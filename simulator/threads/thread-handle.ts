/**
 * The host's side of one fleet thread: typed requests that wait for their reply with a deadline,
 * the thread's end turned into a rejection of whatever waits, and a close that always terminates.
 */
import { Worker } from 'node:worker_threads'
import { DeadlineError, withDeadline } from '../../core/deadline.ts'
import { errorOf, type ThreadError } from './messages.ts'

type Typed = { type: string }

interface Waiter<From> {
  match(m: From): boolean
  resolve(m: From): void
  reject(err: Error): void
}

const ENTRY = new URL('./thread.mjs', import.meta.url)

export class ThreadHandle<To extends Typed, From extends Typed> {
  readonly worker: Worker
  private readonly waiters: Array<Waiter<From>> = []
  /** Why the thread ended, once it has. */
  private ended: string | undefined
  private lastError: string | undefined
  private terminated: Promise<void> | undefined
  /** Set once the host asked it to end: its end is no surprise then. */
  private closing = false

  /**
   * `entry` is a TypeScript module beside thread.mjs; `name` says which thread in messages.
   * `onEnd` hears, once, of a thread that ended without being closed; `onMessage` of replies nobody waits for.
   */
  constructor(entry: string, readonly name: string, private readonly hooks: { onEnd?(why: string): void; onMessage?(m: From): void } = {}) {
    this.worker = new Worker(ENTRY, { workerData: { entry }, name })
    this.worker.on('message', (m: From) => this.deliver(m))
    this.worker.on('error', (err) => (this.lastError = err.message))
    this.worker.on('exit', (code) => {
      const unexpected = !this.closing
      this.ended = `${this.name} ended (exit code ${code})${this.lastError ? `: ${this.lastError}` : ''}`
      for (const w of this.waiters.splice(0)) w.reject(new Error(this.ended))
      if (unexpected) this.hooks.onEnd?.(this.ended)
    })
  }

  /** Posts `m` and waits at most `ms` for the first reply of type `want` (a ThreadError rejects, naming `what`). */
  request<T extends From['type']>(m: To, want: T, ms: number, what: string, match: (r: Extract<From, { type: T }>) => boolean = () => true): Promise<Extract<From, { type: T }>> {
    if (this.ended !== undefined) return Promise.reject(new Error(`${what}: ${this.ended}`))
    let waiter: Waiter<From> | undefined
    const reply = new Promise<Extract<From, { type: T }>>((resolve, reject) => {
      waiter = {
        match: (r) => r.type === 'error' || (r.type === want && match(r as Extract<From, { type: T }>)),
        resolve: (r) => (r.type === 'error' ? reject(errorOf(r as unknown as ThreadError, `${what}: `)) : resolve(r as Extract<From, { type: T }>)),
        reject,
      }
      this.waiters.push(waiter)
      this.worker.postMessage(m)
    })
    return withDeadline(reply, ms, `${what} (${this.name})`).catch((err: Error) => {
      // A late request is forgotten; its reply, if it ever comes, goes to onMessage.
      const i = err instanceof DeadlineError ? this.waiters.indexOf(waiter!) : -1
      if (i >= 0) this.waiters.splice(i, 1)
      throw err
    })
  }

  /** Asks the thread to finish (`stop`, waiting for `stopped` at most `ms`), then terminates it whatever happened. */
  async close(stop: To, ms: number): Promise<void> {
    this.closing = true
    try {
      if (this.ended === undefined) await this.request(stop, 'stopped' as From['type'], ms, `stopping ${this.name}`)
    } finally {
      await this.terminate()
    }
  }

  /** Ends the thread now. */
  terminate(): Promise<void> {
    this.closing = true
    this.terminated ??= this.worker.terminate().then(() => undefined)
    return this.terminated
  }

  private deliver(m: From): void {
    const i = this.waiters.findIndex((w) => w.match(m))
    if (i < 0) return this.hooks.onMessage?.(m)
    const [w] = this.waiters.splice(i, 1)
    w!.resolve(m)
  }
}
