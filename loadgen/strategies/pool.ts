/**
 * pool: the second usual remedy. K MQTTnet-style clients, each serial; devices are dealt to the
 * clients round-robin (device i to client i mod K), and a user never opens more clients than it
 * has devices.
 */
import type { CallOptions, RpcClient } from '../clients/types.ts'
import type { CallRecorder } from '../engine/recorder.ts'
import type { DeviceTarget } from '../engine/types.ts'
import { closeAll, connectAll, ensureConnected, serialChains } from './calls.ts'
import { sumClientStats } from '../../core/counters.ts'
import { readOption, rejectUnknown, wholeNumber, type OptionName } from './options.ts'
import type { Strategy } from './types.ts'

export interface PoolOptions {
  /** Clients per user, 1..1000. */
  poolSize: number
}

export const POOL_SIZE: OptionName = { key: 'poolSize', flag: 'pool-size' }
export const MAX_POOL_SIZE = 1000

export const pool: Strategy<PoolOptions, 'pool'> = {
  type: 'pool',
  summary: 'K MQTTnet-style clients (pool-size, default 8), each serial, devices dealt round-robin',
  defaults: { poolSize: 8 },
  validate(raw) {
    rejectUnknown('pool', raw, [POOL_SIZE])
    const value = readOption(raw, POOL_SIZE)
    return { poolSize: value === undefined ? pool.defaults.poolSize : wholeNumber(POOL_SIZE.flag, value, 1, MAX_POOL_SIZE) }
  },
  clientsPerUser: (opts, deviceCount) => Math.min(opts.poolSize, deviceCount),
  create(ctx, opts) {
    const size = pool.clientsPerUser(opts, ctx.devices.length)
    const clients: RpcClient[] = []
    const shares: DeviceTarget[][] = []
    for (let i = 0; i < size; i++) {
      clients.push(ctx.makeClient('mqttnet', i))
      shares.push([])
    }
    ctx.devices.forEach((device, i) => shares[i % size]?.push(device))
    const lane = async (client: RpcClient, devices: readonly DeviceTarget[], opts: CallOptions, rec: CallRecorder): Promise<void> => {
      await ensureConnected(client, ctx.clock, opts.deadline)
      await serialChains(client, ctx.clock, devices, opts, rec)
    }
    return {
      setup: () => connectAll(clients),
      async runRound(deadline, rec) {
        const callOpts: CallOptions = { deadline }
        await Promise.all(clients.map((client, i) => lane(client, shares[i] ?? [], callOpts, rec)))
      },
      stats: () => sumClientStats(clients.map((c) => c.stats())),
      close: () => closeAll(clients),
    }
  },
}
