/**
 * Latency samples of the floors (a) and (b): one store into a growable Float64Array per call and a
 * sort at the end. This is the cheapest honest recording, so the floors carry no histogram cost and
 * the loadgen's HDR recording shows up in the (c)/(b) ratio.
 */
export class Samples {
  private buf = new Float64Array(1 << 16)
  private n = 0

  get count(): number {
    return this.n
  }

  push(us: number): void {
    if (this.n === this.buf.length) {
      const bigger = new Float64Array(this.buf.length * 2)
      bigger.set(this.buf)
      this.buf = bigger
    }
    this.buf[this.n++] = us
  }

  /** Nearest-rank percentiles (µs, rounded), e.g. `percentiles([50, 99])`; zeros when empty. */
  percentiles(ps: readonly number[]): number[] {
    if (this.n === 0) return ps.map(() => 0)
    const sorted = this.buf.slice(0, this.n).sort()
    return ps.map((p) => Math.round(sorted[Math.min(this.n - 1, Math.max(0, Math.ceil((p / 100) * this.n) - 1))]!))
  }
}
