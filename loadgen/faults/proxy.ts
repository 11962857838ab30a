/**
 * An in-process TCP fault proxy between clients and a broker. Clients connect to `url`; each
 * connection is forwarded to the target with TCP_NODELAY on both sockets, through one Pipe per
 * direction. Faults:
 *
 * - link conditions per direction (`up` = client → broker, `down` = broker → client): bandwidth,
 *   latency, jitter (seeded), hold (a half-open or silent link); changes apply to open and future
 *   connections, and to what is already queued;
 * - `cut()`: the broker becomes unreachable — open connections are destroyed and new ones refused
 *   (accepted, then closed at once) until `restore()`.
 *
 * Time comes from an injected Clock, so shaping is exact under ManualClock in tests.
 */
import net from 'node:net'
import { realClock, type Clock } from '../../core/clock.ts'
import { listen } from '../../core/listen.ts'
import type { Rng } from '../../core/rng.ts'
import type { LinkConditions } from './link.ts'
import { Pipe } from './pipe.ts'

export type Direction = 'up' | 'down' | 'both'

export interface FaultProxyOptions {
  target: { host: string; port: number }
  /** Listen address (default 127.0.0.1, port 0). */
  host?: string
  port?: number
  clock?: Clock
  /** For jitter. */
  rng?: Rng
  /** Per direction, queued bytes above which the sender is paused (default 256 KiB). */
  highWaterBytes?: number
}

export interface ProxyStats {
  accepted: number
  /** Connections refused because the proxy was cut (or the target refused them). */
  refused: number
  active: number
  /** Connections destroyed by `cut()`. */
  severed: number
  /** Connections dropped by `setLoss()` (a lossy network resetting them). */
  lost: number
  bytesUp: number
  bytesDown: number
  /** Bytes received and not yet delivered, per direction (shaped or held). */
  queuedUp: number
  queuedDown: number
}

export interface FaultProxy {
  /** mqtt://host:port of the proxy: connect clients here instead of to the broker. */
  readonly url: string
  readonly host: string
  readonly port: number
  readonly isCut: boolean
  setLink(direction: Direction, conditions: LinkConditions | undefined): void
  link(direction: 'up' | 'down'): LinkConditions | undefined
  cut(): void
  restore(): void
  /** Each chunk that crosses the proxy drops its whole connection with this probability (0 = never). */
  setLoss(probability: number): void
  stats(): ProxyStats
  close(): Promise<void>
}

interface Connection {
  client: net.Socket
  upstream: net.Socket
  pipes: Pipe[]
}

export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  const clock = opts.clock ?? realClock
  const host = opts.host ?? '127.0.0.1'
  const conditions: { up: LinkConditions | undefined; down: LinkConditions | undefined } = { up: undefined, down: undefined }
  const stats: ProxyStats = { accepted: 0, refused: 0, active: 0, severed: 0, lost: 0, bytesUp: 0, bytesDown: 0, queuedUp: 0, queuedDown: 0 }
  const connections = new Set<Connection>()
  const pending = new Set<net.Socket>()
  let isCut = false
  let loss = 0
  const chance = opts.rng ?? { next: Math.random }
  const maybeLose = (c: Connection): void => {
    if (loss > 0 && chance.next() < loss && connections.has(c)) {
      stats.lost++
      destroy(c)
    }
  }

  const destroy = (c: Connection): void => {
    if (!connections.delete(c)) return
    stats.active--
    for (const p of c.pipes) p.close()
    c.client.destroy()
    c.upstream.destroy()
  }

  const server = net.createServer({ noDelay: true, pauseOnConnect: true }, (client) => {
    client.on('error', () => {})
    if (isCut) {
      stats.refused++
      client.destroy()
      return
    }
    const upstream = net.createConnection({ host: opts.target.host, port: opts.target.port, noDelay: true })
    pending.add(client).add(upstream)
    upstream.on('error', () => {})
    const fail = (): void => {
      pending.delete(client)
      pending.delete(upstream)
      stats.refused++
      client.destroy()
      upstream.destroy()
    }
    upstream.once('error', fail)
    client.once('close', fail)
    upstream.once('connect', () => {
      upstream.off('error', fail)
      client.off('close', fail)
      pending.delete(client)
      pending.delete(upstream)
      if (isCut || client.destroyed) {
        fail()
        return
      }
      stats.accepted++
      stats.active++
      const pipeOpts = { clock, rng: opts.rng, highWaterBytes: opts.highWaterBytes }
      const c: Connection = {
        client,
        upstream,
        pipes: [
          new Pipe(client, upstream, { ...pipeOpts, conditions: () => conditions.up, onDelivered: (n) => ((stats.bytesUp += n), maybeLose(c)) }),
          new Pipe(upstream, client, { ...pipeOpts, conditions: () => conditions.down, onDelivered: (n) => ((stats.bytesDown += n), maybeLose(c)) }),
        ],
      }
      connections.add(c)
      client.on('close', () => destroy(c))
      upstream.on('close', () => destroy(c))
      client.resume()
    })
  })
  server.on('error', () => {})
  const where = await listen(server, host, opts.port)
  let closing: Promise<void> | undefined

  return {
    ...where,
    get isCut() {
      return isCut
    },
    setLink(direction, c) {
      if (direction !== 'down') conditions.up = c === undefined ? undefined : { ...c }
      if (direction !== 'up') conditions.down = c === undefined ? undefined : { ...c }
      for (const conn of connections) for (const p of conn.pipes) p.reschedule()
    },
    link: (direction) => (direction === 'up' ? conditions.up : conditions.down),
    cut() {
      isCut = true
      for (const s of pending) s.destroy()
      for (const c of [...connections]) {
        stats.severed++
        destroy(c)
      }
    },
    restore() {
      isCut = false
    },
    setLoss(probability) {
      if (!(probability >= 0 && probability <= 1)) throw new Error(`loss must be a probability from 0 to 1, got ${probability}`)
      loss = probability
    },
    stats: () => {
      let up = 0
      let down = 0
      for (const c of connections) {
        up += c.pipes[0]?.queuedBytes ?? 0
        down += c.pipes[1]?.queuedBytes ?? 0
      }
      return { ...stats, queuedUp: up, queuedDown: down }
    },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const s of pending) s.destroy()
        for (const c of [...connections]) destroy(c)
      })),
  }
}
