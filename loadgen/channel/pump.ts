/**
 * The pump plays rumqtt's event loop between the request channel and an MQTT client (the sink).
 * Each turn of its loop is one `poll()`:
 *
 * - acks that arrived since the last turn are applied (in-flight QoS>0 publishes go down);
 * - incoming publishes are handed to the application's handler, inside the loop, and awaited —
 *   a handler that awaits `send()` into this same channel while it is full can never finish,
 *   because the only receiver is the loop that waits for it (rumqtt issue #1025);
 * - a request is taken from the channel only while in-flight QoS>0 publishes are below
 *   `maxInFlight`, the connection is up and the socket accepts writes, and it is written at once.
 *
 * When there is nothing to take the pump waits in `recv`, so a capacity-0 channel has a rendezvous
 * partner exactly while the loop is idle. `stall()` stops polling until `resume()` (nothing is
 * taken, acks and incoming wait); a lost connection stops it the same way until the sink reconnects.
 * A stall only stops the loop: MQTT.js below keeps reading the socket, unlike a real unpolled
 * rumqtt event loop, which would also stop reading (irrelevant for stalls shorter than the TCP
 * buffers take to fill).
 */
import type { BoundedChannel } from './bounded-channel.ts'
import { Ring } from '../../core/ring.ts'

export type RequestKind = 'publish' | 'subscribe' | 'unsubscribe'

export interface PumpRequest {
  readonly kind: RequestKind
  readonly qos: 0 | 1 | 2
}

export interface Incoming {
  topic: string
  payload: Buffer
}

/** The MQTT side. It calls `pump.complete(req, err)` once per written request (ack, or written for QoS 0). */
export interface PumpSink<T extends PumpRequest> {
  readonly connected: boolean
  /** False while the transport asks the writer to wait (socket buffer above its high-water mark). */
  readonly writable: boolean
  write(req: T): void
}

export type PumpState = 'starting' | 'idle' | 'running' | 'handling' | 'stalled' | 'disconnected' | 'inflight-full' | 'backpressure' | 'stopped'

export interface PumpOptions<T extends PumpRequest> {
  /** rumqtt's `max_inflight` (default 100). */
  maxInFlight?: number
  /** Requests taken in a row before the loop yields to I/O (default 64). */
  batch?: number
  /** The application's handler of incoming publishes, awaited inside the loop. */
  onIncoming?: (msg: Incoming) => void | Promise<void>
  /** Every completed request (after the sink's ack), with the error if it failed. */
  onComplete?: (req: T, err: Error | undefined) => void
}

const yieldToIo = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

export class Pump<T extends PumpRequest & {}> {
  /** Requests taken from the channel and written to the sink. */
  taken = 0
  completed = 0
  /** Incoming publishes handed to the handler. */
  handled = 0
  inflight = 0
  peakInFlight = 0
  /** Requests taken while the sink was down: the pump's rules make this 0. */
  takenWhileDown = 0
  private stateNow: PumpState = 'starting'
  private readonly maxInFlight: number
  private readonly batch: number
  private readonly inbox = new Ring<Incoming>(16, true)
  private acksPending = 0
  private paused = false
  private stopped = false
  private wake: (() => void) | undefined
  private running: Promise<void> | undefined

  constructor(
    private readonly channel: BoundedChannel<T>,
    private readonly sink: PumpSink<T>,
    private readonly opts: PumpOptions<T> = {},
  ) {
    this.maxInFlight = opts.maxInFlight ?? 100
    this.batch = opts.batch ?? 64
    if (!Number.isInteger(this.maxInFlight) || this.maxInFlight < 1) throw new Error(`maxInFlight must be a whole number ≥ 1, got ${this.maxInFlight}`)
  }

  get state(): PumpState {
    return this.stateNow
  }

  get stalled(): boolean {
    return this.paused
  }

  /** Grows with every step the loop makes; flat while the loop is stuck (or has nothing to do). */
  get progress(): number {
    return this.taken + this.completed + this.handled
  }

  /** Incoming publishes not yet handed to the handler. */
  get inboxLength(): number {
    return this.inbox.length
  }

  /** Starts the loop; the promise settles when it ends (after `stop`, or when the channel is closed and empty). */
  start(): Promise<void> {
    this.running ??= this.loop()
    return this.running
  }

  /** The loop is not polled until `resume` (a stall). */
  stall(): void {
    this.paused = true
    this.channel.interruptRecv()
  }

  resume(): void {
    this.paused = false
    this.poke()
  }

  /** Ends the loop after its current step; a handler still awaiting is not interrupted. */
  stop(): Promise<void> {
    this.stopped = true
    this.channel.interruptRecv()
    this.poke()
    return this.running ?? Promise.resolve()
  }

  /** The sink connected or disconnected. */
  connectionChanged(): void {
    if (!this.sink.connected) this.channel.interruptRecv()
    this.poke()
  }

  /** The sink's socket drained. */
  writableChanged(): void {
    this.poke()
  }

  /** Called by the sink when a written request completes. */
  complete(req: T, err?: Error | null): void {
    if (req.kind === 'publish' && req.qos > 0) {
      this.acksPending++
      if (this.stateNow === 'inflight-full') this.poke()
    }
    this.completed++
    this.opts.onComplete?.(req, err ?? undefined)
  }

  /** Called by the sink for every incoming publish. */
  incoming(msg: Incoming): void {
    this.inbox.push(msg)
    if (this.stateNow === 'idle') this.channel.interruptRecv()
    else this.poke()
  }

  private poke(): void {
    const w = this.wake
    this.wake = undefined
    w?.()
  }

  private park(state: PumpState): Promise<void> {
    this.stateNow = state
    return new Promise<void>((resolve) => (this.wake = resolve))
  }

  private async loop(): Promise<void> {
    let streak = 0
    while (!this.stopped) {
      if (this.paused) {
        await this.park('stalled')
        continue
      }
      if (!this.sink.connected) {
        await this.park('disconnected')
        continue
      }
      this.inflight -= this.acksPending
      this.acksPending = 0
      const msg = this.inbox.shift()
      if (msg !== undefined) {
        this.handled++
        const r = this.opts.onIncoming?.(msg)
        if (r !== undefined) {
          this.stateNow = 'handling'
          try {
            await r
          } catch {
            // The handler's own failure (e.g. its send refused by a closed channel) is its business.
          }
        }
        continue
      }
      if (this.inflight >= this.maxInFlight) {
        await this.park('inflight-full')
        continue
      }
      if (!this.sink.writable) {
        await this.park('backpressure')
        continue
      }
      let req = this.channel.tryRecv()
      if (req === undefined) {
        if (this.channel.closed) break
        this.stateNow = 'idle'
        streak = 0
        req = await this.channel.recv()
        if (req === undefined) continue // interrupted (stall, disconnect, incoming, stop) or closed
      }
      this.write(req)
      if (++streak >= this.batch) {
        streak = 0
        await yieldToIo()
      }
    }
    this.stateNow = 'stopped'
  }

  private write(req: T): void {
    this.stateNow = 'running'
    this.taken++
    if (!this.sink.connected) this.takenWhileDown++
    if (req.kind === 'publish' && req.qos > 0) {
      this.inflight++
      if (this.inflight > this.peakInFlight) this.peakInFlight = this.inflight
    }
    this.sink.write(req)
  }
}
