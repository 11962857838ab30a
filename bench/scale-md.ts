/** The scale section of docs/benchmarks.md, from a ScaleResult (scale.ts). */
import { DEFAULT_CONNECT_RATE, DEFAULT_SUBSCRIBE_WINDOW } from '../simulator/connection-policy.ts'
import { int } from './format.ts'
import { answered, type CallFigures } from './scale-calls.ts'
import { TARGETS, type FleetRun, type ScaleResult } from './scale.ts'

const MiB = 2 ** 20
const mibOf = (bytes: number): string => int(bytes / MiB)
const kibPer = (bytes: number, n: number): string => (bytes / 1024 / n).toFixed(2)
const bPer = (bytes: number, n: number): string => int(bytes / n)
const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`
const met = (ok: boolean): string => (ok ? 'met' : '**missed**')
/** All of the process's RSS, and what the fleet added to the warmed-up process. */
const allKiB = (r: FleetRun): number => r.started.rss / 1024 / r.devices
const growthKiB = (r: FleetRun): number => (r.started.rss - r.baseline.rss) / 1024 / r.devices
/** RSS growth without the young generation's one-off growth, bytes. */
const exYoung = (r: FleetRun, m: FleetRun['started']): number => m.rss - r.baseline.rss - (m.newSpace - r.baseline.newSpace)

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n')
}

function callsCell(c: CallFigures | undefined): string {
  if (c === undefined) return 'n/a'
  const errors = Object.entries(c.deviceErrors).map(([code, n]) => `${code} ${n}`)
  const lost = Object.entries(c.unanswered).map(([kind, n]) => `${kind} ${n}`)
  return `${int(answered(c))} of ${int(c.sent)} answered, ${int(c.ok)} ok${errors.length > 0 ? ` (device errors: ${errors.join(', ')})` : ''}${lost.length > 0 ? `; **unanswered: ${lost.join(', ')}**` : ''}`
}

const mqttnetCell = (c: CallFigures | undefined): string => (c?.mqttnet === undefined ? 'n/a' : `${c.mqttnet.outcome} (${c.mqttnet.ms.toFixed(0)} ms)`)
const infoCell = (c: CallFigures | undefined): string => (c === undefined ? 'n/a' : `${int(c.infoMs)} ms (p50 ${c.infoP50Ms.toFixed(1)} ms, max ${c.infoMaxMs.toFixed(0)} ms)`)

function embeddedSection(r: ScaleResult): string[] {
  const { devices, gateways } = r.plan.embedded
  const rows = r.embedded.map((x) => [
    x.profile, int(x.subscriptions), sec(x.buildMs + x.startMs), mibOf(x.started.rss), allKiB(x).toFixed(1), growthKiB(x).toFixed(1),
    callsCell(x.calls), infoCell(x.calls), mqttnetCell(x.calls), int(x.devicesMade),
  ])
  return [
    `### (a) ${int(devices)} devices on ${int(gateways)} gateways, embedded Aedes (fleet and broker in one process)`,
    '',
    rows.length === 0 ? 'Not measured (see the failures below).' : table(['profile', 'subscriptions', 'start', 'RSS MiB', 'KiB/device, all of it', 'growth KiB/device', 'calls', `${int(r.plan.calls.calls)} info calls`, 'MQTTnet call', 'devices made'], rows),
    '',
    'All three conventions (six subscriptions per device); "devices made" counts the Device objects that exist after the calls: only the devices that were called.',
  ]
}

