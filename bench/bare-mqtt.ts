/**
 * Floor (b): a bare hand-written MQTT.js request/response loop through the same broker. The
 * responder is as cheap as a responder can be (parse the envelope, publish a prebuilt result) and
 * runs on the main thread, where fleetbench runs its gateways; the requester runs in a worker
 * thread (bare-requester.ts), where fleetbench runs its clients. So (b) and (c) differ only in
 * the code on each side, not in where it runs. Both threads are reused across measurements and
 * warmed up first: a fresh thread needs a few seconds of load before V8 has optimised its hot path.
 */
import { Worker } from 'node:worker_threads'
import type { IClientPublishOptions } from 'mqtt'
import { connectMqtt, endClient } from '../core/mqtt-connect.ts'
import type { BareOutcome, BareReply, BareRequest, BareTask } from './bare-requester.ts'
import { perSec, type BrokerKind, type Measurement } from './types.ts'

/** What the instant-profile gateway answers for open, read battery and close, byte for byte. */
const RESULTS: Record<string, string> = {
  open: '{"state":"connected","connectMs":0}',
  read: '{"characteristic":"2a19","value":"3c"}',
  close: '{"state":"disconnected"}',
}
const QOS: readonly IClientPublishOptions[] = [{ qos: 0 }, { qos: 1 }]

export interface Responder {
  close(): Promise<void>
}

/** Answers every `fleet/+/rpc/+` envelope request at the request's QoS. */
export async function startResponder(url: string, clientId: string): Promise<Responder> {
  const client = await connectMqtt({ url }, { clientId, protocolVersion: 4 })
  client.on('message', (topic, payload, packet) => {
    const body = JSON.parse(payload.toString()) as { id?: unknown; replyTo?: unknown }
    if (typeof body.replyTo !== 'string' || typeof body.id !== 'number') return
    const result = RESULTS[topic.slice(topic.lastIndexOf('/') + 1)] ?? '{}'
    client.publish(body.replyTo, `{"id":${body.id},"ok":true,"result":${result}}`, QOS[packet.qos === 0 ? 0 : 1]!)
  })
  await client.subscribeAsync('fleet/+/rpc/+', { qos: 1 })
  return { close: () => endClient(client, true) }
}

export interface BareRun {
  url: string
  broker: BrokerKind
  qos: 0 | 1
  concurrency: number
  durationMs: number
  runId: string
}

/** The requester's thread, started once and reused, so every measurement after the first runs warm. */
export class BareRequesterThread {
  private readonly worker = new Worker(new URL('./bare-worker.mjs', import.meta.url))
  private failure: Error | undefined

  constructor() {
    this.worker.on('error', (err) => (this.failure = err))
    this.worker.on('exit', (code) => (this.failure ??= new Error(`bare requester thread exited with code ${code}`)))
  }

  run(task: BareTask): Promise<BareOutcome> {
    if (this.failure !== undefined) return Promise.reject(this.failure)
    return new Promise<BareOutcome>((resolve, reject) => {
      const onExit = (): void => reject(this.failure ?? new Error('bare requester thread exited'))
      this.worker.once('exit', onExit)
      this.worker.once('message', (m: BareReply) => {
        this.worker.off('exit', onExit)
        if (m.type === 'result') resolve(m.outcome)
        else reject(new Error(`bare requester: ${m.message}`))
      })
      this.worker.postMessage({ type: 'run', task } satisfies BareRequest)
    })
  }

  async close(): Promise<void> {
    await this.worker.terminate()
  }
}

export async function measureBare(thread: BareRequesterThread, o: BareRun): Promise<Measurement> {
  const responder = await startResponder(o.url, `${o.runId}-responder`)
  try {
    const task: BareTask = { url: o.url, qos: o.qos, concurrency: o.concurrency, durationMs: o.durationMs, clientId: `${o.runId}-requester`, graceMs: 5000 }
    const outcome = await thread.run(task)
    return {
      floor: 'bare',
      broker: o.broker,
      qos: o.qos,
      concurrency: o.concurrency,
      calls: outcome.calls,
      errors: outcome.errors,
      elapsedMs: outcome.elapsedMs,
      callsPerSec: perSec(outcome.calls, outcome.elapsedMs),
      p50Us: outcome.p50Us,
      p99Us: outcome.p99Us,
    }
  } finally {
    await responder.close()
  }
}
