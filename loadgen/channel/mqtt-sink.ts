/**
 * The pump's MQTT side on an MQTT.js client: publishes, subscribes and unsubscribes as the pump
 * takes them, reports completions (PUBACK / SUBACK / UNSUBACK, or written for QoS 0), connection
 * changes, socket drain and incoming publishes back to the pump.
 *
 * Each request record carries its own completion callback, built once per record, so writing a
 * request allocates nothing here (MQTT.js allocates its packet).
 */
import type { Writable } from 'node:stream'
import type { IClientPublishOptions, IClientSubscribeOptions, MqttClient } from 'mqtt'
import type { Pump, PumpRequest, PumpSink } from './pump.ts'

export interface MqttRequest extends PumpRequest {
  readonly topic: string
  readonly payload: Buffer
  /** Prebuilt options (`{ qos }`) so a write builds nothing. */
  readonly publishOptions: IClientPublishOptions
  readonly subscribeOptions: IClientSubscribeOptions
  /** Prebuilt once per record: tells the pump (and through it the owner) that the request completed. */
  readonly done: (err?: Error | null) => void
}

export class MqttSink<T extends MqttRequest> implements PumpSink<T> {
  connections = 0
  disconnects = 0
  private pump: Pump<T> | undefined
  private stream: Writable | undefined
  private readonly onDrain = (): void => this.pump?.writableChanged()

  constructor(private readonly client: MqttClient) {
    if (client.connected) this.connections = 1
    client.on('connect', () => {
      this.connections++
      this.watchStream()
      this.pump?.connectionChanged()
    })
    client.on('close', () => {
      this.disconnects++
      this.pump?.connectionChanged()
    })
    client.on('message', (topic, payload) => this.pump?.incoming({ topic, payload }))
    // Connection errors during a cut are expected; MQTT.js reconnects on its own.
    client.on('error', () => {})
    this.watchStream()
  }

  attach(pump: Pump<T>): void {
    this.pump = pump
  }

  get connected(): boolean {
    return this.client.connected
  }

  get writable(): boolean {
    return this.stream?.writableNeedDrain !== true
  }

  /**
   * Everything written so far has left the socket's own buffer. MQTT.js completes a QoS 0 publish
   * when it is queued there, with the payload still referenced: a payload may be reused only then.
   */
  get flushed(): boolean {
    return (this.stream?.writableLength ?? 0) === 0
  }

  write(req: T): void {
    switch (req.kind) {
      case 'publish':
        this.client.publish(req.topic, req.payload, req.publishOptions, req.done)
        return
      case 'subscribe':
        this.client.subscribe(req.topic, req.subscribeOptions, req.done)
        return
      case 'unsubscribe':
        this.client.unsubscribe(req.topic, req.done)
        return
    }
  }

  private watchStream(): void {
    const s = this.client.stream as Writable | undefined
    if (s === this.stream) return
    this.stream?.off('drain', this.onDrain)
    this.stream = s
    s?.on('drain', this.onDrain)
  }
}
