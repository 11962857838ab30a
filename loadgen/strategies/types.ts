/**
 * A strategy decides how one virtual user's round of calls uses RPC clients. It is data plus a
 * function (k6 executors): a name, a one-line summary, default options, `validate()` apart from
 * `create()`, and a registry (registry.ts) maps names to strategies.
 *
 * The work unit is a ROUND over the user's devices, like `Task.WhenAll(devices.Select(OpenBleAsync))`:
 * per device `open`, then `read` and `close` only if the open succeeded. A round has one shared
 * deadline (one CancellationToken); once it has passed no new call starts, and a call that is never
 * sent is not counted at all.
 */
import type { Clock } from '../../core/clock.ts'
import type { ClientStats } from '../../core/counters.ts'
import type { RpcClient } from '../clients/types.ts'
import type { CallRecorder } from '../engine/recorder.ts'
import type { DeviceTarget } from '../engine/types.ts'

export const STRATEGY_NAMES = ['naive-parallel', 'serial', 'pool', 'batch', 'multiplexed'] as const
export type StrategyName = (typeof STRATEGY_NAMES)[number]
export const isStrategyName = (v: unknown): v is StrategyName =>
  typeof v === 'string' && (STRATEGY_NAMES as readonly string[]).includes(v)

export type ClientKind = RpcClient['kind']

export interface StrategyContext {
  /** The user's devices, in plan order. */
  readonly devices: readonly DeviceTarget[]
  readonly clock: Clock
  /** Real clients in production, fakes in tests; `index` counts from 0 within the user. */
  makeClient(kind: ClientKind, index: number): RpcClient
}

export interface StrategyRun {
  /** Connects the run's clients; rejects if one cannot connect. */
  setup(): Promise<void>
  /** One round over every device, sharing `deadline` (absolute, on the context's clock). Never rejects. */
  runRound(deadline: number, rec: CallRecorder): Promise<void>
  /**
   * Load model `closed-calls` only: every device's chain back to back, with no round barrier, until
   * `endAt`, or until `stopped()` (chains in progress finish); each chain's deadline is its start +
   * `timeoutMs`. Only strategies that may keep one call per device in flight on one client have it
   * (multiplexed).
   */
  runChains?(endAt: number, timeoutMs: number, rec: CallRecorder, stopped?: () => boolean): Promise<void>
  /** Summed over the run's clients; peakInFlight is the highest of any one client. */
  stats(): ClientStats
  close(): Promise<void>
}

/** `N` pins the literal name, so the registry can check that each entry sits under its own name. */
export interface Strategy<O, N extends StrategyName = StrategyName> {
  readonly type: N
  /** One line, for `list` and reports. */
  readonly summary: string
  readonly defaults: O
  /** Defaults filled in; throws an Error with a one-line message naming the option and what is allowed. */
  validate(raw: Readonly<Record<string, unknown>>): O
  /** Connections one user opens (needs the user's device count: a pool never opens more clients than devices). */
  clientsPerUser(opts: O, deviceCount: number): number
  create(ctx: StrategyContext, opts: O): StrategyRun
}

/** A strategy with its options validated and bound, so callers need not know the option type. */
export interface ConfiguredStrategy {
  readonly type: StrategyName
  clientsPerUser(deviceCount: number): number
  create(ctx: StrategyContext): StrategyRun
}

export function configure<O extends object>(strategy: Strategy<O>, raw: Readonly<Record<string, unknown>>): ConfiguredStrategy {
  const opts = strategy.validate(raw)
  return {
    type: strategy.type,
    clientsPerUser: (deviceCount) => strategy.clientsPerUser(opts, deviceCount),
    create: (ctx) => strategy.create(ctx, opts),
  }
}
