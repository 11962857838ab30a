/** Device profiles: how long BLE operations take and how often they fail. */
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

const none = { kind: 'fixed', ms: 0 } as const

export const PROFILES: Readonly<Record<string, DeviceProfile>> = {
  'ble-default': {
    name: 'ble-default',
    description: 'healthy BLE: open 20-800 ms (median 60), read/write 2-8 ms, rare failures',
    latency: {
      info: { kind: 'uniform', minMs: 0, maxMs: 1 },
      open: { kind: 'lognormal', medianMs: 60, sigma: 0.6, maxMs: 800 },
      read: { kind: 'uniform', minMs: 2, maxMs: 8 },
      write: { kind: 'uniform', minMs: 3, maxMs: 10 },
      close: { kind: 'uniform', minMs: 1, maxMs: 5 },
    },
    failures: {
      open: { probability: 0.01, kinds: [{ code: 'connect_timeout', weight: 1 }] },
      read: { probability: 0.002, kinds: [{ code: 'gatt_error', weight: 1 }] },
      write: { probability: 0.002, kinds: [{ code: 'gatt_error', weight: 1 }] },
    },
    connectTimeoutMs: 1000,
    radioSlots: 8,
  },
  'ble-flaky': {
    name: 'ble-flaky',
    description: 'weak links: open 100-3000 ms (median 250), 20% failed opens (connect_timeout, out_of_range), 5% GATT errors',
    latency: {
      info: { kind: 'uniform', minMs: 0, maxMs: 2 },
      open: { kind: 'lognormal', medianMs: 250, sigma: 0.8, maxMs: 3000 },
      read: { kind: 'uniform', minMs: 5, maxMs: 40 },
      write: { kind: 'uniform', minMs: 5, maxMs: 50 },
      close: { kind: 'uniform', minMs: 2, maxMs: 20 },
    },
    failures: {
      open: { probability: 0.2, kinds: [{ code: 'connect_timeout', weight: 3 }, { code: 'out_of_range', weight: 2 }] },
      read: { probability: 0.05, kinds: [{ code: 'gatt_error', weight: 1 }] },
      write: { probability: 0.05, kinds: [{ code: 'gatt_error', weight: 1 }] },
    },
    connectTimeoutMs: 1500,
    radioSlots: 4,
  },
  instant: {
    name: 'instant',
    description: 'zero latency, no failures, unlimited radio: measures the MQTT path alone (benchmarks)',
    latency: { info: none, open: none, read: none, write: none, close: none },
    failures: {},
    connectTimeoutMs: 0,
    radioSlots: Number.MAX_SAFE_INTEGER,
  },
}

export function profileNames(): string[] {
  return Object.keys(PROFILES)
}

export function getProfile(name: string): DeviceProfile | undefined {
  return Object.hasOwn(PROFILES, name) ? PROFILES[name] : undefined
}

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
