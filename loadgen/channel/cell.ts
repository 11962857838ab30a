/**
 * One channel-capacity cell, end to end: open-loop producers → send policy → BoundedChannel →
 * pump (rumqtt's event loop) → MQTT.js publisher (through the fault proxy for cut and slow-link,
 * and for a shaped caller link) → broker → a subscriber on its own connection (through its own
 * shaped link, if any), which measures delivery. Faults play in windows
 * during the production phase; then they are lifted and the cell drains until every produced
 * request is delivered, dropped or failed (or the drain timeout classifies the rest).
 *
 * Time comes from `clock` so the phases are testable; sockets are real.
 */
import { realClock, sleep, tickEvery, type Clock } from '../../core/clock.ts'
import { connectMqtt, endClient, parseBrokerUrl } from '../../core/mqtt-connect.ts'
import { deriveRng } from '../../core/rng.ts'
import { startFaultProxy, type FaultProxy } from '../faults/proxy.ts'
import { routeThrough } from '../faults/route.ts'
import { periodicWindows, singleWindow, WindowTimer, type FaultWindow } from '../faults/windows.ts'
import { BoundedChannel } from './bounded-channel.ts'
import { CellMetrics } from './cell-metrics.ts'
import type { ChannelCellData, ChannelCellTask, ChannelTick } from './messages.ts'
import { MqttSink } from './mqtt-sink.ts'
import { createPolicy } from './policies.ts'
import { OpenLoopProducers } from './producers.ts'
import { Pump } from './pump.ts'
import { Ring } from '../../core/ring.ts'
import { ChannelRequest, RequestFreeList, STAMP_BYTES, stampCalledAt, stampIntendedAt, stampSeq } from './requests.ts'
import { Watchdog } from './watchdog.ts'

const COMMAND_EVERY_MS = 100
const CONTROL_TIMEOUT_MS = 5_000

export interface CellRunOptions {
  clock?: Clock
  onTick?: (t: ChannelTick) => void
}

export function faultWindows(t: Pick<ChannelCellTask, 'fault' | 'durationMs' | 'window' | 'cutForMs'>): FaultWindow[] {
  if (t.fault === 'stall' || t.fault === 'slow-link') return periodicWindows(t.durationMs, t.window.everyMs, t.window.forMs)
  if (t.fault === 'cut') return singleWindow(t.durationMs, Math.round(t.durationMs / 3), t.cutForMs)
  return []
}

export async function runChannelCell(task: ChannelCellTask, ro: CellRunOptions = {}): Promise<ChannelCellData> {
  const clock = ro.clock ?? realClock
  const target = parseBrokerUrl(task.broker.url)
  const needsProxy = task.fault === 'cut' || task.fault === 'slow-link' || task.callerLink !== undefined
  const closers: Array<() => Promise<void>> = []
  try {
    const proxy: FaultProxy | undefined = needsProxy ? await startFaultProxy({ target: { host: target.host, port: target.port }, clock, rng: deriveRng(task.seed, task.cellId) }) : undefined
    if (proxy) closers.push(() => proxy.close())
    proxy?.setLink('both', task.callerLink)
    const receiver = await routeThrough(task.broker, task.receiverLink, deriveRng(task.seed, `${task.cellId}/receiver`))
    closers.push(() => receiver.close())
    const sub = await connectMqtt(receiver.target, { clientId: `${task.clientIdPrefix}-sub`, protocolVersion: 4 })
    closers.push(() => endClient(sub, true))
    const pub = await connectMqtt(proxy ? { ...task.broker, via: { host: proxy.host, port: proxy.port } } : task.broker, { clientId: `${task.clientIdPrefix}-pub`, protocolVersion: 4, reconnectPeriod: 100 })
    closers.push(() => endClient(pub, true))
    return await play(task, clock, ro, sub, pub, proxy)
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined)
  }
}

