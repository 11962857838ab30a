/**
 * What the recording showed about each caller: its pattern named from the measured figures (per-call
 * subscribe, one response subscription, serial, a pool, batch), then teardowns with calls pending,
 * several calls in flight to one device, and calls to devices that were not open.
 */
import { isObserveCell, type CellResult, type ObserveCell } from '../../core/result.ts'
import { formatMs } from '../../reports/summary.ts'

const n = (x: number): string => x.toLocaleString('en-US')
const plural = (k: number, word: string): string => `${n(k)} ${k === 1 ? word : word.endsWith('y') ? `${word.slice(0, -1)}ies` : `${word}s`}`

/**
 * MQTTnet's RPC client sends a SUBSCRIBE (and an UNSUBSCRIBE) for every call: 2.00 packets per call.
 * Judged on SUBSCRIBEs alone, since a torn-down client never gets to send its UNSUBSCRIBEs.
 */
const PER_CALL_SUBSCRIBES = 0.75

function pattern(c: ObserveCell): string {
  const calls = c.counts.sent
  const members = c.observe.members.length
  const perCall = c.observe.subscribesPerCall
  const peak = c.clients?.peakInFlight
  const p99 = c.latencyUs.count > 0 ? `, p99 ${formatMs(c.latencyUs.p99)} round trip` : ''
  if (c.observe.conventions.batch ?? 0) {
    const batches = c.observe.conventions.batch ?? 0
    return `${c.id}: batch: ${plural(batches, 'batch request')} carried ${plural(c.observe.deviceCalls, 'device call')} (${(c.observe.deviceCalls / Math.max(1, batches)).toFixed(1)} per batch)${p99}.`
  }
  if (perCall !== undefined && calls > 0 && (c.broker?.subscribe ?? 0) / calls >= PER_CALL_SUBSCRIBES) {
    const packets = (c.broker?.subscribe ?? 0) + (c.broker?.unsubscribe ?? 0)
    return `${c.id}: subscribes per call (MQTTnet RPC style): ${perCall.toFixed(2)} SUBSCRIBE+UNSUBSCRIBE per call, ${n(packets)} packets for ${plural(calls, 'call')}; one response subscription with correlation would save ${n(Math.max(0, packets - members))} of them and two broker round trips per call${p99}.`
  }
  if (members > 1 && peak !== undefined && peak <= 1)
    return `${c.id}: a pool of ${members} connections sharing the prefix, each serial (peak 1 call in flight per connection): ${plural(calls, 'call')}${p99}.`
  if (peak === 1) return `${c.id}: one call at a time (serial, peak 1 in flight): ${plural(calls, 'call')}${p99}.`
  if (perCall !== undefined && (c.broker?.subscribe ?? 0) <= Math.max(1, c.clients?.connections ?? 1) * 2)
    return `${c.id}: one response subscription with correlation (multiplexed): ${plural(c.broker?.subscribe ?? 0, 'SUBSCRIBE')} for ${plural(calls, 'call')}, up to ${peak ?? '?'} in flight${p99}.`
  return `${c.id}: ${plural(calls, 'call')}, up to ${peak ?? '?'} in flight${perCall === undefined ? ' (SUBSCRIBE counts need the embedded broker)' : `, ${perCall.toFixed(2)} SUBSCRIBE+UNSUBSCRIBE per call`}${p99}.`
}

function hazards(c: ObserveCell): string[] {
  const out: string[] = []
  const t = c.clients?.teardownsWithPending ?? 0
  if (t > 0)
    out.push(`${c.id}: torn down ${plural(t, 'time')} with ${plural(c.clients!.callsPendingAtTeardown, 'call')} pending: the connection closed while calls waited, what an MQTTnet < 5.2 client does after "Received packet 'SubAck' at an unexpected time".`)
  if (c.observe.peakInFlightPerDevice > 1)
    out.push(`${c.id}: up to ${c.observe.peakInFlightPerDevice} calls in flight to the same device at once; a BLE device serves one connection attempt at a time, so they queue at the gateway.`)
  if (c.observe.callsToUnopenedDevice > 0)
    out.push(`${c.id}: ${plural(c.observe.callsToUnopenedDevice, 'call')} to a device that was not open (answered not_connected): open it first, or keep it open between calls.`)
  if ((c.counts.errors.undeliverable ?? 0) > 0)
    out.push(`${c.id}: ${plural(c.counts.errors.undeliverable!, 'reply')} could not be delivered: the caller had gone or had no subscription for its reply topic when the device answered.`)
  return out
}

export function observeFindings(all: readonly CellResult[]): string[] {
  return all.filter(isObserveCell).flatMap((c) => [pattern(c), ...hazards(c)])
}
