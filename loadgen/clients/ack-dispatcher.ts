/**
 * An emulation of the MQTTnet < 5.2 packet dispatcher, as pure logic (no sockets, injected clock).
 *
 * MQTTnet matched each acknowledgement to a waiter by (packet type, packet id). A waiter was removed
 * when its call was cancelled or timed out. An ack that found no waiter threw
 * `MqttProtocolViolationException("Received packet 'SubAck' at an unexpected time")`, which tore the
 * connection down. MQTTnet 5.2.0 (PR #2247) only logs such acks; MQTT.js ignores them too.
 *
 *   strict  — an ack without a waiter is a protocol violation (MQTTnet < 5.2)
 *   lenient — it is counted and ignored (MQTT.js, MQTTnet >= 5.2)
 *
 * The table, not MQTT.js, decides: the client feeds it MQTT.js 'packetsend' / 'packetreceive' events.
 */
import { realClock, type Clock } from '../../core/clock.ts'
import { DeadlineQueue, type DeadlineEntry } from '../../core/deadline-queue.ts'

export type AckType = 'PubAck' | 'SubAck' | 'UnsubAck'

/** MQTT.js packet `cmd` → MQTTnet packet type name, for the acks the dispatcher matches; undefined for others. */
export function ackTypeOf(cmd: string): AckType | undefined {
  switch (cmd) {
    case 'puback':
      return 'PubAck'
    case 'suback':
      return 'SubAck'
    case 'unsuback':
      return 'UnsubAck'
    default:
      return undefined
  }
}
const TYPE_CODE: Readonly<Record<AckType, number>> = { PubAck: 1, SubAck: 2, UnsubAck: 3 }

/** The exact message MQTTnet < 5.2 used. */
export const unexpectedAckMessage = (type: AckType): string => `Received packet '${type}' at an unexpected time`

export interface AckWaiter<O> extends DeadlineEntry {
  readonly type: AckType
  readonly packetId: number
  /** Whoever waits (the RPC call); the dispatcher never looks inside it. */
  readonly owner: O
  state: 'waiting' | 'acked' | 'expired' | 'removed'
}

export type DispatchResult<O> =
  | { kind: 'delivered'; waiter: AckWaiter<O> }
  | { kind: 'ignored' }
  | { kind: 'violation'; message: string }

export interface AckDispatcherOptions<O> {
  strict: boolean
  clock?: Clock
  /** A waiter's deadline passed: it has already left the table. */
  onExpire: (waiter: AckWaiter<O>) => void
}

export interface AckDispatcherStats {
  delivered: number
  expired: number
  removed: number
  /** Acks without a waiter in lenient mode. */
  ignored: number
  /** Acks without a waiter in strict mode. */
  violations: number
}

export class AckDispatcher<O> {
  readonly strict: boolean
  private readonly table = new Map<number, AckWaiter<O>>()
  private readonly deadlines: DeadlineQueue<AckWaiter<O>>
  private readonly counters: AckDispatcherStats = { delivered: 0, expired: 0, removed: 0, ignored: 0, violations: 0 }

  constructor(private readonly opts: AckDispatcherOptions<O>) {
    this.strict = opts.strict
    this.deadlines = new DeadlineQueue<AckWaiter<O>>(opts.clock ?? realClock, (w) => {
      this.table.delete(key(w.type, w.packetId))
      w.state = 'expired'
      this.counters.expired++
      this.opts.onExpire(w)
    })
  }

  /** Waiters currently in the table. */
  get size(): number {
    return this.table.size
  }

  stats(): AckDispatcherStats {
    return { ...this.counters }
  }

  /**
   * Registers a waiter for the ack (type, packetId), removed at `deadline`. MQTT forbids reusing a
   * packet id before its ack, so a second waiter for the same key replaces the first (marked removed).
   */
  wait(type: AckType, packetId: number, deadline: number, owner: O): AckWaiter<O> {
    const k = key(type, packetId)
    const old = this.table.get(k)
    if (old !== undefined) this.remove(old)
    const waiter: AckWaiter<O> = { type, packetId, owner, deadline, heapIndex: -1, queueSeq: 0, state: 'waiting' }
    this.table.set(k, waiter)
    this.deadlines.add(waiter)
    return waiter
  }

  /** The waiter's call was cancelled: the ack, when it comes, will find no waiter. False if already gone. */
  remove(waiter: AckWaiter<O>): boolean {
    if (waiter.state !== 'waiting') return false
    this.table.delete(key(waiter.type, waiter.packetId))
    this.deadlines.remove(waiter)
    waiter.state = 'removed'
    this.counters.removed++
    return true
  }

  /** An ack arrived. Delivered to its waiter, or — without one — ignored (lenient) or a violation (strict). */
  dispatch(type: AckType, packetId: number): DispatchResult<O> {
    const k = key(type, packetId)
    const waiter = this.table.get(k)
    if (waiter !== undefined) {
      this.table.delete(k)
      this.deadlines.remove(waiter)
      waiter.state = 'acked'
      this.counters.delivered++
      return { kind: 'delivered', waiter }
    }
    if (!this.strict) {
      this.counters.ignored++
      return { kind: 'ignored' }
    }
    this.counters.violations++
    return { kind: 'violation', message: unexpectedAckMessage(type) }
  }

  /** Drops every waiter without expiring it (the connection is gone) and frees the timer. */
  clear(): AckWaiter<O>[] {
    const all = [...this.table.values()]
    this.table.clear()
    this.deadlines.clear()
    for (const w of all) w.state = 'removed'
    return all
  }
}

const key = (type: AckType, packetId: number): number => TYPE_CODE[type] * 65536 + packetId
