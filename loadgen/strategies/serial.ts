/**
 * serial: the first usual remedy. One MQTTnet-style client, one call at a time, devices in plan
 * order; never more than one call in flight, so no ack can arrive for a cancelled waiter of a
 * concurrent call (a timed-out call can still leave one behind).
 */
import { serialChains, singleClientRun } from './calls.ts'
import { rejectUnknown, type NoOptions } from './options.ts'
import type { Strategy } from './types.ts'

export const serial: Strategy<NoOptions, 'serial'> = {
  type: 'serial',
  summary: 'one MQTTnet-style client, one call at a time, devices in order',
  defaults: {},
  validate(raw) {
    rejectUnknown('serial', raw, [])
    return {}
  },
  clientsPerUser: () => 1,
  create(ctx) {
    const client = ctx.makeClient('mqttnet', 0)
    return singleClientRun(ctx, client, (c, opts, rec) => serialChains(c, ctx.clock, ctx.devices, opts, rec))
  },
}
