/**
 * docs/benchmarks.md from a bench report: the machine, the tables, and an interpretation computed
 * from the figures (interpret.ts). What profiling found is kept in findings.ts, apart from the code
 * that renders numbers.
 */
import { PROFILING_NOTES } from './findings.ts'
import { int, kib, mib, pct, ratio, us } from './format.ts'
import { interpret } from './interpret.ts'
import { TARGETS, type BenchReport } from './report-json.ts'
import { findCell, type CellSummary } from './summary.ts'
import type { BrokerKind } from './types.ts'

const NUMERIC = /^(\*\*)?([\d.,]+( ?(µs|ms|s|%))?|n\/a|[\d,]+ → [\d,]+)(\*\*)?( \([\d.]+–[\d.]+\))?$/

/** A Markdown table; columns whose every cell is a figure are right-aligned. */
function table(head: string[], rows: string[][]): string {
  const align = head.map((_, i) => (rows.length > 0 && rows.every((r) => NUMERIC.test(r[i] ?? '')) ? '---:' : '---'))
  return [`| ${head.join(' | ')} |`, `|${align.join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n')
}

const figures = (c: CellSummary | undefined): string[] => (c === undefined ? ['n/a', 'n/a', 'n/a'] : [int(c.callsPerSec), us(c.p50Us), us(c.p99Us)])

function floorsTable(r: BenchReport, broker: BrokerKind): string | undefined {
  const f = r.floors
  if (f === undefined || !f.cells.some((c) => c.broker === broker)) return undefined
  const rows: string[][] = []
  for (const qos of [0, 1] as const) {
    for (const concurrency of [1, 16, 256]) {
      const pair = f.pairs.find((p) => p.broker === broker && p.qos === qos && p.concurrency === concurrency)
      rows.push([
        `QoS ${qos}`,
        String(concurrency),
        ...figures(findCell(f.cells, { floor: 'tcp', concurrency })),
        ...figures(findCell(f.cells, { floor: 'bare', broker, qos, concurrency })),
        ...figures(findCell(f.cells, { floor: 'loadgen', broker, qos, concurrency })),
        `**${ratio(pair?.loadgenVsBare)}**${pair?.loadgenVsBareRange ? ` (${ratio(pair.loadgenVsBareRange[0])}–${ratio(pair.loadgenVsBareRange[1])})` : ''}`,
        ratio(pair?.bareVsTcp),
      ])
    }
  }
  const head = ['', 'in flight', '(a) calls/s', 'p50', 'p99', '(b) calls/s', 'p50', 'p99', '(c) calls/s', 'p50', 'p99', '(c)/(b)', '(b)/(a)']
  return table(head, rows)
}

function brokerTable(r: BenchReport): string | undefined {
  const rows = (r.floors?.brokers ?? []).filter((b) => b.aedesVsMosquitto !== null)
  if (rows.length === 0) return undefined
  const get = (floor: 'bare' | 'loadgen', qos: 0 | 1, c: number): string =>
    ratio(rows.find((b) => b.floor === floor && b.qos === qos && b.concurrency === c)?.aedesVsMosquitto)
  const body: string[][] = []
  for (const qos of [0, 1] as const) for (const c of [1, 16, 256]) body.push([`QoS ${qos}`, String(c), get('bare', qos, c), get('loadgen', qos, c)])
  return table(['', 'in flight', '(b) Aedes/Mosquitto', '(c) Aedes/Mosquitto'], body)
}

function machineSection(r: BenchReport): string {
  const m = r.machine
  const load = (l: readonly number[] | undefined): string => (l === undefined ? 'n/a' : l.join(', '))
  return table(['', ''], [
    ['date', m.date],
    ['CPU', `${m.cpuModel}, ${m.cores} cores`],
    ['memory', `${m.memoryGiB} GiB`],
    ['Node.js', m.node],
    ['platform', m.platform],
    ['fleetbench', `${m.fleetbench} (git ${m.git})`],
    ['load average (1, 5, 15 min)', `${load(m.loadAtStart)} at start; ${load(m.loadAtEnd)} at end`],
    ['brokers', `Aedes ${m.aedes} embedded (in the bench process); ${m.mosquitto === undefined ? 'Mosquitto not measured' : `Mosquitto ${m.mosquitto} (own process)`}`],
    ['run', `${r.mode === 'quick' ? '`--quick`' : 'full'}: ${r.durationMs / 1000} s per measurement, ${r.repeats} repeat(s) per cell (medians shown), ${r.elapsedSec} s in all`],
  ])
}

function hdrSection(r: BenchReport): string | undefined {
  const h = r.hdr
  if (h === undefined) return undefined
  const share = (ns: number): string => pct(h.rpcUs === null ? null : (100 * ns) / 1000 / h.rpcUs, 3)
  return [
    table(['what is recorded', 'ns per value', 'share of one RPC'], [
      ['`recordUs`, JS build', h.jsNsPerValue.toFixed(0), share(h.jsNsPerValue)],
      ['`recordUs`, WebAssembly build (workers)', h.wasmNsPerValue.toFixed(0), share(h.wasmNsPerValue)],
      ['`CallRecorder.recordResult` per ok call (WASM latency + series histograms, clock read)', h.recorderNsPerCall.toFixed(0), share(h.recorderNsPerCall)],
    ]),
    '',
    `One RPC = ${h.rpcUs === null ? 'n/a' : `${h.rpcUs.toFixed(0)} µs`} of wall time: 1 / calls/s of (c) at concurrency 16, QoS 1, Aedes. ${h.values.toLocaleString('en-US')} prebuilt log-normal latencies per pass, best pass kept.`,
  ].join('\n')
}

function scalingSection(r: BenchReport): string | undefined {
  const s = r.workerScaling
  if (s === undefined) return undefined
  return [
    table(['workers', 'calls/s', 'p50', 'p99', 'simulator CPU', 'loadgen CPU'], s.byWorkers.map((w) => [String(w.workers), int(w.callsPerSec), us(w.p50Us), us(w.p99Us), pct(w.simulatorCpuPct), pct(w.loadgenCpuPct)])),
    '',
    `2 workers / 1 worker: **${ratio(s.speedup)}**. CPU is the share of one core during the run (medians of ${s.runs.length / 2} run(s) each): "simulator" is the \`npm run simulator\` process (Aedes + 2 gateways, instant profile, 256 devices), "loadgen" is the bench process (its main thread idles; the workers call).`,
  ].join('\n')
}

