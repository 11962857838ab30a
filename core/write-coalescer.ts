/**
 * One socket write per event-loop turn instead of one per packet.
 *
 * MQTT.js answers an incoming QoS 1 PUBLISH with a PUBACK right after its 'message' handlers
 * return, and mqtt-packet flushes that write on the next `process.nextTick`. A reply (gateway) or
 * the next request (multiplexed client) published from a promise continuation runs after that
 * flush, in a second write: one more syscall per call on each side, and one more TCP segment for
 * the broker to read (measured with strace on loopback: 8 writes per RPC instead of 6).
 *
 * `hold(client)` corks the client's socket when a message arrives and uncorks it on `setImmediate`,
 * in the same turn of the event loop after every microtask, so the PUBACK, the reply or next request,
 * and whatever else this turn writes leave together. Latency cost: none measurable (same turn).
 */
import type { MqttClient } from 'mqtt'
import type { Writable } from 'node:stream'

export class WriteCoalescer {
  private held: Writable | undefined

  /** Holds this turn's writes on the client's socket; a no-op while already held. */
  hold(client: MqttClient): void {
    if (this.held !== undefined) return
    const stream = client.stream as Partial<Writable> | undefined
    if (stream === undefined || typeof stream.cork !== 'function' || stream.destroyed === true) return
    const writable = stream as Writable
    writable.cork()
    this.held = writable
    setImmediate(this.release)
  }

  private readonly release = (): void => {
    const stream = this.held
    this.held = undefined
    stream?.uncork()
  }
}
