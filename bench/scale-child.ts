/**
 * Child process of `npm run bench -- --scale` (run with --expose-gc): the fleet of one scale phase,
 * alone in its process so its RSS is its own. With `brokerUrl` it attaches to that broker (the fleet
 * alone, as on a load-test machine); without, it starts the embedded Aedes first (everything in one
 * process, as `npm run simulator` runs). It measures itself after a full GC: once warmed up (a
 * one-device fleet started and stopped, so compiled code is in the baseline), once the fleet is
 * built, once it is started, and again whenever the bench asks; and reports over IPC.
 */
import { settled, type MemorySnapshot } from './memory-snapshot.ts'
import { startBroker, type EmbeddedBroker } from '../simulator/broker.ts'
import type { RpcConvention } from '../simulator/conventions.ts'
import { filtersPerDevice, servedConventions } from '../simulator/conventions.ts'
import { Fleet } from '../simulator/fleet.ts'
import { getProfile } from '../simulator/profiles.ts'

export interface ScaleTask {
  devices: number
  gateways: number
  profile: string
  /** Attach to this broker; undefined = the embedded Aedes, in this process. */
  brokerUrl: string | undefined
  /** Undefined = all three. */
  conventions: RpcConvention[] | undefined
  /** Every device an object from the start (what the fleet held before devices were made on first use). */
  eager: boolean
  seed: number
}

/** Child → bench. */
export type ScaleReport =
  | { type: 'progress'; line: string }
  | { type: 'built'; baseline: MemorySnapshot; built: MemorySnapshot; buildMs: number }
  | { type: 'started'; url: string; started: MemorySnapshot; startMs: number; subscriptions: number }
  | { type: 'snapshot'; memory: MemorySnapshot; devicesMade: number }

/** Bench → child. */
export type ScaleCommand = 'measure' | 'done'

const gc = (globalThis as { gc?: () => void }).gc
const PROGRESS_EVERY_MS = 10_000

const send = (r: ScaleReport): void => void process.send?.(r)
// Commands are queued from the start: a 'done' sent while the fleet is still starting is not lost.
const commands: ScaleCommand[] = []
let wake: (() => void) | undefined
process.on('message', (m: ScaleCommand) => {
  commands.push(m)
  wake?.()
})
async function nextCommand(): Promise<ScaleCommand> {
  while (commands.length === 0) await new Promise<void>((r) => (wake = r))
  return commands.shift()!
}

function fleetOf(task: ScaleTask, url: string, devices: number, gateways: number, eager: boolean): Fleet {
  const profile = getProfile(task.profile)
  if (profile === undefined) throw new Error(`unknown profile ${task.profile}`)
  return new Fleet({ devices, gateways, profile, seed: task.seed, broker: { url }, conventions: task.conventions, eagerDevices: eager })
}

async function main(): Promise<void> {
  if (gc === undefined) throw new Error('run with --expose-gc')
  const task = JSON.parse(process.argv[2] ?? '') as ScaleTask
  let broker: EmbeddedBroker | undefined
  let fleet: Fleet | undefined
  try {
    broker = task.brokerUrl === undefined ? await startBroker() : undefined
    const url = task.brokerUrl ?? broker!.url
    const warm = fleetOf(task, url, 1, 1, task.eager)
    await warm.start()
    await warm.stop()
    const baseline = await settled()
    const building = performance.now()
    fleet = fleetOf(task, url, task.devices, task.gateways, task.eager)
    const buildMs = performance.now() - building
    send({ type: 'built', baseline, built: await settled(), buildMs })
    const began = performance.now()
    const f = fleet
    const ticker = setInterval(() => {
      const p = f.progress()
      send({ type: 'progress', line: `${((performance.now() - began) / 1000).toFixed(0)} s: ${p.connected} of ${p.gateways} gateways connected, ${p.ready} subscribed (${p.filtersAcked.toLocaleString('en-US')} filters acknowledged), RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB` })
    }, PROGRESS_EVERY_MS)
    try {
      await fleet.start()
    } finally {
      clearInterval(ticker)
    }
    const startMs = performance.now() - began
    const c = servedConventions(task.conventions)
    const subscriptions = task.gateways * (c.envelope || c.mqtt5 ? 1 : 0) + task.devices * filtersPerDevice(c)
    send({ type: 'started', url, started: await settled(), startMs, subscriptions })
    for (;;) {
      if ((await nextCommand()) !== 'measure') break
      const made = fleet.gateways.reduce((n, g) => n + g.devices.madeCount, 0)
      send({ type: 'snapshot', memory: await settled(), devicesMade: made })
    }
  } finally {
    await fleet?.stop()
    await broker?.close()
  }
  process.disconnect?.()
}

// The bench went away (Ctrl-C, or it gave up on this phase): do not linger.
process.on('disconnect', () => process.exit(0))

main().catch((err: unknown) => {
  process.stderr.write(`scale-child: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
