/**
 * telemetry-vs-rpc's figures, defined once: the patterns, the broker's PUBLISH traffic, what a
 * telemetry cell measures (counts that add up across repeats and shards) and the ratios derived
 * from them (recomputed whenever cells are merged, never added).
 */

/** The counts the ratios need (a cell's CellCounts; structural, so result.ts can import this file). */
type SampleCounts = { sent: number; ok: number }

/**
 * rpc: the caller reads each characteristic of each device once per period (multiplexed RPC client);
 * telemetry: the device publishes every sample; report-by-exception: the device samples at the same
 * rate but publishes only a changed value.
 */
export const TELEMETRY_PATTERNS = ['rpc', 'telemetry', 'report-by-exception'] as const
export type TelemetryPattern = (typeof TELEMETRY_PATTERNS)[number]

/** How a gateway publishes its devices' samples: every one (telemetry) or only a changed value (report-by-exception). */
export type PublishMode = 'every-sample' | 'on-change'

export const publishModeOf = (p: TelemetryPattern): PublishMode | undefined =>
  p === 'telemetry' ? 'every-sample' : p === 'report-by-exception' ? 'on-change' : undefined

/** What a device characteristic's telemetry stream published over a run: the device side of the accounting. */
export interface StreamTotals {
  /** Samples the device took. */
  samples: number
  /** Messages published, numbered seq 1 … published. */
  published: number
  /** Report-by-exception: the sample index n of each message, by seq − 1 (when every sample is published, n = seq − 1 and this is left out). */
  changesAt?: Int32Array
}

/** PUBLISH packets the broker received from clients and delivered to them, with their topic + payload bytes. */
export interface PublishTraffic {
  publishIn: number
  publishOut: number
  payloadIn: number
  payloadOut: number
}

export const emptyTraffic = (): PublishTraffic => ({ publishIn: 0, publishOut: 0, payloadIn: 0, payloadOut: 0 })

export const trafficDelta = (before: PublishTraffic, after: PublishTraffic): PublishTraffic => ({
  publishIn: after.publishIn - before.publishIn,
  publishOut: after.publishOut - before.publishOut,
  payloadIn: after.payloadIn - before.payloadIn,
  payloadOut: after.payloadOut - before.payloadOut,
})

/**
 * What one telemetry cell measured. Counts only (they add across repeats); the ratios are derived.
 * The unit of counts.sent is a sample the caller should obtain: one per device, characteristic and
 * period (rpc: a read due; telemetry and report-by-exception: a sample the device took).
 */
export interface TelemetryMeasures {
  /** PUBLISH messages sent for the samples: rpc = read requests the caller sent; otherwise messages the gateways published (report-by-exception: the changes). */
  published: number
  /** Messages the caller took in: rpc = replies before the next period; otherwise distinct telemetry messages. */
  received: number
  /** Telemetry messages received again (QoS 1 resent after a reconnect); not counted twice. */
  duplicates: number
  /** rpc: replies that came after the next period had started (counted as timeouts). */
  lateReplies: number
  /** Messages published (not received) whose value never reached the caller: rpc 0, telemetry = lost samples, report-by-exception = lost changes. */
  messagesMissed: number
  /** The broker's PUBLISH traffic during the load (embedded broker). */
  brokerPublishIn: number
  brokerPublishOut: number
  brokerPayloadIn: number
  brokerPayloadOut: number
  /** The caller process's CPU time (user + system) during the load, µs. */
  callerCpuUs: number
  /** The load: first sample due → the last result in (rpc) or the last message drained. */
  loadMs: number
}

export interface TelemetryRatios {
  /** Broker PUBLISH messages (in + out) per sample obtained (counts.ok). */
  messagesPerSample: number
  /** Topic + payload bytes of those messages per sample obtained. */
  bytesPerSample: number
  callerCpuUsPerSample: number
  /** The caller's CPU time over the load time: 100 = one core busy. */
  callerCpuPercent: number
  /** Samples not obtained: (sent − ok) / sent. */
  missedRate: number
}

export type TelemetryStats = TelemetryMeasures & TelemetryRatios

export const TELEMETRY_COUNTERS = [
  'published', 'received', 'duplicates', 'lateReplies', 'messagesMissed',
  'brokerPublishIn', 'brokerPublishOut', 'brokerPayloadIn', 'brokerPayloadOut', 'callerCpuUs', 'loadMs',
] as const satisfies ReadonlyArray<keyof TelemetryMeasures>

const ratio = (n: number, d: number, digits: number): number => (d > 0 ? Math.round((n / d) * 10 ** digits) / 10 ** digits : 0)

/** Samples the caller did not obtain (errors of every kind + dropped). */
export const missedSamples = (c: SampleCounts): number => c.sent - c.ok

/** The measures with their ratios (recomputed from the counts: use it after any merge). */
export function telemetryStats(counts: SampleCounts, from: TelemetryMeasures): TelemetryStats {
  const m = Object.fromEntries(TELEMETRY_COUNTERS.map((k) => [k, from[k]])) as unknown as TelemetryMeasures
  return {
    ...m,
    messagesPerSample: ratio(m.brokerPublishIn + m.brokerPublishOut, counts.ok, 3),
    bytesPerSample: ratio(m.brokerPayloadIn + m.brokerPayloadOut, counts.ok, 1),
    callerCpuUsPerSample: ratio(m.callerCpuUs, counts.ok, 2),
    callerCpuPercent: ratio(m.callerCpuUs, m.loadMs * 10, 1),
    missedRate: ratio(missedSamples(counts), counts.sent, 6),
  }
}

export const emptyTelemetryMeasures = (): TelemetryMeasures => Object.fromEntries(TELEMETRY_COUNTERS.map((k) => [k, 0])) as unknown as TelemetryMeasures
