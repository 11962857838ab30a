/**
 * `--fleet-workers N`: the gateways spread over N threads and the embedded broker on a thread of its
 * own (simulator/threads/). 0, the default, keeps broker and gateways in this thread. What cannot
 * cross a thread is refused here, one line each, before anything starts.
 */
import { integer, UsageError } from '../core/cli-support.ts'
import type { OptionSpec } from './types.ts'

export const MAX_FLEET_WORKERS = 64

export const fleetWorkersSpec: OptionSpec<number> = {
  describe: 'threads running the gateways, the embedded broker on a thread of its own (0 = broker and gateways in this thread)',
  parse: (raw, name) => integer(name, raw, 0, MAX_FLEET_WORKERS),
}

/** Gateways of the layout whose index % count == index: the ones this run (shard) starts. */
const gatewaysInShard = (gateways: number, shard: { index: number; count: number } | undefined): number =>
  shard === undefined ? gateways : Math.floor(gateways / shard.count) + (shard.index < gateways % shard.count ? 1 : 0)

/** Throws a one-line UsageError when `--fleet-workers` cannot run with the other options. */
export function checkFleetWorkers(o: { fleetWorkers: number; gateways: number; shard?: { index: number; count: number } | undefined; auth?: unknown; record?: unknown }): void {
  if (o.fleetWorkers === 0) return
  const n = o.fleetWorkers
  const own = gatewaysInShard(o.gateways, o.shard)
  if (n > own) throw new UsageError(`--fleet-workers ${n} needs at least ${n} gateways (each thread runs whole gateways), but this run has ${own}: raise --gateways or lower --fleet-workers`)
  if (o.auth !== undefined) throw new UsageError(`--auth hands every gateway its credentials in-process, which --fleet-workers ${n} cannot do: drop --fleet-workers or --auth`)
  if (o.record !== undefined) throw new UsageError(`--record needs the gateways and the broker in this thread: drop --fleet-workers ${n} to record`)
}
