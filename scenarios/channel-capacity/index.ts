/**
 * channel-capacity: rumqtt's bounded request channel in front of a real MQTT client, swept over
 * capacities × overflow policies × faults, measuring how long publishers block, what is dropped or
 * refused, and what it costs in end-to-end latency and memory. Plus one cell of the rumqtt #1025
 * deadlock pattern (awaiting send() inside the event loop), ended by a watchdog.
 */
import { UsageError } from '../../core/cli-support.ts'
import { FAULT_NAMES } from '../../loadgen/channel/messages.ts'
import { POLICY_NAMES } from '../../loadgen/channel/policies.ts'
import { choice, commonSpecs, int, intList, link, linkSpecs, ms, nameList, positiveRate } from '../options.ts'
import type { ScenarioDefinition } from '../types.ts'
import { channelCells } from './cells.ts'
import { CHANNEL_COLUMNS } from './columns.ts'
import { channelCapacityFindings } from './findings.ts'
import type { ChannelCapacityOptions } from './options.ts'
import { channelPlanMs, executeChannelCells } from './session.ts'

export type { ChannelCapacityOptions }

const capacityList = intList(0, 100_000, 'channel capacities to sweep, comma-separated whole numbers (0 = rendezvous)', '0,10,100')

export const channelCapacity: ScenarioDefinition<ChannelCapacityOptions> = {
  name: 'channel-capacity',
  description: "rumqtt's bounded request channel: capacity × overflow policy × fault, blocking, drops and latency measured",
  defaults: {
    seed: 1,
    broker: undefined,
    username: undefined,
    password: undefined,
    out: undefined,
    qos: 1,
    callerLink: link('loopback'),
    gatewayLink: link('loopback'),
    capacities: [0, 1, 10, 100, 1000],
    policies: [...POLICY_NAMES],
    faults: ['stall'],
    ring: 10,
    producers: 50,
    rate: 500,
    duration: 3_000,
    faultFor: 400,
    faultEvery: 1_000,
    cutFor: 1_000,
    linkBandwidth: 40_000,
    linkLatency: 20,
    maxInFlight: 100,
    payload: 64,
    deadlockCell: 'on',
    watchdog: 1_000,
    drainTimeout: 5_000,
    repeat: 1,
  },
  quick: { capacities: [0, 10, 1000], duration: 800, faultEvery: 800, watchdog: 400 },
  options: {
    seed: commonSpecs.seed,
    broker: { ...commonSpecs.broker, describe: 'external broker URL (mqtt://, mqtts://, ws:// or wss://) instead of the embedded Aedes' },
    username: commonSpecs.username,
    password: commonSpecs.password,
    out: commonSpecs.out,
    qos: { describe: 'QoS of the published requests (0 or 1); maxInFlight counts QoS 1', parse: commonSpecs.qos.parse },
    callerLink: { ...linkSpecs.callerLink, describe: `${linkSpecs.callerLink.describe}; here the publisher's connection` },
    gatewayLink: { ...linkSpecs.gatewayLink, describe: `${linkSpecs.gatewayLink.describe}; here the subscriber's (receiving) connection` },
    capacities: capacityList,
    policies: nameList(POLICY_NAMES, 'overflow policies'),
    faults: nameList(FAULT_NAMES, 'faults during production'),
    ring: int(1, 100_000, "drop-oldest: size N of the ring in front of the channel (effective buffer N + capacity)"),
    producers: int(1, 10_000, 'producer tasks sharing the rate, each one send at a time'),
    rate: { describe: 'publishes per second, all producers together (open loop)', parse: (raw, name) => positiveRate('').parse(raw, name) ?? 0 },
    duration: ms('production time of each cell', 100, 3_600_000),
    faultFor: ms('stall and slow-link: length of each fault window', 1, 3_600_000),
    faultEvery: ms('stall and slow-link: one fault window in the middle of every period this long', 1, 3_600_000),
    cutFor: ms('cut: how long the broker is unreachable, from a third of --duration', 1, 3_600_000),
    linkBandwidth: int(100, 1_000_000_000, 'slow-link: bytes per second each way during its windows'),
    linkLatency: ms('slow-link: one-way latency added during its windows', 0, 60_000),
    maxInFlight: int(1, 65_535, "the event loop's max_inflight: QoS 1 publishes in flight before it stops taking requests"),
    payload: int(20, 262_144, 'payload bytes per publish (the first 20 carry sequence and timestamps)'),
    deadlockCell: choice(['on', 'off'] as const, 'add the rumqtt #1025 cell: the event loop awaits send() into its own full channel'),
    watchdog: ms('no-progress time after which a cell is declared deadlocked', 10, 600_000),
    drainTimeout: ms('after production, longest wait for queued requests to be delivered', 10, 600_000),
    repeat: int(1, 100, 'run every cell N times, interleaved, keeping each repeat\'s figures (for the gate)'),
  },
  validate(o) {
    if (o.faultFor > o.faultEvery) throw new UsageError(`--fault-for (${o.faultFor} ms) must not exceed --fault-every (${o.faultEvery} ms)`)
    if ((o.rate * o.duration) / 1000 > 50_000_000) throw new UsageError(`--rate × --duration is ${Math.round((o.rate * o.duration) / 1000)} publishes per cell; keep it at most 50000000`)
  },
  thresholds: () => [],
  findings: channelCapacityFindings,
  notes: (o) => [
    `Each cell: ${o.producers} producers at ${o.rate} publishes/s in all (QoS ${o.qos}, ${o.payload} B) for ${o.duration / 1000} s through one MQTT.js client whose event loop is emulated (max_inflight ${o.maxInFlight}); a subscriber on its own connection measures delivery. Latency (e2e) is from the intended publish time; "uncorr" from the actual call.`,
    'stall stops polling the emulated event loop only; MQTT.js below it keeps reading the socket, unlike an unpolled rumqtt event loop (which makes no difference until the TCP buffers fill).',
  ],
  columns: CHANNEL_COLUMNS,
  planMs: (o) => channelPlanMs(o, channelCells(o).length),
  execute: (o, ctx) => executeChannelCells(o, channelCells(o), ctx),
}
