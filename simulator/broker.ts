/**
 * The embedded broker: Aedes (MQTT 3.1.1) on a plain TCP server with TCP_NODELAY on every accepted
 * socket, optional username/password or per-principal ACLs (acl.ts), and counts of the packets that
 * loadgen reports per cell. With `wsPort` the same broker also speaks MQTT over WebSocket (the
 * `ws` server of the Aedes docs; any path, so `ws://host:port/mqtt` and `ws://host:port/` both work).
 *
 * With `access`, refusals follow what Aedes 1.2 can do in MQTT 3.1.1: a refused CONNECT gets CONNACK
 * 4 (bad username or password), 5 (not authorized) or 2 (identifier rejected) and is closed; a
 * refused SUBSCRIBE gets SUBACK 0x80 for that filter and the connection stays up; a refused PUBLISH
 * is not delivered and the connection is closed (3.1.1 cannot say no to a PUBLISH; MQTT-3.3.5-2).
 */
import http from 'node:http'
import net from 'node:net'
import { Aedes, type AedesOptions, type Client } from 'aedes'
import { WebSocketServer } from 'ws'
import type { AccessControl, Principal } from './acl.ts'
import type { BrokerCounts } from '../core/counters.ts'
import { listen } from '../core/listen.ts'
import { DEFAULT_WS_PATH, mqttStreamOf } from '../core/ws-stream.ts'
import { fdLimitWatch } from '../core/open-files.ts'
import { indexRetained, type RetainedPersistence } from './retained-index.ts'

export interface BrokerOptions {
  host?: string
  port?: number
  /** One user for everything (no topic rules); ignored when `access` is given. */
  auth?: { username: string; password: string }
  /** Per-principal credentials and topic ACLs; anonymous clients are refused. */
  access?: AccessControl
  /** Extra Aedes hooks (fault injection); they run after authentication and after `access` allowed. */
  hooks?: Pick<AedesOptions, 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'>
  /** Also listen for MQTT over WebSocket on this port of `host` (0 = any free port); off when undefined. */
  wsPort?: number
  /**
   * A listening server failed to accept a connection, or (Linux) the process came within a few
   * descriptors of its open-files limit, so that further connections are being dropped (code
   * EMFILE, the message naming the limit and the fix; core/open-files.ts). The broker keeps serving
   * the connections it has. Without it such errors are ignored.
   */
  onServerError?: (err: NodeJS.ErrnoException) => void
  /** Told of every packet counted, as it is counted (a broker on its own thread shares its counts this way). */
  onCount?: (key: keyof BrokerCounts) => void
}

/** What `access` refused on this broker instance: CONNECTs and PUBLISHes (their connections were closed), SUBSCRIBE filters (SUBACK 0x80). */
export interface BrokerRefusals {
  connect: number
  subscribe: number
  publish: number
}

export interface EmbeddedBroker {
  readonly url: string
  readonly host: string
  readonly port: number
  readonly kind: 'aedes'
  readonly version: string
  readonly protocolVersion: 4
  /** ws://host:port/mqtt when started with `wsPort`. */
  readonly wsUrl: string | undefined
  readonly wsPort: number | undefined
  counts(): BrokerCounts
  refusals(): BrokerRefusals
  readonly aedes: Aedes
  close(): Promise<void>
}

export const AEDES_VERSION = '1.2.0'

