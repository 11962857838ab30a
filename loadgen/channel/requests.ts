/**
 * Request records for the channel: small preallocated objects with their payload buffer, topic,
 * options and completion callback built once, recycled through a free list. A data payload starts
 * with a stamp (sequence number, intended and actual send time) so the subscriber measures
 * end-to-end latency from the payload alone.
 */
import type { IClientPublishOptions, IClientSubscribeOptions } from 'mqtt'
import type { MqttRequest } from './mqtt-sink.ts'
import type { RequestKind } from './pump.ts'

/** data: a producer's publish (counted); reply: the handler's publish; control: subscribe/unsubscribe. */
export type RequestRole = 'data' | 'reply' | 'control'

/** Bytes of the stamp at the start of a data payload: seq u32, intendedAt f64, calledAt f64 (ms). */
export const STAMP_BYTES = 20

export const stampSeq = (payload: Buffer): number => payload.readUInt32LE(0)
export const stampIntendedAt = (payload: Buffer): number => payload.readDoubleLE(4)
export const stampCalledAt = (payload: Buffer): number => payload.readDoubleLE(12)

export class ChannelRequest implements MqttRequest {
  topic: string
  qos: 0 | 1
  seq = 0
  producer = 0
  intendedAt = 0
  calledAt = 0
  /** When the send policy accepted it (set by the owner's onAccepted hook). */
  acceptedAt = 0
  readonly payload: Buffer
  readonly publishOptions: IClientPublishOptions
  readonly subscribeOptions: IClientSubscribeOptions
  readonly done: (err?: Error | null) => void

  constructor(
    readonly kind: RequestKind,
    readonly role: RequestRole,
    topic: string,
    qos: 0 | 1,
    payloadBytes: number,
    onDone: (req: ChannelRequest, err: Error | null | undefined) => void,
  ) {
    this.topic = topic
    this.qos = qos
    this.payload = Buffer.alloc(payloadBytes)
    this.publishOptions = { qos }
    this.subscribeOptions = { qos }
    this.done = (err) => onDone(this, err)
  }

  /** Writes the stamp into the payload (data requests). */
  stamp(seq: number, producer: number, topic: string, intendedAt: number, calledAt: number): void {
    this.seq = seq
    this.producer = producer
    this.topic = topic
    this.intendedAt = intendedAt
    this.calledAt = calledAt
    this.payload.writeUInt32LE(seq >>> 0, 0)
    this.payload.writeDoubleLE(intendedAt, 4)
    this.payload.writeDoubleLE(calledAt, 12)
  }
}

/** A free list of data records; grows only when every prebuilt record is in use (counted). */
export class RequestFreeList {
  /** Records allocated after construction because the prebuilt ones were all in use. */
  grown = 0
  private readonly free: ChannelRequest[] = []

  constructor(
    prebuilt: number,
    private readonly make: () => ChannelRequest,
  ) {
    for (let i = 0; i < prebuilt; i++) this.free.push(make())
  }

  get available(): number {
    return this.free.length
  }

  acquire(): ChannelRequest {
    const r = this.free.pop()
    if (r !== undefined) return r
    this.grown++
    return this.make()
  }

  release(r: ChannelRequest): void {
    this.free.push(r)
  }
}
