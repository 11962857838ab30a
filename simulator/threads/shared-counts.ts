/**
 * The broker's packet counts in shared memory: the broker's thread adds as it counts, any thread
 * reads them at once and exactly (the cell runner reads them synchronously before and after every
 * cell). BigInt64 cells, so a long run never wraps; one writer, Atomics for both sides.
 */
import { BROKER_COUNTERS, type BrokerCounts } from '../../core/counters.ts'

const INDEX: Readonly<Record<keyof BrokerCounts, number>> = Object.fromEntries(BROKER_COUNTERS.map((k, i) => [k, i])) as Record<keyof BrokerCounts, number>

export class SharedCounts {
  private readonly cells: BigInt64Array

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(BROKER_COUNTERS.length * BigInt64Array.BYTES_PER_ELEMENT)) {
    this.cells = new BigInt64Array(buffer)
  }

  add(key: keyof BrokerCounts): void {
    Atomics.add(this.cells, INDEX[key], 1n)
  }

  read(): BrokerCounts {
    const out = {} as BrokerCounts
    for (const k of BROKER_COUNTERS) out[k] = Number(Atomics.load(this.cells, INDEX[k]))
    return out
  }
}
