/**
 * Seeded randomness. Each device owns a tiny generator derived from (seed, deviceId), so its
 * decisions depend only on its own sequence of operations, not on how requests interleave.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number
}

/** 32-bit FNV-1a, used to derive independent streams from a seed and a name. */
export function hash32(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h >>> 0
}

/** mulberry32: small, fast, good enough for simulation decisions. State is one 32-bit number. */
export class Mulberry32 implements Rng {
  private state: number

  constructor(seed: number) {
    this.state = seed >>> 0
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function deriveRng(seed: number, name: string): Rng {
  return new Mulberry32(hash32(name, hash32(String(seed))))
}

/** Standard normal via Box–Muller (one value per call; the second is discarded for simplicity). */
export function normal(rng: Rng): number {
  const u = 1 - rng.next()
  const v = rng.next()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
}
