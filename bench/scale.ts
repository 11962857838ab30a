/**
 * `npm run bench -- --scale`: how big a fleet one machine holds. Three phases, each with a deadline,
 * each fleet in a child process of its own (scale-child.ts) so that its RSS is its own, the calls
 * made from this process (scale-calls.ts), and everything started stopped again:
 *
 *   (a) 100,000 devices on 100 gateways on the embedded Aedes (fleet and broker in one process, all
 *       three conventions), with the default profile and with instant: start-up, RSS, calls answered;
 *   (b) 1,000,000 devices on 1,000 gateways attached to a Mosquitto the bench starts, --conventions
 *       envelope: start-up (target < 2 min), the fleet's RSS per device (target < 2 KiB) and
 *       Mosquitto's (VmRSS of /proc/PID/status) per subscription, calls answered;
 *   (c) 100,000 devices on Mosquitto made on first use against every device an object from the
 *       start (what the fleet held before), side by side.
 *
 * `--quick` runs each a tenth of the size, to check the bench itself.
 */
import { readFileSync } from 'node:fs'
import { checkOpenFiles } from '../core/open-files.ts'
import type { RpcConvention } from '../simulator/conventions.ts'
import { startMosquitto, type MosquittoBroker } from '../test/support/mosquitto.ts'
import { callFleet, type CallFigures, type CallPlan } from './scale-calls.ts'
import { startScaleChild } from './scale-process.ts'
import type { ScaleTask } from './scale-child.ts'
import type { MemorySnapshot } from './memory-snapshot.ts'

export interface Size {
  devices: number
  gateways: number
}

export interface ScalePlan {
  embedded: Size
  mosquitto: Size
  compare: Size
  calls: CallPlan
}

export const SCALE_PLANS: Record<'full' | 'quick', ScalePlan> = {
  full: { embedded: { devices: 100_000, gateways: 100 }, mosquitto: { devices: 1_000_000, gateways: 1_000 }, compare: { devices: 100_000, gateways: 100 }, calls: { calls: 1_000, chains: 100, mqttnet: true, timeoutMs: 30_000 } },
  quick: { embedded: { devices: 10_000, gateways: 10 }, mosquitto: { devices: 100_000, gateways: 100 }, compare: { devices: 10_000, gateways: 10 }, calls: { calls: 200, chains: 20, mqttnet: true, timeoutMs: 30_000 } },
}

export const TARGETS = { mosquittoStartSec: 120, fleetKiBPerDevice: 2 } as const

/** Building and starting a fleet; then the calls, and stopping. */
const START_DEADLINE_MS = { embedded: 300_000, mosquitto: 300_000, compare: 180_000 }
const CALLS_DEADLINE_MS = 120_000

export interface FleetRun extends Size {
  label: string
  broker: 'embedded' | 'mosquitto'
  profile: string
  conventions: RpcConvention[] | undefined
  eager: boolean
  subscriptions: number
  buildMs: number
  startMs: number
  baseline: MemorySnapshot
  built: MemorySnapshot
  started: MemorySnapshot
  /** After the calls (or right after start, without calls). */
  after: MemorySnapshot
  devicesMade: number
  calls: CallFigures | undefined
  /** Mosquitto's VmRSS, bytes, before the fleet connected and once it had started. */
  brokerRss: { before: number; after: number } | undefined
}

export interface ScaleResult {
  mode: 'full' | 'quick'
  plan: ScalePlan
  embedded: FleetRun[]
  mosquitto: FleetRun | undefined
  compare: FleetRun[]
  mosquittoVersion: string | undefined
  failures: string[]
  elapsedSec: number
}

