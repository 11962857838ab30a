/** parallel-ble's options and the cells it runs: one per strategy (naive-parallel once per ack mode, pool once per size), each once per retry count. */
import type { StrategyName } from '../../loadgen/strategies/types.ts'
import type { BrokerRestartFault } from '../broker-fault.ts'
import type { CommonOptions, LinkOptions } from '../options.ts'
import type { RetryPolicy } from '../../loadgen/strategies/retry.ts'
import type { RpcCellSpec } from '../rpc/session.ts'
import type { Shard } from '../shard.ts'

export interface ParallelBleOptions extends CommonOptions, LinkOptions {
  devices: number
  gateways: number
  users: number
  strategies: StrategyName[]
  /** One pool-K cell per size. */
  poolSize: number[]
  duration: number
  rate: number | undefined
  timeout: number
  ackMode: 'strict' | 'lenient' | 'both'
  protocol: 'auto' | '4' | '5'
  /** One cell per strategy per retry count (0 = no retries). */
  retries: number[]
  backoff: { baseMs: number; capMs: number }
  retryOn: string[]
  attemptTimeout: number | undefined
  repeat: number
  fault: BrokerRestartFault | undefined
  reconnectPeriod: number
  shard: Shard | undefined
  startAt: number | undefined
  rendezvous: string | undefined
  /** Gateway threads, the embedded broker on its own thread; 0 = the fleet in the main thread. */
  fleetWorkers: number
  connectRate: number | undefined
}

/** The retry policy of a cell with `retries` retries; undefined for none. */
export function retryPolicy(o: ParallelBleOptions, retries: number): RetryPolicy | undefined {
  if (retries === 0) return undefined
  return { retries, baseMs: o.backoff.baseMs, capMs: o.backoff.capMs, on: o.retryOn, attemptTimeoutMs: o.attemptTimeout }
}

/** The strategy cells, before retries: one per strategy, naive-parallel once per ack mode, pool once per size. */
function strategyCells(o: ParallelBleOptions): RpcCellSpec[] {
  const cells: RpcCellSpec[] = []
  const modes: Array<'strict' | 'lenient'> = o.ackMode === 'both' ? ['strict', 'lenient'] : [o.ackMode]
  // Strict is the realistic MQTTnet < 5.2 dispatcher for the MQTTnet-style remedies too.
  const mqttnetMode = modes[0]!
  for (const s of o.strategies) {
    if (s === 'naive-parallel') {
      for (const m of modes) cells.push({ id: modes.length > 1 ? `naive-parallel-${m}` : 'naive-parallel', labels: { strategy: s, ackMode: m }, strategy: s, strategyOptions: {}, ackMode: m })
    } else if (s === 'pool') {
      for (const k of o.poolSize) cells.push({ id: `pool-${k}`, labels: { strategy: s, poolSize: k, ackMode: mqttnetMode }, strategy: s, strategyOptions: { poolSize: k }, ackMode: mqttnetMode })
    } else if (s === 'serial') {
      cells.push({ id: s, labels: { strategy: s, ackMode: mqttnetMode }, strategy: s, strategyOptions: {}, ackMode: mqttnetMode })
    } else {
      cells.push({ id: s, labels: { strategy: s }, strategy: s, strategyOptions: {}, ackMode: 'lenient' })
    }
  }
  return cells
}

/** Every cell of the run: each strategy cell once per retry count, `-retryN` in the id when N > 0. */
export function parallelBleCells(o: ParallelBleOptions): RpcCellSpec[] {
  return strategyCells(o).flatMap((cell) =>
    o.retries.map((n) => (n === 0 ? cell : { ...cell, id: `${cell.id}-retry${n}`, labels: { ...cell.labels, retries: n }, retry: retryPolicy(o, n) })),
  )
}
