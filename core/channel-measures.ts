/** What a channel-capacity cell measures (the worker's counters and gauges), listed once, and the channel block of its result cell. */

/**
 * What a channel cell's worker measures, listed once: the worker sends these across the thread
 * and the result cell keeps them as they are. Merges add counts and take the max of gauges.
 */
export interface ChannelMeasures {
  /** Requests the producers made (= counts.sent); delivered = counts.ok. */
  produced: number
  delivered: number
  dropped: number
  /** Intended sends a blocked producer never got to make before the end (open loop, not in `produced`). */
  missed: number
  /** Deliveries seen twice (QoS 1 resent after a reconnect); not counted in `delivered` again. */
  duplicates: number
  /** Publishes made by the incoming-message handler (send-in-poll cell). */
  replies: number
  /** Requests queued in front of the event loop at once: channel + drop-oldest's ring. */
  maxQueueDepth: number
  maxChannelLength: number
  maxRingDepth: number
  /** Sends waiting at once for room in the channel. */
  maxBlockedSenders: number
  /** In-flight QoS>0 publishes at once (bounded by maxInFlight). */
  peakInFlight: number
  /** Requests the event loop took while disconnected: 0 by its rules. */
  takenWhileDown: number
  /** Connections the publisher opened (1 + reconnects). */
  connections: number
  /** Connection closes the publisher saw (during a cut, each refused reconnect attempt counts too). */
  disconnects: number
  /** The whole process (broker included), sampled every 100 ms. */
  peakRssBytes: number
  /** The cell worker's own V8 heap + array buffers at its peak. */
  peakMemoryBytes: number
  produceMs: number
  /** Fault windows that began during production. */
  faultWindows: number
  /** Deadlock cells: when the watchdog fired, ms after production started. */
  deadlockAfterMs?: number
  /** cut and slow-link: the fault proxy's counts. */
  proxy?: { accepted: number; refused: number; severed: number; bytesUp: number; bytesDown: number }
}

/** Every numeric channel measure, in the order results list them (deadlockAfterMs and proxy are optional extras). */
export const CHANNEL_COUNTERS = [
  'produced', 'delivered', 'dropped', 'missed', 'duplicates', 'replies',
  'maxQueueDepth', 'maxChannelLength', 'maxRingDepth', 'maxBlockedSenders', 'peakInFlight', 'takenWhileDown',
  'connections', 'disconnects', 'peakRssBytes', 'peakMemoryBytes', 'produceMs', 'faultWindows',
] as const satisfies ReadonlyArray<keyof ChannelMeasures>

/** The measures of a channel cell taken from whatever carries them (the worker's message). */
export function channelMeasures(from: ChannelMeasures): ChannelMeasures {
  const out = Object.fromEntries(CHANNEL_COUNTERS.map((k) => [k, from[k]])) as unknown as ChannelMeasures
  if (from.deadlockAfterMs !== undefined) out.deadlockAfterMs = from.deadlockAfterMs
  if (from.proxy !== undefined) out.proxy = from.proxy
  return out
}

/** All channel measures at zero (a cell that could not run). */
export const emptyChannelMeasures = (): ChannelMeasures => Object.fromEntries(CHANNEL_COUNTERS.map((k) => [k, 0])) as unknown as ChannelMeasures

/** The channel block of a cell: its configuration, what was measured, and two derived figures. */
export interface ChannelCellStats extends ChannelMeasures {
  capacity: number
  policy: string
  fault: string
  /** `try` policy: trySend refused because the channel was full (= counts.errors['try-full']). */
  tryFailures: number
  /** peakMemoryBytes minus the worker's memory before the cell built anything. */
  memoryGrowthBytes: number
}
