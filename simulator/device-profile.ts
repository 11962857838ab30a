/** What a device profile is (how long BLE operations take and how often they fail) and the draws a device makes from it. */
import { normal, type Rng } from '../core/rng.ts'
import type { ErrorCode } from '../core/protocol.ts'

export type Dist =
  | { kind: 'fixed'; ms: number }
  | { kind: 'uniform'; minMs: number; maxMs: number }
  /** Log-normal around a median, capped so one unlucky draw cannot stall a run. */
  | { kind: 'lognormal'; medianMs: number; sigma: number; maxMs: number }

export interface Failure {
  probability: number
  /** Which error, weighted; a `connect_timeout` takes the profile's connectTimeoutMs. */
  kinds: ReadonlyArray<{ code: ErrorCode; weight: number }>
}

export interface DeviceProfile {
  name: string
  description: string
  latency: { info: Dist; open: Dist; read: Dist; write: Dist; close: Dist }
  failures: { open?: Failure; read?: Failure; write?: Failure }
  connectTimeoutMs: number
  /** Concurrent BLE connection attempts one gateway radio can make; more wait in a FIFO queue. */
  radioSlots: number
}

/** radioSlots of an "unlimited" radio. */
export const UNLIMITED_SLOTS = Number.MAX_SAFE_INTEGER

export function sample(dist: Dist, rng: Rng): number {
  switch (dist.kind) {
    case 'fixed':
      return dist.ms
    case 'uniform':
      return dist.minMs + rng.next() * (dist.maxMs - dist.minMs)
    case 'lognormal':
      return Math.min(dist.maxMs, dist.medianMs * Math.exp(dist.sigma * normal(rng)))
  }
}

/** Draws whether an operation fails and with which code; one draw per operation, always. */
export function drawFailure(failure: Failure | undefined, rng: Rng): ErrorCode | undefined {
  const roll = rng.next()
  if (failure === undefined || roll >= failure.probability) return undefined
  const total = failure.kinds.reduce((s, k) => s + k.weight, 0)
  let pick = (roll / failure.probability) * total
  for (const k of failure.kinds) {
    if (pick < k.weight) return k.code
    pick -= k.weight
  }
  return failure.kinds[failure.kinds.length - 1]?.code
}
