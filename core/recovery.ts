/** The derived figures of a recovery cell (reconnect-storm), one home: rates from its counts. */
import { perSec } from './accounting.ts'
import type { RecoveryStats } from './result.ts'

export interface RecoveryRates {
  /** CONNECTs per second over the recovery window. */
  attemptsPerSec: number
  /** Subscriptions acknowledged again per second over the recovery window. */
  filtersPerSec: number
  /** Failed calls per call started during the recovery (0..1). */
  failedDuringRecovery: number
  /** Gateways that did not recover before the deadline. */
  unrecovered: number
}

export function recoveryRates(s: RecoveryStats): RecoveryRates {
  return {
    attemptsPerSec: perSec(s.attempts, s.recoveryWindowMs),
    filtersPerSec: perSec(s.filtersRestored, s.recoveryWindowMs),
    failedDuringRecovery: s.callsDuringRecovery > 0 ? s.callsFailedDuringRecovery / s.callsDuringRecovery : 0,
    unrecovered: s.gateways - s.recovered,
  }
}
