/**
 * The rpc pattern's caller: every device's characteristics read once per period (1/F s) through one
 * RPC client, each device at its own phase in the period (the devices' telemetry phases, from the
 * same hash), on one timer (PhasedSchedule). A read is due at its period's start and must return
 * before the next one: its deadline is the next period's start, so a slow reply counts as a
 * `timeout` (the client counts it late when it comes). Every read due is one sample sent:
 *
 *   sent = ok + errors (timeout, device-error, disconnected, bad-reply, …) + dropped
 *
 * where dropped = reads never sent because the caller was a whole period late getting to them (its
 * event loop could not keep up). Freshness: the caller's time when the reply arrived minus the
 * `sampledAt` the device put in it.
 */
import type { Clock } from '../../core/clock.ts'
import { createHistogram, recordUs, type Histogram } from '../../core/histogram.ts'
import { hashedPhase, PhasedSchedule } from '../../core/phased-schedule.ts'
import type { TelemetryCharacteristic } from '../../core/protocol.ts'
import type { CellCounts } from '../../core/result.ts'
import { hash32 } from '../../core/rng.ts'
import type { CallResult, RpcClient } from '../clients/types.ts'

export interface PollerOptions {
  client: RpcClient
  /** The client's clock (deadlines and due times). */
  clock: Clock
  deviceIds: readonly string[]
  characteristics: readonly TelemetryCharacteristic[]
  hz: number
  /** Clock time of the first period's start. */
  startMs: number
  durationMs: number
  seed: number
  /** Epoch ms on the devices' time base (for freshness). */
  epoch(): number
  /** Each read's end: ok with its freshness, or a failure. */
  onResult?(ok: boolean, freshnessUs: number): void
}

export interface PollTotals {
  counts: CellCounts
  deviceErrors: Record<string, number>
  freshness: Histogram
}

export interface Poller {
  /** Resolves once the last read due has settled. */
  done: Promise<PollTotals>
  /** No more reads; those in flight settle by their deadlines. */
  stop(): void
}

export function startPoller(o: PollerOptions): Poller {
  const periodMs = 1000 / o.hz
  const counts: CellCounts = { sent: 0, ok: 0, dropped: 0, errors: {} }
  const deviceErrors: Record<string, number> = {}
  const freshness = createHistogram()
  const params = o.characteristics.map((characteristic) => ({ characteristic }))
  let inFlight = 0
  let scheduled = false
  let finish: (t: PollTotals) => void = () => {}
  const done = new Promise<PollTotals>((resolve) => (finish = resolve))
  const maybeDone = (): void => {
    if (scheduled && inFlight === 0) finish({ counts, deviceErrors, freshness })
  }
  const settle = (r: CallResult): void => {
    inFlight--
    const sampledAt = r.ok ? (r.result as { sampledAt?: unknown } | null)?.sampledAt : undefined
    if (r.ok && typeof sampledAt === 'number') {
      const us = (o.epoch() - sampledAt) * 1000
      counts.ok++
      recordUs(freshness, us)
      o.onResult?.(true, us)
    } else {
      const kind = r.ok ? 'bad-reply' : r.kind
      counts.errors[kind] = (counts.errors[kind] ?? 0) + 1
      if (!r.ok && r.kind === 'device-error') deviceErrors[r.code ?? 'unknown'] = (deviceErrors[r.code ?? 'unknown'] ?? 0) + 1
      o.onResult?.(false, 0)
    }
    maybeDone()
  }
  const seedHash = hash32(String(o.seed))
  const schedule = new PhasedSchedule({
    clock: o.clock,
    periodMs,
    phasesMs: o.deviceIds.map((id) => hashedPhase(periodMs, hash32(id, seedHash))),
    startMs: o.startMs,
    endMs: o.startMs + o.durationMs,
    fire: (device, dueMs) => {
      const deadline = dueMs + periodMs
      counts.sent += params.length
      if (o.clock.now() >= deadline) {
        counts.dropped += params.length
        for (let c = 0; c < params.length; c++) o.onResult?.(false, 0)
        return
      }
      const id = o.deviceIds[device]!
      for (const p of params) {
        inFlight++
        void o.client.call(id, 'read', p, { deadline }).then(settle)
      }
    },
    done: () => {
      scheduled = true
      maybeDone()
    },
  })
  schedule.start()
  return { done, stop: () => schedule.stop() }
}
