/**
 * What one worker runs and what it sends back. The main thread plans `UserPlan`s, workers run them
 * with `runUsers` and return a `SliceResult` each; the main thread merges slices into a cell.
 */
import type { SeriesPoint } from '../../core/series.ts'
import type { ClientStats } from '../../core/counters.ts'
import type { ErrorKind } from '../clients/types.ts'
import type { AttemptCounts } from '../../core/result.ts'

export interface DeviceTarget {
  deviceId: string
  gatewayId: string
}

/** One virtual user: its own clients and its own devices, running rounds. */
export interface UserPlan {
  userIndex: number
  devices: DeviceTarget[]
}

export type LoadModel =
  /** Rounds back to back for `durationMs`. */
  | { kind: 'closed'; durationMs: number }
  /** Rounds intended at a constant rate per user; a late round starts when the previous ends,
   *  and its makespan is measured from the intended start (coordinated omission corrected). */
  | { kind: 'open'; durationMs: number; roundsPerSec: number }
  /** No rounds, no barrier: every device runs its open → read → close chain back to back for
   *  `durationMs`, so each device always has exactly one call in flight (concurrency = devices).
   *  Benchmarks use it to compare with a hand-written request loop; needs a strategy whose run has
   *  `runChains` (multiplexed). Each chain's deadline is its start + roundTimeoutMs. */
  | { kind: 'closed-calls'; durationMs: number }

export interface Counts {
  sent: number
  ok: number
  /** Calls accepted by the caller but never sent (bounded channel policies); 0 for parallel-ble. */
  dropped: number
  errors: Record<ErrorKind, number>
}

export interface SliceResult {
  counts: Counts
  /** Device error codes behind `errors['device-error']`. */
  deviceErrors: Record<string, number>
  rounds: number
  /** Rounds whose shared deadline passed before all their calls finished. */
  roundsPastDeadline: number
  /** Open loop: rounds intended before the end of the run that never started because earlier
   *  rounds ran late (k6's dropped_iterations); always 0 in closed loop. */
  roundsMissed: number
  /** Every attempt behind the calls (equal to the calls without retries). */
  attempts: AttemptCounts
  /** Call latency of successful calls, µs, compressed base64 (hdr). */
  callLatency: string
  /** Round makespan from the intended start (corrected); equals actual start in closed loop. */
  roundLatency: string
  /** Round makespan from the actual start. */
  roundLatencyUncorrected: string
  series: SeriesPoint[]
  clients: ClientStats
  elapsedMs: number
}

/** What `runUsers` reports to `onTick` while a slice runs: counters so far (errors summed over kinds), no histograms. */
export interface SliceProgress {
  sent: number
  ok: number
  errors: number
  dropped: number
  rounds: number
  roundsPastDeadline: number
  elapsedMs: number
}

export const emptyCounts = (kinds: readonly ErrorKind[]): Counts => ({
  sent: 0,
  ok: 0,
  dropped: 0,
  errors: Object.fromEntries(kinds.map((k) => [k, 0])) as Record<ErrorKind, number>,
})
