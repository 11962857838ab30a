/**
 * The fleet as an instrument: with a recorder, the embedded broker and the gateways record every
 * RPC they serve, per caller (MQTT client id; a caller that reconnects with the same id stays one
 * caller). The broker tells it who sent each request and when (`request`), and what each caller
 * subscribed to, connected, lost; the gateway tells it what it served (`served`). A request and its
 * service are joined per topic in order: the broker records a request before the gateway can
 * receive it, and one broker delivers one topic to one gateway in order.
 *
 * Against an external broker only the gateways record: callers are known by their reply topic, and
 * what only a broker can see (round trip from the broker, SUBSCRIBE counts, connections) is left
 * out, never guessed.
 */
import { realClock, type Clock } from '../../core/clock.ts'
import { createHistogram, encodeHistogram, recordUs, type Histogram } from '../../core/histogram.ts'
import { IntervalSeries } from '../../core/series.ts'
import { matchesFilter } from './topic-match.ts'

export type Convention = 'envelope' | 'mqtt5' | 'mqttnet' | 'batch'

/** What the gateway served for one request. */
export interface Served {
  topic: string
  convention: Convention
  /** The verb, or 'batch'; device undefined for a batch. */
  verb: string
  device: string | undefined
  /** Device calls a batch carried (1 otherwise). */
  items: number
  qos: 0 | 1
  replyTo: string | undefined
  /** ms on the recorder's clock: when the gateway received the request and when it replied. */
  receivedAt: number
  repliedAt: number
  outcome: { ok: true } | { ok: false; code: string; bad: boolean }
}

export interface CallerStats {
  client: string
  requests: number
  ok: number
  deviceErrors: Record<string, number>
  badRequests: Record<string, number>
  /** Replies the caller could not get: it had gone, or had no subscription matching the reply topic. */
  undeliverable: number
  /** Requests that no gateway served before the recording ended (unknown device, no gateway). */
  dropped: number
  latency: Histogram
  service: Histogram
  series: IntervalSeries
  conventions: Record<Convention, number>
  verbs: Record<string, number>
  qos: Record<'0' | '1', number>
  deviceCalls: number
  subscribes: number
  unsubscribes: number
  connections: number
  disconnects: number
  /** Disconnects while calls were pending, and those calls. */
  teardownsWithPending: number
  callsPendingAtTeardown: number
  inFlight: number
  peakInFlight: number
  /** Highest number of this caller's calls in flight to one device at once. */
  peakInFlightPerDevice: number
  /** Calls a device answered not_connected: it was not open. */
  callsToUnopenedDevice: number
  replyTopics: Set<string>
  /** This caller's calls in flight per device. */
  devices: Map<string, number>
  firstAt: number
  lastAt: number
}

interface Pending {
  caller: CallerStats
  at: number
}

const MAX_REPLY_TOPICS = 5

export class FleetRecorder {
  readonly callers = new Map<string, CallerStats>()
  /** True when a broker reports to this recorder (embedded); false: only the gateways do. */
  brokerAttached = false
  readonly startedAt: number
  private readonly clock: Clock
  /** Requests the broker saw and no gateway has served yet, per topic, in order. */
  private readonly pending = new Map<string, Pending[]>()
  /** Each caller's subscriptions: exact topics apart, so the common case is one Set lookup. */
  private readonly filters = new Map<string, { exact: Set<string>; wild: Set<string> }>()
  /** Open connections per client id: a reconnect with the same id can arrive before the old connection's close. */
  private readonly connected = new Map<string, number>()

  constructor(o: { clock?: Clock } = {}) {
    this.clock = o.clock ?? realClock
    this.startedAt = this.clock.now()
  }

  now(): number {
    return this.clock.now()
  }

  private caller(client: string): CallerStats {
    let c = this.callers.get(client)
    if (c === undefined) {
      const at = this.clock.now()
      c = {
        client, requests: 0, ok: 0, deviceErrors: {}, badRequests: {}, undeliverable: 0, dropped: 0,
        latency: createHistogram(), service: createHistogram(),
        series: new IntervalSeries({ clock: this.clock, startMs: this.startedAt }),
        conventions: { envelope: 0, mqtt5: 0, mqttnet: 0, batch: 0 }, verbs: {}, qos: { '0': 0, '1': 0 }, deviceCalls: 0,
        subscribes: 0, unsubscribes: 0, connections: 0, disconnects: 0, teardownsWithPending: 0, callsPendingAtTeardown: 0,
        inFlight: 0, peakInFlight: 0, peakInFlightPerDevice: 0, callsToUnopenedDevice: 0, replyTopics: new Set(), devices: new Map(), firstAt: at, lastAt: at,
      }
      this.callers.set(client, c)
    }
    return c
  }

  // ---- what the broker reports ----

  connect(client: string): void {
    this.caller(client).connections++
    this.connected.set(client, (this.connected.get(client) ?? 0) + 1)
  }

  disconnect(client: string): void {
    const c = this.callers.get(client)
    const open = (this.connected.get(client) ?? 1) - 1
    if (open > 0) this.connected.set(client, open)
    else {
      this.connected.delete(client)
      this.filters.delete(client) // clean sessions: subscriptions end with the last connection
    }
    if (c === undefined) return
    c.disconnects++
    if (c.inFlight > 0) {
      c.teardownsWithPending++
      c.callsPendingAtTeardown += c.inFlight
    }
  }

