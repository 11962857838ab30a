/**
 * Which RPC conventions a fleet serves (`--conventions`), and the topic filters that costs each
 * gateway. Envelope and MQTT 5 share one filter per device (`fleet/{id}/rpc/+`: they differ only in
 * where the reply address travels); MQTTnet needs one per device and verb
 * (`MQTTnet.RPC/+/{id}.{verb}`, five). So envelope and/or mqtt5 cost 1 subscription per device,
 * mqttnet 5, all three 6 — on Mosquitto about 1.7 KB of broker memory each.
 */
import { listOf, UsageError } from '../core/cli-support.ts'
import * as wire from '../core/protocol.ts'

export const CONVENTIONS = ['envelope', 'mqtt5', 'mqttnet'] as const
export type RpcConvention = (typeof CONVENTIONS)[number]

/** What a gateway serves: a request of a convention it does not serve is refused (bad_request) or never reaches it. */
export interface ServedConventions {
  readonly envelope: boolean
  readonly mqtt5: boolean
  readonly mqttnet: boolean
}

export const ALL_CONVENTIONS: ServedConventions = Object.freeze({ envelope: true, mqtt5: true, mqttnet: true })

export function servedConventions(list: readonly RpcConvention[] | undefined): ServedConventions {
  if (list === undefined) return ALL_CONVENTIONS
  if (list.length === 0) throw new Error('a fleet must serve at least one convention')
  return { envelope: list.includes('envelope'), mqtt5: list.includes('mqtt5'), mqttnet: list.includes('mqttnet') }
}

/** `--conventions envelope,mqtt5,mqttnet`: a comma-separated list, canonical order, each once. */
export function parseConventions(name: string, raw: unknown): RpcConvention[] {
  const items = listOf(name, raw, CONVENTIONS)
  return CONVENTIONS.filter((c) => items.includes(c))
}

/** A fleet on a broker that speaks MQTT 3.1.1 only (the embedded Aedes) cannot serve mqtt5 alone. */
export function checkConventionsFor311(name: string, list: readonly RpcConvention[]): void {
  if (list.length === 1 && list[0] === 'mqtt5')
    throw new UsageError(`--${name} mqtt5 needs an MQTT 5 broker, and the embedded broker speaks MQTT 3.1.1 only; add envelope (--${name} envelope,mqtt5) or attach the fleet to an MQTT 5 broker with --broker`)
}

/** Topic filters per device for these conventions (envelope/mqtt5 share the first). */
export const filtersPerDevice = (c: ServedConventions): number => (c.envelope || c.mqtt5 ? 1 : 0) + (c.mqttnet ? wire.VERBS.length : 0)

/** Filters of one gateway: its batch topic (served over envelope or MQTT 5) and its devices'. */
export const gatewayFilterCount = (c: ServedConventions, devices: number): number => (c.envelope || c.mqtt5 ? 1 : 0) + devices * filtersPerDevice(c)

/**
 * The gateway's filters, in batches of at most `size`, built batch by batch so a gateway of 10,000
 * devices never holds 60,000 filter strings at once.
 */
export function* filterBatches(c: ServedConventions, batchTopic: string, deviceIds: Iterable<string>, size: number): Generator<string[]> {
  let batch: string[] = c.envelope || c.mqtt5 ? [batchTopic] : []
  for (const id of deviceIds) {
    if (c.envelope || c.mqtt5) batch.push(wire.deviceRequestFilter(id))
    if (c.mqttnet) for (const verb of wire.VERBS) batch.push(wire.mqttnetRequestFilter(id, verb))
    if (batch.length >= size) {
      yield batch.slice(0, size)
      batch = batch.slice(size)
    }
  }
  if (batch.length > 0) yield batch
}

/** The conventions the registry lists: MQTT 5 only when the gateway's connection speaks it. */
export function listedConventions(c: ServedConventions, protocolVersion: 4 | 5 | undefined): RpcConvention[] {
  return CONVENTIONS.filter((name) => c[name] && (name !== 'mqtt5' || protocolVersion === 5))
}
