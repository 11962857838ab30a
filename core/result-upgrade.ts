/**
 * Reading older result files: a version-1 file (the committed baselines, users' old results) is
 * turned into a version-2 result on read, so report, merge and gate take both. Version 1 had one
 * cell shape for every kind: channel cells carried RPC fields that meant nothing (rounds, round
 * latencies, client counters, a broker block counted by hand), which version 2 leaves out.
 */
import { CLIENT_COUNTERS, emptyClientStats, type ClientStats } from './counters.ts'
import { emptySummary } from './histogram.ts'
import { CHANNEL_COUNTERS } from './channel-measures.ts'
import { SCHEMA_VERSION, type CellResult, type ChannelCell, type RpcCell, type RunResult } from './result.ts'

type Json = Record<string, unknown>
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {})
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0)
/** Version 1 spelled these keys with a lower-case "f"; version 2 is consistent with peakInFlight elsewhere. */
const RENAMED: Record<string, string> = { peakInflight: 'peakInFlight', maxInflight: 'maxInFlight' }
const renamed = (o: Json): Json => Object.fromEntries(Object.entries(o).map(([k, v]) => [RENAMED[k] ?? k, v]))

function channelCell(c: Json): ChannelCell {
  const ch = renamed(obj(c.channel))
  const clients = obj(c.clients)
  const broker = obj(c.broker)
  const measures = Object.fromEntries(CHANNEL_COUNTERS.map((k) => [k, num(ch[k])]))
  if (ch.connections === undefined) measures.connections = num(clients.connections)
  const { throughput, deviceErrors: _d, clients: _c, rounds: _r, roundsPastDeadline: _p, roundsMissed: _m, roundUs: _u, roundUncorrectedUs: _v, broker: _b, ...rest } = c
  return {
    ...(rest as unknown as ChannelCell),
    kind: 'channel',
    // Version 1 wrote a broker block counted by hand when no broker counted; version 2 keeps only the broker's own counts.
    ...(broker.source === 'broker' ? { broker: { subscribe: num(broker.subscribe), unsubscribe: num(broker.unsubscribe), publish: num(broker.publish), source: 'broker' as const } } : {}),
    throughput: { callsPerSec: num(obj(throughput).callsPerSec) },
    latencyUncorrectedUs: (c.latencyUncorrectedUs as ChannelCell['latencyUncorrectedUs'] | undefined) ?? emptySummary(),
    blockingUs: (c.blockingUs as ChannelCell['blockingUs'] | undefined) ?? emptySummary(),
    channel: { ...(ch as unknown as ChannelCell['channel']), ...measures, tryFailures: num(ch.tryFailures), memoryGrowthBytes: num(ch.memoryGrowthBytes) },
    series: ((c.series as Json[] | undefined) ?? []).map((p) => ({ ...(p as unknown as ChannelCell['series'][number]), queueDepth: num(p.queueDepth), blocked: num(p.blocked) })),
    ...(Array.isArray(c.repeats) ? { repeats: (c.repeats as Json[]).map((r) => ({ ...(r as unknown as NonNullable<ChannelCell['repeats']>[number]), blockingP99: num(r.blockingP99) })) } : {}),
  }
}

function rpcCell(c: Json): RpcCell {
  const clients = obj(c.clients)
  const stats: ClientStats = emptyClientStats()
  for (const k of CLIENT_COUNTERS) stats[k] = num(clients[k])
  const broker = obj(c.broker)
  const throughput = obj(c.throughput)
  return {
    ...(c as unknown as RpcCell),
    kind: 'rpc',
    deviceErrors: (c.deviceErrors as Record<string, number> | undefined) ?? {},
    broker:
      c.broker === undefined
        ? { subscribe: stats.subscribes, unsubscribe: stats.unsubscribes, publish: 0, source: 'clients' }
        : { subscribe: num(broker.subscribe), unsubscribe: num(broker.unsubscribe), publish: num(broker.publish), source: broker.source === 'broker' ? 'broker' : 'clients' },
    clients: stats,
    throughput: { ...(throughput as Record<string, number>), callsPerSec: num(throughput.callsPerSec), roundsPerSec: num(throughput.roundsPerSec) },
    rounds: num(c.rounds),
    roundsPastDeadline: num(c.roundsPastDeadline),
    roundsMissed: num(c.roundsMissed),
    elapsedMs: num(c.elapsedMs),
    roundUs: (c.roundUs as RpcCell['roundUs'] | undefined) ?? emptySummary(),
    roundUncorrectedUs: (c.roundUncorrectedUs as RpcCell['roundUncorrectedUs'] | undefined) ?? emptySummary(),
  }
}

/** A version-1 cell is a channel cell when it has the channel block, an RPC cell otherwise. */
export function upgradeCellV1(c: Json): CellResult {
  return c.channel !== undefined ? channelCell(c) : rpcCell(c)
}

/** A version-1 result (already checked against result.v1.schema.json) as version 2. */
export function upgradeResultV1(v1: Json): RunResult {
  const cells = (v1.cells as Json[]).map(upgradeCellV1)
  const notes = Array.isArray(v1.notes) ? (v1.notes as string[]) : []
  return {
    ...(v1 as unknown as RunResult),
    schemaVersion: SCHEMA_VERSION,
    finishedAt: typeof v1.finishedAt === 'string' ? v1.finishedAt : (v1.startedAt as string),
    options: renamed(obj(v1.options)),
    cells,
    findings: Array.isArray(v1.findings) ? (v1.findings as string[]) : [],
    notes: [...notes, 'read from a version-1 result file and upgraded to version 2 (fields that meant nothing for a cell\'s kind left out)'],
  }
}
