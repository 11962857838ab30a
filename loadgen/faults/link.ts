/**
 * When bytes cross a shaped link, as pure arithmetic (so it is tested exactly). A direction of a
 * TCP connection is a FIFO: a chunk that arrived at `a` is delivered at
 *
 *     d = max(a + latency + jitter, d_prev) + bytes / bandwidth
 *
 * i.e. it waits out the one-way latency (plus its jitter, drawn once when it arrives), then its
 * turn behind the previous chunk, then its own serialisation time. Order is always kept. A held
 * link (half-open, or a link that has gone silent) delivers nothing until released.
 *
 * Loss on a TCP link loses no bytes: a lost segment is sent again after the retransmission timeout,
 * and everything behind it waits (head-of-line blocking). So a chunk that draws a loss (each of its
 * MSS-sized segments is lost with probability `loss`) is delayed by `retransmitMs`, and the FIFO
 * rule above makes the chunks after it wait too.
 */
import type { Rng } from '../../core/rng.ts'

export interface LinkConditions {
  /** Bytes per second; undefined or 0 = unlimited. */
  bandwidth?: number
  /** One-way delay, ms. */
  latencyMs?: number
  /** Extra one-way delay, uniform in [0, jitterMs), drawn per chunk from the seeded rng. */
  jitterMs?: number
  /** Deliver nothing (bytes queue) until the conditions change: a held or half-open link. */
  hold?: boolean
  /** Probability that a TCP segment is lost (0..1); a lost one is retransmitted after `retransmitMs`. */
  loss?: number
  /** Retransmission timeout, ms (Linux: srtt + max(200 ms, 4·rttvar)); default 200. */
  retransmitMs?: number
}

/** TCP payload bytes per segment on an Ethernet path (1500 − 40 − 12 of timestamps). */
export const MSS_BYTES = 1448
/** Linux's minimum retransmission timeout. */
export const MIN_RTO_MS = 200

/** True when the conditions change nothing (a plain wire). */
export function isPlain(c: LinkConditions | undefined): boolean {
  return c === undefined || (!c.hold && !(c.bandwidth! > 0) && !(c.latencyMs! > 0) && !(c.jitterMs! > 0) && !(c.loss! > 0))
}

/** Slice size that keeps pacing smooth: about 10 ms of the bandwidth, 256 B to 16 KiB. */
export function sliceBytes(c: LinkConditions | undefined): number {
  const bw = c?.bandwidth ?? 0
  if (!(bw > 0)) return 16_384
  return Math.max(256, Math.min(16_384, Math.floor(bw / 100)))
}

export class LinkSchedule {
  private lastDeliveredAt = Number.NEGATIVE_INFINITY

  constructor(private readonly rng?: Rng) {}

  /** The jitter a chunk arriving now carries (0 without jitter or rng). */
  drawJitter(c: LinkConditions | undefined): number {
    const j = c?.jitterMs ?? 0
    return j > 0 && this.rng ? j * this.rng.next() : 0
  }

  /**
   * The extra delay a chunk of `bytes` arriving now carries: its jitter, plus one retransmission
   * timeout if any of its segments is lost (one draw per chunk; 0 without loss or rng).
   */
  drawDelay(bytes: number, c: LinkConditions | undefined): number {
    const jitter = this.drawJitter(c)
    const p = c?.loss ?? 0
    if (!(p > 0) || !this.rng) return jitter
    const segments = Math.max(1, Math.ceil(bytes / MSS_BYTES))
    const lostAny = 1 - (1 - p) ** segments
    return this.rng.next() < lostAny ? jitter + (c?.retransmitMs ?? MIN_RTO_MS) : jitter
  }

  /** When the next chunk can be delivered; Infinity while held. Does not commit. */
  deliveryTime(bytes: number, arrivedAt: number, jitterMs: number, c: LinkConditions | undefined): number {
    if (c === undefined) return Math.max(arrivedAt, this.lastDeliveredAt)
    if (c.hold === true) return Number.POSITIVE_INFINITY
    const tx = c.bandwidth !== undefined && c.bandwidth > 0 ? (bytes * 1000) / c.bandwidth : 0
    return Math.max(arrivedAt + (c.latencyMs ?? 0) + jitterMs, this.lastDeliveredAt) + tx
  }

  /** Commits a delivery at `at`. */
  delivered(at: number): void {
    this.lastDeliveredAt = at
  }
}
