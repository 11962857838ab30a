/** What a gateway counts, and gateways' counters added up: one rule for a fleet in one thread and for gateways spread over threads. */

/** Error codes of a bad request (not the device's answer). */
export type BadCode = 'bad_request' | 'unknown_verb' | 'unknown_device' | 'payload_too_large'

export interface GatewayStats {
  /** Every message delivered to the gateway: received = ok + error + dropped + inFlight. */
  received: number
  repliedOk: number
  repliedError: number
  /** Bad messages with no reply address: counted, never answered. */
  dropped: number
  inFlight: number
  /** Each bad message (or bad batch item) counted once under its error code. */
  bad: Record<BadCode, number>
}

export function emptyGatewayStats(): GatewayStats {
  return {
    received: 0, repliedOk: 0, repliedError: 0, dropped: 0, inFlight: 0,
    bad: { bad_request: 0, unknown_verb: 0, unknown_device: 0, payload_too_large: 0 },
  }
}

/** Every count added, bad messages per code. */
export function sumGatewayStats(list: Iterable<GatewayStats>): GatewayStats {
  const total = emptyGatewayStats()
  for (const s of list) {
    total.received += s.received
    total.repliedOk += s.repliedOk
    total.repliedError += s.repliedError
    total.dropped += s.dropped
    total.inFlight += s.inFlight
    for (const k of Object.keys(total.bad) as Array<keyof GatewayStats['bad']>) total.bad[k] += s.bad[k]
  }
  return total
}
