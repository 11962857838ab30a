/** The main thread's side of the workers: Piscina threads each run a share of a cell's users. */
import { MessageChannel } from 'node:worker_threads'
import { Piscina } from 'piscina'
import type { CellTask, StopMessage, WarmTask, WorkerOutcome, WorkerTick } from './messages.ts'
import { mergeSlices, splitUsers } from './merge.ts'
import type { SliceResult } from './types.ts'

export type CellRun = Omit<CellTask, 'workerIndex' | 'users' | 'totalUsers' | 'progress' | 'type'> & { users: CellTask['users'] }

export interface Progress {
  sent: number
  ok: number
  errors: number
}

/** How long workers told to stop may take to send their slice before their tasks are aborted. */
export const STOP_GRACE_MS = 10_000

export class RpcWorkerThreads {
  private readonly piscina: Piscina

  constructor(readonly threads: number) {
    this.piscina = new Piscina({
      filename: new URL('./worker.mjs', import.meta.url).href,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 60_000,
      // One cell task per thread at a time: a worker runs its users' event loops, not a queue.
      concurrentTasksPerWorker: 1,
    })
  }

  /**
   * Runs one cell across the threads; resolves with the merged slice or a one-line error. Past
   * `limitMs` the workers are told to stop; if they have not answered `STOP_GRACE_MS` later their
   * tasks are aborted (the threads are replaced) and the cell is an error.
   */
  async runCell(cell: CellRun, onProgress?: (p: Progress) => void, signal?: AbortSignal, limitMs = Number.POSITIVE_INFINITY): Promise<{ ok: true; slice: SliceResult } | { ok: false; error: string }> {
    const abort = new AbortController()
    const shares = splitUsers(cell.users, this.threads)
    const latest: Progress[] = shares.map(() => ({ sent: 0, ok: 0, errors: 0 }))
    const ports: MessageChannel[] = []
    const runs = shares.map((users, workerIndex) => {
      const channel = new MessageChannel()
      ports.push(channel)
      channel.port1.on('message', (tick: WorkerTick) => {
        latest[tick.workerIndex] = tick
        onProgress?.(latest.reduce((a, b) => ({ sent: a.sent + b.sent, ok: a.ok + b.ok, errors: a.errors + b.errors }), { sent: 0, ok: 0, errors: 0 }))
      })
      channel.port1.unref()
      const task: CellTask = { ...cell, type: 'run-cell', workerIndex, users, totalUsers: cell.users.length, progress: channel.port2 }
      return this.piscina.run(task, { transferList: [channel.port2], signal: abort.signal }) as Promise<WorkerOutcome>
    })
    const stop = (): void => {
      for (const c of ports) c.port1.postMessage({ type: 'stop' } satisfies StopMessage)
    }
    if (signal?.aborted) stop()
    signal?.addEventListener('abort', stop)
    let late = false
    const timers = Number.isFinite(limitMs)
      ? [
          setTimeout(stop, limitMs),
          setTimeout(() => {
            late = true
            abort.abort()
          }, limitMs + STOP_GRACE_MS),
        ]
      : []
    const settled = await Promise.allSettled(runs)
    for (const t of timers) clearTimeout(t)
    signal?.removeEventListener('abort', stop)
    if (late) return { ok: false, error: `cell ${cell.cellId} did not finish within ${limitMs + STOP_GRACE_MS} ms; its worker threads were stopped` }
    for (const c of ports) c.port1.close()
    const errors: string[] = []
    const slices: SliceResult[] = []
    settled.forEach((s, i) => {
      if (s.status === 'rejected') errors.push(`worker ${i} crashed: ${(s.reason as Error)?.message ?? String(s.reason)}`)
      else if (s.value.type === 'error') errors.push(`worker ${i}: ${s.value.message}`)
      else slices.push(s.value.slice)
    })
    if (errors.length > 0) return { ok: false, error: errors.join('; ') }
    return { ok: true, slice: mergeSlices(slices) }
  }

  /** Has every thread load its modules (TypeScript through tsx takes a second or two cold). */
  async warm(): Promise<void> {
    await Promise.all(Array.from({ length: this.threads }, () => this.piscina.run({ type: 'warm' } satisfies WarmTask)))
  }

  async close(): Promise<void> {
    await this.piscina.destroy()
  }
}
