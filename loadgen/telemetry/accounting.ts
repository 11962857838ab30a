/**
 * The accounting of the telemetry patterns, from both sides: what each stream published (the
 * devices' totals) against what the caller received (StreamTracker). The unit is a sample the
 * caller should obtain, so `sent = ok + errors` holds for every cell:
 *
 * - telemetry (every sample published): sent = samples published; ok = received; `lost` = missing
 *   with a later one received (a sequence gap); `undelivered` = missing with none after it (never
 *   arrived before the drain ended).
 * - report-by-exception (changes published): sent = samples taken, since a caller that has every
 *   change knows every sample's value. A lost change leaves the caller holding a wrong value from
 *   that change's sample until the next change it receives (`lost`) or to the end (`undelivered`);
 *   every other sample is ok.
 */
import type { CellCounts } from '../../core/result.ts'
import type { PublishMode, StreamTotals } from '../../core/telemetry.ts'

export interface PublishedAccounting {
  counts: CellCounts
  /** Messages published that never arrived (telemetry: lost samples; report-by-exception: lost changes). */
  messagesMissed: number
}

export function publishedAccounting(mode: PublishMode, device: readonly StreamTotals[], got: readonly Int32Array[]): PublishedAccounting {
  if (device.length !== got.length) throw new Error(`accounting needs one caller stream per device stream: ${got.length} for ${device.length}`)
  const counts: CellCounts = { sent: 0, ok: 0, dropped: 0, errors: { lost: 0, undelivered: 0 } }
  let messagesMissed = 0
  device.forEach((d, s) => {
    const r = got[s]!
    const has = (seq: number): boolean => seq <= r.length && r[seq - 1] !== 0
    if (mode === 'every-sample') {
      let last = 0
      let received = 0
      for (let seq = 1; seq <= d.published; seq++) {
        if (!has(seq)) continue
        received++
        last = seq
      }
      counts.sent += d.published
      counts.ok += received
      counts.errors.lost! += last - received
      counts.errors.undelivered! += d.published - last
      messagesMissed += d.published - received
      return
    }
    const at = d.changesAt
    if (at === undefined || at.length !== d.published) throw new Error('report-by-exception accounting needs the sample index of every change')
    let lost = 0
    let undelivered = 0
    for (let j = 1; j <= d.published; ) {
      if (has(j)) {
        j++
        continue
      }
      let k = j
      while (k <= d.published && !has(k)) k++
      messagesMissed += k - j
      // Wrong from the first lost change's sample until the next change received, or to the end.
      if (k <= d.published) lost += at[k - 1]! - at[j - 1]!
      else undelivered += d.samples - at[j - 1]!
      j = k
    }
    counts.sent += d.samples
    counts.ok += d.samples - lost - undelivered
    counts.errors.lost! += lost
    counts.errors.undelivered! += undelivered
  })
  return { counts, messagesMissed }
}
