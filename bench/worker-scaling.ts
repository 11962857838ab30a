/**
 * Worker scaling: the same load (QoS 1, 256 calls in flight as two users of 128 devices, closed-calls)
 * run by 1 and by 2 loadgen worker threads, with the broker and the fleet in another process
 * (`npm run simulator`, embedded Aedes, instant profile). Runs alternate (1, 2, 2, 1, …) so drift of
 * the machine falls on both. CPU time of the simulator process and of this process during each run
 * says where the limit is: a simulator near 100% of one core cannot answer faster, however many
 * workers call it.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { planUsers } from '../loadgen/engine/merge.ts'
import { RpcWorkerThreads } from '../loadgen/engine/worker-threads.ts'
import { summarizeEncoded } from '../core/histogram.ts'
import { fleetLayout } from '../simulator/fleet.ts'
import { processCpuMs } from './proc-cpu.ts'
import { perSec } from './types.ts'

export interface ScalingRun {
  workers: 1 | 2
  callsPerSec: number
  p50Us: number
  p99Us: number
  /** Share of one core, %, during the run (Linux; undefined elsewhere). */
  simulatorCpuPct: number | undefined
  loadgenCpuPct: number
}

export interface ScalingOptions {
  durationMs: number
  repeats: number
  devices?: number
  gateways?: number
  runId: string
  progress(line: string): void
}

const ROOT = fileURLToPath(new URL('..', import.meta.url))

interface SimulatorProcess {
  url: string
  pid: number
  stop(): Promise<void>
}

/** `npm run simulator` in a child process, port 0; resolves when it printed "ready.". */
export async function startSimulatorProcess(devices: number, gateways: number): Promise<SimulatorProcess> {
  const args = ['--import', 'tsx', 'cli/simulator.ts', '--port', '0', '--devices', String(devices), '--gateways', String(gateways), '--profile', 'instant', '--protocol', '4']
  const child: ChildProcess = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  // if the bench exits early (Ctrl-C, crash), the simulator must not outlive it
  const orphan = (): void => void child.kill('SIGKILL')
  process.once('exit', orphan)
  void exited.then(() => process.off('exit', orphan))
  let out = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`simulator did not start within 30 s: ${out.trim()}`)), 30_000)
    const fail = (err: Error): void => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(err)
    }
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d
      const m = /^broker\s+(mqtt:\/\/\S+)/m.exec(out)
      if (m && /^ready\./m.test(out)) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    })
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d))
    child.once('exit', (code) => fail(new Error(`simulator exited with code ${code}: ${out.trim()}`)))
  })
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGTERM')
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(killer)
    },
  }
}

export async function measureWorkerScaling(o: ScalingOptions): Promise<ScalingRun[]> {
  const devicesN = o.devices ?? 256
  const gateways = o.gateways ?? 2
  const sim = await startSimulatorProcess(devicesN, gateways)
  const pools = { 1: new RpcWorkerThreads(1), 2: new RpcWorkerThreads(2) } as const
  const devices = fleetLayout(devicesN, gateways).flatMap((g) => g.deviceIds.map((deviceId) => ({ deviceId, gatewayId: g.gatewayId })))
  const users = planUsers(devices, 2)
  const runs: ScalingRun[] = []
  let seq = 0
  const runOnce = async (workers: 1 | 2, durationMs: number): Promise<ScalingRun> => {
    const simCpu0 = processCpuMs(sim.pid)
    const cpu0 = process.cpuUsage()
    const started = performance.now()
    const r = await pools[workers].runCell({
      cellId: `workers-${workers}`,
      strategy: 'multiplexed',
      strategyOptions: {},
      roundTimeoutMs: 5_000,
      load: { kind: 'closed-calls', durationMs },
      users,
      broker: { url: sim.url },
      protocolVersion: 4,
      ackMode: 'lenient',
      qos: 1,
      clientIdPrefix: `${o.runId}-w${seq++}`,
      reconnectPeriodMs: 1000,
    })
    const wallMs = performance.now() - started
    if (!r.ok) throw new Error(`worker scaling (${workers} workers): ${r.error}`)
    const simCpu1 = processCpuMs(sim.pid)
    const cpu = process.cpuUsage(cpu0)
    const lat = summarizeEncoded(r.slice.callLatency)
    return {
      workers,
      callsPerSec: perSec(r.slice.counts.ok, r.slice.elapsedMs),
      p50Us: lat.p50,
      p99Us: lat.p99,
      simulatorCpuPct: simCpu0 === undefined || simCpu1 === undefined ? undefined : (100 * (simCpu1 - simCpu0)) / wallMs,
      loadgenCpuPct: (100 * (cpu.user + cpu.system)) / 1000 / wallMs,
    }
  }
  try {
    // warm both pools (threads started, code loaded) outside the measurement
    await runOnce(1, 300)
    await runOnce(2, 300)
    for (let r = 0; r < o.repeats; r++) {
      for (const workers of r % 2 === 0 ? ([1, 2] as const) : ([2, 1] as const)) {
        o.progress(`worker scaling: ${workers} worker(s), repeat ${r + 1}/${o.repeats}`)
        runs.push(await runOnce(workers, o.durationMs))
      }
    }
  } finally {
    await pools[1].close()
    await pools[2].close()
    await sim.stop()
  }
  return runs
}
