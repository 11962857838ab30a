/**
 * The embedded broker's retained-message lookup on SUBSCRIBE, through an index. Aedes 1.2's memory
 * persistence answers every SUBSCRIBE by testing every retained message against every filter of
 * the packet (a new matcher per filter), so a fleet's start-up costs filters × retained messages:
 * with 100 gateways × 6,000 filters and up to 100 retained registries, that scan was more than half
 * of the 100k fleet's start-up (16 s, 6 s without it; the SUBACK goes out first and the scan runs
 * after it, so it also delayed every CONNECT queued behind it). Here retained messages are also kept
 * by their first one and two topic levels, and a filter whose first levels are literal looks only
 * at that bucket: `fleet/ble-0001/rpc/+` finds no retained message at no cost.
 *
 * The answer is exactly Aedes's own: per filter in the packet's order, the matching retained
 * messages in the order the persistence keeps them (a Map by topic, which these buckets mirror),
 * a message once per filter it matches. Matching is the persistence's (qlobber: `+` one non-empty
 * level, `#` the remaining levels, zero included; no special case for `$` topics).
 */
import { Readable } from 'node:stream'

interface RetainedPacket {
  topic: string
  payload: Buffer | string
}

/** The two persistence methods this replaces and feeds on (aedes-persistence 11). */
export interface RetainedPersistence {
  storeRetained(packet: RetainedPacket): Promise<void>
  createRetainedStreamCombi(patterns: string[]): Readable
}

export class RetainedIndex {
  private readonly all = new Map<string, RetainedPacket>()
  private readonly byOne = new Map<string, Map<string, RetainedPacket>>()
  private readonly byTwo = new Map<string, Map<string, RetainedPacket>>()

  get size(): number {
    return this.all.size
  }

  store(pkt: RetainedPacket): void {
    const levels = pkt.topic.split('/')
    const one = levels[0]!
    const two = levels.length > 1 ? `${one}/${levels[1]!}` : undefined
    if (pkt.payload.length === 0) {
      this.all.delete(pkt.topic)
      this.byOne.get(one)?.delete(pkt.topic)
      if (two !== undefined) this.byTwo.get(two)?.delete(pkt.topic)
      return
    }
    const packet = { ...pkt }
    this.all.set(pkt.topic, packet)
    bucket(this.byOne, one).set(pkt.topic, packet)
    if (two !== undefined) bucket(this.byTwo, two).set(pkt.topic, packet)
  }

  /** The retained messages matching `pattern`, in the persistence's order. */
  *matching(pattern: string): Generator<RetainedPacket> {
    if (this.all.size === 0) return
    const f = pattern.split('/')
    const literal = (i: number): boolean => f.length > i && f[i] !== '+' && f[i] !== '#'
    const candidates = literal(0) && literal(1) ? this.byTwo.get(`${f[0]}/${f[1]}`) : literal(0) ? this.byOne.get(f[0]!) : this.all
    if (candidates === undefined) return
    for (const [topic, packet] of candidates) if (matches(f, topic)) yield packet
  }
}

/** Routes `persistence`'s retained messages through an index as well, and answers SUBSCRIBEs from it. */
export function indexRetained(persistence: RetainedPersistence): RetainedIndex {
  const index = new RetainedIndex()
  const store = persistence.storeRetained.bind(persistence)
  persistence.storeRetained = (pkt) => {
    index.store(pkt) // synchronously, like the persistence's own Map
    return store(pkt)
  }
  persistence.createRetainedStreamCombi = (patterns) => Readable.from(combined(index, patterns))
  return index
}

function* combined(index: RetainedIndex, patterns: readonly string[]): Generator<RetainedPacket> {
  for (const p of patterns) yield* index.matching(p)
}

function bucket(map: Map<string, Map<string, RetainedPacket>>, key: string): Map<string, RetainedPacket> {
  let b = map.get(key)
  if (b === undefined) {
    b = new Map()
    map.set(key, b)
  }
  return b
}

function matches(f: readonly string[], topic: string): boolean {
  const t = topic.split('/')
  for (let i = 0; i < f.length; i++) {
    const part = f[i]!
    if (part === '#') return true
    if (i >= t.length) return false
    if (part === '+' ? t[i] === '' : part !== t[i]) return false
  }
  return f.length === t.length
}
