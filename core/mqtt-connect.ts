/**
 * Opens MQTT.js clients the way every fleetbench socket must be opened: TCP_NODELAY set (without
 * it a QoS 1 round trip waits ~40 ms for Nagle + delayed ACK), a bounded connect time, and an
 * optional MQTT 5 → 3.1.1 fallback for brokers such as Aedes that speak only 3.1.1. Over TCP
 * (mqtt://), TLS (mqtts://) or WebSocket (ws://, wss://; ws-stream.ts), on the same sockets.
 */
import net from 'node:net'
import tls from 'node:tls'
import { readFileSync } from 'node:fs'
import type { Duplex } from 'node:stream'
import { MqttClient, type IClientOptions } from 'mqtt'
import { DEFAULT_WS_PATH, openWebSocketStream } from './ws-stream.ts'
import { explainOutOfFiles, nearOpenFilesLimit, openFilesLimit, outOfFilesMessage } from './open-files.ts'

export interface BrokerTarget {
  url: string
  username?: string
  password?: string
  /** PEM file paths for mqtts:// and wss:// */
  ca?: string
  cert?: string
  key?: string
  /**
   * Open the TCP connection here instead (a link-shaping proxy in front of the broker); the URL
   * still names the broker, so TLS checks its name and results show it.
   */
  via?: { host: string; port: number }
}

export type ProtocolChoice = 4 | 5 | 'auto'

export interface ConnectOptions {
  clientId?: string
  protocolVersion?: ProtocolChoice
  /** Reconnect delay once connected; 0 disables reconnecting. */
  reconnectPeriod?: number
  connectTimeoutMs?: number
  keepalive?: number
  will?: IClientOptions['will']
  properties?: IClientOptions['properties']
}

export interface ParsedUrl {
  secure: boolean
  host: string
  port: number
  /** `ws` for ws:// and wss:// (MQTT over WebSocket), `tcp` for mqtt:// and mqtts://. */
  transport: 'tcp' | 'ws'
  /** WebSocket only: the upgrade request's path and query; DEFAULT_WS_PATH when the URL names none. */
  path: string
}

/** The schemes a broker URL may have, for messages. */
export const BROKER_SCHEMES = 'mqtt://, mqtts://, ws:// or wss://'

const SCHEMES: Record<string, Pick<ParsedUrl, 'secure' | 'transport'> & { port: number }> = {
  'mqtt:': { secure: false, transport: 'tcp', port: 1883 },
  'tcp:': { secure: false, transport: 'tcp', port: 1883 },
  'mqtts:': { secure: true, transport: 'tcp', port: 8883 },
  'ssl:': { secure: true, transport: 'tcp', port: 8883 },
  'ws:': { secure: false, transport: 'ws', port: 80 },
  'wss:': { secure: true, transport: 'ws', port: 443 },
}

/** Throws an Error whose message names the problem and the expected form. */
export function parseBrokerUrl(url: string): ParsedUrl {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new Error(`broker URL ${JSON.stringify(url)} is not a URL; expected mqtt://host:port, mqtts://host:port, ws://host:port/mqtt or wss://host:port/mqtt`)
  }
  const scheme = SCHEMES[u.protocol]
  if (scheme === undefined) throw new Error(`broker URL scheme ${u.protocol} is not supported; use ${BROKER_SCHEMES}`)
  if (u.hostname === '') throw new Error(`broker URL ${JSON.stringify(url)} has no host; expected ${u.protocol}//host:port`)
  const port = u.port === '' ? scheme.port : Number(u.port)
  // WHATWG URLs give ws://host:9001 the path "/" as well: look at the text for a path actually written.
  const written = /^[^:]+:\/\/[^/?#]*(\/[^?#]*)?/.exec(url)?.[1]
  const path = scheme.transport === 'ws' ? `${written === undefined ? DEFAULT_WS_PATH : u.pathname}${u.search}` : ''
  return { ...scheme, port, host: u.hostname.replace(/^\[|\]$/g, ''), path }
}

/** The URL a WebSocket client opens for a parsed ws:// or wss:// broker URL. */
export function webSocketUrl(parsed: ParsedUrl): string {
  const host = parsed.host.includes(':') ? `[${parsed.host}]` : parsed.host
  return `${parsed.secure ? 'wss' : 'ws'}://${host}:${parsed.port}${parsed.path}`
}

