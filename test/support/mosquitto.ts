/**
 * Test harness: a throwaway Mosquitto broker (the real MQTT 5 broker) on a free loopback port, with
 * its own config, password file and log in a fresh temp dir that stop() removes.
 *
 *   const reason = mosquittoAvailable()          // undefined when mosquitto can run here
 *   const broker = await startMosquitto()         // { url, port, version, stop() }
 *   ...
 *   await broker.stop()
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { findExecutable, runCommand } from './commands.ts'

export { findExecutable, runCommand, type CommandResult } from './commands.ts'

export interface MosquittoOptions {
  /** With both set, anonymous clients are refused and this user is the only one allowed. */
  username?: string
  password?: string
  /** Extra lines appended to the generated config (listener options, TLS, limits). */
  extraConfig?: readonly string[]
  /**
   * Serve MQTT over TLS on the listener (then `url` is mqtts://). PEM file paths; with
   * `requireCertificate`, clients must present a certificate signed by `cafile` (mutual TLS).
   */
  tls?: { cafile: string; certfile: string; keyfile: string; requireCertificate?: boolean }
  /**
   * Also serve MQTT over WebSocket on a second listener (`listener PORT 127.0.0.1` + `protocol
   * websockets`, on a free port), with the same TLS files as the first when `tls` is given; its URL
   * is `wsUrl` (ws://127.0.0.1:PORT/mqtt, or wss://). Mosquitto serves any path.
   */
  websockets?: boolean
  /** Set TCP_NODELAY on the broker's sockets (default true); false reproduces Nagle + delayed ACK stalls. */
  noDelay?: boolean
  /** Listen on this port (e.g. to restart a broker where its clients expect it); default a free one. */
  port?: number
  /** How long to wait for the broker to accept connections. Default 5000 ms. */
  startTimeoutMs?: number
}

export interface MosquittoBroker {
  /** mqtt://127.0.0.1:PORT, or mqtts:// with `tls` */
  readonly url: string
  /** With `websockets`: ws://127.0.0.1:WSPORT/mqtt, or wss:// with `tls`. */
  readonly wsUrl: string | undefined
  readonly host: string
  readonly port: number
  /** e.g. "2.0.11" */
  readonly version: string
  /** The temp dir holding the config, password file and log (removed by stop()). */
  readonly dir: string
  readonly pid: number
  /** Everything mosquitto logged so far (stderr, bounded). */
  log(): string
  /** SIGTERM, SIGKILL after 2 s, waits for exit, removes the temp dir. Idempotent. */
  stop(): Promise<void>
}

const HOST = '127.0.0.1'
const MAX_LOG_CHARS = 64 * 1024
const KILL_GRACE_MS = 2000

/** Undefined when mosquitto can be started; otherwise a human-readable reason to skip. */
export function mosquittoAvailable(): string | undefined {
  if (process.platform === 'win32') return 'mosquitto harness does not support Windows'
  if (findExecutable('mosquitto') === undefined)
    return 'mosquitto binary not found on PATH or in /usr/sbin (install the "mosquitto" package to run these tests)'
  return undefined
}

let cachedVersion: Promise<string> | undefined

/** The installed mosquitto's version from the first line of `mosquitto -h` ("mosquitto version 2.0.11"). */
export function mosquittoVersion(): Promise<string> {
  return (cachedVersion ??= (async () => {
    const bin = requireBinary('mosquitto')
    const r = await runCommand(bin, ['-h'], 5000) // exits with 3 after printing help
    const m = /mosquitto version (\S+)/.exec(r.stdout + r.stderr)
    return m?.[1] ?? 'unknown'
  })())
}

function requireBinary(name: string): string {
  const bin = findExecutable(name)
  if (bin === undefined) throw new Error(`${name} not found on PATH or in /usr/sbin`)
  return bin
}

/** A port that was free a moment ago: listen on 127.0.0.1:0 and close (mosquitto cannot report a port-0 binding). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, HOST, () => {
      const port = (server.address() as net.AddressInfo).port
      server.close(() => resolve(port))
    })
  })
}

// Brokers still running when the process exits are killed, so a crashed test run leaves no orphans.
const live = new Set<ChildProcess>()
let exitHookInstalled = false
function track(child: ChildProcess): void {
  live.add(child)
  child.once('exit', () => live.delete(child))
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL')
    })
  }
}

class PortTakenError extends Error {}

/** Starts mosquitto on a free loopback port; retries once with a new port if the port was taken meanwhile. */
export async function startMosquitto(opts: MosquittoOptions = {}): Promise<MosquittoBroker> {
  const reason = mosquittoAvailable()
  if (reason !== undefined) throw new Error(reason)
  if ((opts.username === undefined) !== (opts.password === undefined)) throw new Error('startMosquitto: give both username and password, or neither')
  const version = await mosquittoVersion()
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts, version)
    } catch (err) {
      if (!(err instanceof PortTakenError) || attempt >= 2 || opts.port !== undefined) throw err
    }
  }
}

