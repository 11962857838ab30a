/** What a parallel-ble run showed, in sentences computed from its measured cells only. */
import { attemptsPerCall, errorTotal } from '../../core/accounting.ts'
import { isRpcCell, type CellResult, type RpcCell } from '../../core/result.ts'
import { formatMs } from '../../reports/summary.ts'
import { poolKneeFinding } from './pool-knee.ts'

const pct = (n: number, d: number): string => (d > 0 ? `${((100 * n) / d).toFixed(1)}%` : '0%')
const per = (n: number, d: number): string => (d > 0 ? (n / d).toFixed(2) : '0')
const err = (c: RpcCell, k: string): number => c.counts.errors[k] ?? 0

function strict(c: RpcCell): string {
  const v = c.clients.protocolViolations
  const failed = err(c, 'protocol-violation')
  if (v === 0)
    return `${c.id}: no SUBACK arrived after its call was cancelled in this run (${c.roundsPastDeadline} of ${c.rounds} rounds hit their deadline), so the emulated MQTTnet < 5.2 dispatcher never tore the connection down; the failure needs a deadline that fires while SUBSCRIBEs are in flight (try a shorter --timeout or more --devices).`
  return `${c.id}: ${v} protocol violation${v === 1 ? '' : 's'} ("Received packet 'SubAck' at an unexpected time") tore the connection down, failing ${failed} calls (${pct(failed, c.counts.sent)} of those sent); each teardown cost a reconnect (${c.clients.connections} connections in all). Mechanism: ${c.roundsPastDeadline} of ${c.rounds} rounds hit their shared deadline, and ${v} times a call was still waiting for its SUBACK (or PUBACK) when it did; the deadline removed that waiter, the late ack then matched no waiter, and the MQTTnet < 5.2 dispatcher (emulated here) threw, disconnected, and failed every other pending call with the same exception.`
}

function lenient(c: RpcCell): string {
  return `${c.id}: no protocol violation, because MQTT.js matches acks by message id and ignores unknown ones, but every call still costs its own SUBSCRIBE and UNSUBSCRIBE: the broker handled ${c.broker.subscribe + c.broker.unsubscribe} of them for ${c.counts.sent} calls (${per(c.broker.subscribe + c.broker.unsubscribe, c.counts.sent)} per call), three round trips where one would do.`
}

/** Serialising does not make MQTTnet < 5.2 safe: a deadline can still land while an ack is in flight. */
function violations(c: RpcCell): string {
  const v = c.clients.protocolViolations
  if (v === 0) return ''
  return ` Serialising does not remove the hazard: ${v} deadline${v === 1 ? '' : 's'} still landed while a SUBACK or PUBACK was in flight, failing ${err(c, 'protocol-violation')} calls.`
}

function ratio(c: RpcCell, base: RpcCell | undefined): string {
  if (!base || base.throughput.callsPerSec === 0) return ''
  return ` (${(c.throughput.callsPerSec / base.throughput.callsPerSec).toFixed(1)}x ${base.id})`
}

export function parallelBleFindings(all: readonly CellResult[]): string[] {
  const cells = all.filter(isRpcCell)
  const byStrategy = (s: string): RpcCell | undefined => cells.find((c) => c.labels.strategy === s && c.status === 'ok')
  const serial = byStrategy('serial')
  const out: string[] = []
  for (const c of cells) {
    if (c.status !== 'ok') {
      out.push(`${c.id}: ${c.status}: ${c.error ?? 'no detail'}`)
      continue
    }
    const rate = `${c.throughput.callsPerSec.toFixed(1)} calls/s${c.labels.strategy === 'serial' ? '' : ratio(c, serial)}, round p99 ${formatMs(c.roundUs.p99)}`
    switch (c.labels.strategy) {
      case 'naive-parallel':
        out.push(c.labels.ackMode === 'strict' ? strict(c) : lenient(c))
        break
      case 'serial':
        out.push(`${c.id}: one MQTTnet-style client, one call at a time: slow, ${rate}; ${c.roundsPastDeadline} of ${c.rounds} rounds ran past their deadline, and calls not started by then were never sent.${violations(c)}`)
        break
      case 'pool':
        out.push(`${c.id}: ${c.clients.connections} connections, each serial: ${rate}, paid in connections and in ${per(c.broker.subscribe + c.broker.unsubscribe, c.counts.sent)} SUBSCRIBE/UNSUBSCRIBE per call.${violations(c)}`)
        break
      case 'batch':
        out.push(`${c.id}: one request per gateway per step carries many device calls: ${rate}; a batch finishes with its slowest device, so call latency is the batch's.`)
        break
      case 'multiplexed':
        out.push(`${c.id}: ${c.broker.subscribe} response subscription${c.broker.subscribe === 1 ? "" : "s"} for ${c.clients.connections} connection${c.clients.connections === 1 ? "" : "s"} (one each), replies matched by correlation id, ${err(c, 'protocol-violation')} protocol violations: ${rate}, ${pct(errorTotal(c.counts) - err(c, 'device-error'), c.counts.sent)} transport errors.`)
        break
      default:
        out.push(`${c.id}: ${rate}`)
    }
    const r = retried(c, cells)
    if (r) out.push(r)
  }
  // One knee per kind of pool cell (without retries, and per retry count).
  for (const n of [...new Set(cells.map((c) => Number(c.labels.retries ?? 0)))]) {
    const knee = poolKneeFinding(cells.filter((c) => Number(c.labels.retries ?? 0) === n))
    if (knee) out.push(n > 0 ? knee.replace('pool sweep:', `pool sweep with ${n} retries:`) : knee)
  }
  return out
}

/** What a cell's retries bought (calls that succeeded on a later attempt) and cost (attempts, packets, latency, throughput beside the same cell without retries). */
function retried(c: RpcCell, all: readonly RpcCell[]): string | undefined {
  const a = c.attempts
  const n = Number(c.labels.retries)
  if (a === undefined || !(n > 0)) return undefined
  const extra = a.sent - (c.counts.sent - c.counts.dropped)
  if (extra === 0) return `${c.id}: no call was retried: no failure the policy retries ended early enough for its backoff to finish before the round's deadline.`
  const packets = c.broker.subscribe + c.broker.unsubscribe + c.broker.publish
  const share = a.sent > 0 ? (packets * extra) / a.sent : 0
  const { retries: _r, ...labels } = c.labels
  const plain = all.find((x) => x.status === 'ok' && x.labels.retries === undefined && JSON.stringify(x.labels) === JSON.stringify(labels))
  const beside = plain ? ` Beside ${plain.id} (no retries): ${c.throughput.callsPerSec.toFixed(1)} against ${plain.throughput.callsPerSec.toFixed(1)} calls/s, errors ${pct(errorTotal(c.counts), c.counts.sent)} against ${pct(errorTotal(plain.counts), plain.counts.sent)} of calls, call p99 ${formatMs(c.latencyUs.p99)} against ${formatMs(plain.latencyUs.p99)}.` : ''
  return `${c.id}: ${extra} retries for ${c.counts.sent} calls (${attemptsPerCall(c).toFixed(2)} attempts per call); ${a.retried} calls needed one, and ${a.retriedOk} of them then succeeded, so the retries turned ${pct(a.retriedOk, c.counts.sent)} of calls from failed into ok. Cost: about ${Math.round(share)} of the ${packets} broker packets (${c.broker.source === 'broker' ? 'counted by the broker' : 'sent by the clients'}) were retry attempts, and a retried call waits its backoff.${beside}`
}
