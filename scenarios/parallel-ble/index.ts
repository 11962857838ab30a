/**
 * parallel-ble: call `open`, `read`, `close` on every device at once, the way
 * `Task.WhenAll(devices.Select(OpenBleAsync))` does, under each strategy people use when one MQTTnet
 * RPC client cannot be shared — and under the multiplexed client that makes the question go away.
 */
import { STRATEGY_NAMES } from '../../loadgen/strategies/types.ts'
import { UsageError } from '../../core/cli-support.ts'
import { MAX_POOL_SIZE } from '../../loadgen/strategies/pool.ts'
import { DEFAULT_RETRY_ON, RETRY_ON_CHOICES } from '../../loadgen/strategies/retry.ts'
import { parallelBleFindings } from './findings.ts'
import { executeRpcCells, rpcPlanMs, type RpcRunOptions } from '../rpc/session.ts'
import { parallelBleCells, type ParallelBleOptions } from './cells.ts'
import { PARALLEL_COLUMNS } from './columns.ts'
import { brokerFaultSpec } from '../broker-fault.ts'
import { rendezvousSpec, shardSpec, startAtSpec } from '../shard.ts'
import { checkFleetWorkers, fleetWorkersSpec } from '../fleet-workers.ts'
import { backoffRange, choice, commonDefaults, commonSpecs, connectRateOption, int, intList, link, linkSpecs, ms, nameList, positiveRate } from '../options.ts'
import type { OptionSpec, ScenarioDefinition } from '../types.ts'