/** The TCP or TLS socket to the broker (or to `via`), TCP_NODELAY set; a WebSocket runs over it too. */
function socketOpener(target: BrokerTarget, parsed: ParsedUrl): () => net.Socket {
  const to = target.via ?? parsed
  if (!parsed.secure) return () => net.createConnection({ host: to.host, port: to.port, noDelay: true })
  const read = (p: string | undefined): Buffer | undefined => (p === undefined ? undefined : readFileSync(p))
  const ca = read(target.ca)
  const cert = read(target.cert)
  const key = read(target.key)
  return () => {
    const socket = tls.connect({ host: to.host, port: to.port, servername: net.isIP(parsed.host) ? undefined : parsed.host, checkServerIdentity: (_host, peer) => tls.checkServerIdentity(parsed.host, peer), ca, cert, key })
    socket.setNoDelay(true)
    return socket
  }
}

function streamBuilder(target: BrokerTarget, parsed: ParsedUrl): () => Duplex {
  const open = socketOpener(target, parsed)
  if (parsed.transport === 'tcp') return open
  const url = webSocketUrl(parsed)
  return () => openWebSocketStream(url, open)
}

function connectOnce(target: BrokerTarget, parsed: ParsedUrl, version: 4 | 5, opts: ConnectOptions): Promise<MqttClient> {
  const client = new MqttClient(streamBuilder(target, parsed), {
    protocolVersion: version,
    clientId: opts.clientId ?? `fleetbench-${process.pid}-${Math.random().toString(16).slice(2, 10)}`,
    username: target.username,
    password: target.password,
    clean: true,
    keepalive: opts.keepalive ?? 30,
    reconnectPeriod: 0,
    connectTimeout: opts.connectTimeoutMs ?? 5000,
    will: opts.will,
    properties: version === 5 ? opts.properties : undefined,
    resubscribe: true,
  })
  return new Promise((resolve, reject) => {
    const noConnack = (): Error => new Error(`no CONNACK from ${target.url} within ${opts.connectTimeoutMs ?? 5000} ms`)
    const timer = setTimeout(() => fail(noConnack()), opts.connectTimeoutMs ?? 5000)
    const fail = (err: Error): void => {
      cleanup()
      client.end(true)
      reject(err)
    }
    // MQTT.js's own connect timer says only "connack timeout": say whose and how long. EMFILE names the limit and the fix.
    const onError = (err: Error): void => fail(err.message === 'connack timeout' ? noConnack() : (droppedForFiles(err) ?? (explainOutOfFiles(err) as Error)))
    const onClose = (): void => fail(droppedForFiles(undefined) ?? new Error(`connection to ${target.url} closed before CONNACK`))
    const onConnect = (): void => {
      cleanup()
      client.options.reconnectPeriod = opts.reconnectPeriod ?? 0
      resolve(client)
    }
    const cleanup = (): void => {
      clearTimeout(timer)
      client.off('error', onError)
      client.off('close', onClose)
      client.off('connect', onConnect)
    }
    client.on('error', onError)
    client.on('close', onClose)
    client.on('connect', onConnect)
  })
}

/** Connects and resolves once CONNACK accepted; `auto` tries MQTT 5 first, then 3.1.1. */
export async function connectMqtt(target: BrokerTarget, opts: ConnectOptions = {}): Promise<MqttClient> {
  const parsed = parseBrokerUrl(target.url)
  const choice = opts.protocolVersion ?? 'auto'
  if (choice !== 'auto') return connectOnce(target, parsed, choice, opts)
  try {
    return await connectOnce(target, parsed, 5, opts)
  } catch (err) {
    if (isRefusedForProtocol(err)) return connectOnce(target, parsed, 4, opts)
    throw err
  }
}

/**
 * A connection closed or reset before CONNACK while this process is out of descriptors was most
 * likely dropped by an in-process server that could not accept it (libuv drops such connections
 * silently; open-files.ts): that is EMFILE, not a broker's refusal.
 */
function droppedForFiles(err: Error | undefined): Error | undefined {
  if (err !== undefined && (err as NodeJS.ErrnoException).code !== 'ECONNRESET') return undefined
  const limit = openFilesLimit()
  return nearOpenFilesLimit(16, limit) ? Object.assign(new Error(outOfFilesMessage(limit)), { code: 'EMFILE' }) : undefined
}

function isRefusedForProtocol(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown }
  // 3.1.1 brokers answer a v5 CONNECT with return code 1 (or just close the socket).
  return e.code === 1 || e.code === 132 || /protocol|closed before CONNACK/i.test(String(e.message))
}

/**
 * Ends a client and waits until its socket is closed. A graceful end waits for unacknowledged QoS 1
 * messages, which may never be acknowledged (the broker refused them): after `graceMs` it is forced.
 */
export function endClient(client: MqttClient, force = false, graceMs = 2000): Promise<void> {
  return new Promise((resolve) => {
    const timer = force ? undefined : setTimeout(() => client.end(true, {}, () => resolve()), graceMs)
    client.end(force, {}, () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

export function protocolOf(client: MqttClient): 4 | 5 {
  return client.options.protocolVersion === 5 ? 5 : 4
}
