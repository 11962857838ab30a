/**
 * An in-memory RpcClient for exact, fast tests of strategies and the run loop. Time is the injected
 * clock (ManualClock in tests): each call answers after its verb's latency, or times out at its
 * deadline (the reply then arrives late and counts in lateReplies). Failures are injected per call,
 * teardowns are simulated with `teardown()`, and every call and batch is logged with its send time.
 */
import type { Clock, TimerHandle } from '../../core/clock.ts'
import { sleep } from '../../core/clock.ts'
import type { BatchItem, Verb } from '../../core/protocol.ts'
import type { CallOptions, CallResult, ErrorKind, RpcClient } from '../../loadgen/clients/types.ts'
import { emptyClientStats, type ClientStats } from '../../core/counters.ts'

/**
 * A latency in ms, fixed or per call: `target` is the device, or the gateway for a batch; `nth`
 * counts this client's calls and batches from 0.
 */
export type FakeLatency = number | ((target: string, nth: number) => number)

export interface FakeClientOptions {
  kind: RpcClient['kind']
  clock: Clock
  /** Per verb (and 'batch'); default `defaultLatencyMs` each. */
  latencyMs?: Partial<Record<Verb | 'batch', FakeLatency>>
  /** Default 10. */
  defaultLatencyMs?: number
  /** Time connect() takes; default 0 (connects at once). */
  connectMs?: number
  /** Failure injection: a failure result for this call or batch item, undefined for success. */
  fail?: (deviceId: string, verb: string, nth: number) => CallResult | undefined
  /** connect() rejects while this returns true. */
  refuseConnect?: () => boolean
}

export interface FakeCall {
  at: number
  deviceId: string
  verb: Verb
  params: unknown
  deadline: number
}

export interface FakeBatch {
  at: number
  gatewayId: string
  /** A copy of the items as sent. */
  items: BatchItem[]
  deadline: number
}

export const deviceError = (code: string): CallResult => ({ ok: false, kind: 'device-error', code, message: `device answered ${code}` })

const OK: CallResult = Object.freeze({ ok: true, result: Object.freeze({ fake: true }) })
const failure = (kind: ErrorKind, message: string): CallResult => ({ ok: false, kind, message })

interface Pending {
  timer: TimerHandle
  resolve: (r: CallResult | CallResult[]) => void
}

export class FakeRpcClient implements RpcClient {
  readonly kind: RpcClient['kind']
  readonly protocolVersion = 4 as const
  readonly calls: FakeCall[] = []
  readonly batches: FakeBatch[] = []
  readonly batch?: (gatewayId: string, items: readonly BatchItem[], opts: CallOptions) => Promise<CallResult[] | CallResult>
  connectCalls = 0
  closed = false
  inFlight = 0
  private up = false
  private nth = 0
  private readonly pending = new Set<Pending>()
  private readonly lateTimers = new Set<TimerHandle>()
  private readonly counters: ClientStats = emptyClientStats()

  constructor(private readonly opts: FakeClientOptions) {
    this.kind = opts.kind
    if (opts.kind === 'multiplexed') this.batch = (gatewayId, items, callOpts) => this.sendBatch(gatewayId, items, callOpts)
  }

  get connected(): boolean {
    return this.up
  }

  async connect(): Promise<void> {
    this.connectCalls++
    if (this.closed) throw new Error('fake client is closed')
    if (this.opts.refuseConnect?.() === true) throw new Error('fake broker refused the connection')
    if ((this.opts.connectMs ?? 0) > 0) await sleep(this.opts.clock, this.opts.connectMs ?? 0)
    if (this.closed) throw new Error('fake client is closed')
    this.up = true
    this.counters.connections++
  }

