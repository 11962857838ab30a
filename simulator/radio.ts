/** A gateway's BLE radio: at most `slots` connection attempts at once, the rest wait in FIFO order. */
export class Radio {
  private active = 0
  private peak = 0
  private readonly waiting: Array<() => void> = []

  constructor(readonly slots: number) {
    if (!(slots >= 1)) throw new Error(`radio slots must be at least 1, got ${slots}`)
  }

  get inUse(): number {
    return this.active
  }
  get queued(): number {
    return this.waiting.length
  }
  /** Highest number of simultaneous attempts seen; never above `slots`. */
  get peakInUse(): number {
    return this.peak
  }

  acquire(): Promise<void> {
    if (this.active < this.slots) {
      this.take()
      return Promise.resolve()
    }
    return new Promise((resolve) => this.waiting.push(() => (this.take(), resolve())))
  }

  release(): void {
    this.active--
    const next = this.waiting.shift()
    if (next) next()
  }

  private take(): void {
    this.active++
    if (this.active > this.peak) this.peak = this.active
  }
}
