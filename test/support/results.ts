/**
 * Result files for report tests, built from seeded samples through the project's own histogram
 * code (so `hist` fields are real), in the shapes the scenarios write: parallel-ble cells, and
 * channel-capacity cells with their optional blocking, uncorrected latency, channel block and
 * queue-depth series.
 */
import { createHistogram, encodeHistogram, recordUs, summarize, type LatencySummary } from '../../core/histogram.ts'
import type { SeriesPoint } from '../../core/series.ts'
import { emptyChannelMeasures } from '../../core/channel-measures.ts'
import { SCHEMA_VERSION, type CellResult, type ChannelCell, type ChannelSeriesPoint, type RpcCell, type RunResult, type TelemetryCell } from '../../core/result.ts'
import { emptyTelemetryMeasures, telemetryStats, type TelemetryMeasures } from '../../core/telemetry.ts'

/** The cell as an RPC cell; throws (failing the test) when it is missing or of another kind. */
export function rpc(c: CellResult | undefined): RpcCell {
  if (c?.kind !== 'rpc') throw new Error(`expected an rpc cell, got ${c === undefined ? 'none' : c.kind}`)
  return c
}

/** The cell as a channel cell; throws (failing the test) when it is missing or of another kind. */
export function channel(c: CellResult | undefined): ChannelCell {
  if (c?.kind !== 'channel') throw new Error(`expected a channel cell, got ${c === undefined ? 'none' : c.kind}`)
  return c
}

/** mulberry32: small, seeded, good enough for test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Log-normal latencies in µs around a median, with a heavy tail. */
export function latencies(n: number, medianUs: number, seed: number, sigma = 0.6): number[] {
  const r = rng(seed)
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())
    out.push(Math.round(medianUs * Math.exp(sigma * z)))
  }
  return out
}

export function summaryOf(samples: readonly number[]): LatencySummary {
  const h = createHistogram()
  for (const s of samples) recordUs(h, s)
  return summarize(h)
}

/** One point per second: samples are spread evenly over `seconds`. */
export function seriesOf(samples: readonly number[], errors: number, seconds: number, withHist: boolean, extra?: (t: number) => Record<string, number>): SeriesPoint[] {
  const out: SeriesPoint[] = []
  for (let s = 0; s < seconds; s++) {
    const part = samples.slice(Math.floor((s * samples.length) / seconds), Math.floor(((s + 1) * samples.length) / seconds))
    const h = createHistogram()
    for (const v of part) recordUs(h, v)
    const p: SeriesPoint = { t: s + 1, ok: part.length, errors: Math.floor(((s + 1) * errors) / seconds) - Math.floor((s * errors) / seconds), p99Us: part.length ? h.getValueAtPercentile(99) : 0 }
    if (withHist && part.length) p.hist = encodeHistogram(h)
    out.push(Object.assign(p, extra?.(s + 1)))
  }
  return out
}

export interface CellSpec {
  id: string
  labels: CellResult['labels']
  samples: readonly number[]
  errors?: Record<string, number>
  dropped?: number
  seconds?: number
  withSeriesHist?: boolean
}

export function cellOf(spec: CellSpec): RpcCell {
  const errors = spec.errors ?? { timeout: 0 }
  const errTotal = Object.values(errors).reduce((a, b) => a + b, 0)
  const seconds = spec.seconds ?? 3
  const ok = spec.samples.length
  const rounds = Math.max(1, Math.round(ok / 12))
  const latency = summaryOf(spec.samples)
  return {
    kind: 'rpc',
    id: spec.id,
    labels: spec.labels,
    status: 'ok',
    counts: { sent: ok + errTotal + (spec.dropped ?? 0), ok, dropped: spec.dropped ?? 0, errors },
    deviceErrors: errors['device-error'] ? { connect_timeout: errors['device-error'] } : {},
    broker: { subscribe: ok, unsubscribe: ok, publish: ok * 2, source: 'broker' },
    clients: { connections: 4, subscribes: ok, unsubscribes: ok, lateReplies: 1, unknownReplies: 0, protocolViolations: 0, peakInFlight: 50, disconnectedCalls: 0 },
    throughput: { callsPerSec: Math.round((ok / seconds) * 100) / 100, roundsPerSec: Math.round((rounds / seconds) * 100) / 100 },
    rounds,
    roundsPastDeadline: 0,
    roundsMissed: 0,
    elapsedMs: seconds * 1000,
    latencyUs: latency,
    roundUs: summaryOf(spec.samples.map((s) => s * 3)),
    roundUncorrectedUs: summaryOf(spec.samples.map((s) => s * 3)),
    series: seriesOf(spec.samples, errTotal, seconds, spec.withSeriesHist ?? false),
  }
}

