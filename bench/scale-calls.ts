/**
 * The calls of a scale phase: proof that a big fleet answers, not a throughput figure. From the
 * bench process (never the fleet's), one multiplexed caller (envelope convention, MQTT 3.1.1, at
 * most 256 in flight) calls `info` on `calls` devices spread evenly over every gateway, then runs
 * open → read battery → close on the first `chains` of them; optionally one MQTTnet-convention
 * `info` (subscribe, publish, unsubscribe) on one device. A call is answered when the device's
 * reply came back, ok or a device error (the default profile fails 1% of opens by design).
 */
import { realClock } from '../core/clock.ts'
import type { Verb } from '../core/protocol.ts'
import { MqttnetRpcClient } from '../loadgen/clients/mqttnet.ts'
import { MultiplexedRpcClient } from '../loadgen/clients/multiplexed.ts'
import type { CallResult, RpcClient } from '../loadgen/clients/types.ts'
import { fleetBlocks } from '../simulator/device-ids.ts'

export interface CallPlan {
  calls: number
  chains: number
  mqttnet: boolean
  /** Every call's deadline, from when it is sent. */
  timeoutMs: number
}

export interface CallFigures {
  sent: number
  ok: number
  /** Answered with ok:false by the device, by error code. */
  deviceErrors: Record<string, number>
  /** Not answered (timeout, disconnected, …), by kind. */
  unanswered: Record<string, number>
  /** The `info` calls: first sent to last answered, and latency percentiles. */
  infoMs: number
  infoP50Ms: number
  infoMaxMs: number
  /** The MQTTnet-convention call, when made: its outcome (ok, a device error code, or the kind of failure) and latency. */
  mqttnet: { outcome: string; ms: number } | undefined
}

const PARAMS: Record<Verb, object> = { info: {}, open: {}, read: { characteristic: 'battery' }, write: {}, close: {} }

/** `n` device ids spread evenly over the gateways of the fleet layout: k-th on gateway k mod G. */
export function sampleDevices(devices: number, gateways: number, n: number): string[] {
  const blocks = fleetBlocks(devices, gateways)
  const perGateway = Math.ceil(n / gateways)
  const out: string[] = []
  for (let k = 0; k < n; k++) {
    const ids = blocks[k % gateways]!.ids
    if (ids.size === 0) continue
    out.push(ids.at(Math.floor(((Math.floor(k / gateways) + 0.5) * ids.size) / perGateway) % ids.size))
  }
  return out
}

class Tally {
  sent = 0
  ok = 0
  readonly deviceErrors: Record<string, number> = {}
  readonly unanswered: Record<string, number> = {}

  add(r: CallResult): void {
    this.sent++
    if (r.ok) this.ok++
    else if (r.kind === 'device-error') this.deviceErrors[r.code ?? 'unknown'] = (this.deviceErrors[r.code ?? 'unknown'] ?? 0) + 1
    else this.unanswered[r.kind] = (this.unanswered[r.kind] ?? 0) + 1
  }
}

const outcomeOf = (r: CallResult): string => (r.ok ? 'ok' : r.kind === 'device-error' ? (r.code ?? 'device-error') : r.kind)

async function timed(client: RpcClient, id: string, verb: Verb, timeoutMs: number): Promise<{ r: CallResult; ms: number }> {
  const t = realClock.now()
  const r = await client.call(id, verb, PARAMS[verb], { deadline: t + timeoutMs })
  return { r, ms: realClock.now() - t }
}

export async function callFleet(url: string, devices: number, gateways: number, plan: CallPlan): Promise<CallFigures> {
  const ids = sampleDevices(devices, gateways, plan.calls)
  const tally = new Tally()
  const client = new MultiplexedRpcClient({ broker: { url }, clientId: `fleetbench-scale-${process.pid}`, protocolVersion: 4, maxInFlight: 256, qos: 1 })
  let infoMs = 0
  let latencies: number[] = []
  try {
    await client.connect()
    const began = realClock.now()
    const infos = await Promise.all(ids.map((id) => timed(client, id, 'info', plan.timeoutMs)))
    infoMs = realClock.now() - began
    for (const { r } of infos) tally.add(r)
    latencies = infos.map((i) => i.ms).sort((a, b) => a - b)
    await Promise.all(
      ids.slice(0, plan.chains).map(async (id) => {
        for (const verb of ['open', 'read', 'close'] as const) tally.add((await timed(client, id, verb, plan.timeoutMs)).r)
      }),
    )
  } finally {
    await client.close()
  }
  let mqttnet: CallFigures['mqttnet']
  if (plan.mqttnet && ids[0] !== undefined) {
    const rpc = new MqttnetRpcClient({ broker: { url }, clientId: `fleetbench-scale-mqttnet-${process.pid}`, protocolVersion: 4, ackMode: 'lenient', qos: 1 })
    try {
      await rpc.connect()
      const { r, ms } = await timed(rpc, ids[ids.length - 1]!, 'info', plan.timeoutMs)
      tally.add(r)
      mqttnet = { outcome: outcomeOf(r), ms }
    } finally {
      await rpc.close()
    }
  }
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0
  return { sent: tally.sent, ok: tally.ok, deviceErrors: tally.deviceErrors, unanswered: tally.unanswered, infoMs, infoP50Ms: at(0.5), infoMaxMs: latencies.at(-1) ?? 0, mqttnet }
}

/** Answered = ok + device errors: the device's reply came back. */
export const answered = (c: CallFigures): number => c.ok + Object.values(c.deviceErrors).reduce((s, n) => s + n, 0)
