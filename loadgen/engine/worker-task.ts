/** What each worker thread runs: its share of one cell's users, on real MQTT clients. */
import { MqttnetRpcClient } from '../clients/mqttnet.ts'
import { MultiplexedRpcClient } from '../clients/multiplexed.ts'
import type { RpcClient } from '../clients/types.ts'
import { initWasm } from '../../core/histogram.ts'
import { deriveRng } from '../../core/rng.ts'
import { Pacer } from '../../core/pacer.ts'
import { routeThrough, type Route } from '../faults/route.ts'
import type { CellTask, StopMessage, WarmTask, WorkerOutcome, WorkerTick } from './messages.ts'
import { runUsers } from './users.ts'

export default async function runCellTask(task: CellTask | WarmTask): Promise<WorkerOutcome | 'warm'> {
  if (task.type === 'warm') return 'warm'
  const stop = new AbortController()
  task.progress?.on('message', (m: StopMessage) => {
    if (m.type === 'stop') stop.abort()
  })
  let route: Route | undefined
  try {
    // Fault injection for tests: kill this worker thread mid-cell, as a native crash or OOM would.
    if (process.env.FLEETBENCH_CRASH_WORKER === task.cellId && task.workerIndex === 0) setTimeout(() => process.exit(70), 300)
    await initWasm()
    route = await routeThrough(task.broker, task.callerLink, deriveRng(task.seed ?? 1, `caller-link/${task.cellId}/${task.workerIndex}`))
    const broker = route.target
    const pacer = task.connectRate !== undefined && task.connectRate > 0 ? new Pacer({ ratePerSec: task.connectRate }) : undefined
    const makeClient = (kind: RpcClient['kind'], userIndex: number, index: number): RpcClient => {
      const common = { broker, pacer, clientId: `${task.clientIdPrefix}-u${userIndex}-c${index}`, protocolVersion: task.protocolVersion, qos: task.qos }
      return kind === 'multiplexed' ? new MultiplexedRpcClient({ ...common, reconnectPeriodMs: task.reconnectPeriodMs }) : new MqttnetRpcClient({ ...common, ackMode: task.ackMode })
    }
    const slice = await runUsers(task.users, task.load, {
      strategy: task.strategy,
      strategyOptions: task.strategyOptions,
      roundTimeoutMs: task.roundTimeoutMs,
      makeClient,
      totalUsers: task.totalUsers,
      retry: task.retry,
      rng: deriveRng(task.seed ?? 1, `retry/${task.cellId}/${task.workerIndex}`),
      signal: stop.signal,
      onTick: (p) => {
        const tick: WorkerTick = { type: 'tick', workerIndex: task.workerIndex, sent: p.sent, ok: p.ok, errors: p.errors }
        task.progress?.postMessage(tick)
      },
    })
    return { type: 'result', slice }
  } catch (err) {
    return { type: 'error', message: err instanceof Error ? err.message : String(err) }
  } finally {
    await route?.close()
    task.progress?.close()
  }
}
