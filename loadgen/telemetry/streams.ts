/**
 * What the caller received of each telemetry stream (one per device and characteristic): for every
 * sequence number, whether it arrived and the sample index n it carried, so gaps, duplicates and
 * report-by-exception's covered samples can be counted exactly afterwards. One Int32Array per
 * stream (n + 1 by seq − 1, 0 = not received), grown by doubling; nothing allocated per message.
 */
export class StreamTracker {
  /** Distinct messages received, all streams. */
  total = 0
  duplicates = 0
  private readonly got: Int32Array[]

  constructor(streams: number, expectedPerStream = 16) {
    const size = Math.max(16, Math.min(expectedPerStream, 1 << 20))
    this.got = Array.from({ length: streams }, () => new Int32Array(size))
  }

  get streams(): number {
    return this.got.length
  }

  /** Message `seq` (from 1) of `stream`, carrying sample index `n`; false for a duplicate. */
  record(stream: number, seq: number, n: number): boolean {
    let a = this.got[stream]!
    if (seq > a.length) {
      let size = a.length * 2
      while (size < seq) size *= 2
      const next = new Int32Array(size)
      next.set(a)
      this.got[stream] = a = next
    }
    if (a[seq - 1] !== 0) {
      this.duplicates++
      return false
    }
    a[seq - 1] = n + 1
    this.total++
    return true
  }

  /** Per stream: n + 1 by seq − 1, 0 where nothing arrived (the tracker's own arrays: read, do not keep). */
  received(): readonly Int32Array[] {
    return this.got
  }
}
