/**
 * What every gateway of a fleet shares about connecting: one connect pacer (token bucket), one
 * reconnect backoff, one set of subscribe permits, one observer. Defaults and why:
 *
 * - `connectRate` 200/s with a burst of a tenth of a second's worth (20): a fleet of up to 20
 *   gateways connects at once as before; a big one, or a whole fleet reconnecting after a broker
 *   restart, arrives at 200 CONNECTs per second, below the ~500 a second the embedded broker took
 *   together with their subscriptions (1,000 gateways × 10 devices: CONNACK 1 ms at the median and
 *   0.1 s at most at 200/s, 0.9 s and 1.6 s all at once). 0 = unpaced (all at once).
 * - `reconnectBackoff` 1s..30s, full jitter: after a broker restart every gateway's first attempt
 *   lands somewhere in the first second; each failed attempt doubles the ceiling up to 30 s.
 * - `subscribeWindow` 4 gateways subscribing at once, each one 500-filter SUBSCRIBE in flight
 *   (gateway-connection.ts says what happens without a bound). Measured with 100 gateways × 6,000
 *   filters on the embedded broker: 1 permit started in 6.2 s with CONNACKs at 172 ms (median),
 *   4 in 6.3–7.8 s at 0.6 s, 8 at 1.2 s, 16 at 1.5 s (3.0 s at most, of the 5 s CONNACK deadline),
 *   and unbounded (100) missed that deadline, as before the permits. 4, because a permit
 *   moves 500 filters per round trip: on a 40 ms gateway link one permit is 12,500 filters a
 *   second, four about what the embedded broker takes.
 */
import type { BackoffRange } from '../core/backoff.ts'
import type { Clock } from '../core/clock.ts'
import { Pacer } from '../core/pacer.ts'
import { Semaphore } from '../core/semaphore.ts'
import type { ConnectionObserver } from './connection-observer.ts'

export interface ConnectionPolicy {
  pacer: Pacer
  /** Gateways subscribing at once, each with one SUBSCRIBE in flight: the fleet-wide bound on SUBSCRIBEs in flight. */
  subscribing: Semaphore
  backoff: BackoffRange
  observer?: ConnectionObserver | undefined
  /** Longest wait for one SUBACK (and for the registry's PUBACK) before the connection is given up. Default 30 s. */
  ackTimeoutMs?: number
}

export interface ConnectionPolicyOptions {
  /** Gateway CONNECTs per second, first connects and reconnects alike; 0 = all at once. */
  connectRate?: number
  reconnectBackoff?: BackoffRange
  /** Gateways subscribing at once (= SUBSCRIBE packets in flight, fleet-wide). */
  subscribeWindow?: number
  observer?: ConnectionObserver | undefined
  clock?: Clock
}

export const DEFAULT_CONNECT_RATE = 200
export const DEFAULT_RECONNECT_BACKOFF: Readonly<BackoffRange> = Object.freeze({ baseMs: 1_000, capMs: 30_000 })
export const DEFAULT_SUBSCRIBE_WINDOW = 4

/** The pacer's bucket: a tenth of a second's worth of connects, at least one. */
export const connectBurst = (ratePerSec: number): number => Math.max(1, Math.ceil(ratePerSec / 10))

export function connectionPolicy(o: ConnectionPolicyOptions = {}): ConnectionPolicy {
  const rate = o.connectRate ?? DEFAULT_CONNECT_RATE
  return {
    pacer: new Pacer({ ratePerSec: rate, burst: connectBurst(rate), clock: o.clock }),
    subscribing: new Semaphore(o.subscribeWindow ?? DEFAULT_SUBSCRIBE_WINDOW),
    backoff: o.reconnectBackoff ?? DEFAULT_RECONNECT_BACKOFF,
    observer: o.observer,
  }
}

/** A gateway on its own (no fleet): unpaced, its own permits, the default backoff. */
export const standaloneConnectionPolicy = (): ConnectionPolicy => connectionPolicy({ connectRate: 0, subscribeWindow: 1 })