async function play(task: ChannelCellTask, clock: Clock, ro: CellRunOptions, sub: Awaited<ReturnType<typeof connectMqtt>>, pub: Awaited<ReturnType<typeof connectMqtt>>, proxy: FaultProxy | undefined): Promise<ChannelCellData> {
  // First, so its memory baseline comes before anything the cell builds (the free list of records grows with capacity).
  const metrics = new CellMetrics({ clock, expected: Math.ceil((task.rate * task.durationMs) / 1000), depth: () => channel.length + policy.depth, blocked: () => producers.held })
  const topics = Array.from({ length: task.producers }, (_, p) => `${task.topicPrefix}/d/${p}`)
  const cmdTopic = `${task.topicPrefix}/cmd`
  const channel = new BoundedChannel<ChannelRequest>(task.capacity)
  const sink = new MqttSink<ChannelRequest>(pub)
  let replies = 0
  let deadlocked = false
  let maxQueueDepth = 0
  const controlWaiters = new Map<ChannelRequest, (err: Error | undefined) => void>()
  const onDone = (req: ChannelRequest, err: Error | null | undefined): void => pump.complete(req, err)
  const freeList = new RequestFreeList(task.producers + task.capacity + task.ring + task.maxInFlight + 16, () => new ChannelRequest('publish', 'data', '', task.qos, Math.max(STAMP_BYTES, task.payloadBytes), onDone))
  // A QoS 0 payload may still sit in the socket's queue when MQTT.js completes it (see MqttSink.flushed).
  const unflushed = new Ring<ChannelRequest>(64, true)
  const recycle = (req: ChannelRequest): void => {
    if (req.qos > 0) return freeList.release(req)
    unflushed.push(req)
    if (sink.flushed) for (let r = unflushed.shift(); r !== undefined; r = unflushed.shift()) freeList.release(r)
  }
  const reply = new ChannelRequest('publish', 'reply', `${task.topicPrefix}/reply`, 0, 8, onDone)
  const pump: Pump<ChannelRequest> = new Pump(channel, sink, {
    maxInFlight: task.maxInFlight,
    // The rumqtt #1025 pattern: replying with an awaited send() from inside the event loop.
    onIncoming: task.sendInPoll ? () => channel.send(reply) : undefined,
    onComplete: (req, err) => {
      if (req.role === 'data') recycle(req)
      else if (req.role === 'reply') replies++
      else controlWaiters.get(req)?.(err)
    },
  })
  sink.attach(pump)
  const lost = (kind: 'undelivered' | 'deadlock') => (req: ChannelRequest): void => {
    if (req.role !== 'data') return
    metrics.recordLoss(deadlocked ? 'deadlock' : kind, clock.now())
    freeList.release(req)
  }
  const policy = createPolicy(task.policy, channel, {
    ring: task.ring,
    onAccepted: (req) => (req.acceptedAt = clock.now()),
    onDropped: (req) => {
      metrics.recordDropped(clock.now())
      freeList.release(req)
    },
    onDiscarded: lost('undelivered'),
  })
  const producers = new OpenLoopProducers<ChannelRequest>({ producers: task.producers, ratePerSec: task.rate, durationMs: task.durationMs }, {
    make: (seq, p, intendedAt, calledAt) => {
      const r = freeList.acquire()
      r.stamp(seq, p, topics[p]!, intendedAt, calledAt)
      return r
    },
    submit: (item, signal) => {
      const outcome = policy.submit(item, signal)
      // Only a submit adds to what is queued, so the maximum is seen right after one.
      const depth = channel.length + policy.depth
      if (depth > maxQueueDepth) maxQueueDepth = depth
      return outcome
    },
    settled: (item, outcome, calledAt, settledAt) => {
      const now = clock.now()
      metrics.recordBlockingMs((outcome === 'accepted' ? item.acceptedAt : settledAt) - calledAt)
      if (outcome === 'accepted' || outcome === 'dropped') return
      metrics.recordLoss(deadlocked ? 'deadlock' : outcome === 'full' ? 'try-full' : outcome, now)
      freeList.release(item)
    },
  }, clock)

  sub.on('message', (_topic, payload: Buffer) => {
    if (payload.length < STAMP_BYTES) return
    metrics.recordDelivery(stampSeq(payload), stampIntendedAt(payload), stampCalledAt(payload), clock.now())
  })
  await sub.subscribeAsync(`${task.topicPrefix}/d/+`, { qos: task.qos })
  const pumping = pump.start()
  // Subscribe and unsubscribe go through the channel too, like every rumqtt request.
  const control = async (kind: 'subscribe' | 'unsubscribe'): Promise<void> => {
    const req = new ChannelRequest(kind, 'control', cmdTopic, task.qos, 0, onDone)
    const acked = new Promise<Error | undefined>((resolve) => controlWaiters.set(req, resolve))
    await channel.send(req, { signal: AbortSignal.timeout(CONTROL_TIMEOUT_MS) })
    const err = await Promise.race([acked, sleep(clock, CONTROL_TIMEOUT_MS).then(() => new Error(`no ${kind.toUpperCase()} ack within ${CONTROL_TIMEOUT_MS} ms`))])
    if (err) throw err
  }
  await control('subscribe')

  let endProduction: () => void = () => undefined
  const productionOver = new Promise<void>((resolve) => (endProduction = resolve))
  let deadlockAfterMs: number | undefined
  let reason: string | undefined
  const start = clock.now() + 1
  const faults = new WindowTimer(clock, faultWindows(task), {
    on: () => (task.fault === 'stall' ? pump.stall() : task.fault === 'cut' ? proxy?.cut() : proxy?.setLink('both', { bandwidth: task.link.bandwidth, latencyMs: task.link.latencyMs })),
    off: () => (task.fault === 'stall' ? pump.resume() : task.fault === 'cut' ? proxy?.restore() : proxy?.setLink('both', task.callerLink)),
  })
  const watchdog = new Watchdog({
    clock,
    timeoutMs: task.watchdogMs,
    probe: {
      progress: () => pump.progress,
      pending: () => channel.length + channel.waitingSenders + policy.depth + pump.inboxLength > 0,
      // Held from outside only while parked by the fault; a loop stuck in its own handler is never excused.
      excused: () => pump.state === 'stalled' || pump.state === 'disconnected' || (task.fault === 'slow-link' && faults.active && pump.state !== 'handling'),
    },
    onStuck: (ms) => {
      deadlocked = true
      deadlockAfterMs = Math.round(clock.now() - start)
      reason =
        pump.state === 'handling'
          ? `the event loop awaited send() into its own full channel inside its incoming-publish handler (${channel.length}/${task.capacity} queued, ${channel.waitingSenders} sends waiting); no progress for ${Math.round(ms)} ms`
          : `no progress for ${Math.round(ms)} ms with requests pending (event loop ${pump.state})`
      endProduction()
    },
  })
  metrics.begin(start)
  producers.begin(start)
  faults.begin(start)
  watchdog.start()
  const ticker = tickEvery(clock, 1000, () => ro.onTick?.({ type: 'tick', produced: producers.produced, delivered: metrics.delivered, queueDepth: channel.length + policy.depth }))
  const commands = task.sendInPoll ? tickEvery(clock, COMMAND_EVERY_MS, () => void sub.publish(cmdTopic, 'cmd', { qos: 0 })) : () => undefined
  const productionTimer = clock.setTimeout(endProduction, task.durationMs)
  await productionOver
  clock.clearTimeout(productionTimer)
  commands()
  producers.stop()
  faults.finish()
  const produceMs = clock.now() - start

  const settled = (): boolean => producers.held === 0 && producers.produced === metrics.delivered + metrics.dropped + metrics.failed
  /** Waits until every request is accounted, the limit passes, or (if asked) the watchdog fires. */
  const drain = async (limitMs: number, untilDeadlock: boolean): Promise<boolean> => {
    const until = clock.now() + limitMs
    while (!settled() && clock.now() < until && !(untilDeadlock && deadlocked)) await sleep(clock, 5)
    return settled()
  }
  const closeChannel = (): void => {
    channel.close()
    const dropLeftover = lost('undelivered')
    for (let r = channel.tryRecv(); r !== undefined; r = channel.tryRecv()) dropLeftover(r)
    policy.close()
  }
  // The watchdog keeps watching while the cell drains: a deadlock can show only once production ends.
  if (!deadlocked && !(await drain(task.drainTimeoutMs, true)) && !deadlocked) {
    producers.abort()
    await producers.idle()
    closeChannel()
  }
  if (deadlocked) closeChannel()
  await drain(deadlocked ? 1_000 : Math.min(task.drainTimeoutMs, 2_000), false)
  watchdog.stop()
  ticker()
  if (!channel.closed) {
    await control('unsubscribe')
    channel.close()
  }
  await pump.stop()
  await pumping
  const residual = producers.produced - metrics.delivered - metrics.dropped - metrics.failed
  if (residual < 0) throw new Error(`accounting broken: ${metrics.delivered} delivered + ${metrics.dropped} dropped + ${metrics.failed} failed > ${producers.produced} produced`)
  if (residual > 0) metrics.recordLoss('undelivered', clock.now(), residual)
  const series = metrics.finish(clock.now())
  const h = metrics.encoded()
  metrics.destroy()
  return {
    status: deadlocked ? 'deadlock' : 'ok',
    ...(reason === undefined ? {} : { reason }),
    produced: producers.produced,
    delivered: metrics.delivered,
    dropped: metrics.dropped,
    errors: Object.fromEntries(Object.entries(metrics.errors).filter(([, n]) => n > 0)),
    missed: producers.missed,
    duplicates: metrics.duplicates,
    replies,
    ...h,
    series,
    maxQueueDepth,
    maxChannelLength: channel.maxLength,
    maxRingDepth: policy.maxDepth,
    maxBlockedSenders: channel.maxWaitingSenders,
    peakInFlight: pump.peakInFlight,
    takenWhileDown: pump.takenWhileDown,
    connections: sink.connections + 1,
    disconnects: sink.disconnects,
    peakRssBytes: metrics.peakRssBytes,
    peakMemoryBytes: metrics.peakMemoryBytes,
    baselineMemoryBytes: metrics.baselineMemoryBytes,
    freeListGrown: freeList.grown,
    produceMs: Math.round(produceMs),
    elapsedMs: Math.round(clock.now() - start),
    ...(deadlockAfterMs === undefined ? {} : { deadlockAfterMs }),
    faultWindows: faults.begun,
    ...(proxy ? { proxy: (({ accepted, refused, severed, bytesUp, bytesDown }) => ({ accepted, refused, severed, bytesUp, bytesDown }))(proxy.stats()) } : {}),
  }
}
