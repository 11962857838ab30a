/**
 * Floor (b), the requester: what a careful engineer writes by hand with MQTT.js. One connection,
 * one response subscription, a Map of pending calls by id, `concurrency` loops each sending its
 * next call when the previous reply arrives. Same wire format as fleetbench's multiplexed client
 * (envelope over MQTT 3.1.1, open → read → close per device), no deadlines, no histograms: latency
 * goes into a flat array. Runs in a worker thread, as fleetbench's clients do, one task after another.
 */
import { parentPort } from 'node:worker_threads'
import type { IClientPublishOptions } from 'mqtt'
import { fleetLayout } from '../simulator/fleet.ts'
import { connectMqtt, endClient } from '../core/mqtt-connect.ts'
import { Samples } from './latency.ts'

export interface BareTask {
  url: string
  qos: 0 | 1
  concurrency: number
  durationMs: number
  clientId: string
  /** A reply lost for this long after the end counts as an error and the run ends anyway. */
  graceMs: number
}

export interface BareOutcome {
  calls: number
  errors: number
  elapsedMs: number
  p50Us: number
  p99Us: number
}

const VERBS = ['open', 'read', 'close'] as const
const PARAMS = ['', ',"params":{"characteristic":"battery"}', '']

async function run(task: BareTask): Promise<BareOutcome> {
  const client = await connectMqtt({ url: task.url }, { clientId: task.clientId, protocolVersion: 4 })
  const replyTopic = `fleet/reply/${task.clientId}`
  await client.subscribeAsync(replyTopic, { qos: task.qos })
  const n = task.concurrency
  const devices = fleetLayout(n, 1)[0]!.deviceIds
  const topics = devices.map((d) => VERBS.map((v) => `fleet/${d}/rpc/${v}`))
  const head = `{"replyTo":${JSON.stringify(replyTopic)},"id":`
  const pubOpts: IClientPublishOptions = { qos: task.qos }
  const pending = new Map<number, number>()
  const sentAt = new Float64Array(n)
  const step = new Uint8Array(n)
  const samples = new Samples()
  let lastId = 0
  let calls = 0
  let errors = 0
  let active = n

  const send = (slot: number): void => {
    const id = ++lastId
    const v = step[slot]!
    pending.set(id, slot)
    sentAt[slot] = performance.now()
    client.publish(topics[slot]![v]!, `${head}${id}${PARAMS[v]}}`, pubOpts)
  }

  const start = performance.now()
  const endAt = start + task.durationMs
  let end = start
  await new Promise<void>((resolve) => {
    const grace = setTimeout(() => {
      errors += pending.size
      end = performance.now()
      resolve()
    }, task.durationMs + task.graceMs)
    client.on('message', (_topic, payload) => {
      const now = performance.now()
      const body = JSON.parse(payload.toString()) as { id: number; ok: boolean }
      const slot = pending.get(body.id)
      if (slot === undefined) return
      pending.delete(body.id)
      if (body.ok) {
        calls++
        samples.push((now - sentAt[slot]!) * 1000)
      } else errors++
      step[slot] = (step[slot]! + 1) % 3
      if (now < endAt) send(slot)
      else if (--active === 0) {
        clearTimeout(grace)
        end = now
        resolve()
      }
    })
    for (let slot = 0; slot < n; slot++) send(slot)
  })
  await endClient(client, true)
  const [p50Us = 0, p99Us = 0] = samples.percentiles([50, 99])
  return { calls, errors, elapsedMs: end - start, p50Us, p99Us }
}

/** Worker ↔ main messages: one task at a time; the thread lives for the whole bench, so it runs warm. */
export type BareRequest = { type: 'run'; task: BareTask }
export type BareReply = { type: 'result'; outcome: BareOutcome } | { type: 'error'; message: string }

if (parentPort !== null) {
  const port = parentPort
  port.on('message', (m: BareRequest) => {
    run(m.task).then(
      (outcome) => port.postMessage({ type: 'result', outcome } satisfies BareReply),
      (err: unknown) => port.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) } satisfies BareReply),
    )
  })
}
