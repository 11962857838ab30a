/**
 * naive-parallel: what `Task.WhenAll(devices.Select(OpenBleAsync))` does on one MQTTnet-style
 * client: every device chain at once, all sharing the round's deadline. With the strict (MQTTnet
 * < 5.2) dispatcher a late ack tears the connection down; the next round reconnects first, and the
 * reconnects show in stats().connections.
 */
import { parallelChains, singleClientRun } from './calls.ts'
import { rejectUnknown, type NoOptions } from './options.ts'
import type { Strategy } from './types.ts'

export const naiveParallel: Strategy<NoOptions, 'naive-parallel'> = {
  type: 'naive-parallel',
  summary: 'one MQTTnet-style client, every call at once sharing one deadline (Task.WhenAll)',
  defaults: {},
  validate(raw) {
    rejectUnknown('naive-parallel', raw, [])
    return {}
  },
  clientsPerUser: () => 1,
  create(ctx) {
    const client = ctx.makeClient('mqttnet', 0)
    return singleClientRun(ctx, client, (c, opts, rec) => parallelChains(c, ctx.clock, ctx.devices, opts, rec))
  },
}
