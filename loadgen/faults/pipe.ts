/**
 * One direction of a proxied TCP connection, shaped by LinkConditions. With a plain wire and
 * nothing queued, chunks pass straight through; otherwise they are sliced, queued and delivered by
 * one timer at the times LinkSchedule computes. The source is paused while too much is queued or
 * the destination pushes back, so TCP backpressure reaches the sender as over a real slow link.
 */
import type net from 'node:net'
import type { Clock, TimerHandle } from '../../core/clock.ts'
import type { Rng } from '../../core/rng.ts'
import { Ring } from '../../core/ring.ts'
import { isPlain, LinkSchedule, sliceBytes, type LinkConditions } from './link.ts'

interface Chunk {
  buf: Buffer
  arrivedAt: number
  jitterMs: number
}

export interface PipeOptions {
  clock: Clock
  rng?: Rng
  /** Queued bytes above which the source is paused (default 256 KiB). */
  highWaterBytes?: number
  conditions: () => LinkConditions | undefined
  /** Bytes delivered to the destination. */
  onDelivered?: (bytes: number) => void
}

export class Pipe {
  queuedBytes = 0
  private readonly queue = new Ring<Chunk>(64, true)
  private readonly schedule: LinkSchedule
  private timer: TimerHandle | undefined
  private pausedByQueue = false
  private pausedByDst = false
  private closed = false
  private readonly highWater: number

  constructor(
    private readonly src: net.Socket,
    private readonly dst: net.Socket,
    private readonly opts: PipeOptions,
  ) {
    this.schedule = new LinkSchedule(opts.rng)
    this.highWater = opts.highWaterBytes ?? 256 * 1024
    src.on('data', (buf: Buffer) => this.push(buf))
    dst.on('drain', () => {
      this.pausedByDst = false
      this.updateFlow()
    })
  }

  /** The conditions changed: reschedule what is queued. */
  reschedule(): void {
    if (this.timer) this.opts.clock.clearTimeout(this.timer)
    this.timer = undefined
    this.flush()
  }

  close(): void {
    this.closed = true
    if (this.timer) this.opts.clock.clearTimeout(this.timer)
    this.timer = undefined
    this.queue.clear()
    this.queuedBytes = 0
  }

  private push(buf: Buffer): void {
    if (this.closed) return
    const c = this.opts.conditions()
    const now = this.opts.clock.now()
    if (this.queue.length === 0 && isPlain(c)) {
      this.schedule.delivered(now)
      this.deliver(buf)
      return
    }
    const slice = sliceBytes(c)
    const jitterMs = this.schedule.drawDelay(buf.length, c)
    for (let off = 0; off < buf.length; off += slice) {
      const part = buf.subarray(off, Math.min(buf.length, off + slice))
      this.queue.push({ buf: part, arrivedAt: now, jitterMs })
      this.queuedBytes += part.length
    }
    if (this.queuedBytes > this.highWater) {
      this.pausedByQueue = true
      this.updateFlow()
    }
    if (this.timer === undefined) this.flush()
  }

  private flush(): void {
    this.timer = undefined
    if (this.closed) return
    const clock = this.opts.clock
    for (;;) {
      const head = this.queue.peek()
      if (head === undefined) break
      const at = this.schedule.deliveryTime(head.buf.length, head.arrivedAt, head.jitterMs, this.opts.conditions())
      if (at === Number.POSITIVE_INFINITY) break
      const now = clock.now()
      if (at > now) {
        this.timer = clock.setTimeout(() => this.flush(), at - now)
        break
      }
      this.queue.shift()
      this.queuedBytes -= head.buf.length
      this.schedule.delivered(at)
      this.deliver(head.buf)
    }
    if (this.pausedByQueue && this.queuedBytes <= this.highWater / 2) {
      this.pausedByQueue = false
      this.updateFlow()
    }
  }

  private deliver(buf: Buffer): void {
    if (this.dst.destroyed) return
    this.opts.onDelivered?.(buf.length)
    if (!this.dst.write(buf)) {
      this.pausedByDst = true
      this.updateFlow()
    }
  }

  private updateFlow(): void {
    if (this.src.destroyed) return
    if (this.pausedByQueue || this.pausedByDst) this.src.pause()
    else this.src.resume()
  }
}
