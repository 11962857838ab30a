/**
 * telemetry-vs-rpc: reading every device's battery and temperature at F Hz three ways — an RPC read
 * per sample (polling), devices publishing every sample (telemetry), and devices publishing only a
 * changed value (report-by-exception) — and measuring freshness, broker messages and bytes per
 * sample, the caller's CPU and missed samples, to say from which F polling stops being the right one.
 */
import { TELEMETRY_CHARACTERISTICS } from '../../core/protocol.ts'
import { TELEMETRY_PATTERNS } from '../../core/telemetry.ts'
import { commonSpecs, int, link, linkSpecs, ms } from '../options.ts'
import type { ScenarioDefinition } from '../types.ts'
import { TELEMETRY_COLUMNS } from './columns.ts'
import { telemetryFindings } from './findings.ts'
import { characteristicList, hzList, patternList, telemetryCells, validateTelemetryOptions, type TelemetryVsRpcOptions } from './options.ts'
import { executeTelemetryCells, telemetryPlanMs } from './session.ts'

export type { TelemetryVsRpcOptions }

export const telemetryVsRpc: ScenarioDefinition<TelemetryVsRpcOptions> = {
  name: 'telemetry-vs-rpc',
  description: 'read every device at F Hz by RPC polling, telemetry or report-by-exception: freshness, broker messages, caller CPU, misses',
  defaults: {
    hz: [1, 5, 20],
    patterns: [...TELEMETRY_PATTERNS],
    devices: 200,
    gateways: 4,
    duration: 10_000,
    characteristics: [...TELEMETRY_CHARACTERISTICS],
    profile: 'ble-default',
    // As parallel-ble: a caller a cloud region away, gateways on a site line (README: Links).
    callerLink: link('wan'),
    gatewayLink: link('wan'),
    seed: 1,
    qos: 1,
    drainTimeout: 5_000,
    repeat: 1,
    out: undefined,
  },
  quick: { duration: 3_000 },
  options: {
    hz: hzList,
    patterns: patternList,
    devices: int(1, 100_000, 'simulated BLE devices'),
    gateways: int(1, 1_000, 'gateways sharing the devices (each publishes its own devices\' telemetry)'),
    duration: ms('load time of each cell', 100, 24 * 3_600_000),
    characteristics: characteristicList,
    profile: commonSpecs.profile,
    ...linkSpecs,
    seed: commonSpecs.seed,
    qos: { describe: 'QoS of requests, replies and telemetry (0 or 1)', parse: commonSpecs.qos.parse },
    drainTimeout: ms('after the load, longest wait for telemetry still on its way (what has not arrived then is missed)', 10, 600_000),
    repeat: int(1, 100, "run every cell N times, interleaved, keeping each repeat's figures (for the gate)"),
    out: commonSpecs.out,
  },
  validate: validateTelemetryOptions,
  // Publishing must not lose samples on a healthy broker; RPC is judged by the findings, not failed.
  thresholds: (o) => o.hz.flatMap((hz) => o.patterns.filter((p) => p !== 'rpc').map((p) => `${p}-${hz}hz:missedRate<1%`)),
  findings: telemetryFindings,
  notes: (o) => [
    `Each cell reads ${o.devices} devices × ${o.characteristics.join(' and ')} at F Hz for ${o.duration / 1000} s (QoS ${o.qos} for requests, replies and telemetry). A sample is due once per device, characteristic and period: sent = samples due, ok = samples the caller obtained, missed = the rest (rpc: failed or not back before the next period, or never sent; telemetry: lost or not arrived when the drain ended; report-by-exception: samples whose change never arrived).`,
    'Freshness is the time the caller received a value minus the time the device sampled it, on one time base. An RPC read samples as it completes, after the profile\'s read latency; a telemetry sample is stamped when the device takes it. Broker figures count the PUBLISH packets the embedded broker received and delivered during the load, with their topic and payload bytes. Caller CPU is the caller process\'s own user + system time over the load (process.cpuUsage), per sample obtained.',
  ],
  columns: TELEMETRY_COLUMNS,
  planMs: (o) => telemetryPlanMs(o, telemetryCells(o).length),
  execute: (o, ctx) => executeTelemetryCells(o, telemetryCells(o), ctx),
}
