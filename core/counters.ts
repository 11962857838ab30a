/**
 * Counter lists that cross a thread and land in a result, defined once: the RPC client's counters
 * (both client kinds keep them, workers sum them, result cells carry them) and the broker's packet
 * counts (the embedded broker counts them, the runner takes per-cell differences).
 */

/** What one RPC client counts. */
export interface ClientStats {
  /** Connections opened so far (1 + reconnects). */
  connections: number
  /** SUBSCRIBE / UNSUBSCRIBE packets this client sent. */
  subscribes: number
  unsubscribes: number
  /** Replies that arrived after their call had finished (timed out or cancelled); never resolve another call. */
  lateReplies: number
  /** Replies that match no call this client ever made (garbage, foreign ids); counted and ignored. */
  unknownReplies: number
  /** Calls failed as `disconnected`: pending when the connection was lost or closed, or made while it was down. */
  disconnectedCalls: number
  /** Emulated MQTTnet < 5.2 teardowns (strict ack mode only). */
  protocolViolations: number
  /** Highest number of calls in flight at once. */
  peakInFlight: number
}

/** Every client counter, in the order results list them. */
export const CLIENT_COUNTERS = [
  'connections',
  'subscribes',
  'unsubscribes',
  'lateReplies',
  'unknownReplies',
  'disconnectedCalls',
  'protocolViolations',
  'peakInFlight',
] as const satisfies ReadonlyArray<keyof ClientStats>

/** Keys whose numbers are peaks or gauges (a depth, a memory size): combined with max, never added. */
export const GAUGE_KEY = /^(max|peak|baseline)|(depth|bytes)$/i

export function emptyClientStats(): ClientStats {
  return Object.fromEntries(CLIENT_COUNTERS.map((k) => [k, 0])) as unknown as ClientStats
}

/** Clients side by side (threads, repeats): counts add, peaks take the max. */
export function sumClientStats(list: readonly ClientStats[]): ClientStats {
  const total = emptyClientStats()
  for (const s of list) for (const k of CLIENT_COUNTERS) total[k] = GAUGE_KEY.test(k) ? Math.max(total[k], s[k]) : total[k] + s[k]
  return total
}

/** Packets a broker handled. */
export interface BrokerCounts {
  connect: number
  subscribe: number
  unsubscribe: number
  /** PUBLISH packets received from clients (the broker's own $SYS messages are not counted). */
  publish: number
}

/** Every broker count, in one fixed order (the per-cell delta; counters shared between threads). */
export const BROKER_COUNTERS = ['connect', 'subscribe', 'unsubscribe', 'publish'] as const satisfies ReadonlyArray<keyof BrokerCounts>

/** The packets a result cell reports of a broker reading (connects are not a cell's figure). */
export const packetCounts = (b: BrokerCounts): Omit<BrokerCounts, 'connect'> => ({ subscribe: b.subscribe, unsubscribe: b.unsubscribe, publish: b.publish })

/** What the broker handled between two readings; undefined when either is missing (external broker). */
export function brokerDelta(before: BrokerCounts | undefined, after: BrokerCounts | undefined): BrokerCounts | undefined {
  if (!before || !after) return undefined
  return Object.fromEntries(BROKER_COUNTERS.map((k) => [k, after[k] - before[k]])) as unknown as BrokerCounts
}
