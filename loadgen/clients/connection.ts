/**
 * What both RPC clients do the same way with their one MQTT connection: connect once at a time
 * (concurrent `connect()` calls share one attempt), refuse after `close()`, end a connection that
 * finished opening after `close()`, count connections, and hand out their counters.
 */
import type { MqttClient } from 'mqtt'
import { realClock, type Clock } from '../../core/clock.ts'
import { emptyClientStats, type ClientStats } from '../../core/counters.ts'
import { connectMqtt, endClient, protocolOf } from '../../core/mqtt-connect.ts'
import type { ClientOptions } from './types.ts'

export abstract class ClientConnection<O extends ClientOptions> {
  protected readonly opts: O
  protected readonly clock: Clock
  protected readonly qos: 0 | 1
  protected client: MqttClient | undefined
  protected closed = false
  protected readonly counters = emptyClientStats()
  private version: 4 | 5 = 4
  private connecting: Promise<void> | undefined

  constructor(
    opts: O,
    private readonly name: string,
  ) {
    this.opts = opts
    this.clock = opts.clock ?? realClock
    this.qos = opts.qos ?? 1
  }

  get connected(): boolean {
    return this.client?.connected === true
  }

  /** MQTT protocol in use (4 = 3.1.1 envelope convention, 5 = MQTT 5 properties). */
  get protocolVersion(): 4 | 5 {
    return this.version
  }

  connect(): Promise<void> {
    return (this.connecting ??= this.open().finally(() => (this.connecting = undefined)))
  }

  stats(): ClientStats {
    return { ...this.counters }
  }

  /** Before a new connection: fail or drop what the old one left. */
  protected abstract beforeOpen(): void
  /** The new connection is this client's: attach handlers (and subscribe, where the kind needs it). */
  protected abstract attach(client: MqttClient): Promise<void>

  private async open(): Promise<void> {
    if (this.closed) throw new Error(`${this.name}: connect() after close()`)
    if (this.connected) return
    this.beforeOpen()
    await this.opts.pacer?.take()
    if (this.closed) throw new Error(`${this.name}: closed while waiting for its turn to connect`)
    const client = await connectMqtt(this.opts.broker, { clientId: this.opts.clientId, protocolVersion: this.opts.protocolVersion ?? 'auto', reconnectPeriod: this.reconnectPeriodMs() })
    if (this.closed) {
      await endClient(client, true)
      throw new Error(`${this.name}: closed while connecting`)
    }
    this.client = client
    this.version = protocolOf(client)
    this.counters.connections++
    await this.attach(client)
  }

  /** MQTT.js's own reconnect delay for this client (0 = never reconnect by itself). */
  protected reconnectPeriodMs(): number {
    return 0
  }
}
