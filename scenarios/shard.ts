/**
 * Running one test on many machines: `--shard i/n` (0-based, like a Kubernetes Indexed Job's
 * JOB_COMPLETION_INDEX) runs gateways and users whose index ≡ i (mod n) against one external broker;
 * `--start-at` or `--rendezvous` starts every shard's load together. Each shard writes its own
 * result; `npm run report -- merge` adds them exactly.
 */
import { shardOf, UsageError } from '../core/cli-support.ts'
import { connectMqtt, endClient, type BrokerTarget } from '../core/mqtt-connect.ts'
import type { OptionSpec } from './types.ts'

export interface Shard {
  index: number
  count: number
}

export const shardSpec: OptionSpec<Shard | undefined> = {
  describe: 'run shard i of n (0-based, e.g. 0/4): gateways and users whose index % n == i; needs --broker when n > 1',
  parse: (raw, name) => shardOf(name, raw),
  show: (s) => (s ? `${s.index}/${s.count}` : '0/1'),
}

export const inShard = (index: number, shard: Shard | undefined): boolean => shard === undefined || index % shard.count === shard.index

export const startAtSpec: OptionSpec<number | undefined> = {
  describe: 'ISO time at which the load starts (after set-up), so shards on many machines start together',
  parse: (raw, name) => {
    const t = Date.parse(raw)
    if (!/^\d{4}-\d\d-\d\dT/.test(raw) || Number.isNaN(t)) throw new UsageError(`--${name} must be an ISO time like 2026-01-01T12:00:00Z, got ${JSON.stringify(raw)}`)
    return t
  },
  show: (t) => (t === undefined ? 'now' : new Date(t).toISOString()),
}

export const rendezvousSpec: OptionSpec<string | undefined> = {
  describe: 'a run id shared by all shards (e.g. the Job uid): each shard waits on the broker until all n are ready',
  parse: (raw, name) => {
    if (!/^[\w.-]{1,128}$/.test(raw)) throw new UsageError(`--${name} must be 1-128 letters, digits, '.', '_' or '-', got ${JSON.stringify(raw)}`)
    return raw
  },
}

/** Waits until `startAt` (epoch ms); a time already past starts at once. */
export async function waitUntil(startAt: number | undefined, signal: AbortSignal): Promise<void> {
  const wait = startAt === undefined ? 0 : startAt - Date.now()
  if (wait <= 0 || signal.aborted) return
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, wait)
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true })
  })
}

/**
 * Each shard announces itself with a retained message under `fleetbench/rendezvous/{id}/{phase}/`
 * and waits until all `count` shards have. `ready`: all start their load within milliseconds of each
 * other. `done`: no shard stops its gateways while another still calls them.
 */
export async function rendezvous(target: BrokerTarget, id: string, phase: 'ready' | 'done', shard: Shard, timeoutMs: number, signal: AbortSignal): Promise<() => Promise<void>> {
  const client = await connectMqtt(target, { protocolVersion: 'auto', clientId: `fleetbench-rdv-${id}-${phase}-${shard.index}-${process.pid}` })
  const prefix = `fleetbench/rendezvous/${id}/${phase}`
  const ready = new Set<string>()
  const all = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new UsageError(`rendezvous ${id} (${phase}): only ${ready.size} of ${shard.count} shards arrived within ${timeoutMs / 1000} s; start every shard with the same --rendezvous and --shard i/${shard.count}`)), timeoutMs)
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true })
    client.on('message', (topic, payload) => {
      if (payload.length === 0) return
      ready.add(topic)
      if (ready.size >= shard.count) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
  await client.subscribeAsync(`${prefix}/+`, { qos: 1 })
  await client.publishAsync(`${prefix}/${shard.index}`, JSON.stringify({ shard: shard.index, of: shard.count, at: new Date().toISOString() }), { qos: 1, retain: true })
  try {
    await all
  } catch (err) {
    await client.publishAsync(`${prefix}/${shard.index}`, Buffer.alloc(0), { qos: 1, retain: true }).catch(() => undefined)
    await endClient(client, true)
    throw err
  }
  // The caller clears the retained marker when its run ends, so a re-run with the same id waits again.
  return async () => {
    await client.publishAsync(`${prefix}/${shard.index}`, Buffer.alloc(0), { qos: 1, retain: true }).catch(() => undefined)
    await endClient(client, true)
  }
}