  subscribe(client: string, filters: readonly string[]): void {
    this.caller(client).subscribes++
    let set = this.filters.get(client)
    if (set === undefined) this.filters.set(client, (set = { exact: new Set(), wild: new Set() }))
    for (const f of filters) (f.includes('+') || f.includes('#') ? set.wild : set.exact).add(f)
  }

  unsubscribe(client: string, filters: readonly string[]): void {
    this.caller(client).unsubscribes++
    const set = this.filters.get(client)
    for (const f of filters) {
      set?.exact.delete(f)
      set?.wild.delete(f)
    }
  }

  /** The broker received an RPC request from `client` on `topic`. */
  request(client: string, topic: string): void {
    const c = this.caller(client)
    const p = { caller: c, at: this.clock.now() }
    const queue = this.pending.get(topic)
    if (queue === undefined) this.pending.set(topic, [p])
    else queue.push(p)
    c.requests++
    c.lastAt = p.at
    if (++c.inFlight > c.peakInFlight) c.peakInFlight = c.inFlight
  }

  // ---- what a gateway reports ----

  /** A gateway received a request on `topic`: a device call starts (for the per-device peak). */
  started(topic: string, device: string | undefined): void {
    const caller = this.pending.get(topic)?.[0]?.caller
    if (caller === undefined || device === undefined) return
    const n = (caller.devices.get(device) ?? 0) + 1
    caller.devices.set(device, n)
    if (n > caller.peakInFlightPerDevice) caller.peakInFlightPerDevice = n
  }

  served(s: Served): void {
    const queue = this.pending.get(s.topic)
    const p = queue?.shift()
    if (queue !== undefined && queue.length === 0) this.pending.delete(s.topic)
    // Without a broker, the reply topic stands for the caller.
    const c = p?.caller ?? this.caller(s.replyTo ?? `(no reply topic)`)
    if (p === undefined) {
      c.requests++
      if (++c.inFlight > c.peakInFlight) c.peakInFlight = c.inFlight
    } else if (s.device !== undefined) {
      const n = (c.devices.get(s.device) ?? 1) - 1
      if (n <= 0) c.devices.delete(s.device)
      else c.devices.set(s.device, n)
    }
    c.inFlight--
    c.lastAt = s.repliedAt
    c.conventions[s.convention]++
    c.verbs[s.verb] = (c.verbs[s.verb] ?? 0) + 1
    c.qos[s.qos === 0 ? '0' : '1']++
    c.deviceCalls += s.items
    if (s.replyTo !== undefined && c.replyTopics.size < MAX_REPLY_TOPICS) c.replyTopics.add(s.replyTo)
    recordUs(c.service, (s.repliedAt - s.receivedAt) * 1000)
    if (s.replyTo === undefined) {
      // No reply address: the gateway could only count it (a bad request nobody can be told about).
      c.dropped++
      return
    }
    if (!this.deliverable(c.client, s.replyTo)) {
      c.undeliverable++
      c.series.recordError(s.repliedAt)
      return
    }
    if (s.outcome.ok) {
      c.ok++
      const us = ((p?.at !== undefined ? s.repliedAt - p.at : s.repliedAt - s.receivedAt) * 1000)
      if (this.brokerAttached) recordUs(c.latency, us)
      c.series.recordOk(us, s.repliedAt)
      return
    }
    const book = s.outcome.bad ? c.badRequests : c.deviceErrors
    book[s.outcome.code] = (book[s.outcome.code] ?? 0) + 1
    if (s.outcome.code === 'not_connected') c.callsToUnopenedDevice++
    c.series.recordError(s.repliedAt)
  }

  /** Only a broker knows: is the caller still there, subscribed to the reply topic? Without one, assumed so. */
  private deliverable(client: string, replyTo: string): boolean {
    if (!this.brokerAttached) return true
    if (!this.connected.has(client)) return false
    const set = this.filters.get(client)
    if (set === undefined) return false
    if (set.exact.has(replyTo)) return true
    for (const f of set.wild) if (matchesFilter(f, replyTo)) return true
    return false
  }

  /** Requests the broker saw that no gateway has answered yet. */
  get unanswered(): number {
    let n = 0
    for (const q of this.pending.values()) n += q.length
    return n
  }

  /** Waits until every request seen is answered and every caller's connection has closed, or `ms` passed. */
  async settle(ms: number): Promise<void> {
    const until = this.clock.now() + ms
    while ((this.unanswered > 0 || this.connected.size > 0) && this.clock.now() < until) await new Promise((r) => setTimeout(r, 20))
  }

  /** Ends the recording: requests never served count as dropped. */
  finish(): void {
    for (const queue of this.pending.values())
      for (const p of queue) {
        p.caller.dropped++
        p.caller.inFlight--
      }
    this.pending.clear()
  }

  /** Encoded histograms for the result (the recorder stays usable). */
  static encode(c: CallerStats): { latency: string; service: string } {
    return { latency: encodeHistogram(c.latency), service: encodeHistogram(c.service) }
  }
}
