/**
 * reconnect-storm: G gateways with their devices connected lose the broker (a restart of the
 * embedded broker, or every connection cut at their proxy) while a multiplexed caller keeps calling
 * random devices; one cell per connect pacing (`--connect-rate 0,100,1000`) shows what pacing costs
 * in recovery time and buys in connect load.
 */
import { backoffRange, choice, commonSpecs, int, intList, link, linkSpecs, ms, positiveRate } from '../options.ts'
import type { ScenarioDefinition } from '../types.ts'
import { STORM_COLUMNS } from './columns.ts'
import { stormFindings } from './findings.ts'
import { STORM_FAULTS, stormCells, validateStorm, type ReconnectStormOptions } from './options.ts'
import { executeStormCells, stormPlanMs } from './session.ts'

export type { ReconnectStormOptions }

export const reconnectStorm: ScenarioDefinition<ReconnectStormOptions> = {
  name: 'reconnect-storm',
  description: 'every gateway loses the broker at once: recovery time, connect load and failed calls, per connect pacing',
  defaults: {
    gateways: 1_000,
    devicesPerGateway: 10,
    connectRate: [0, 100, 1000],
    reconnectBackoff: { baseMs: 1_000, capMs: 30_000 },
    fault: 'broker-restart',
    downtime: 2_000,
    warmUp: 2_000,
    callRate: 100,
    callTimeout: 1_000,
    recoveryTimeout: 60_000,
    // Recovery is about connections, not BLE: devices answer at once unless asked otherwise.
    profile: 'instant',
    callerLink: link('loopback'),
    gatewayLink: link('loopback'),
    seed: 1,
    repeat: 1,
    out: undefined,
  },
  quick: { gateways: 200, devicesPerGateway: 5, warmUp: 1_000, downtime: 1_000, recoveryTimeout: 30_000 },
  options: {
    gateways: int(1, 100_000, 'gateways, each one MQTT connection'),
    devicesPerGateway: int(1, 100_000, 'devices behind each gateway (one subscription each: envelope convention)'),
    connectRate: intList(0, 1_000_000, 'connect pacings to compare, gateways\' (re)connects per second, comma-separated (0 = all at once)', '0,100,1000'),
    reconnectBackoff: backoffRange('gateways\' reconnect backoff base..cap: attempt n waits a uniform draw below min(cap, base * 2^n); 0 = no wait', 0),
    fault: choice(STORM_FAULTS, 'what the gateways lose: the embedded broker restarted, or every gateway connection cut at its proxy'),
    downtime: ms('how long the broker is down or unreachable', 1, 600_000),
    warmUp: ms('steady calls before the fault', 0, 600_000),
    callRate: {
      describe: 'calls per second the multiplexed caller makes to random devices, throughout',
      parse: (raw, name) => positiveRate('').parse(raw, name) ?? 1,
    },
    callTimeout: ms('deadline of each call', 1, 600_000),
    recoveryTimeout: ms('longest wait, from the broker back up, for every gateway to be subscribed again', 100, 3_600_000),
    profile: commonSpecs.profile,
    ...linkSpecs,
    seed: commonSpecs.seed,
    repeat: int(1, 100, "run every cell N times, interleaved, keeping each repeat's figures"),
    out: commonSpecs.out,
  },
  validate: validateStorm,
  thresholds: () => ['*:unrecovered=0'],
  findings: stormFindings,
  notes: (o) => [
    `Each cell starts its own embedded broker and ${o.gateways} gateways × ${o.devicesPerGateway} devices (envelope convention: one subscription per device) at the cell's pacing, with reconnect backoff ${o.reconnectBackoff.baseMs} ms..${o.reconnectBackoff.capMs} ms (full jitter). After ${o.warmUp / 1000} s of calls the ${o.fault === 'cut' ? 'gateways\' connections are cut at their proxy' : 'broker is restarted'} for ${o.downtime / 1000} s. Recovery of a gateway = broker back → every one of its filters acknowledged again.`,
    `The caller (one multiplexed client, ${o.callRate} calls/s to random devices, ${o.callTimeout} ms deadline) runs in the scenario's own process, beside the broker and the fleet.`,
  ],
  columns: STORM_COLUMNS,
  planMs: (o) => stormPlanMs(o, stormCells(o)),
  execute: (o, ctx) => executeStormCells(o, stormCells(o), ctx),
}
