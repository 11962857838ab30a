import { Aedes } from 'aedes'
import type { Readable } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { deriveRng } from '../core/rng.ts'
import { indexRetained, type RetainedPersistence } from './retained-index.ts'

const persistenceOf = (a: Aedes): RetainedPersistence => (a as unknown as { persistence: RetainedPersistence }).persistence
const brokers: Aedes[] = []
afterAll(async () => {
  for (const b of brokers) await new Promise<void>((resolve) => b.close(() => resolve()))
})

async function topicsOf(stream: Readable): Promise<string[]> {
  const out: string[] = []
  for await (const p of stream) out.push(`${(p as { topic: string }).topic}=${String((p as { payload: Buffer }).payload)}`)
  return out
}

describe('retained messages through an index (the embedded broker)', () => {
  it('answers every SUBSCRIBE exactly as Aedes\'s own scan: same messages, same order, duplicates included', async () => {
    const plain = await Aedes.createBroker()
    const indexed = await Aedes.createBroker()
    brokers.push(plain, indexed)
    const index = indexRetained(persistenceOf(indexed))
    const rng = deriveRng(5, 'retained')
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)]!
    const levels = ['fleet', 'gateways', 'gw-1', 'gw-2', 'ble-0001', 'rpc', 'info', 'MQTTnet.RPC', 'x', '']
    const topic = (): string => Array.from({ length: 1 + Math.floor(rng.next() * 4) }, () => pick(levels)).join('/')
    // Stores, overwrites (same place in the order) and deletes (empty payload), interleaved.
    for (let i = 0; i < 400; i++) {
      const pkt = { cmd: 'publish', topic: topic(), payload: Buffer.from(rng.next() < 0.2 ? '' : String(i)), qos: 0, retain: true }
      await Promise.all([persistenceOf(plain).storeRetained(pkt), persistenceOf(indexed).storeRetained(pkt)])
    }
    expect(index.size).toBeGreaterThan(20)
    const filter = (): string => {
      const f = Array.from({ length: 1 + Math.floor(rng.next() * 4) }, () => (rng.next() < 0.3 ? '+' : pick(levels)))
      if (rng.next() < 0.3) f.push('#')
      return f.join('/')
    }
    for (let i = 0; i < 300; i++) {
      const patterns = Array.from({ length: 1 + Math.floor(rng.next() * 5) }, filter)
      if (i % 50 === 0) patterns.push('#', '+/#', 'fleet/gateways/+')
      const [want, got] = await Promise.all([topicsOf(persistenceOf(plain).createRetainedStreamCombi(patterns)), topicsOf(persistenceOf(indexed).createRetainedStreamCombi(patterns))])
      expect(got, patterns.join(' ')).toEqual(want)
    }
  })
})
