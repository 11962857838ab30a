/**
 * A gateway's device ids, kept compact. The fleet hands out numbered ids in contiguous blocks
 * (`ble-0001…`, see fleetBlocks): a block is a prefix and three numbers, and each id is built when
 * it is asked for, so a million devices cost no million strings. Any other list is kept as given.
 * Both answer the same three questions: how many, the id at a position, the position of an id.
 */

export interface DeviceIds extends Iterable<string> {
  readonly size: number
  /** The id at position `i`, 0 ≤ i < size. */
  at(i: number): string
  /** The position of `id`, or -1 when it is not one of these ids. */
  indexOf(id: string): number
  [Symbol.iterator](): IterableIterator<string>
}

/** Ids `prefix` + the numbers first…first+size−1, each zero-padded to `width` digits (like String.padStart). */
export class IdBlock implements DeviceIds {
  constructor(
    readonly prefix: string,
    readonly width: number,
    readonly first: number,
    readonly size: number,
  ) {
    if (!Number.isSafeInteger(width) || width < 1) throw new Error(`id width must be a positive integer, got ${width}`)
    if (!Number.isSafeInteger(first) || first < 0) throw new Error(`first id number must be a non-negative integer, got ${first}`)
    if (!Number.isSafeInteger(size) || size < 0) throw new Error(`id block size must be a non-negative integer, got ${size}`)
  }

  at(i: number): string {
    return this.prefix + String(this.first + i).padStart(this.width, '0')
  }

  indexOf(id: string): number {
    const p = this.prefix.length
    const digits = id.length - p
    // Exactly as padStart writes them: `width` digits (leading zeros allowed), or more without one.
    if (digits < this.width || digits > 15 || !id.startsWith(this.prefix)) return -1
    if (digits > this.width && id.charCodeAt(p) === 48) return -1
    let n = 0
    for (let k = p; k < id.length; k++) {
      const d = id.charCodeAt(k) - 48
      if (d < 0 || d > 9) return -1
      n = n * 10 + d
    }
    const i = n - this.first
    return i >= 0 && i < this.size ? i : -1
  }

  *[Symbol.iterator](): IterableIterator<string> {
    for (let i = 0; i < this.size; i++) yield this.at(i)
  }
}

/** Ids as given (duplicates kept once, first place wins); the lookup index is built on the first lookup. */
export class IdList implements DeviceIds {
  private readonly ids: readonly string[]
  private index: Map<string, number> | undefined

  constructor(ids: readonly string[]) {
    this.ids = new Set(ids).size === ids.length ? ids : [...new Set(ids)]
  }

  get size(): number {
    return this.ids.length
  }

  at(i: number): string {
    const id = this.ids[i]
    if (id === undefined) throw new RangeError(`no device at position ${i} of ${this.ids.length}`)
    return id
  }

  indexOf(id: string): number {
    this.index ??= new Map(this.ids.map((x, i) => [x, i]))
    return this.index.get(id) ?? -1
  }

  [Symbol.iterator](): IterableIterator<string> {
    return this.ids[Symbol.iterator]()
  }
}

const isList = (ids: readonly string[] | DeviceIds): ids is readonly string[] => Array.isArray(ids)

/** A plain list becomes an IdList; DeviceIds stay as they are. */
export const toDeviceIds = (ids: readonly string[] | DeviceIds): DeviceIds => (isList(ids) ? new IdList(ids) : ids)

export interface GatewayBlock {
  gatewayId: string
  ids: IdBlock
}

/** Device ids `ble-0001…` in contiguous, balanced blocks per gateway `gw-1…`. Pure, so every shard agrees. */
export function fleetBlocks(devices: number, gateways: number): GatewayBlock[] {
  const width = Math.max(4, String(devices).length)
  const out: GatewayBlock[] = []
  let next = 1
  for (let g = 0; g < gateways; g++) {
    const count = Math.floor(devices / gateways) + (g < devices % gateways ? 1 : 0)
    out.push({ gatewayId: `gw-${g + 1}`, ids: new IdBlock('ble-', width, next, count) })
    next += count
  }
  return out
}