function mosquittoSection(r: ScaleResult): string[] {
  const { devices, gateways } = r.plan.mosquitto
  const x = r.mosquitto
  const head = `### (b) ${int(devices)} devices on ${int(gateways)} gateways, Mosquitto ${r.mosquittoVersion ?? ''} (its own process), \`--conventions envelope\``
  if (x === undefined) return [head, '', 'Not measured (see the failures below).']
  const b = x.brokerRss
  return [
    head,
    '',
    table(['', ''], [
      ['start (build and start, every filter acknowledged)', `${sec(x.buildMs + x.startMs)} (target < ${TARGETS.mosquittoStartSec} s: ${met((x.buildMs + x.startMs) / 1000 < TARGETS.mosquittoStartSec)})`],
      ['fleet process RSS', `${mibOf(x.started.rss)} MiB: **${allKiB(x).toFixed(2)} KiB per device**, all of it (target < ${TARGETS.fleetKiBPerDevice} KiB: ${met(allKiB(x) < TARGETS.fleetKiBPerDevice)}); growth ${growthKiB(x).toFixed(2)} KiB`],
      ['fleet process heap', `${mibOf(x.started.heapUsed)} MiB, ${bPer(x.started.heapUsed - x.baseline.heapUsed, x.devices)} B per device of growth`],
      ['Mosquitto RSS (VmRSS)', b === undefined ? 'n/a' : `${mibOf(b.before)} → ${mibOf(b.after)} MiB: **${bPer(b.after - b.before, x.subscriptions)} B per subscription** (${int(x.subscriptions)}), ${kibPer(b.after - b.before, x.devices)} KiB per device`],
      ['calls', callsCell(x.calls)],
      [`${int(r.plan.calls.calls)} info calls`, infoCell(x.calls)],
      ['fleet RSS after the calls', `${mibOf(x.after.rss)} MiB, ${int(x.devicesMade)} devices made`],
    ]),
  ]
}

function compareSection(r: ScaleResult): string[] {
  const { devices, gateways } = r.plan.compare
  const rows = r.compare.map((x) => [
    x.eager ? 'every device an object from the start (before)' : 'made on first use (now)',
    bPer(x.built.heapUsed - x.baseline.heapUsed, x.devices), bPer(exYoung(x, x.built), x.devices),
    bPer(x.started.heapUsed - x.baseline.heapUsed, x.devices), bPer(exYoung(x, x.started), x.devices), bPer(x.started.rss - x.baseline.rss, x.devices), sec(x.buildMs + x.startMs),
  ])
  const eager = r.compare.find((x) => x.eager)
  const lazy = r.compare.find((x) => !x.eager)
  const heapGrowth = (x: FleetRun): number => x.started.heapUsed - x.baseline.heapUsed
  const ratio = eager && lazy ? heapGrowth(eager) / Math.max(1, heapGrowth(lazy)) : undefined
  return [
    `### (c) Devices made on first use, against every device an object from the start`,
    '',
    `${int(devices)} devices on ${int(gateways)} gateways, fleet process only (on Mosquitto, \`--conventions envelope\`), one after the other in this run.`,
    '',
    rows.length === 0 ? 'Not measured (see the failures below).' : table(['devices', 'heap B/device, built', 'RSS B/device, built', 'heap B/device, started', 'RSS B/device, started', 'RSS B/device with young gen.', 'start'], rows),
    '',
    'RSS figures leave out the young generation\'s one-off growth (up to 32 MiB in any process that allocates) except in the last column, where it is most of the figure at this size.',
    ...(ratio === undefined ? [] : ['', `Started, the fleet's heap grows **${ratio.toFixed(1)}×** as much per device (${bPer(heapGrowth(eager!), eager!.devices)} B against ${bPer(heapGrowth(lazy!), lazy!.devices)} B) when every device is an object from the start.`]),
  ]
}

/** What the figures say, computed from them. */
function shows(r: ScaleResult): string[] {
  const out: string[] = []
  const b = r.mosquitto
  if (b !== undefined && b.brokerRss !== undefined) {
    const perSub = (b.brokerRss.after - b.brokerRss.before) / b.subscriptions
    out.push(`- ${int(b.devices)} devices on Mosquitto: the fleet process holds them in ${allKiB(b).toFixed(2)} KiB of RSS each, ${mibOf(b.baseline.rss)} MiB of its ${mibOf(b.started.rss)} MiB being the Node process before any fleet; Mosquitto holds ${int(perSub)} B per subscription, ${((b.brokerRss.after - b.brokerRss.before) / Math.max(1, b.started.rss - b.baseline.rss)).toFixed(0)}× what the fleet added. Serving all three conventions (six filters per device) would take Mosquitto about ${((6 * perSub * b.devices) / 2 ** 30).toFixed(1)} GiB for as many devices, which is why \`--conventions\` exists.`)
  }
  for (const a of r.embedded.slice(0, 1)) {
    out.push(`- On the embedded broker nearly all of the ${growthKiB(a).toFixed(1)} KiB per device is the broker's: six subscriptions per device at about ${int(((a.started.rss - a.baseline.rss) / a.subscriptions))} B each, in the same process as the fleet (the devices themselves are ${int(a.devicesMade)} objects after the calls).`)
  }
  const eager = r.compare.find((x) => x.eager)
  const lazy = r.compare.find((x) => !x.eager)
  if (eager && lazy) {
    const saved = (eager.started.heapUsed - eager.baseline.heapUsed - (lazy.started.heapUsed - lazy.baseline.heapUsed)) / eager.devices
    out.push(`- Devices made on first use save ${int(saved)} B of heap per device; a million devices as objects from the start would add about ${int((saved * 1_000_000) / 2 ** 20)} MiB to the fleet process.`)
  }
  return out.length === 0 ? [] : ['### What this run shows', '', ...out, '']
}