export const parallelBle: ScenarioDefinition<ParallelBleOptions> = {
  name: 'parallel-ble',
  description: 'open/read/close every BLE device at once: the MQTTnet SubAck failure reproduced, each remedy measured',
  defaults: {
    ...commonDefaults(),
    devices: 200,
    gateways: 4,
    users: 4,
    strategies: [...STRATEGY_NAMES],
    poolSize: [8],
    // Callers a cloud region away from the broker, gateways on a site's line: where the MQTTnet
    // teardown was reported, and where per-call SUBSCRIBEs cost round trips (README: Links).
    callerLink: link('wan'),
    gatewayLink: link('wan'),
    retries: [0],
    backoff: { baseMs: 50, capMs: 2_000 },
    retryOn: [...DEFAULT_RETRY_ON],
    attemptTimeout: undefined,
    duration: 10_000,
    rate: undefined,
    timeout: 800,
    ackMode: 'both',
    protocol: 'auto',
    repeat: 1,
    fault: undefined,
    reconnectPeriod: 1000,
    shard: undefined,
    startAt: undefined,
    rendezvous: undefined,
    fleetWorkers: 0,
    connectRate: undefined,
  },
  quick: { duration: 2_000 },
  options: {
    ...commonSpecs,
    devices: int(1, 100_000, 'simulated BLE devices'),
    gateways: int(1, 1_000, 'gateways sharing the devices'),
    users: int(1, 10_000, 'concurrent callers; devices are dealt to them round-robin'),
    strategies: nameList(STRATEGY_NAMES, 'strategies to compare'),
    poolSize: intList(1, MAX_POOL_SIZE, 'clients in the pool strategy; a list (1,2,4,8,16,32) gives one pool-K cell per size and a knee finding', '1,2,4,8'),
    ...linkSpecs,
    retries: intList(0, 10, 'retries of a failed call (exponential backoff, full jitter); a list (0,3) gives each strategy one cell per count', '0,3'),
    backoff: backoffRange('backoff base..cap: retry n waits a uniform draw below min(cap, base * 2^n)'),
    retryOn: nameList(RETRY_ON_CHOICES, 'what is retried: error kinds and device error codes'),
    attemptTimeout: ms('timeout of each attempt when retrying (default: the round\'s --timeout, so a timed-out call has no time left to retry)', 1, 3_600_000),
    duration: ms('how long each cell runs', 100, 24 * 3_600_000),
    rate: positiveRate('rounds per second per user (open loop); without it rounds run back to back (closed loop)'),
    timeout: ms('shared deadline of a round, like one CancellationToken for the whole WhenAll', 1, 3_600_000),
    ackMode: choice(['strict', 'lenient', 'both'] as const, 'MQTTnet-style ack dispatch: strict = MQTTnet < 5.2 (emulated), lenient = MQTT.js'),
    protocol: choice(['auto', '4', '5'] as const, 'MQTT version: auto uses MQTT 5 when the broker offers it'),
    fault: brokerFaultSpec,
    shard: shardSpec,
    startAt: startAtSpec,
    rendezvous: rendezvousSpec,
    fleetWorkers: fleetWorkersSpec,
    connectRate: { ...connectRateOption("connects per second of the gateways, and apart of the callers (default: the fleet's 200/s, callers all at once); 0 = all at once"), show: () => 'fleet default' } as OptionSpec<number | undefined>,
    reconnectPeriod: { ...ms('reconnect delay of the multiplexed clients after a lost connection (0 = never)', 0, 600_000) },
    repeat: int(1, 100, 'run every cell N times, interleaved, keeping each repeat\'s figures (for the gate)'),
  },
  validate(o) {
    if (o.users > o.devices) throw new UsageError(`--users (${o.users}) must not exceed --devices (${o.devices}): every user needs a device`)
    if (o.gateways > o.devices) throw new UsageError(`--gateways (${o.gateways}) must not exceed --devices (${o.devices})`)
    if (o.shard && !o.broker) throw new UsageError(`--shard ${o.shard.index}/${o.shard.count} needs --broker: every shard must reach one broker (the embedded one is private to each process)`)
    if (o.rendezvous && !o.shard) throw new UsageError('--rendezvous only makes sense with --shard i/n (n > 1)')
    if (o.shard && o.users < o.shard.count) throw new UsageError(`--users (${o.users}) must be at least the shard count (${o.shard.count}) so every shard has a user`)
    if (o.attemptTimeout !== undefined && !o.retries.some((n) => n > 0)) throw new UsageError('--attempt-timeout only applies to retried calls: add --retries N (N > 0), or drop it')
    if (o.attemptTimeout !== undefined && o.attemptTimeout >= o.timeout) throw new UsageError(`--attempt-timeout (${o.attemptTimeout} ms) must be shorter than --timeout (${o.timeout} ms), the round's deadline, or no retry fits after a timed-out attempt`)
    checkFleetWorkers(o)
    if (o.fault && o.broker) throw new UsageError('--fault broker-restart restarts the embedded broker; with --broker, restart your broker yourself (the clients reconnect either way)')
  },
  thresholds: () => ['multiplexed:errorRate<5%', 'multiplexed:protocolViolations=0', 'multiplexed:callsPerSec>2x serial'],
  findings: parallelBleFindings,
  columns: PARALLEL_COLUMNS,
  notes: (o) => [
    ...(o.ackMode !== 'lenient'
      ? ["strict ack mode is an emulation of MQTTnet < 5.2's packet dispatcher (acks matched by packet type and id; an ack with no waiter tears the connection down) on top of MQTT.js, which itself ignores such acks. MQTTnet 5.2.0 logs them instead."]
      : []),
  ],
  planMs: (o) => rpcPlanMs(rpcOptions(o), parallelBleCells(o).length),
  execute: (o, ctx) => executeRpcCells(rpcOptions(o), parallelBleCells(o), ctx),
}

/** parallel-ble's options as the RPC session takes them. */
export function rpcOptions(o: ParallelBleOptions): RpcRunOptions {
  return {
    ...o,
    protocol: o.protocol === 'auto' ? 'auto' : o.protocol === '5' ? 5 : 4,
    roundTimeoutMs: o.timeout,
    reconnectPeriodMs: o.reconnectPeriod,
    load: o.rate === undefined ? { kind: 'closed', durationMs: o.duration } : { kind: 'open', durationMs: o.duration, roundsPerSec: o.rate },
    runId: `fb${process.pid}${Date.now().toString(36)}`,
  }
}

export { parallelBleCells, type ParallelBleOptions }