export function resultOf(scenario: string, cells: CellResult[], over: Partial<RunResult> = {}): RunResult {
  return {
    schemaVersion: SCHEMA_VERSION,
    scenario,
    partial: false,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:01:00.000Z',
    environment: {
      node: 'v20.20.2',
      platform: 'linux 6.1 x64',
      cpus: 2,
      cpuModel: 'Test CPU',
      memoryGiB: 24,
      broker: { kind: 'aedes', version: '1.2.0', protocolVersion: 4, url: 'mqtt://127.0.0.1:1883', noDelay: true },
      git: 'abc1234',
      fleetbench: '0.1.0',
      workers: 2,
    },
    options: { devices: 200, duration: 3000, thresholds: ['multiplexed:errorRate<5%'] },
    cells,
    thresholds: [],
    findings: ['multiplexed: one connection, replies matched by id.', 'serial: safe but slow.'],
    notes: ['strict ack mode is an emulation.'],
    ...over,
  }
}

export function parallelBleResult(seed = 1, scale = 1): RunResult {
  const spec: Array<[string, CellResult['labels'], number, number, Record<string, number>]> = [
    ['naive-parallel-strict', { strategy: 'naive-parallel', ackMode: 'strict' }, 800, 240_000, { timeout: 170, 'protocol-violation': 310, 'device-error': 2 }],
    ['serial', { strategy: 'serial', ackMode: 'strict' }, 200, 8_000, { timeout: 16 }],
    ['pool-8', { strategy: 'pool', poolSize: 8, ackMode: 'strict' }, 1100, 9_000, { timeout: 100, 'device-error': 3 }],
    ['multiplexed', { strategy: 'multiplexed' }, 2900, 8_000, { timeout: 39, 'device-error': 10 }],
  ]
  const cells = spec.map(([id, labels, n, median, errors], i) => cellOf({ id, labels, samples: latencies(Math.round(n * scale), median, seed * 100 + i), errors }))
  return resultOf('parallel-ble', cells, {
    thresholds: [{ cell: 'multiplexed', expr: 'multiplexed:errorRate<5%', actual: 0.4, pass: true }],
  })
}

/** channel-capacity: capacity × policy cells with the optional fields that scenario adds. */
export function channelCapacityResult(seed = 7): RunResult {
  const cells: CellResult[] = []
  const capacities = [0, 1, 10, 100, 1000]
  const policies = ['block', 'try', 'drop-newest', 'drop-oldest']
  let i = 0
  for (const policy of policies) {
    for (const capacity of capacities) {
      const samples = latencies(600, 2_000 + 50_000 / (capacity + 1), seed * 1000 + i++)
      const produced = 1000
      const lost = policy === 'block' ? 0 : Math.round(400 / (capacity + 1))
      const errors: Record<string, number> = policy === 'try' ? { 'try-failed': lost } : {}
      const dropped = policy.startsWith('drop') ? lost : 0
      const base = cellOf({ id: `cap-${capacity}-${policy}`, labels: { capacity, policy, fault: 'stall' }, samples, errors, dropped })
      const blocking = policy === 'block' ? latencies(500, 200_000 / (capacity + 1) + 5, seed * 2000 + i) : []
      const c: ChannelCell = {
        kind: 'channel',
        id: base.id,
        labels: base.labels,
        status: 'ok',
        counts: base.counts,
        broker: base.broker,
        throughput: { callsPerSec: base.throughput.callsPerSec },
        elapsedMs: base.elapsedMs,
        latencyUs: base.latencyUs,
        blockingUs: summaryOf(blocking),
        latencyUncorrectedUs: summaryOf(samples.map((s) => Math.round(s * 0.7))),
        channel: {
          ...emptyChannelMeasures(),
          capacity, policy, fault: 'stall', produced, delivered: produced - lost, dropped, tryFailures: policy === 'try' ? lost : 0, maxQueueDepth: capacity, peakRssBytes: 80_000_000 + capacity * 1000, memoryGrowthBytes: 0,
        },
        series: seriesOf(samples, 0, 3, false, (t) => ({ queueDepth: Math.min(capacity, t * 7), blocked: 0 })) as ChannelSeriesPoint[],
      }
      cells.push(c)
    }
  }
  return resultOf('channel-capacity', cells, { options: { capacities, policies, thresholds: [] }, findings: ['block: publishers waited while the pump stalled.'] })
}

