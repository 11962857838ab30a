/**
 * The building blocks every strategy shares: one recorded call, one device chain
 * (open → read → close), reconnecting a torn-down client, and summing client stats.
 */
import { sleep, type Clock, type TimerHandle } from '../../core/clock.ts'
import type { CallOptions, RpcClient } from '../clients/types.ts'
import type { Verb } from '../../core/protocol.ts'
import type { CallRecorder } from '../engine/recorder.ts'
import type { DeviceTarget } from '../engine/types.ts'
import type { StrategyContext, StrategyRun } from './types.ts'

/** Params of every `read` (prebuilt once, never mutated). */
export const READ_PARAMS: Readonly<{ characteristic: string }> = Object.freeze({ characteristic: 'battery' })

/** True once the round's shared deadline has passed: no new call may start. */
export const pastDeadline = (clock: Clock, opts: CallOptions): boolean => clock.now() >= opts.deadline

/**
 * One call, recorded: not sent (and not counted) once the deadline has passed; otherwise counted as
 * sent and then as exactly one result. With the recorder's retrier, a failed attempt the policy
 * names is retried after its backoff while time is left; each retry is counted as an attempt, the
 * call's latency runs from its first attempt to its last, and the last attempt is its result. Resolves true when the call succeeded. A client that is not
 * connected is still called: it answers `disconnected` at once and counts the call in its own
 * stats (disconnectedCalls), so the recorder and the clients agree.
 */
export async function recordedCall(
  client: RpcClient,
  clock: Clock,
  deviceId: string,
  verb: Verb,
  params: unknown,
  opts: CallOptions,
  rec: CallRecorder,
): Promise<boolean> {
  if (pastDeadline(clock, opts)) return false
  rec.recordSent(1)
  const start = clock.now()
  const retrier = rec.retrier
  if (retrier === undefined) {
    const result = await client.call(deviceId, verb, params, opts)
    rec.recordResult(result, (clock.now() - start) * 1000)
    return result.ok
  }
  let result = await client.call(deviceId, verb, params, retrier.attempt(opts, start))
  let attempts = 1
  for (;;) {
    const wait = retrier.waitBefore(attempts - 1, result, clock.now(), opts.deadline)
    if (wait === undefined) break
    rec.recordRetry(result)
    await sleep(clock, wait)
    // A torn-down MQTTnet-style client is reconnected first (a multiplexed one reconnects itself).
    if (!client.connected) await ensureConnected(client, clock, opts.deadline)
    attempts++
    result = await client.call(deviceId, verb, params, retrier.attempt(opts, clock.now()))
  }
  rec.recordResult(result, (clock.now() - start) * 1000, attempts)
  return result.ok
}

/** open, then read and close only if the open succeeded. */
export async function deviceChain(
  client: RpcClient,
  clock: Clock,
  device: DeviceTarget,
  opts: CallOptions,
  rec: CallRecorder,
): Promise<void> {
  if (!(await recordedCall(client, clock, device.deviceId, 'open', undefined, opts, rec))) return
  await recordedCall(client, clock, device.deviceId, 'read', READ_PARAMS, opts, rec)
  await recordedCall(client, clock, device.deviceId, 'close', undefined, opts, rec)
}

/** How a strategy plays one round's device chains on one client. */
export type Chains = (client: RpcClient, clock: Clock, devices: readonly DeviceTarget[], opts: CallOptions, rec: CallRecorder) => Promise<void>

/** Device chains one after another: never more than one call in flight on `client`. */
export const serialChains: Chains = async (client, clock, devices, opts, rec) => {
  for (const device of devices) {
    if (pastDeadline(clock, opts)) return
    await deviceChain(client, clock, device, opts, rec)
  }
}

/** Every device chain at once on `client` (the `Task.WhenAll` pattern). */
export const parallelChains: Chains = async (client, clock, devices, opts, rec) => {
  await Promise.all(devices.map((device) => deviceChain(client, clock, device, opts, rec)))
}

/**
 * Load model `closed-calls`: every device runs its chain again as soon as the previous one ends,
 * until `endAt` (or `stopped()`), so each device has exactly one call in flight and no device waits
 * for another.
 */
export async function freeChains(
  client: RpcClient,
  clock: Clock,
  devices: readonly DeviceTarget[],
  endAt: number,
  timeoutMs: number,
  rec: CallRecorder,
  stopped: () => boolean = () => false,
): Promise<void> {
  await Promise.all(
    devices.map(async (device) => {
      while (clock.now() < endAt && !stopped()) {
        const start = clock.now()
        await deviceChain(client, clock, device, { deadline: start + timeoutMs }, rec)
        // a chain that took no clock time at all (every call failed at once) must not spin
        if (clock.now() === start) await sleep(clock, 1)
      }
    }),
  )
}

/**
 * Reconnects a client that was torn down (for example by a protocol violation) before a round,
 * waiting at most until the deadline. A failed or unfinished connect is not an error here: the
 * round's calls then end as `disconnected`.
 */
export async function ensureConnected(client: RpcClient, clock: Clock, deadline: number): Promise<void> {
  if (client.connected) return
  let timer: TimerHandle | undefined
  let expired = false
  const wait = deadline - clock.now()
  if (wait <= 0) return
  const expiry = new Promise<void>((resolve) => {
    timer = clock.setTimeout(() => ((expired = true), resolve()), wait)
  })
  try {
    // A refused connection (broker restarting) fails at once: retry until the round's deadline
    // rather than let the round's calls fail at once and the loop spin.
    while (!expired && !client.connected) {
      const attempt = await Promise.race([client.connect().then(() => true, () => false), expiry.then(() => false)])
      if (attempt || expired) break
      await Promise.race([sleep(clock, RECONNECT_RETRY_MS), expiry])
    }
  } finally {
    if (timer !== undefined) clock.clearTimeout(timer)
  }
}

/** Pause between connection attempts while a round waits for its client. */
export const RECONNECT_RETRY_MS = 100

/** Connects every client at setup; rejects with the first failure. */
export async function connectAll(clients: readonly RpcClient[]): Promise<void> {
  await Promise.all(clients.map((c) => (c.connected ? undefined : c.connect())))
}

/** Closes every client, even if one close fails; rejects with the first failure. */
export async function closeAll(clients: readonly RpcClient[]): Promise<void> {
  const settled = await Promise.allSettled(clients.map((c) => c.close()))
  for (const s of settled) if (s.status === 'rejected') throw s.reason
}

/** Counters summed over clients; peakInFlight is the highest of any one client. */

/** A run on one client: connects at setup, reconnects before a round if torn down, plays `round`. */
export function singleClientRun(
  ctx: StrategyContext,
  client: RpcClient,
  round: (client: RpcClient, opts: CallOptions, rec: CallRecorder) => Promise<void>,
): StrategyRun {
  return {
    setup: () => connectAll([client]),
    async runRound(deadline, rec) {
      await ensureConnected(client, ctx.clock, deadline)
      await round(client, { deadline }, rec)
    },
    stats: () => client.stats(),
    close: () => client.close(),
  }
}