async function startOnce(opts: MosquittoOptions, version: string): Promise<MosquittoBroker> {
  const bin = requireBinary('mosquitto')
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fleetbench-mosquitto-'))
  let child: ChildProcess | undefined
  try {
    const port = opts.port ?? (await freePort())
    const wsPort = opts.websockets === true ? await freePort() : undefined
    const conf = path.join(dir, 'mosquitto.conf')
    const lines = [
      `listener ${port} ${HOST}`,
      `set_tcp_nodelay ${opts.noDelay === false ? 'false' : 'true'}`,
      'persistence false',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
      'connection_messages false',
    ]
    if (opts.tls !== undefined) {
      const t = opts.tls
      lines.push(`cafile ${t.cafile}`, `certfile ${t.certfile}`, `keyfile ${t.keyfile}`, `require_certificate ${t.requireCertificate === true ? 'true' : 'false'}`)
    }
    // As root, mosquitto 2.x drops privileges to user "mosquitto", which then cannot read files in our
    // temp dir; `user root` keeps it as root.
    if (process.getuid?.() === 0) lines.push('user root')
    if (opts.username !== undefined && opts.password !== undefined) {
      const passwd = path.join(dir, 'passwd')
      const tool = requireBinary('mosquitto_passwd')
      const r = await runCommand(tool, ['-b', '-c', passwd, opts.username, opts.password], 5000)
      if (r.code !== 0) throw new Error(`mosquitto_passwd failed (${r.code ?? r.signal}): ${r.stderr.trim() || r.stdout.trim()}`)
      lines.push('allow_anonymous false', `password_file ${passwd}`)
    } else {
      lines.push('allow_anonymous true')
    }
    if (wsPort !== undefined) {
      // Listener options (protocol, TLS files) apply to the listener line above them.
      lines.push(`listener ${wsPort} ${HOST}`, 'protocol websockets')
      if (opts.tls !== undefined) lines.push(`cafile ${opts.tls.cafile}`, `certfile ${opts.tls.certfile}`, `keyfile ${opts.tls.keyfile}`, `require_certificate ${opts.tls.requireCertificate === true ? 'true' : 'false'}`)
    }
    lines.push(...(opts.extraConfig ?? []))
    await writeFile(conf, lines.join('\n') + '\n', { mode: 0o600 })

    const started = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir })
    child = started
    track(started)
    let log = ''
    started.stderr!.setEncoding('utf8').on('data', (d: string) => {
      if (log.length < MAX_LOG_CHARS) log += d.slice(0, MAX_LOG_CHARS - log.length)
    })
    let exitInfo: string | undefined
    let spawnError: Error | undefined
    const closed = new Promise<void>((resolve) => {
      started.once('error', (err) => {
        spawnError = err
        exitInfo ??= `failed to start: ${err.message}`
        resolve()
      })
      started.once('close', (code, signal) => {
        exitInfo ??= signal !== null ? `killed by ${signal}` : `exited with code ${code}`
        resolve()
      })
    })
    started.once('exit', (code, signal) => {
      exitInfo ??= signal !== null ? `killed by ${signal}` : `exited with code ${code}`
    })

    await waitReady(port, opts.startTimeoutMs ?? 5000, () => exitInfo, () => log, closed)
    if (spawnError !== undefined) throw spawnError

    let stopping: Promise<void> | undefined
    const stop = (): Promise<void> =>
      (stopping ??= (async () => {
        if (exitInfo === undefined) {
          started.kill('SIGTERM')
          const killer = setTimeout(() => started.kill('SIGKILL'), KILL_GRACE_MS)
          await closed
          clearTimeout(killer)
        }
        await closed
        await rm(dir, { recursive: true, force: true })
      })())

    return {
      url: `${opts.tls !== undefined ? 'mqtts' : 'mqtt'}://${HOST}:${port}`,
      wsUrl: wsPort === undefined ? undefined : `${opts.tls !== undefined ? 'wss' : 'ws'}://${HOST}:${wsPort}/mqtt`,
      host: HOST,
      port,
      version,
      dir,
      pid: started.pid!,
      log: () => log,
      stop,
    }
  } catch (err) {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const c = child
      await new Promise<void>((resolve) => {
        c.once('close', () => resolve())
        c.kill('SIGKILL')
      })
    }
    await rm(dir, { recursive: true, force: true })
    throw err
  }
}

/**
 * Ready = mosquitto logged "mosquitto version X running" (all listeners are bound) and a TCP
 * connection to the port succeeds, while the process is still alive. Waiting for the log line as
 * well as the port guards against the port having been taken by someone else in the meantime.
 */
async function waitReady(port: number, timeoutMs: number, exited: () => string | undefined, log: () => string, closed: Promise<void>): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let lastProbe = 'not tried yet'
  for (;;) {
    const why = exited()
    if (why !== undefined) {
      await closed // make sure all of stderr was read
      const text = log()
      if (/address already in use/i.test(text)) throw new PortTakenError(`port ${port} was taken: ${text.trim()}`)
      throw new Error(`mosquitto ${why} before accepting connections on ${HOST}:${port}; its log:\n${text.trim() || '(empty)'}`)
    }
    if (/mosquitto version \S+ running/.test(log())) {
      const probe = await probeTcp(port, Math.max(50, Math.min(500, deadline - Date.now())))
      if (probe === true && exited() === undefined) return
      if (probe !== true) lastProbe = probe
    }
    if (Date.now() >= deadline)
      throw new Error(`mosquitto did not accept connections on ${HOST}:${port} within ${timeoutMs} ms (last probe: ${lastProbe}); its log:\n${log().trim() || '(empty)'}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

function probeTcp(port: number, timeoutMs: number): Promise<true | string> {
  return new Promise((resolve) => {
    const socket = net.createConnection({ host: HOST, port })
    const done = (result: true | string): void => {
      socket.removeAllListeners()
      socket.on('error', () => {})
      socket.destroy()
      resolve(result)
    }
    socket.setTimeout(timeoutMs, () => done(`timed out after ${timeoutMs} ms`))
    socket.once('connect', () => done(true))
    socket.once('error', (err) => done(err.message))
  })
}