/** VmRSS of a process, bytes (/proc/PID/status). */
export function vmRss(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`)
  return Number(m[1]) * 1024
}

interface PhaseOptions {
  label: string
  task: ScaleTask
  startDeadlineMs: number
  calls: CallPlan | undefined
  brokerPid: number | undefined
  progress: (line: string) => void
}

async function fleetPhase(o: PhaseOptions): Promise<FleetRun> {
  const { task, progress, label } = o
  const child = startScaleChild(task, (line) => progress(`${label}: ${line}`))
  try {
    const built = await child.expect('built', o.startDeadlineMs)
    progress(`${label}: ${task.devices.toLocaleString('en-US')} devices on ${task.gateways.toLocaleString('en-US')} gateways built in ${Math.round(built.buildMs)} ms; starting`)
    const brokerBefore = o.brokerPid === undefined ? undefined : vmRss(o.brokerPid)
    const started = await child.expect('started', o.startDeadlineMs)
    const brokerAfter = o.brokerPid === undefined ? undefined : vmRss(o.brokerPid)
    progress(`${label}: started in ${(started.startMs / 1000).toFixed(1)} s, RSS ${(started.started.rss / 2 ** 20).toFixed(0)} MiB${brokerAfter === undefined ? '' : `, Mosquitto ${(brokerAfter / 2 ** 20).toFixed(0)} MiB`}`)
    let calls: CallFigures | undefined
    if (o.calls !== undefined) {
      const plan = o.calls
      calls = await deadline(callFleet(started.url, task.devices, task.gateways, plan), CALLS_DEADLINE_MS, `${label}: the calls`)
      const unanswered = Object.values(calls.unanswered).reduce((s, n) => s + n, 0)
      progress(`${label}: ${calls.sent} calls, ${calls.ok} ok, ${calls.sent - calls.ok - unanswered} device errors, ${unanswered} unanswered${calls.mqttnet ? `; MQTTnet call ${calls.mqttnet.outcome}` : ''}`)
    }
    child.send('measure')
    const after = await child.expect('snapshot', 60_000)
    return {
      label, broker: task.brokerUrl === undefined ? 'embedded' : 'mosquitto', devices: task.devices, gateways: task.gateways, profile: task.profile,
      conventions: task.conventions, eager: task.eager, subscriptions: started.subscriptions, buildMs: built.buildMs, startMs: started.startMs,
      baseline: built.baseline, built: built.built, started: started.started, after: after.memory, devicesMade: after.devicesMade, calls,
      brokerRss: brokerBefore === undefined || brokerAfter === undefined ? undefined : { before: brokerBefore, after: brokerAfter },
    }
  } finally {
    await child.done()
  }
}

function deadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms)))
  return Promise.race([p, late]).finally(() => clearTimeout(timer))
}

const mosquittoFor = (size: Size): Promise<MosquittoBroker> => {
  checkOpenFiles(size.gateways + 16, `Mosquitto with ${size.gateways} gateways`, 'fewer gateways')
  // Its own limits: room for every gateway and the callers on the one listener.
  return startMosquitto({ extraConfig: [`max_connections ${size.gateways + 100}`] })
}

export async function runScale(mode: 'full' | 'quick', progress: (line: string) => void): Promise<ScaleResult> {
  const began = performance.now()
  const plan = SCALE_PLANS[mode]
  const result: ScaleResult = { mode, plan, embedded: [], mosquitto: undefined, compare: [], mosquittoVersion: undefined, failures: [], elapsedSec: 0 }
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn()
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      result.failures.push(`${what}: ${message}`)
      progress(`${what} FAILED: ${message}`)
      return undefined
    }
  }
  const base = { profile: 'ble-default', conventions: ['envelope'] as RpcConvention[], seed: 1 }

  // (c) first: small, and it checks the child before the big phases.
  let broker: MosquittoBroker | undefined = await attempt('(c) starting Mosquitto', () => mosquittoFor(plan.compare))
  result.mosquittoVersion = broker?.version
  try {
    for (const eager of [true, false]) {
      if (broker === undefined) break
      const label = `(c) ${eager ? 'eager' : 'lazy'}`
      const task: ScaleTask = { ...base, ...plan.compare, brokerUrl: broker.url, eager }
      const run = await attempt(label, () => fleetPhase({ label, task, startDeadlineMs: START_DEADLINE_MS.compare, calls: undefined, brokerPid: undefined, progress }))
      if (run) result.compare.push(run)
    }
  } finally {
    await broker?.stop()
    broker = undefined
  }

  // (a) the embedded broker, all conventions, both profiles.
  checkOpenFiles(2 * plan.embedded.gateways + 4, `${plan.embedded.gateways} gateways on the embedded broker`, 'fewer gateways')
  for (const profile of ['ble-default', 'instant']) {
    const label = `(a) embedded ${profile}`
    const task: ScaleTask = { ...plan.embedded, profile, conventions: undefined, brokerUrl: undefined, eager: false, seed: 1 }
    const run = await attempt(label, () => fleetPhase({ label, task, startDeadlineMs: START_DEADLINE_MS.embedded, calls: plan.calls, brokerPid: undefined, progress }))
    if (run) result.embedded.push(run)
  }

  // (b) a million devices on Mosquitto, envelope only.
  broker = await attempt('(b) starting Mosquitto', () => mosquittoFor(plan.mosquitto))
  result.mosquittoVersion ??= broker?.version
  try {
    if (broker !== undefined) {
      const b = broker
      const label = `(b) Mosquitto ${plan.mosquitto.devices.toLocaleString('en-US')}`
      const task: ScaleTask = { ...base, ...plan.mosquitto, brokerUrl: b.url, eager: false }
      result.mosquitto = await attempt(label, () => fleetPhase({ label, task, startDeadlineMs: START_DEADLINE_MS.mosquitto, calls: { ...plan.calls, mqttnet: false }, brokerPid: b.pid, progress }))
    }
  } finally {
    await broker?.stop()
  }
  result.elapsedSec = Math.round((performance.now() - began) / 1000)
  return result
}
