/** parallel-ble's options and the cells it runs: one per strategy (naive-parallel once per ack mode). */
import type { StrategyName } from '../../loadgen/strategies/types.ts'
import type { BrokerRestartFault } from '../broker-fault.ts'
import type { CommonOptions } from '../options.ts'
import type { RpcCellSpec } from '../rpc/session.ts'
import type { Shard } from '../shard.ts'

export interface ParallelBleOptions extends CommonOptions {
  devices: number
  gateways: number
  users: number
  strategies: StrategyName[]
  poolSize: number
  duration: number
  rate: number | undefined
  timeout: number
  ackMode: 'strict' | 'lenient' | 'both'
  protocol: 'auto' | '4' | '5'
  repeat: number
  fault: BrokerRestartFault | undefined
  reconnectPeriod: number
  shard: Shard | undefined
  startAt: number | undefined
  rendezvous: string | undefined
}

export function parallelBleCells(o: ParallelBleOptions): RpcCellSpec[] {
  const cells: RpcCellSpec[] = []
  const modes: Array<'strict' | 'lenient'> = o.ackMode === 'both' ? ['strict', 'lenient'] : [o.ackMode]
  // Strict is the realistic MQTTnet < 5.2 dispatcher for the MQTTnet-style remedies too.
  const mqttnetMode = modes[0]!
  for (const s of o.strategies) {
    if (s === 'naive-parallel') {
      for (const m of modes) cells.push({ id: modes.length > 1 ? `naive-parallel-${m}` : 'naive-parallel', labels: { strategy: s, ackMode: m }, strategy: s, strategyOptions: {}, ackMode: m })
    } else if (s === 'pool') {
      cells.push({ id: `pool-${o.poolSize}`, labels: { strategy: s, poolSize: o.poolSize, ackMode: mqttnetMode }, strategy: s, strategyOptions: { poolSize: o.poolSize }, ackMode: mqttnetMode })
    } else if (s === 'serial') {
      cells.push({ id: s, labels: { strategy: s, ackMode: mqttnetMode }, strategy: s, strategyOptions: {}, ackMode: mqttnetMode })
    } else {
      cells.push({ id: s, labels: { strategy: s }, strategy: s, strategyOptions: {}, ackMode: 'lenient' })
    }
  }
  return cells
}