function memorySection(r: BenchReport): string | undefined {
  const m = r.memory
  if (m === undefined) return undefined
  const parts: string[] = []
  if (m.simulator.length > 0) {
    parts.push(
      table(
        ['devices', 'gateways', 'RSS before → after (MiB)', 'of it young generation (MiB)', 'RSS KiB/device', 'without young gen.', 'heap KiB/device', 'start'],
        m.simulator.map((d) => [int(d.devices), String(d.gateways), `${mib(d.rssBeforeBytes)} → ${mib(d.rssAfterBytes)}`, mib(d.youngGrowthBytes), `**${kib(d.rssKiB)}**`, kib(d.rssKiBExYoung), kib(d.heapKiB), us(d.startMs * 1000)]),
      ),
      '',
      'The simulator process as `npm run simulator` runs it: embedded Aedes and the fleet (instant profile), measured after a full GC, before and after the fleet starts; the baseline is taken after a one-device fleet has started and stopped, so compiled code is not counted. "Young generation" is the growth of V8\'s new space, which any process that allocates steadily grows once (to at most 2 × 16 MiB) whatever it allocates: it is most of the 1,000-device figure and a small part of the 10,000-device one, and the next column leaves it out.',
    )
  }
  if (m.split) parts.push('', `The same ${int(m.split.devices)} devices with the broker in another process (young generation left out): the fleet process grows by **${kib(m.split.fleet.rssKiBExYoung)} KiB** per device (devices, gateways' MQTT.js state) and the broker process by **${kib(m.split.broker.rssKiBExYoung)} KiB** per device (six subscriptions per device: one for the envelope and MQTT 5 conventions, five for MQTTnet's per-verb topics).`)
  if (m.idle) parts.push('', `Idle client connections (${m.idle.connections} MQTT.js clients, TCP_NODELAY, keepalive 30 s, young generation left out): **${kib(m.idle.client.rssKiBExYoung)} KiB** RSS per connection in the client process (its V8 heap grows ${kib(m.idle.client.heapKiB)} KiB), **${kib(m.idle.broker.rssKiBExYoung)} KiB** per connection in the Aedes process.`)
  return parts.join('\n')
}

