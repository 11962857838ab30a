/** What a channel worker thread runs: one channel-capacity cell per task. */
import { initWasm } from '../../core/histogram.ts'
import { runChannelCell } from './cell.ts'
import type { ChannelCellTask, ChannelWorkerOutcome } from './messages.ts'

export default async function runChannelCellTask(task: ChannelCellTask): Promise<ChannelWorkerOutcome> {
  try {
    if (task.type !== 'channel-cell') throw new Error(`unknown task type ${JSON.stringify((task as { type?: unknown }).type)}`)
    await initWasm()
    const data = await runChannelCell(task, { onTick: (t) => task.progress?.postMessage(t) })
    return { type: 'result', data }
  } catch (err) {
    return { type: 'error', message: err instanceof Error ? err.message : String(err) }
  } finally {
    task.progress?.close()
  }
}
