/**
 * The caller process of telemetry-vs-rpc (forked by CallerProcess): it aligns its clock with the
 * main process's, then runs one cell at a time — the rpc poller on one multiplexed client, or the
 * telemetry subscriber — and answers with what it measured, its own CPU time included
 * (process.cpuUsage over the load: this process runs nothing but the caller).
 */
import { realClock } from '../../core/clock.ts'
import { encodeHistogram, initWasm } from '../../core/histogram.ts'
import { IntervalSeries } from '../../core/series.ts'
import { publishModeOf, type StreamTotals } from '../../core/telemetry.ts'
import { MultiplexedRpcClient } from '../clients/multiplexed.ts'
import type { RpcClient } from '../clients/types.ts'
import { publishedAccounting } from './accounting.ts'
import { clockOffset, localEpoch, type SyncSample } from './clock-sync.ts'
import type { CallerCellData, CallerCellTask, FromCaller, ToCaller } from './messages.ts'
import { startPoller } from './poller.ts'
import { TelemetrySubscriber } from './subscriber.ts'

const SYNC_EXCHANGES = 20
const OPEN_ATTEMPTS = 5
const OPEN_TIMEOUT_MS = 10_000

let offsetMs = 0
/** Epoch ms on the main process's time base, where the devices stamp their samples. */
const epoch = (): number => localEpoch() + offsetMs
const send = (m: FromCaller): void => void process.send?.(m)

type Waiters = { [K in ToCaller['type']]?: (m: Extract<ToCaller, { type: K }>) => void }
const waiters: Waiters = {}
let stop = new AbortController()

function next<K extends ToCaller['type']>(type: K): Promise<Extract<ToCaller, { type: K }>> {
  return new Promise((resolve) => ((waiters as Record<string, unknown>)[type] = resolve))
}

process.on('message', (m: ToCaller) => {
  if (m.type === 'cell') return void runCell(m.task)
  if (m.type === 'stop') stop.abort()
  const w = (waiters as Record<string, ((x: ToCaller) => void) | undefined>)[m.type]
  delete (waiters as Record<string, unknown>)[m.type]
  w?.(m)
})
// The main process went away: nothing is left to measure for.
process.on('disconnect', () => process.exit(0))
// Ctrl-C (and a CI's SIGTERM to the process group) reaches this process too: the main process stops
// the cell gently and tells it so; until it disconnects, this process keeps answering.
process.on('SIGINT', () => {})
process.on('SIGTERM', () => {})

async function sync(): Promise<void> {
  const samples: SyncSample[] = []
  for (let id = 0; id < SYNC_EXCHANGES; id++) {
    const t1 = localEpoch()
    const answer = next('pong')
    send({ type: 'ping', id })
    const { epoch: remote } = await answer
    samples.push({ t1, t2: localEpoch(), remote })
  }
  const c = clockOffset(samples)
  offsetMs = c.offsetMs
  send({ type: 'synced', ...c })
}

/** A 1 s progress tick while the load runs; the returned function stops it. */
function ticking(live: { ok: number; missed: number }): () => void {
  const timer = setInterval(() => send({ type: 'tick', ok: live.ok, missed: live.missed }), 1000)
  return () => clearInterval(timer)
}

async function runCell(task: CallerCellTask): Promise<void> {
  stop = new AbortController()
  try {
    await initWasm()
    const data = task.pattern === 'rpc' ? await rpcCell(task) : await telemetryCell(task)
    send({ type: 'result', data })
  } catch (err) {
    send({ type: 'error', message: err instanceof Error ? err.message : String(err) })
  }
}

/** Opens every device (a read needs an open connection), retrying failed opens; returns how many stayed closed. */
async function openAll(client: RpcClient, ids: readonly string[]): Promise<number> {
  const open = async (id: string): Promise<boolean> => {
    for (let a = 0; a < OPEN_ATTEMPTS && !stop.signal.aborted; a++) {
      const r = await client.call(id, 'open', {}, { deadline: realClock.now() + OPEN_TIMEOUT_MS })
      if (r.ok) return true
    }
    return false
  }
  const opened = await Promise.all(ids.map(open))
  return opened.filter((ok) => !ok).length
}

