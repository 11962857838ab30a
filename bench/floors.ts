/**
 * The three floors side by side, in one run: for every repeat, every concurrency, every broker and
 * QoS, (b) and (c) run back to back (their order alternates between repeats) and (a) once per
 * concurrency, so slow drift of the machine falls on all of them alike. The embedded Aedes broker
 * is started afresh in this process for each (b) and (c) measurement; Mosquitto, when installed,
 * is one process started by the bench for all of its cells. The (b) requester thread and the (c)
 * worker are each started once and warmed up before anything is timed.
 */
import { startBroker } from '../simulator/broker.ts'
import { BareRequesterThread, measureBare } from './bare-mqtt.ts'
import { createLoadgenPool, measureLoadgen } from './loadgen-path.ts'
import { measureTcp, startTcpEcho } from './tcp-floor.ts'
import { cellId, type BrokerKind, type CellKey, type Measurement } from './types.ts'

export interface FloorsOptions {
  durationMs: number
  repeats: number
  concurrencies: readonly number[]
  qos: ReadonlyArray<0 | 1>
  /** Undefined when Mosquitto is not available: only Aedes runs. */
  mosquittoUrl: string | undefined
  resultDir: string
  runId: string
  progress(line: string): void
}

export interface FloorsResult {
  samples: Measurement[]
  /** Milliseconds each (c) measurement took to write its result.json. */
  writeMs: number[]
  failures: string[]
}

interface Step {
  key: CellKey
  run(): Promise<Measurement>
}

export async function runFloors(o: FloorsOptions): Promise<FloorsResult> {
  const tcp = await startTcpEcho()
  const requester = new BareRequesterThread()
  const pool = createLoadgenPool()
  const brokers: BrokerKind[] = o.mosquittoUrl === undefined ? ['aedes'] : ['aedes', 'mosquitto']
  const writeMs: number[] = []
  let seq = 0
  const bare = (broker: BrokerKind, qos: 0 | 1, concurrency: number, durationMs: number) => async (): Promise<Measurement> => {
    const runId = `${o.runId}-b${seq++}`
    if (broker === 'mosquitto') return measureBare(requester, { url: o.mosquittoUrl!, broker, qos, concurrency, durationMs, runId })
    const aedes = await startBroker()
    try {
      return await measureBare(requester, { url: aedes.url, broker, qos, concurrency, durationMs, runId })
    } finally {
      await aedes.close()
    }
  }
  const loadgen = (broker: BrokerKind, qos: 0 | 1, concurrency: number, durationMs: number) => async (): Promise<Measurement> => {
    const url = broker === 'mosquitto' ? o.mosquittoUrl : undefined
    const m = await measureLoadgen(pool, { url, broker, qos, concurrency, durationMs, runId: `${o.runId}-c${seq++}`, resultDir: o.resultDir })
    writeMs.push(m.writeMs)
    const { writeMs: _w, ...measurement } = m
    return measurement
  }

  const steps: Step[] = []
  for (let r = 0; r < o.repeats; r++) {
    for (const concurrency of o.concurrencies) {
      steps.push({ key: { floor: 'tcp', concurrency }, run: () => measureTcp(tcp.port, concurrency, o.durationMs) })
      for (const broker of brokers) {
        for (const qos of o.qos) {
          const pair: Step[] = [
            { key: { floor: 'bare', broker, qos, concurrency }, run: bare(broker, qos, concurrency, o.durationMs) },
            { key: { floor: 'loadgen', broker, qos, concurrency }, run: loadgen(broker, qos, concurrency, o.durationMs) },
          ]
          steps.push(...(r % 2 === 0 ? pair : pair.reverse()))
        }
      }
    }
  }

  const samples: Measurement[] = []
  const failures: string[] = []
  try {
    // untimed warm-up of both threads of each side (requester/worker, broker/responder/gateway):
    // a fresh thread takes two to three seconds of load to reach full speed
    o.progress('floors: warming up')
    for (const qos of [1, 0] as const) {
      await bare('aedes', qos, 16, 3000 - 1500 * qos)()
      await loadgen('aedes', qos, 16, 3000 - 1500 * qos)()
    }
    writeMs.length = 0
    for (const [i, step] of steps.entries()) {
      const label = `[${i + 1}/${steps.length}] ${cellId(step.key)}`
      o.progress(`floors ${label}`)
      try {
        const m = await step.run()
        samples.push(m)
        o.progress(`floors ${label}: ${Math.round(m.callsPerSec).toLocaleString('en-US')} calls/s, p50 ${m.p50Us} µs, p99 ${m.p99Us} µs${m.errors > 0 ? `, ${m.errors} errors` : ''}`)
      } catch (err) {
        failures.push(`${cellId(step.key)}: ${err instanceof Error ? err.message : String(err)}`)
        o.progress(`floors ${label}: FAILED ${failures[failures.length - 1]}`)
      }
    }
  } finally {
    await tcp.stop()
    await requester.close()
    await pool.close()
  }
  return { samples, writeMs, failures }
}
