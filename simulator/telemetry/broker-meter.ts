/**
 * The embedded broker's PUBLISH traffic, for messages and bytes per sample: every PUBLISH a client
 * sent (Aedes `authorizePublish`) and every one the broker delivered to a subscriber (Aedes
 * `authorizeForward`, called once per delivery), with the bytes of its topic and payload. Handed to
 * the broker as hooks (BrokerOptions.hooks), so it keeps counting across a restart.
 */
import type { AedesOptions } from 'aedes'
import { emptyTraffic, type PublishTraffic } from '../../core/telemetry.ts'

type Payload = string | Buffer | Uint8Array | undefined

const sizeOf = (topic: string, payload: Payload): number =>
  Buffer.byteLength(topic) + (payload === undefined ? 0 : typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length)

export class BrokerMeter {
  private readonly traffic: PublishTraffic = emptyTraffic()

  readonly hooks: Pick<AedesOptions, 'authorizePublish' | 'authorizeForward'> = {
    authorizePublish: (_client, packet, done) => {
      this.traffic.publishIn++
      this.traffic.payloadIn += sizeOf(packet.topic, packet.payload)
      done(null)
    },
    authorizeForward: (_client, packet) => {
      this.traffic.publishOut++
      this.traffic.payloadOut += sizeOf(packet.topic, packet.payload)
      return packet
    },
  }

  /** The traffic so far (take two and subtract for a cell). */
  snapshot(): PublishTraffic {
    return { ...this.traffic }
  }
}
