/**
 * The main thread's side of channel cells: one Piscina worker thread runs one cell at a time, so
 * the cell's producers, channel, pump and clients have an event loop (and a V8 heap, which is what
 * the cell's memory figures measure) of their own, apart from the embedded broker's. A cell that
 * does not answer within its time limit is aborted (the worker is replaced) and reported as failed.
 */
import { MessageChannel } from 'node:worker_threads'
import { Piscina } from 'piscina'
import type { ChannelCellTask, ChannelTick, ChannelWorkerOutcome } from './messages.ts'

export type ChannelCellRun = Omit<ChannelCellTask, 'type' | 'progress'>

export class ChannelWorkerThread {
  private readonly piscina: Piscina

  constructor() {
    this.piscina = new Piscina({
      filename: new URL('./worker.mjs', import.meta.url).href,
      minThreads: 1,
      maxThreads: 1,
      idleTimeout: 60_000,
      concurrentTasksPerWorker: 1,
    })
  }

  async runCell(cell: ChannelCellRun, limitMs: number, onTick?: (t: ChannelTick) => void): Promise<ChannelWorkerOutcome> {
    const channel = new MessageChannel()
    channel.port1.on('message', (t: ChannelTick) => onTick?.(t))
    channel.port1.unref()
    const task: ChannelCellTask = { ...cell, type: 'channel-cell', progress: channel.port2 }
    const abort = new AbortController()
    const timer = setTimeout(() => abort.abort(), limitMs)
    try {
      return (await this.piscina.run(task, { transferList: [channel.port2], signal: abort.signal })) as ChannelWorkerOutcome
    } catch (err) {
      if (abort.signal.aborted) return { type: 'error', message: `cell ${cell.cellId} did not finish within ${limitMs} ms; its worker was stopped` }
      return { type: 'error', message: `worker crashed: ${err instanceof Error ? err.message : String(err)}` }
    } finally {
      clearTimeout(timer)
      channel.port1.close()
    }
  }

  async close(): Promise<void> {
    await this.piscina.destroy()
  }
}