  call(deviceId: string, verb: Verb, params: unknown, opts: CallOptions): Promise<CallResult> {
    const nth = this.nth++
    this.calls.push({ at: this.opts.clock.now(), deviceId, verb, params, deadline: opts.deadline })
    if (!this.up) return Promise.resolve(this.disconnected())
    if (this.kind === 'mqttnet') this.counters.subscribes++
    const outcome = this.opts.fail?.(deviceId, verb, nth) ?? OK
    const settle = this.schedule(this.latency(verb, deviceId, nth), opts.deadline, outcome)
    return settle.then((r) => {
      if (this.kind === 'mqttnet' && this.up) this.counters.unsubscribes++
      return Array.isArray(r) ? failure('bad-reply', 'array reply to a call') : r
    })
  }

  /** Simulates a teardown: pending calls fail with `kind`, and the client stays down until connect(). */
  teardown(kind: 'protocol-violation' | 'disconnected' = 'protocol-violation'): void {
    if (!this.up) return
    this.up = false
    if (kind === 'protocol-violation') this.counters.protocolViolations++
    this.failPending(kind)
  }

  /** Calls logged for one verb (all verbs when omitted). */
  count(verb?: Verb): number {
    return verb === undefined ? this.calls.length : this.calls.filter((c) => c.verb === verb).length
  }

  stats(): ClientStats {
    return { ...this.counters }
  }

  async close(): Promise<void> {
    this.closed = true
    this.up = false
    this.failPending('disconnected')
    for (const t of this.lateTimers) this.opts.clock.clearTimeout(t)
    this.lateTimers.clear()
  }

  private sendBatch(gatewayId: string, items: readonly BatchItem[], opts: CallOptions): Promise<CallResult[] | CallResult> {
    const nth = this.nth++
    this.batches.push({ at: this.opts.clock.now(), gatewayId, items: items.map((i) => ({ ...i })), deadline: opts.deadline })
    if (!this.up) return Promise.resolve(this.disconnected())
    const results = items.map((item) => this.opts.fail?.(item.device, item.verb, nth) ?? OK)
    return this.schedule(this.latency('batch', gatewayId, nth), opts.deadline, results)
  }

  private schedule(latency: number, deadline: number, outcome: CallResult | CallResult[]): Promise<CallResult | CallResult[]> {
    const { clock } = this.opts
    const now = clock.now()
    this.inFlight++
    this.counters.peakInFlight = Math.max(this.counters.peakInFlight, this.inFlight)
    return new Promise((resolve) => {
      const entry: Pending = { timer: { id: 0 }, resolve }
      const replyAt = now + latency
      const finish = (r: CallResult | CallResult[]) => {
        if (!this.pending.delete(entry)) return
        this.inFlight--
        resolve(r)
      }
      if (replyAt <= deadline) {
        entry.timer = clock.setTimeout(() => finish(outcome), latency)
      } else {
        entry.timer = clock.setTimeout(() => {
          finish(failure('timeout', `no reply within the deadline`))
          const late = clock.setTimeout(() => {
            this.lateTimers.delete(late)
            if (this.up) this.counters.lateReplies++
          }, replyAt - clock.now())
          this.lateTimers.add(late)
        }, Math.max(0, deadline - now))
      }
      entry.resolve = finish
      this.pending.add(entry)
    })
  }

  private failPending(kind: 'protocol-violation' | 'disconnected'): void {
    for (const p of [...this.pending]) {
      this.opts.clock.clearTimeout(p.timer)
      if (kind === 'disconnected') this.counters.disconnectedCalls++
      p.resolve(failure(kind, kind === 'disconnected' ? 'connection closed' : "Received packet 'SubAck' at an unexpected time"))
    }
  }

  private disconnected(): CallResult {
    this.counters.disconnectedCalls++
    return failure('disconnected', 'not connected')
  }

  private latency(verb: Verb | 'batch', target: string, nth: number): number {
    const spec = this.opts.latencyMs?.[verb] ?? this.opts.defaultLatencyMs ?? 10
    return typeof spec === 'number' ? spec : spec(target, nth)
  }
}