export function renderMarkdown(r: BenchReport): string {
  const tenK = r.memory?.simulator.find((d) => d.devices === 10_000)
  const out: string[] = [
    '# Benchmarks',
    '',
    'Generated by `npm run bench -- --write-docs`; do not edit by hand. Every figure below was measured in one run on the machine described, side by side, so compare **ratios** rather than absolute numbers: a noisy or slower machine moves all columns together. Regenerate on a quiet machine. These figures are never asserted: CI does not run the bench.',
    '',
    '## Machine',
    '',
    machineSection(r),
    '',
    '## Headline',
    '',
    `- **(c)/(b) = ${ratio(r.ratios.loadgenVsBare)}** at 16 calls in flight, QoS 1, Aedes (target ≥ ${r.targets.loadgenVsBare.min}: ${r.targets.loadgenVsBare.met === null ? 'not measured' : r.targets.loadgenVsBare.met ? 'met' : '**not met**'}): fleetbench's full path against a bare MQTT.js loop through the same broker.`,
    `- **(b)/(a) = ${ratio(r.ratios.bareVsTcp)}**: the bare MQTT loop against raw TCP ping-pong at the same concurrency.`,
    `- **Aedes/Mosquitto = ${ratio(r.ratios.aedesVsMosquitto)}**: the bare loop (b) through the embedded Aedes against Mosquitto, same cell.`,
    `- **${r.targets.rssKiBPerDevice10k.value === null ? 'n/a' : kib(r.targets.rssKiBPerDevice10k.value)} KiB of RSS per simulated device** at 10,000 devices in one simulator process, counting all of its growth (target < ${r.targets.rssKiBPerDevice10k.max} KiB: ${r.targets.rssKiBPerDevice10k.met === null ? 'not measured' : r.targets.rssKiBPerDevice10k.met ? 'met' : '**not met**'})${tenK === undefined ? '' : `; ${kib(tenK.rssKiBExYoung)} KiB without V8's one-off young-generation growth`}.`,
    '',
    '## Request/response: three floors',
    '',
    '- **(a) raw TCP**: two Node processes on loopback, one connection with TCP_NODELAY, N fixed 96-byte frames in flight, each echoed and sent again (frames that arrive together are answered in one write).',
    '- **(b) bare MQTT.js**: one requester (one connection, one response subscription, a Map of pending ids) in a worker thread and one hand-written responder on the main thread, through the broker. Latency goes into a flat array, no histogram.',
    '- **(c) fleetbench**: the pieces `executeRpcCells` runs: `startSimulation` (embedded Aedes, or the fleet attached to Mosquitto) with one gateway of the `instant` profile on the main thread; `WorkerPool.runCell`, whose Piscina worker runs the `multiplexed` strategy and records every call into WebAssembly HDR histograms (latency and per-second series), slices merged; `cellFromSlice`; `result.json` written. Load model `closed-calls`: N devices, each with one call in flight (open → read → close, again), on one client. The pool is kept for the whole run, as a scenario keeps it across its cells.',
    '',
    'The (b) requester thread and the (c) worker are started once and warmed up (a few seconds of load, untimed) before anything is measured: a fresh thread takes two to three seconds to reach full speed (see "What profiling found").',
    '',
    'Figures are medians over the repeats; after each (c)/(b), in brackets, the lowest and highest ratio of a single repeat, whose (b) and (c) ran back to back: a wide bracket means the machine was busy, not that fleetbench varies.',
    '',
    'Both (b) and (c) speak the MQTT 3.1.1 envelope convention (`fleet/{device}/rpc/{verb}`, id and reply topic in the payload), on both brokers, with the same requests and byte-identical replies; "in flight" is the number of calls outstanding at once (closed loop). Latencies are per call, send to reply.',
    '',
  ]
  for (const broker of ['aedes', 'mosquitto'] as const) {
    const t = floorsTable(r, broker)
    if (t !== undefined) out.push(`### ${broker === 'aedes' ? `Aedes ${r.machine.aedes} (embedded, same process as responder and gateway)` : `Mosquitto ${r.machine.mosquitto ?? ''} (own process)`}`, '', t, '')
  }
  if (r.floors?.resultWriteMs !== null && r.floors?.resultWriteMs !== undefined) out.push(`Writing each (c) result.json took ${r.floors.resultWriteMs.toFixed(0)} ms (median), after the measured interval.`, '')
  const brokers = brokerTable(r)
  if (brokers !== undefined) out.push('### Aedes / Mosquitto', '', brokers, '')
  const sections: Array<[string, string | undefined]> = [
    ['## HDR recording cost', hdrSection(r)],
    ['## Worker scaling (broker in another process)', scalingSection(r)],
    ['## Memory', memorySection(r)],
    ['## Recording cost (observe)', recordSection(r)],
  ]
  for (const [title, body] of sections) if (body !== undefined) out.push(title, '', body, '')
  out.push('## What this run shows', '', ...interpret(r).map((s) => `- ${s}`), '')
  out.push('## What profiling found', '', PROFILING_NOTES, '')
  if (r.failures.length > 0 || r.notes.length > 0) out.push('## Notes', '', ...[...r.failures.map((f) => `failed: ${f}`), ...r.notes].map((n) => `- ${n}`), '')
  return `${out.join('\n').trimEnd()}\n`
}

function recordSection(r: BenchReport): string | undefined {
  const c = r.recordCost
  if (c === undefined) return undefined
  const list = (xs: number[]): string => xs.map((x) => x.toLocaleString('en-US')).join(', ')
  return [
    `The same bare MQTT.js caller (floor (b)'s requester, ${c.concurrency} calls in flight, QoS 1, ${c.durationMs / 1000} s per run) against the instant-profile fleet on the embedded broker, with \`--record\` off and on, interleaved, ${c.repeats} runs each: calls/s off ${list(c.off)}; on ${list(c.on)}.`,
    '',
    `**on / off = ${c.ratio.toFixed(2)}** (median over median; target ≥ ${TARGETS.recordOnVsOff}: ${c.ratio >= TARGETS.recordOnVsOff ? 'met' : 'NOT met'}). In the last recorded run the fleet counted ${c.recorded.fleet.toLocaleString('en-US')} answered calls for the caller's ${c.recorded.caller.toLocaleString('en-US')}.`,
  ].join('\n')
}
