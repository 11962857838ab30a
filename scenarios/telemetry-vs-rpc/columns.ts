/** telemetry-vs-rpc's terminal table: one row per pattern and rate. */
import type { CellResult, TelemetryCell } from '../../core/result.ts'
import { missedSamples } from '../../core/telemetry.ts'
import { formatWait, num, type Column } from '../../reports/summary.ts'

const tel = (f: (c: TelemetryCell) => string) => (c: CellResult): string => (c.kind === 'telemetry' ? f(c) : '-')

export const TELEMETRY_COLUMNS: Column[] = [
  { title: 'cell', value: (c) => c.id, align: 'left' },
  { title: 'status', value: (c) => c.status, align: 'left' },
  { title: 'samples/s', value: (c) => num(c.throughput.callsPerSec, 1) },
  { title: 'sent', value: (c) => num(c.counts.sent) },
  { title: 'ok', value: (c) => num(c.counts.ok) },
  { title: 'missed', value: (c) => num(missedSamples(c.counts)) },
  { title: 'missed %', value: tel((c) => `${(100 * c.telemetry.missedRate).toFixed(2)}%`) },
  { title: 'fresh p50', value: (c) => formatWait(c.latencyUs.p50) },
  { title: 'fresh p99', value: (c) => formatWait(c.latencyUs.p99) },
  { title: 'published', value: tel((c) => num(c.telemetry.published)) },
  { title: 'msgs/sample', value: tel((c) => c.telemetry.messagesPerSample.toFixed(2)) },
  { title: 'B/sample', value: tel((c) => num(c.telemetry.bytesPerSample, 0)) },
  { title: 'CPU µs/sample', value: tel((c) => c.telemetry.callerCpuUsPerSample.toFixed(1)) },
  { title: 'CPU %', value: tel((c) => c.telemetry.callerCpuPercent.toFixed(1)) },
]
