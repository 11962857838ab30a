import http from 'node:http'
import net from 'node:net'
import type { Duplex } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { createWebSocketStream, WebSocket, WebSocketServer } from 'ws'
import { mqttStreamOf, openWebSocketStream } from './ws-stream.ts'
import { listen } from './listen.ts'

interface FrameRecorder {
  url: string
  frames: Buffer[]
  /** The Host header of each upgrade request. */
  hosts: Array<string | undefined>
  /** Resolves once `bytes` bytes have arrived in all. */
  received(bytes: number): Promise<void>
  close(): Promise<void>
}

/** A WebSocket server on 127.0.0.1:0 that records every binary frame it receives. */
async function frameRecorder(): Promise<FrameRecorder> {
  const server = http.createServer()
  const wss = new WebSocketServer({ server, perMessageDeflate: false })
  const frames: Buffer[] = []
  const hosts: Array<string | undefined> = []
  const waiters: Array<{ bytes: number; resolve(): void }> = []
  let total = 0
  wss.on('connection', (ws, req) => {
    hosts.push(req.headers.host)
    ws.on('message', (data) => {
      frames.push(data as Buffer)
      total += (data as Buffer).length
      for (const w of waiters.filter((w) => total >= w.bytes)) w.resolve()
    })
  })
  const { port } = await listen(server as unknown as net.Server, '127.0.0.1', 0)
  return {
    url: `ws://127.0.0.1:${port}/mqtt`,
    frames,
    hosts,
    received: (bytes) => (total >= bytes ? Promise.resolve() : new Promise((resolve) => waiters.push({ bytes, resolve }))),
    close: () => new Promise((resolve) => {
      for (const c of wss.clients) c.terminate()
      wss.close()
      server.close(() => resolve())
    }),
  }
}

/** Writes the way mqtt-packet's writeToStream does: one packet in pieces inside a cork, uncorked on the next tick. */
function writePacketInPieces(stream: Duplex, pieces: Buffer[]): Promise<void> {
  return new Promise((resolve) => {
    stream.cork()
    pieces.forEach((p, i) => stream.write(p, i === pieces.length - 1 ? () => resolve() : undefined))
    process.nextTick(() => stream.uncork())
  })
}

const opened = (ws: WebSocket): Promise<void> => new Promise((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)))

describe('MQTT over WebSocket streams', () => {
  const closers: Array<() => Promise<void> | void> = []
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c()
  })

  // A QoS 1 PUBLISH as mqtt-packet writes it: fixed header, remaining length, topic length, topic, packet id, payload.
  const pieces = [Buffer.from([0x32]), Buffer.from([0x10]), Buffer.from([0, 5]), Buffer.from('a/b/c'), Buffer.from([0, 1]), Buffer.from('{"x":1}')]
  const packet = Buffer.concat(pieces)

  it('sends a corked packet as one binary frame, its bytes in order', async () => {
    const rec = await frameRecorder()
    closers.push(() => rec.close())
    const ws = new WebSocket(rec.url, ['mqtt'], { perMessageDeflate: false })
    const stream = mqttStreamOf(ws)
    closers.push(() => void stream.destroy())
    await opened(ws)
    await writePacketInPieces(stream, pieces)
    await writePacketInPieces(stream, pieces)
    await rec.received(2 * packet.length)
    expect(rec.frames).toEqual([packet, packet])
  })

  it('(ws.createWebSocketStream alone sends every piece as a frame of its own)', async () => {
    const rec = await frameRecorder()
    closers.push(() => rec.close())
    const ws = new WebSocket(rec.url, ['mqtt'], { perMessageDeflate: false })
    const stream = createWebSocketStream(ws)
    closers.push(() => void stream.destroy())
    await opened(ws)
    await writePacketInPieces(stream, pieces)
    await rec.received(packet.length)
    expect(rec.frames).toEqual(pieces)
  })

  it('opens the TCP connection through the given function (a proxy), with the URL naming the broker', async () => {
    const rec = await frameRecorder()
    closers.push(() => rec.close())
    const port = Number(new URL(rec.url).port)
    let opens = 0
    // broker.example does not resolve: the only way there is the function's socket.
    const stream = openWebSocketStream('ws://broker.example:1234/mqtt', () => {
      opens++
      return net.createConnection({ host: '127.0.0.1', port, noDelay: true })
    })
    closers.push(() => void stream.destroy())
    await writePacketInPieces(stream, pieces)
    await rec.received(packet.length)
    expect(opens).toBe(1)
    expect(rec.hosts).toEqual(['broker.example:1234'])
    expect(rec.frames).toEqual([packet])
  })

  it('names a refused upgrade, and the path to check when it is a 404', async () => {
    const server = http.createServer((_req, res) => res.writeHead(404).end())
    const { port } = await listen(server as unknown as net.Server, '127.0.0.1', 0)
    closers.push(() => new Promise<void>((r) => server.close(() => r())))
    const url = `ws://127.0.0.1:${port}/mqtt`
    const stream = openWebSocketStream(url, () => net.createConnection({ host: '127.0.0.1', port }))
    const err = await new Promise<Error & { code?: string }>((resolve) => stream.once('error', resolve))
    expect(err.code).toBe('ERR_WS_HANDSHAKE')
    expect(err.message).toBe(`WebSocket upgrade of ${url} failed: Unexpected server response: 404; is /mqtt the broker's WebSocket path?`)
  })
})