function seriesFrom(startAt: number): IntervalSeries {
  return new IntervalSeries({ clock: { now: epoch }, startMs: startAt, keepHistograms: false })
}

async function rpcCell(task: CallerCellTask): Promise<CallerCellData> {
  const client = new MultiplexedRpcClient({ broker: task.broker, clientId: task.clientId, protocolVersion: 4, qos: task.qos, reconnectPeriodMs: 1000 })
  try {
    await client.connect()
    const unopened = await openAll(client, task.deviceIds)
    const go = next('go')
    send({ type: 'ready', cellId: task.cellId })
    const { startAt } = await go
    const cpu = process.cpuUsage()
    const live = { ok: 0, missed: 0 }
    const series = seriesFrom(startAt)
    const poller = startPoller({
      client, clock: realClock, deviceIds: task.deviceIds, characteristics: task.characteristics, hz: task.hz, durationMs: task.durationMs, seed: task.seed, epoch,
      // The first period starts at startAt on the main process's clock: here that is this clock's time.
      startMs: startAt - offsetMs - performance.timeOrigin,
      onResult: (ok, us) => (ok ? (live.ok++, series.recordOk(us)) : (live.missed++, series.recordError())),
    })
    if (stop.signal.aborted) poller.stop()
    else stop.signal.addEventListener('abort', () => poller.stop())
    const untick = ticking(live)
    const t = await poller.done
    untick()
    const loadMs = epoch() - startAt
    const used = process.cpuUsage(cpu)
    const c = t.counts
    return {
      counts: c, deviceErrors: t.deviceErrors, freshness: encodeHistogram(t.freshness), series: series.snapshot().map(({ hist: _h, ...p }) => p),
      published: c.sent - c.dropped, received: c.ok + (c.errors['device-error'] ?? 0) + (c.errors['bad-reply'] ?? 0), duplicates: 0,
      lateReplies: client.stats().lateReplies, messagesMissed: 0, unopened, callerCpuUs: used.user + used.system, loadMs,
    }
  } finally {
    await client.close()
  }
}

async function telemetryCell(task: CallerCellTask): Promise<CallerCellData> {
  const mode = publishModeOf(task.pattern)!
  const live = { ok: 0, missed: 0 }
  let series: IntervalSeries | undefined
  const sub = new TelemetrySubscriber({
    broker: task.broker, clientId: task.clientId, qos: task.qos, run: task.run, deviceIds: task.deviceIds, characteristics: task.characteristics, epoch,
    expectedPerStream: Math.ceil((task.hz * task.durationMs) / 1000) + 1,
    onSample: (us) => {
      live.ok++
      series?.recordOk(us)
    },
  })
  try {
    await sub.connect()
    const go = next('go')
    send({ type: 'ready', cellId: task.cellId })
    const { startAt } = await go
    const cpu = process.cpuUsage()
    series = seriesFrom(startAt)
    const untick = ticking(live)
    // The devices publish in the main process; it says when they are done and what they published.
    const { streams } = await next('finish')
    await sub.drain(streams, task.drainMs, stop.signal)
    untick()
    const loadMs = epoch() - startAt
    const used = process.cpuUsage(cpu)
    const a = publishedAccounting(mode, streams as StreamTotals[], sub.tracker.received())
    return {
      counts: a.counts, deviceErrors: {}, freshness: encodeHistogram(sub.freshness), series: series.snapshot().map(({ hist: _h, ...p }) => p),
      published: streams.reduce((n, s) => n + s.published, 0), received: sub.tracker.total, duplicates: sub.tracker.duplicates,
      lateReplies: 0, messagesMissed: a.messagesMissed, unopened: 0, callerCpuUs: used.user + used.system, loadMs,
    }
  } finally {
    await sub.close()
  }
}

await sync()
