/**
 * What a fleet tells about its gateways' connections, as they happen: every attempt, every CONNACK,
 * every gateway whose filters are all acknowledged again, every loss. `at` is the gateway's clock
 * (`clock.now()`; realClock = performance.now()). Per gateway the events come in this order:
 * attempt → (connected → subscribed? | lost) → … ; `lost` follows a failed attempt as well as a
 * dropped connection.
 */
export interface ConnectionObserver {
  /** A CONNECT is about to be sent (first connect or a reconnect attempt). */
  attempt(gatewayId: string, at: number): void
  /** CONNACK accepted, `connackMs` after its CONNECT. */
  connected(gatewayId: string, at: number, connackMs: number): void
  /** Every filter of the gateway acknowledged again (SUBACK of its last batch): its devices answer from now on. `filters` = how many. */
  subscribed(gatewayId: string, at: number, filters: number): void
  /** The connection was lost (or an attempt failed). */
  lost(gatewayId: string, at: number): void
}

/** Counts of what happened, fleet-wide; also an observer (start-up progress, tests). */
export class ConnectionCounts implements ConnectionObserver {
  attempts = 0
  connects = 0
  subscribes = 0
  losses = 0
  /** Filters acknowledged, summed over every `subscribed`. */
  filters = 0

  attempt(): void {
    this.attempts++
  }
  connected(): void {
    this.connects++
  }
  subscribed(_gatewayId: string, _at: number, filters: number): void {
    this.subscribes++
    this.filters += filters
  }
  lost(): void {
    this.losses++
  }
}

/** One observer that tells every one of `observers` (undefined ones are skipped), in order. */
export function fanOut(...observers: Array<ConnectionObserver | undefined>): ConnectionObserver | undefined {
  const list = observers.filter((o): o is ConnectionObserver => o !== undefined)
  if (list.length <= 1) return list[0]
  return {
    attempt: (g, at) => list.forEach((o) => o.attempt(g, at)),
    connected: (g, at, ms) => list.forEach((o) => o.connected(g, at, ms)),
    subscribed: (g, at, n) => list.forEach((o) => o.subscribed(g, at, n)),
    lost: (g, at) => list.forEach((o) => o.lost(g, at)),
  }
}
