/**
 * Aligning the caller process's clock with the main process's, where the devices stamp their
 * samples. Both use epoch ms = performance.timeOrigin + performance.now(), which agree between
 * processes of one machine unless the wall clock was stepped between their starts; the exchange
 * measures what is left. NTP-style: the caller sends at t1, the main process answers with its time
 * tm, the answer arrives at t2; offset = tm − (t1 + t2) / 2, from the exchange with the shortest
 * round trip, whose half bounds the error.
 */
export interface SyncSample {
  /** Caller's epoch when it asked, and when the answer arrived. */
  t1: number
  t2: number
  /** The main process's epoch in its answer. */
  remote: number
}

export function clockOffset(samples: readonly SyncSample[]): { offsetMs: number; rttMs: number } {
  let best: SyncSample | undefined
  for (const s of samples) if (best === undefined || s.t2 - s.t1 < best.t2 - best.t1) best = s
  if (best === undefined) throw new Error('clock sync needs at least one exchange')
  return { offsetMs: best.remote - (best.t1 + best.t2) / 2, rttMs: best.t2 - best.t1 }
}

/** Epoch ms of this process at sub-ms precision. */
export const localEpoch = (): number => performance.timeOrigin + performance.now()
