/**
 * What a channel-capacity run showed: per fault, two or three sentences on what the sweep shows,
 * then the send-in-poll cell and any failed cell. Every figure and every trend word ("fell at every
 * step", "did not fall") is computed from the measured cells.
 */
import { errorTotal } from '../../core/accounting.ts'
import { isChannelCell, type CellResult, type ChannelCell } from '../../core/result.ts'
import { formatMs, formatWait } from '../../reports/summary.ts'
import type { ChannelCapacityOptions } from './options.ts'

const n = (x: number): string => x.toLocaleString('en-US')
const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`

/** "fell at every step" only when every step was ≤ the one before. */
export function trend(values: readonly number[]): string {
  const first = values[0] ?? 0
  const last = values[values.length - 1] ?? 0
  if (!(last < first)) return 'did not fall'
  return values.every((v, i) => i === 0 || v <= values[i - 1]!) ? 'fell at every step' : 'fell overall, though not at every step'
}

function sweep(cells: readonly ChannelCell[], pick: (c: ChannelCell) => number, fmt: (v: number) => string): { text: string; trend: string } {
  const values = cells.map(pick)
  return { text: values.map(fmt).join(' → '), trend: trend(values) }
}

function describeFault(fault: string, o: ChannelCapacityOptions): { what: string; backlog: number } {
  const windowed = `${o.faultFor} ms every ${o.faultEvery} ms`
  const perWindow = Math.round((o.rate * o.faultFor) / 1000)
  switch (fault) {
    case 'stall':
      return { what: `stall (the event loop not polled for ${windowed})`, backlog: perWindow }
    case 'slow-link':
      return { what: `slow-link (${n(o.linkBandwidth)} B/s and +${o.linkLatency} ms each way for ${windowed})`, backlog: perWindow }
    case 'cut':
      return { what: `cut (broker unreachable for ${o.cutFor} ms)`, backlog: Math.round((o.rate * o.cutFor) / 1000) }
    default:
      return { what: 'no fault', backlog: 0 }
  }
}

function faultFindings(fault: string, cells: readonly ChannelCell[], o: ChannelCapacityOptions): string[] {
  const of = (policy: string): ChannelCell[] =>
    cells.filter((c) => c.labels.fault === fault && c.labels.policy === policy && c.labels.pattern === undefined).sort((a, b) => Number(a.labels.capacity) - Number(b.labels.capacity))
  const { what, backlog } = describeFault(fault, o)
  const block = of('block')
  const tries = of('try')
  const newest = of('drop-newest')
  const oldest = of('drop-oldest')
  const caps = [...new Set([...block, ...tries, ...newest, ...oldest].map((c) => Number(c.labels.capacity)))].sort((a, b) => a - b)
  if (caps.length === 0) return []
  const sentences: string[] = []
  const parts: string[] = []
  if (block.length > 0) {
    const s = sweep(block, (c) => c.blockingUs.p99, formatWait)
    parts.push(`\`block\`'s send p99 ${s.trend} as capacity grew (${s.text})`)
  }
  if (tries.length > 0) {
    const s = sweep(tries, (c) => c.channel.tryFailures, n)
    parts.push(`\`try\`'s failures ${s.trend} (${s.text})`)
  }
  const head = `Under ${what} at ${n(o.rate)} publishes/s from ${o.producers} producers, capacities ${caps.join(', ')}`
  sentences.push(
    parts.length > 0
      ? `${head}: ${parts.join(', and ')}; a fault window queues about ${n(backlog)} requests, and only a capacity that holds them absorbs the window — a smaller one shortens the wait or the losses by its own size.`
      : `${head}.`,
  )
  const drops = [...newest, ...oldest]
  if (drops.length > 0) {
    const p99 = Math.max(...drops.map((c) => c.blockingUs.p99))
    const worst = Math.max(...drops.map((c) => c.blockingUs?.max ?? 0))
    const range = (name: string, cs: ChannelCell[]): string => (cs.length === 0 ? '' : `${name} ${n(cs[0]!.counts.dropped)} → ${n(cs[cs.length - 1]!.counts.dropped)}`)
    const depth = oldest.length > 0 ? `, and drop-oldest's ring of N = ${o.ring} raised its buffer to N + capacity (max depth ${oldest.map((c) => n(c.channel?.maxQueueDepth ?? 0)).join(', ')})` : ''
    sentences.push(`The drop policies never waited for room (send p99 at most ${formatWait(p99)}, longest single call ${formatWait(worst)}) and dropped ${[range('drop-newest', newest), range('drop-oldest', oldest)].filter((x) => x !== '').join(' and ')} requests from the smallest to the largest capacity${depth}.`)
  }
  if (block.length > 1) {
    const lo = block[0]!
    const hi = block[block.length - 1]!
    const grew = (c: ChannelCell): string => mb(c.channel.memoryGrowthBytes)
    sentences.push(
      `End-to-end latency from the intended time is set by the fault, not by the capacity (block e2e p99 ${formatMs(lo.latencyUs.p99)} at capacity ${lo.labels.capacity}, ${formatMs(hi.latencyUs.p99)} at ${hi.labels.capacity}): a request waits out the fault either in the channel or in its blocked producer, so capacity only moves where it waits, for memory growth of ${grew(hi)} vs ${grew(lo)} (garbage collection moves these by a few MB).`,
    )
  }
  if (fault === 'cut') {
    const cut = cells.filter((c) => c.labels.fault === 'cut' && c.channel)
    const down = cut.reduce((a, c) => a + (c.channel?.takenWhileDown ?? 0), 0)
    const undelivered = cut.reduce((a, c) => a + (c.counts.errors.undelivered ?? 0), 0)
    const lost = cut.reduce((a, c) => a + errorTotal(c.counts) + c.counts.dropped, 0)
    sentences.push(
      `During the cut nothing drained: the event loop took ${down} requests while disconnected and queues reached ${n(Math.max(0, ...cut.map((c) => c.channel?.maxQueueDepth ?? 0)))}; after the reconnect every queued request was delivered or accounted (${n(undelivered)} undelivered, ${n(lost)} dropped or refused by the policies).`,
    )
  }
  return sentences
}

function sendInPoll(c: ChannelCell, o: ChannelCapacityOptions): string {
  if (c.status === 'deadlock') {
    const stranded = (c.counts.errors.deadlock ?? 0) + (c.counts.errors.undelivered ?? 0)
    return `${c.id} (rumqtt #1025): ${c.error ?? 'no progress'}. The watchdog (${o.watchdog} ms without progress) ended the cell as deadlock ${c.channel?.deadlockAfterMs ?? '?'} ms into production with ${n(stranded)} requests stranded, instead of hanging the run.`
  }
  return `${c.id}: did not deadlock in this run (status ${c.status}): the handler's send found room every time; the pattern needs the channel full when a message arrives, which the stall provides.`
}

export function channelCapacityFindings(all: readonly CellResult[], o: ChannelCapacityOptions): string[] {
  const cells = all.filter(isChannelCell)
  const measured = cells.filter((c) => c.status !== 'failed')
  const out: string[] = []
  for (const fault of o.faults) {
    const s = faultFindings(fault, measured, o)
    if (s.length > 0) out.push(s.join(' '))
  }
  for (const c of measured) if (c.labels.pattern === 'send-in-poll') out.push(sendInPoll(c, o))
  for (const c of cells) if (c.status === 'failed') out.push(`${c.id}: failed: ${c.error ?? 'no detail'}`)
  return out
}
