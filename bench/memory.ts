/**
 * Memory, measured in child processes (each with --expose-gc) so nothing else of the bench is in
 * the figures: RSS and V8 heap after a full GC, before and after creating the thing measured, the
 * baseline taken once the code paths ran (see memory-child.ts). Per-unit figures come twice: all of
 * the RSS growth, and the same without the growth of V8's young generation, a one-off cost of any
 * process that allocates (up to 2 × 16 MiB) which would otherwise be booked to the first thousand
 * devices. The 10 KiB target is judged on all of it.
 *
 * - per simulated device: the simulator process (embedded Aedes + fleet) at 1,000 and 10,000 devices;
 *   at 10,000 also split into the fleet alone and the broker alone (two processes);
 * - per idle client connection: N idle MQTT.js connections, client process and broker process.
 */
import { fork, type ChildProcess } from 'node:child_process'
import type { ChildReport } from './memory-child.ts'
import type { MemorySnapshot } from './memory-snapshot.ts'

/** Growth per unit (device, connection), KiB. */
export interface PerUnit {
  /** All of the RSS growth. */
  rssKiB: number
  /** RSS growth without the young generation's. */
  rssKiBExYoung: number
  heapKiB: number
}

export interface DeviceMemory extends PerUnit {
  devices: number
  gateways: number
  rssBeforeBytes: number
  rssAfterBytes: number
  youngGrowthBytes: number
  startMs: number
}

export interface SplitMemory {
  devices: number
  gateways: number
  fleet: PerUnit
  broker: PerUnit
}

export interface ConnectionMemory {
  connections: number
  client: PerUnit
  broker: PerUnit
}

export interface MemoryResults {
  simulator: DeviceMemory[]
  split: SplitMemory | undefined
  idle: ConnectionMemory | undefined
}

export function perUnit(before: MemorySnapshot, after: MemorySnapshot, units: number): PerUnit {
  const rss = after.rss - before.rss
  const young = after.newSpace - before.newSpace
  return { rssKiB: rss / 1024 / units, rssKiBExYoung: (rss - young) / 1024 / units, heapKiB: (after.heapUsed - before.heapUsed) / 1024 / units }
}

const CHILD_TIMEOUT_MS = 90_000

interface Child {
  next(): Promise<ChildReport>
  send(m: string): void
  done(): Promise<void>
}

function startChild(args: string[]): Child {
  const child: ChildProcess = fork(new URL('./memory-child.ts', import.meta.url), args, {
    execArgv: ['--expose-gc', '--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  })
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const killer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS)
  return {
    next: () =>
      new Promise<ChildReport>((resolve, reject) => {
        const onExit = (code: number | null, signal: string | null): void =>
          reject(new Error(`memory child ${args.join(' ')} ${signal === 'SIGKILL' ? `timed out after ${CHILD_TIMEOUT_MS / 1000} s` : `exited with ${code}`}: ${stderr.trim()}`))
        child.once('exit', onExit)
        child.once('message', (m) => {
          child.off('exit', onExit)
          resolve(m as ChildReport)
        })
      }),
    send: (m) => void (child.connected && child.send(m)),
    done: async () => {
      if (child.connected) child.send('done')
      const grace = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(grace)
      clearTimeout(killer)
    },
  }
}

async function expect<T extends ChildReport['type']>(c: Child, type: T): Promise<Extract<ChildReport, { type: T }>> {
  const r = await c.next()
  if (r.type !== type) throw new Error(`memory child sent ${r.type}, expected ${type}`)
  return r as Extract<ChildReport, { type: T }>
}

export async function simulatorMemory(devices: number, gateways: number): Promise<DeviceMemory> {
  const c = startChild(['fleet', String(devices), String(gateways)])
  try {
    const r = await expect(c, 'memory')
    return {
      devices,
      gateways,
      rssBeforeBytes: r.before.rss,
      rssAfterBytes: r.after.rss,
      youngGrowthBytes: r.after.newSpace - r.before.newSpace,
      startMs: r.startMs,
      ...perUnit(r.before, r.after, devices),
    }
  } finally {
    await c.done()
  }
}

/**
 * A broker child, measured before and after `load` starts another child against its URL; that
 * child is stopped before the broker, so it never sees the broker go away.
 */
async function withBrokerChild(args: (url: string) => string[]): Promise<{ load: Extract<ChildReport, { type: 'memory' }>; before: MemorySnapshot; after: MemorySnapshot }> {
  const broker = startChild(['broker'])
  let other: Child | undefined
  try {
    const { url } = await expect(broker, 'ready')
    broker.send('measure')
    const before = (await expect(broker, 'snapshot')).memory
    other = startChild(args(url))
    const load = await expect(other, 'memory')
    broker.send('measure')
    const after = (await expect(broker, 'snapshot')).memory
    return { load, before, after }
  } finally {
    await other?.done()
    await broker.done()
  }
}

export async function splitMemory(devices: number, gateways: number): Promise<SplitMemory> {
  const { load, before, after } = await withBrokerChild((url) => ['fleet', String(devices), String(gateways), url])
  return { devices, gateways, fleet: perUnit(load.before, load.after, devices), broker: perUnit(before, after, devices) }
}

export async function idleConnectionMemory(connections: number): Promise<ConnectionMemory> {
  const { load, before, after } = await withBrokerChild((url) => ['clients', String(connections), url])
  return { connections, client: perUnit(load.before, load.after, connections), broker: perUnit(before, after, connections) }
}
