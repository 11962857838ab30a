/**
 * The telemetry patterns' caller: one connection, one subscription (`fleet/+/telemetry/#`), every
 * message matched to its stream by its topic (a map built once), checked for its run, recorded in
 * the stream tracker (gaps and duplicates), and its freshness taken: the caller's time on the
 * devices' time base when the message arrived minus the `at` the device stamped. PUBACKs of one
 * turn leave in one write (the write coalescer), like the gateways' publishes.
 */
import type { MqttClient } from 'mqtt'
import { createHistogram, recordUs, type Histogram } from '../../core/histogram.ts'
import { connectMqtt, endClient, type BrokerTarget } from '../../core/mqtt-connect.ts'
import { decodeTelemetry, TELEMETRY_FILTER, telemetryTopic, type TelemetryCharacteristic } from '../../core/protocol.ts'
import type { StreamTotals } from '../../core/telemetry.ts'
import { WriteCoalescer } from '../../core/write-coalescer.ts'
import { StreamTracker } from './streams.ts'

export interface SubscriberOptions {
  broker: BrokerTarget
  clientId: string
  qos: 0 | 1
  run: number
  deviceIds: readonly string[]
  characteristics: readonly TelemetryCharacteristic[]
  /** Messages expected per stream, to size the tracker. */
  expectedPerStream: number
  /** Epoch ms on the devices' time base. */
  epoch(): number
  onSample?(freshnessUs: number): void
}

export class TelemetrySubscriber {
  readonly tracker: StreamTracker
  readonly freshness: Histogram = createHistogram()
  /** Messages on a telemetry topic of no device of this run, or not a telemetry message. */
  foreign = 0
  /** Messages of another run (an earlier cell's, still on its way). */
  stale = 0
  private client: MqttClient | undefined
  private readonly streams = new Map<string, number>()
  private readonly writes = new WriteCoalescer()
  private expected = Number.POSITIVE_INFINITY
  private complete: (() => void) | undefined

  constructor(private readonly o: SubscriberOptions) {
    o.deviceIds.forEach((id, d) => o.characteristics.forEach((c, i) => this.streams.set(telemetryTopic(id, c), d * o.characteristics.length + i)))
    this.tracker = new StreamTracker(this.streams.size, o.expectedPerStream)
  }

  async connect(): Promise<void> {
    const client = await connectMqtt(this.o.broker, { clientId: this.o.clientId, protocolVersion: 4 })
    this.client = client
    client.on('message', this.onMessage)
    client.on('error', () => {})
    await client.subscribeAsync(TELEMETRY_FILTER, { qos: this.o.qos })
  }

  /** Resolves once every message the streams published has arrived, or after `timeoutMs` (or when `signal` aborts). */
  drain(published: readonly StreamTotals[], timeoutMs: number, signal?: AbortSignal): Promise<void> {
    this.expected = published.reduce((n, s) => n + s.published, 0)
    if (this.tracker.total >= this.expected || signal?.aborted) return Promise.resolve()
    return new Promise((resolve) => {
      const end = (): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', end)
        this.complete = undefined
        resolve()
      }
      const timer = setTimeout(end, timeoutMs)
      signal?.addEventListener('abort', end)
      this.complete = end
    })
  }

  async close(): Promise<void> {
    const client = this.client
    this.client = undefined
    if (client === undefined) return
    client.off('message', this.onMessage)
    await endClient(client, true)
  }

  private readonly onMessage = (topic: string, payload: Buffer): void => {
    const now = this.o.epoch()
    if (this.client !== undefined) this.writes.hold(this.client)
    const stream = this.streams.get(topic)
    const m = stream === undefined ? undefined : decodeTelemetry(payload)
    if (stream === undefined || m === undefined) {
      this.foreign++
      return
    }
    if (m.run !== this.o.run) {
      this.stale++
      return
    }
    if (!this.tracker.record(stream, m.seq, m.n)) return
    const us = (now - m.at) * 1000
    recordUs(this.freshness, us)
    this.o.onSample?.(us)
    if (this.tracker.total >= this.expected) this.complete?.()
  }
}
