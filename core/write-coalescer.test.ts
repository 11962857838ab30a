import { Writable } from 'node:stream'
import type { MqttClient } from 'mqtt'
import { describe, expect, it } from 'vitest'
import { WriteCoalescer } from './write-coalescer.ts'

/** A socket stand-in that logs each flush: one entry per write or writev, with its chunks. */
function fakeClient(): { client: MqttClient; flushes: string[][]; stream: Writable } {
  const flushes: string[][] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      flushes.push([chunk.toString()])
      done()
    },
    writev(chunks, done) {
      flushes.push(chunks.map((c) => String(c.chunk)))
      done()
    },
  })
  return { client: { stream } as unknown as MqttClient, flushes, stream }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('WriteCoalescer', () => {
  it("sends this turn's writes, including those made from promise continuations, in one flush", async () => {
    const { client, flushes, stream } = fakeClient()
    const writes = new WriteCoalescer()
    writes.hold(client)
    writes.hold(client) // already held: no second cork
    stream.write('puback')
    await Promise.resolve()
    stream.write('reply')
    expect(flushes).toEqual([])
    await turn()
    expect(flushes).toEqual([['puback', 'reply']])
    expect(stream.writableCorked).toBe(0)
  })

  it('holds again in a later turn, and leaves a destroyed stream alone', async () => {
    const { client, flushes, stream } = fakeClient()
    const writes = new WriteCoalescer()
    writes.hold(client)
    stream.write('a')
    await turn()
    writes.hold(client)
    stream.write('b')
    await turn()
    expect(flushes).toEqual([['a'], ['b']])
    stream.destroy()
    writes.hold(client)
    expect(stream.writableCorked).toBe(0)
  })
})
