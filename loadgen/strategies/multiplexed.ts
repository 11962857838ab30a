/**
 * multiplexed: the design that makes the question go away. One connection, one response
 * subscription, calls correlated by id, so every device chain can run at once on one client.
 */
import { freeChains, parallelChains, singleClientRun } from './calls.ts'
import { rejectUnknown, type NoOptions } from './options.ts'
import type { Strategy } from './types.ts'

export const multiplexed: Strategy<NoOptions, 'multiplexed'> = {
  type: 'multiplexed',
  summary: 'one multiplexed client (one subscription, calls correlated by id), every call at once',
  defaults: {},
  validate(raw) {
    rejectUnknown('multiplexed', raw, [])
    return {}
  },
  clientsPerUser: () => 1,
  create(ctx) {
    const client = ctx.makeClient('multiplexed', 0)
    const run = singleClientRun(ctx, client, (c, opts, rec) => parallelChains(c, ctx.clock, ctx.devices, opts, rec))
    return { ...run, runChains: (endAt, timeoutMs, rec, stopped) => freeChains(client, ctx.clock, ctx.devices, endAt, timeoutMs, rec, stopped) }
  },
}
