/** Synthetic but schema-valid results for gate and report tests: exact numbers, no load needed. */
import { createHistogram, encodeHistogram, summarize } from '../../core/histogram.ts'
import { SCHEMA_VERSION, type CellResult, type RpcCell, type RunResult } from '../../core/result.ts'

/** A cell whose repeats have the given p99s (µs) and throughputs; everything else consistent. */
export function fakeCell(id: string, p99s: number[], rates: number[], counts = { sent: 1000, ok: 1000 }): RpcCell {
  const h = createHistogram()
  for (const v of p99s) for (let i = 0; i < 100; i++) h.recordValue(i < 98 ? v / 4 : v)
  const s = summarize(h)
  const rate = rates.reduce((a, b) => a + b, 0) / rates.length
  return {
    kind: 'rpc', id, labels: { strategy: id }, status: 'ok',
    counts: { ...counts, dropped: 0, errors: { timeout: counts.sent - counts.ok } }, deviceErrors: {},
    broker: { subscribe: 0, unsubscribe: 0, publish: 0, source: 'broker' },
    clients: { connections: 1, subscribes: 1, unsubscribes: 0, lateReplies: 0, unknownReplies: 0, protocolViolations: 0, peakInFlight: 1, disconnectedCalls: 0 },
    throughput: { callsPerSec: rate, roundsPerSec: rate / 3 }, rounds: 10, roundsPastDeadline: 0, roundsMissed: 0, elapsedMs: 1000,
    latencyUs: { ...s, p99: [...p99s].sort((a, b) => a - b)[Math.floor(p99s.length / 2)]!, hist: encodeHistogram(h) },
    roundUs: s, roundUncorrectedUs: s, series: [],
    repeats: p99s.map((p99, i) => ({ callsPerSec: rates[i]!, p50: p99 / 4, p99, errorRate: (counts.sent - counts.ok) / counts.sent })),
  }
}

export function fakeResult(cells: CellResult[], options: Record<string, unknown> = { devices: 200 }): RunResult {
  return {
    schemaVersion: SCHEMA_VERSION, scenario: 'parallel-ble', partial: false, startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:01:00.000Z',
    environment: { node: 'v20', platform: 'linux', cpus: 2, cpuModel: 'x', memoryGiB: 24, broker: { kind: 'aedes', version: '1.2.0', protocolVersion: 4, url: 'mqtt://x', noDelay: true }, git: 'abc', fleetbench: '0.1.0', workers: 2 },
    options, cells, thresholds: [], findings: [], notes: [],
  }
}

