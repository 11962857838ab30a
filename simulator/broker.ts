/**
 * The embedded broker: Aedes (MQTT 3.1.1) on a plain TCP server with TCP_NODELAY on every accepted
 * socket, optional username/password, and counts of the packets that loadgen reports per cell.
 */
import net from 'node:net'
import { Aedes, type AedesOptions } from 'aedes'

export interface BrokerCounts {
  connect: number
  subscribe: number
  unsubscribe: number
  /** PUBLISH packets received from clients (the broker's own $SYS messages are not counted). */
  publish: number
}

export interface BrokerOptions {
  host?: string
  port?: number
  auth?: { username: string; password: string }
  /** Extra Aedes hooks (ACLs, fault injection); they run after authentication. */
  hooks?: Pick<AedesOptions, 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'>
}

export interface EmbeddedBroker {
  readonly url: string
  readonly host: string
  readonly port: number
  readonly kind: 'aedes'
  readonly version: string
  readonly protocolVersion: 4
  counts(): BrokerCounts
  readonly aedes: Aedes
  close(): Promise<void>
}

export const AEDES_VERSION = '1.2.0'

export async function startBroker(opts: BrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = opts.host ?? '127.0.0.1'
  const auth = opts.auth
  const aedes = await Aedes.createBroker({
    ...opts.hooks,
    authenticate: (_client, username, password, done) => {
      if (auth === undefined) return done(null, true)
      const ok = username === auth.username && password !== undefined && password.toString() === auth.password
      if (ok) return done(null, true)
      const err = Object.assign(new Error('bad username or password'), { returnCode: 4 as const })
      done(err, null)
    },
  })
  const counts: BrokerCounts = { connect: 0, subscribe: 0, unsubscribe: 0, publish: 0 }
  aedes.on('client', () => counts.connect++)
  aedes.on('subscribe', () => counts.subscribe++)
  // Aedes also emits 'unsubscribe' when it drops a closing client's subscriptions; that is no packet.
  aedes.on('unsubscribe', (_topics, client) => {
    if (!client.closed) counts.unsubscribe++
  })
  aedes.on('publish', (_packet, client) => {
    if (client) counts.publish++
  })
  // A client that misbehaves must not take the broker down; Aedes reports it and drops the client.
  aedes.on('clientError', () => {})
  aedes.on('connectionError', () => {})

  const sockets = new Set<net.Socket>()
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    aedes.handle(socket)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as net.AddressInfo).port
  let closing: Promise<void> | undefined
  return {
    url: `mqtt://${host.includes(':') ? `[${host}]` : host}:${port}`,
    host,
    port,
    kind: 'aedes',
    version: AEDES_VERSION,
    protocolVersion: 4,
    aedes,
    counts: () => ({ ...counts }),
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const s of sockets) s.destroy()
      }).then(() => new Promise<void>((resolve) => aedes.close(() => resolve())))),
  }
}