export const PAYLOADS = [
  '<script>window.__pwned=1</script>',
  '"><img src=x onerror="window.__pwned=1">',
  '</script><script>window.__pwned=1</script>',
] as const

/** Labels, ids, error kinds and messages, findings and options carrying markup and script. */
export function hostileResult(): RunResult {
  const r = parallelBleResult(3, 0.3)
  r.cells.forEach((c, i) => {
    const p = PAYLOADS[i % PAYLOADS.length]!
    c.id = `${p}#${i}`
    c.labels = { strategy: p, note: PAYLOADS[(i + 1) % PAYLOADS.length]! }
    c.counts.errors[p] = 1
    c.counts.sent += 1
    if (c.kind === 'rpc') c.deviceErrors = { [PAYLOADS[(i + 2) % PAYLOADS.length]!]: 1 }
    c.error = `boom ${p}`
  })
  r.scenario = `parallel-ble${PAYLOADS[0]}`
  r.findings = [...PAYLOADS]
  r.notes = [PAYLOADS[1]]
  r.thresholds = [{ cell: PAYLOADS[2], expr: `${PAYLOADS[0]}:p99<1ms`, actual: 1, pass: false }]
  r.options = { ...r.options, label: PAYLOADS[2], nested: { x: PAYLOADS[0] } }
  r.environment.git = PAYLOADS[1]
  r.environment.broker.kind = PAYLOADS[2]
  return r
}

export interface TelemetrySpec {
  pattern: 'rpc' | 'telemetry' | 'report-by-exception'
  hz: number
  /** Samples due; `missed` of them not obtained (as errors of `missedAs`, default timeout / lost). */
  sent: number
  missed?: number
  missedAs?: string
  /** Freshness of the samples received: the bulk at freshUs, a tail of 2% at p99Us (so p99 reads p99Us). */
  freshUs?: number
  p99Us?: number
  measures?: Partial<TelemetryMeasures>
  status?: TelemetryCell['status']
  error?: string
  seconds?: number
}

/** A telemetry-vs-rpc cell: id `${pattern}-${hz}hz`, labels { pattern, hz }, ratios derived from the counts. */
export function telemetryCellOf(spec: TelemetrySpec): TelemetryCell {
  const missed = spec.missed ?? 0
  const ok = spec.sent - missed
  const kind = spec.missedAs ?? (spec.pattern === 'rpc' ? 'timeout' : 'lost')
  const counts = { sent: spec.sent, ok, dropped: 0, errors: missed > 0 ? { [kind]: missed } : {} }
  const fresh = spec.freshUs ?? 1000
  const tail = Math.max(1, Math.ceil(ok / 50))
  const samples = Array.from({ length: ok }, (_, i) => (i < tail ? (spec.p99Us ?? fresh * 3) : fresh))
  const seconds = spec.seconds ?? 3
  const published = spec.pattern === 'report-by-exception' ? Math.round(spec.sent * 0.1) : spec.sent
  const perMsg = spec.pattern === 'rpc' ? 4 : 2
  const m: TelemetryMeasures = {
    ...emptyTelemetryMeasures(),
    published,
    received: published - (spec.pattern === 'rpc' ? 0 : missed),
    brokerPublishIn: (perMsg / 2) * published,
    brokerPublishOut: (perMsg / 2) * published,
    brokerPayloadIn: 50 * perMsg * published,
    brokerPayloadOut: 50 * perMsg * published,
    callerCpuUs: (spec.pattern === 'rpc' ? 30 : 12) * ok,
    loadMs: seconds * 1000,
    ...spec.measures,
  }
  return {
    kind: 'telemetry',
    id: `${spec.pattern}-${spec.hz}hz`,
    labels: { pattern: spec.pattern, hz: spec.hz },
    status: spec.status ?? 'ok',
    ...(spec.error ? { error: spec.error } : {}),
    counts,
    elapsedMs: seconds * 1000,
    throughput: { callsPerSec: Math.round((ok / seconds) * 100) / 100 },
    latencyUs: summaryOf(samples),
    deviceErrors: counts.errors['device-error'] ? { gatt_error: counts.errors['device-error'] } : {},
    telemetry: telemetryStats(counts, m),
    series: seriesOf(samples, missed, seconds, false),
  }
}