export async function startBroker(opts: BrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = opts.host ?? '127.0.0.1'
  const auth = opts.auth
  const refused: BrokerRefusals = { connect: 0, subscribe: 0, publish: 0 }
  const aedes = await Aedes.createBroker({
    ...opts.hooks,
    authenticate: (client, username, password, done) => {
      if (opts.access !== undefined) return authenticateWith(opts.access, client, username, password, refused, done)
      if (auth === undefined) return done(null, true)
      const ok = username === auth.username && password !== undefined && password.toString() === auth.password
      if (ok) return done(null, true)
      const err = Object.assign(new Error('bad username or password'), { returnCode: 4 as const })
      done(err, null)
    },
    ...(opts.access === undefined ? {} : lockedDown(opts.access, opts.hooks ?? {}, refused)),
  })
  // SUBSCRIBEs find retained messages through an index, not a scan of them all per filter (retained-index.ts).
  indexRetained((aedes as unknown as { persistence: RetainedPersistence }).persistence)
  const counts: BrokerCounts = { connect: 0, subscribe: 0, unsubscribe: 0, publish: 0 }
  const count = (k: keyof BrokerCounts): void => {
    counts[k]++
    opts.onCount?.(k)
  }
  aedes.on('client', () => count('connect'))
  aedes.on('subscribe', () => count('subscribe'))
  // Aedes also emits 'unsubscribe' when it drops a closing client's subscriptions; that is no packet.
  aedes.on('unsubscribe', (_topics, client) => {
    if (!client.closed) count('unsubscribe')
  })
  aedes.on('publish', (_packet, client) => {
    if (client) count('publish')
  })
  // A client that misbehaves must not take the broker down; Aedes reports it and drops the client.
  aedes.on('clientError', () => {})
  aedes.on('connectionError', () => {})

  const accepted = opts.onServerError === undefined ? () => undefined : fdLimitWatch(opts.onServerError)
  const sockets = new Set<net.Socket>()
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    aedes.handle(socket)
    accepted()
  })
  const ws = opts.wsPort === undefined ? undefined : webSocketListener(aedes, accepted)
  const onServerError = (err: NodeJS.ErrnoException): void => opts.onServerError?.(err)
  let where: Awaited<ReturnType<typeof listen>>
  let wsWhere: Awaited<ReturnType<typeof listen>> | undefined
  try {
    where = await listen(server, host, opts.port)
    if (ws) wsWhere = await listen(ws.http, host, opts.wsPort)
  } catch (err) {
    // A broker that cannot bind must leave nothing running (Aedes keeps timers): the caller exits.
    server.close()
    await ws?.close()
    await new Promise<void>((resolve) => aedes.close(() => resolve()))
    throw err
  }
  // After listen() nothing else handles a failed accept, and an unhandled 'error' would end the process.
  server.on('error', onServerError)
  ws?.http.on('error', onServerError)
  let closing: Promise<void> | undefined
  return {
    ...where,
    kind: 'aedes',
    version: AEDES_VERSION,
    protocolVersion: 4,
    wsUrl: wsWhere === undefined ? undefined : `${wsWhere.url.replace(/^mqtt:/, 'ws:')}${DEFAULT_WS_PATH}`,
    wsPort: wsWhere?.port,
    aedes,
    counts: () => ({ ...counts }),
    refusals: () => ({ ...refused }),
    close: () =>
      (closing ??= Promise.all([
        new Promise<void>((resolve) => {
          server.close(() => resolve())
          for (const s of sockets) s.destroy()
        }),
        ws?.close(),
      ]).then(() => new Promise<void>((resolve) => aedes.close(() => resolve())))),
  }
}

/**
 * MQTT over WebSocket into the same Aedes: an HTTP server whose upgrades become MQTT byte streams
 * (one frame per corked batch, ws-stream.ts). TCP_NODELAY is set on its sockets like on the TCP
 * listener's (by `noDelay`, and again by ws when the upgrade completes). No permessage-deflate:
 * MQTT packets are small and Mosquitto does not offer it either.
 */
function webSocketListener(aedes: Aedes, accepted: () => void): { http: http.Server; close(): Promise<void> } {
  const httpServer = http.createServer({ noDelay: true }, (_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' }).end('MQTT over WebSocket: connect with a WebSocket client (subprotocol mqtt)\n')
  })
  const wss = new WebSocketServer({ server: httpServer, perMessageDeflate: false })
  wss.on('connection', (socket, req) => {
    aedes.handle(mqttStreamOf(socket), req)
    accepted()
  })
  // wss re-emits the HTTP server's errors (a failed bind, a failed accept): listen() and onServerError handle them.
  wss.on('error', () => {})
  return {
    http: httpServer,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate()
        wss.close()
        httpServer.close(() => resolve())
        httpServer.closeAllConnections()
      }),
  }
}

// The principal of each authenticated connection (Aedes Client objects are per connection).
const principals = new WeakMap<Client, Principal>()

function authenticateWith(access: AccessControl, client: Client, username: string | undefined, password: Buffer | undefined,
  refused: BrokerRefusals, done: Parameters<NonNullable<AedesOptions['authenticate']>>[3]): void {
  const r = access.authenticate(client.id, username, password)
  if (r.ok) {
    principals.set(client, r.principal)
    return done(null, true)
  }
  refused.connect++
  done(Object.assign(new Error(r.reason), { returnCode: r.returnCode }), null)
}

/** The ACL hooks, each followed by the caller's own hook (if any) once the ACL allowed. */
function lockedDown(access: AccessControl, hooks: NonNullable<BrokerOptions['hooks']>, refused: BrokerRefusals): Pick<AedesOptions, 'authorizeSubscribe' | 'authorizePublish'> {
  return {
    authorizeSubscribe: (client, sub, done) => {
      const p = principals.get(client)
      if (p === undefined || access.subscribeDenial(p, client.id, sub.topic) !== undefined) {
        refused.subscribe++
        return done(null, null) // SUBACK 0x80 for this filter; the connection stays up
      }
      if (hooks.authorizeSubscribe) return hooks.authorizeSubscribe(client, sub, done)
      done(null, sub)
    },
    authorizePublish: (client, packet, done) => {
      // client is null only for a will left by another broker of a cluster; there is none here.
      const p = client === null ? undefined : principals.get(client)
      const why = p === undefined ? 'not authenticated' : access.publishDenial(p, client!.id, packet)
      if (why !== undefined) {
        refused.publish++
        return done(new Error(`publish to ${packet.topic.slice(0, 200)} refused: ${why}`)) // Aedes closes the connection
      }
      if (hooks.authorizePublish) return hooks.authorizePublish(client, packet, done)
      done(null)
    },
  }
}
