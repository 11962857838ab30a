import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { ManualClock } from '../../test/support/manual-clock.ts'
import { startFaultProxy, type FaultProxy } from './proxy.ts'

/** A TCP server on 127.0.0.1:0 that records what it receives and answers with `reply(data)`. */
async function target(reply: (d: Buffer) => Buffer | undefined = (d) => d): Promise<{ port: number; received: () => number; sockets: Set<net.Socket>; accepted: () => number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>()
  let bytes = 0
  let accepted = 0
  const server = net.createServer({ noDelay: true }, (s) => {
    accepted++
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => {})
    s.on('data', (d: Buffer) => {
      bytes += d.length
      const r = reply(d)
      if (r) s.write(r)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    received: () => bytes,
    sockets,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

interface Client {
  socket: net.Socket
  data: () => Buffer
  closed: () => boolean
}

function connect(proxy: FaultProxy): Promise<Client> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let closed = false
    const socket = net.createConnection({ host: proxy.host, port: proxy.port, noDelay: true }, () => resolve({ socket, data: () => Buffer.concat(chunks), closed: () => closed }))
    socket.on('data', (d: Buffer) => chunks.push(d))
    socket.on('close', () => (closed = true))
    socket.on('error', reject)
  })
}

/** Polls a condition over real I/O, bounded. */
async function until(cond: () => boolean, what: string, tries = 400): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (cond()) return
    await new Promise((r) => setTimeout(r, 5))
  }
  throw new Error(`timed out waiting for ${what}`)
}

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function rig(clock?: ManualClock, reply?: (d: Buffer) => Buffer | undefined) {
  const t = await target(reply)
  cleanups.push(() => t.close())
  const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: t.port }, clock })
  cleanups.push(() => proxy.close())
  const open = async (): Promise<Client> => {
    const c = await connect(proxy)
    cleanups.push(() => void c.socket.destroy())
    return c
  }
  return { t, proxy, open }
}

describe('FaultProxy (real sockets on 127.0.0.1)', () => {
  it('forwards both ways unchanged and counts bytes', async () => {
    const { proxy, open } = await rig()
    expect(proxy.url).toBe(`mqtt://127.0.0.1:${proxy.port}`)
    const c = await open()
    c.socket.write('hello, broker')
    await until(() => c.data().toString() === 'hello, broker', 'the echo')
    expect(proxy.stats()).toMatchObject({ accepted: 1, active: 1, bytesUp: 13, bytesDown: 13, refused: 0 })
  })

  it('cut: open connections are severed, new ones refused before reaching the target, restore lets them in', async () => {
    const { t, proxy, open } = await rig()
    const before = await open()
    await until(() => t.accepted() === 1, 'the first connection')
    proxy.cut()
    expect(proxy.isCut).toBe(true)
    await until(() => before.closed(), 'the severed connection to close')
    const refused = await open()
    await until(() => refused.closed(), 'the refused connection to close')
    expect(t.accepted()).toBe(1)
    proxy.restore()
    const after = await open()
    after.socket.write('back')
    await until(() => after.data().toString() === 'back', 'the echo after restore')
    expect(proxy.stats()).toMatchObject({ accepted: 2, severed: 1, refused: 1, active: 1 })
  })

  it('shapes a direction exactly on the injected clock: bandwidth and latency', async () => {
    const clock = new ManualClock()
    const { t, proxy, open } = await rig(clock, () => undefined)
    const c = await open()
    proxy.setLink('up', { bandwidth: 1000, latencyMs: 100 })
    c.socket.write(Buffer.alloc(500, 1))
    await until(() => proxy.stats().queuedUp === 500, 'the proxy to queue the bytes')
    // 256-byte slices: 100 ms latency, then 256 ms and 244 ms on a 1000 B/s wire.
    await clock.advance(355)
    expect(proxy.stats().bytesUp).toBe(0)
    await clock.advance(1)
    expect(proxy.stats().bytesUp).toBe(256)
    await clock.advance(243)
    expect(proxy.stats().bytesUp).toBe(256)
    await clock.advance(1)
    expect(proxy.stats()).toMatchObject({ bytesUp: 500, queuedUp: 0 })
    await until(() => t.received() === 500, 'the target to receive everything')
  })

  it('holds one direction (half-open) and releases it in order when lifted', async () => {
    const { t, proxy, open } = await rig(undefined, (d) => Buffer.from(d.toString().toUpperCase()))
    const c = await open()
    proxy.setLink('down', { hold: true })
    c.socket.write('abc')
    await until(() => t.received() === 3 && proxy.stats().queuedDown === 3, 'the held reply')
    c.socket.write('def')
    await until(() => t.received() === 6 && proxy.stats().queuedDown === 6, 'the second held reply')
    expect(c.data().length).toBe(0)
    proxy.setLink('down', undefined)
    await until(() => c.data().toString() === 'ABCDEF', 'the released replies')
  })
})
