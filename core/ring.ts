/**
 * A FIFO ring buffer: O(1) push and shift without Array.shift's copying, slots cleared on removal
 * so nothing is retained. Fixed size unless `growable` (then it doubles when full).
 */
export class Ring<T> {
  private slots: Array<T | undefined>
  private head = 0
  private count = 0

  constructor(
    size: number,
    private readonly growable = false,
  ) {
    if (!Number.isInteger(size) || size < 0) throw new Error(`ring size must be a whole number ≥ 0, got ${size}`)
    this.slots = new Array<T | undefined>(size)
  }

  get length(): number {
    return this.count
  }

  get size(): number {
    return this.slots.length
  }

  get full(): boolean {
    return this.count === this.slots.length
  }

  /** Appends; returns false when full and not growable. */
  push(item: T): boolean {
    if (this.count === this.slots.length) {
      if (!this.growable) return false
      this.grow()
    }
    this.slots[(this.head + this.count) % this.slots.length] = item
    this.count++
    return true
  }

  /** Removes and returns the oldest item (undefined when empty). */
  shift(): T | undefined {
    if (this.count === 0) return undefined
    const item = this.slots[this.head]
    this.slots[this.head] = undefined
    this.head = (this.head + 1) % this.slots.length
    this.count--
    return item
  }

  /** The oldest item without removing it. */
  peek(): T | undefined {
    return this.count === 0 ? undefined : this.slots[this.head]
  }

  /** The i-th oldest item (0 = oldest). */
  at(i: number): T | undefined {
    return i >= 0 && i < this.count ? this.slots[(this.head + i) % this.slots.length] : undefined
  }

  clear(): void {
    while (this.count > 0) this.shift()
  }

  private grow(): void {
    const next = new Array<T | undefined>(Math.max(4, this.slots.length * 2))
    for (let i = 0; i < this.count; i++) next[i] = this.slots[(this.head + i) % this.slots.length]
    this.slots = next
    this.head = 0
  }
}