/** Measured once at git ffaff46 on the machine above (heap snapshots and memoryUsage deltas), before the devices were made on first use. */
const BEFORE = [
  '### Where the memory went before',
  '',
  'Measured once, at git ffaff46 on this machine, with heap snapshots and `process.memoryUsage()` deltas after a full GC: 30,000 devices on 30 gateways on the embedded broker held 315 MiB after start and a full GC (the issue reports 425 MB), 10.7 KiB per device all of it; 100,000 devices on 100 gateways did not start (connack timeout).',
  '',
  '- **The embedded broker\'s subscriptions, about 5.9 KiB per device**: six per device, about 1 KiB each. Per device (10,000 devices, heap snapshot): 1,529 B of arrays (the subscription trie and per-client topic tables), 871 B of strings (each filter is held by MQTT.js, by the client\'s subscription table in Aedes and by its trie), 384 B of `Subscription` objects and 384 B of `handlePacketSubscription` closures (one each per subscription) with 399 B of their contexts, 256 B of Maps.',
  '- **MQTT.js\'s re-subscribe bookkeeping, 865 B of heap per device** (`_resubscribeTopics`: every filter and its options, kept to re-subscribe after a reconnect, about 145 B per filter). The gateways now re-subscribe themselves after every CONNACK (gateway-connection.ts) and MQTT.js keeps nothing.',
  '- **The devices, 216 B of heap per device** (100,000 devices, fleet alone): the id strings of the layout 42 B, a `Device` 96 B with its generator 32 B, and the gateway\'s Map of them. Now a device that was never called is a position in its gateway\'s block of ids (simulator/device-ids.ts, device-table.ts).',
  '- Sockets, MQTT.js clients and the registry are per gateway, not per device: 100 gateways are a few MiB.',
]

export function scaleMarkdown(r: ScaleResult, machineLine: string): string {
  const c = r.plan.calls
  return [
    '## Scale: how big a fleet one machine holds',
    '',
    `\`npm run bench -- --scale${r.mode === 'quick' ? ' --quick' : ''}\` (${int(r.elapsedSec)} s in all) on ${machineLine}. Each fleet runs in a child process of its own and is measured there after a full GC: "all of it" is the process's RSS divided by its devices, "growth" is what the fleet added to the process once warmed up (a one-device fleet started and stopped; on the embedded broker, the empty broker is in the baseline). Start is from creating the fleet until every gateway has every filter acknowledged and its registry published, with the default pacing (${DEFAULT_CONNECT_RATE} connects/s, ${DEFAULT_SUBSCRIBE_WINDOW} gateways subscribing at once). The calls come from the bench process: one multiplexed caller (envelope convention, at most 256 in flight) calls \`info\` on ${int(c.calls)} devices spread over every gateway, then open → read → close on ${int(c.chains)} of them; on the embedded broker also one MQTTnet-convention \`info\`. Answered means the device's reply came back, ok or a device error that the profile draws (ble-default fails 1% of opens).`,
    '',
    ...embeddedSection(r),
    '',
    ...mosquittoSection(r),
    '',
    ...compareSection(r),
    '',
    ...shows(r),
    ...BEFORE,
    ...(r.failures.length === 0 ? [] : ['', '### Failures', '', ...r.failures.map((f) => `- ${f}`)]),
  ].join('\n')
}
