/**
 * Who may do what on the embedded broker when it is locked down (`--auth user:pass`). Pure rules,
 * wired into Aedes by broker.ts; everything not allowed below is refused.
 *
 * - A **gateway** (username `gateway/{id}`, a random password the fleet hands it in-process) may
 *   SUBSCRIBE only to its own devices' request filters (`fleet/{device}/rpc/+`,
 *   `MQTTnet.RPC/+/{device}.{verb}`) and its batch topic, and PUBLISH only its registry
 *   `fleet/gateways/{id}` (retained, also its will) and replies: `fleet/reply/…` and
 *   `MQTTnet.RPC/{call}/{own device}.{verb}/response`.
 * - A **caller** (`--auth` credentials) owns the reply namespace of its MQTT client id:
 *   `fleet/reply/{clientId}` and below. It may SUBSCRIBE there, to the registry, and to exact
 *   MQTTnet response topics; it may PUBLISH requests only (device, batch, MQTTnet), never retained,
 *   and an envelope request's `replyTo` (or an MQTT 5 Response Topic) must be in its own namespace,
 *   so it can neither read nor forge another caller's replies nor make a gateway do it.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { GATEWAY_USERNAME_PREFIX, type Credentials } from '../core/broker-access.ts'
import { isVerb, MQTTNET_PREFIX } from '../core/protocol.ts'

export type { Credentials }

export type Principal =
  | { readonly role: 'gateway'; readonly username: string; readonly gatewayId: string; readonly devices: ReadonlySet<string> }
  | { readonly role: 'caller'; readonly username: string }

export interface GatewayGrant {
  gatewayId: string
  deviceIds: readonly string[]
  credentials: Credentials
}

/** MQTT 3.1.1 CONNACK return codes used for refusals. */
export type RefusalCode = 2 | 4 | 5

export type AuthResult = { ok: true; principal: Principal } | { ok: false; returnCode: RefusalCode; reason: string }

/** What canPublish needs of a PUBLISH packet. */
export interface PublishFacts {
  topic: string
  payload: Buffer | string
  retain?: boolean
  properties?: { responseTopic?: string }
}

export const gatewayUsername = (gatewayId: string): string => `${GATEWAY_USERNAME_PREFIX}${gatewayId}`
export const REPLY_PREFIX = 'fleet/reply/'
export const callerReplyTopic = (clientId: string): string => `${REPLY_PREFIX}${clientId}`

/** Device ids that would make a request topic collide with the fleet's other namespaces. */
const RESERVED_LEVELS = new Set(['reply', 'gateways', 'gateway'])

/** A client id owns a reply namespace only when it is one topic level without wildcards. */
export const isTopicLevel = (s: string): boolean => s.length > 0 && s.length <= 256 && !/[/+#\0]/.test(s)

const digest = (s: string | Buffer): Buffer => createHash('sha256').update(s).digest()

export class AccessControl {
  private readonly users = new Map<string, { hash: Buffer; principal: Principal }>()

  constructor(opts: { callers: readonly Credentials[]; gateways: readonly GatewayGrant[] }) {
    for (const g of opts.gateways) {
      const principal: Principal = { role: 'gateway', username: g.credentials.username, gatewayId: g.gatewayId, devices: new Set(g.deviceIds) }
      this.add(g.credentials, principal)
    }
    for (const c of opts.callers) {
      if (c.username.startsWith(GATEWAY_USERNAME_PREFIX))
        throw new Error(`caller username ${JSON.stringify(c.username)} is reserved: names starting with ${GATEWAY_USERNAME_PREFIX} belong to gateways`)
      this.add(c, { role: 'caller', username: c.username })
    }
  }

  private add(c: Credentials, principal: Principal): void {
    if (this.users.has(c.username)) throw new Error(`username ${JSON.stringify(c.username)} is given twice`)
    this.users.set(c.username, { hash: digest(c.password), principal })
  }

  /** CONNECT: known username, matching password (compared in constant time), and a usable client id for callers. */
  authenticate(clientId: string, username: string | undefined, password: Buffer | string | undefined): AuthResult {
    if (username === undefined || username === '') return { ok: false, returnCode: 5, reason: 'anonymous clients are not allowed' }
    const user = this.users.get(username)
    const given = digest(password ?? '')
    // Hash either way, so an unknown user costs the same as a wrong password.
    if (user === undefined || password === undefined || !timingSafeEqual(user.hash, given))
      return { ok: false, returnCode: 4, reason: 'bad username or password' }
    if (user.principal.role === 'caller' && !isTopicLevel(clientId))
      return { ok: false, returnCode: 2, reason: `client id ${JSON.stringify(clientId.slice(0, 64))} cannot name a reply topic level (no / + # allowed)` }
    return { ok: true, principal: user.principal }
  }

  /** Undefined when the SUBSCRIBE to `filter` is allowed, otherwise why not. */
  subscribeDenial(p: Principal, clientId: string, filter: string): string | undefined {
    const levels = filter.split('/')
    if (p.role === 'gateway') {
      // fleet/{own device}/rpc/+
      if (levels.length === 4 && levels[0] === 'fleet' && levels[2] === 'rpc' && levels[3] === '+' && p.devices.has(levels[1]!)) return undefined
      // fleet/gateway/{own id}/rpc/batch
      if (filter === `fleet/gateway/${p.gatewayId}/rpc/batch`) return undefined
      // MQTTnet.RPC/+/{own device}.{verb}
      if (levels.length === 3 && levels[0] === MQTTNET_PREFIX && levels[1] === '+' && this.ownsMqttnetTarget(p.devices, levels[2]!)) return undefined
      return `gateway ${p.gatewayId} may subscribe only to its own devices' request topics`
    }
    if (isTopicLevel(clientId)) {
      const own = callerReplyTopic(clientId)
      if (filter === own || filter.startsWith(`${own}/`)) return undefined
    }
    if (levels.length === 3 && levels[0] === 'fleet' && levels[1] === 'gateways' && (levels[2] === '+' || isTopicLevel(levels[2]!))) return undefined
    if (isMqttnetResponse(levels)) return undefined
    return `caller ${clientId} may subscribe only to ${callerReplyTopic(clientId)}[/#], fleet/gateways/+ and exact MQTTnet response topics`
  }

  /** Undefined when the PUBLISH is allowed, otherwise why not. */
  publishDenial(p: Principal, clientId: string, msg: PublishFacts): string | undefined {
    const topic = msg.topic
    if (p.role === 'gateway') {
      if (topic === `fleet/gateways/${p.gatewayId}`) return undefined
      if (msg.retain === true) return `gateway ${p.gatewayId} may retain only its registry message`
      if (topic.startsWith(REPLY_PREFIX) && topic.length > REPLY_PREFIX.length) return undefined
      const levels = topic.split('/')
      if (isMqttnetResponse(levels) && this.ownsMqttnetTarget(p.devices, levels[2]!)) return undefined
      return `gateway ${p.gatewayId} may publish only its registry and replies`
    }
    if (msg.retain === true) return 'callers may not publish retained messages'
    const levels = topic.split('/')
    if (levels[0] === MQTTNET_PREFIX)
      return levels.length === 3 && levels[1] !== '' && levels[2] !== '' ? undefined : 'callers may publish only MQTTnet.RPC/{call}/{device}.{verb} requests'
    const isDeviceRequest = levels.length === 4 && levels[0] === 'fleet' && levels[2] === 'rpc' && levels[1] !== '' && levels[3] !== '' && !RESERVED_LEVELS.has(levels[1]!)
    const isBatch = levels.length === 5 && levels[0] === 'fleet' && levels[1] === 'gateway' && levels[2] !== '' && levels[3] === 'rpc' && levels[4] === 'batch'
    if (!isDeviceRequest && !isBatch) return `caller ${clientId} may publish only RPC requests, not to ${topic.slice(0, 200)}`
    const replyTo = msg.properties?.responseTopic ?? envelopeReplyTo(msg.payload)
    if (replyTo === undefined) return 'a request must name its reply topic (envelope replyTo or MQTT 5 Response Topic)'
    if (!isTopicLevel(clientId)) return `client id ${clientId.slice(0, 64)} has no reply namespace`
    const own = callerReplyTopic(clientId)
    if (replyTo !== own && !replyTo.startsWith(`${own}/`)) return `replies must go to ${own}[/…], not ${replyTo.slice(0, 200)}`
    return undefined
  }

  private ownsMqttnetTarget(devices: ReadonlySet<string>, target: string): boolean {
    const dot = target.lastIndexOf('.')
    return dot > 0 && devices.has(target.slice(0, dot)) && isVerb(target.slice(dot + 1))
  }
}

/** `MQTTnet.RPC/{call}/{target}/response`, every level present and free of wildcards. */
function isMqttnetResponse(levels: readonly string[]): boolean {
  return levels.length === 4 && levels[0] === MQTTNET_PREFIX && levels[3] === 'response' && isTopicLevel(levels[1]!) && isTopicLevel(levels[2]!)
}

/**
 * The `replyTo` of an envelope request, as the gateway will read it (JSON.parse keeps the last of
 * duplicate keys, so nothing short of parsing is safe). Undefined when there is none to check.
 */
function envelopeReplyTo(payload: Buffer | string): string | undefined {
  let value: unknown
  try {
    value = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'))
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const replyTo = (value as { replyTo?: unknown }).replyTo
  return typeof replyTo === 'string' ? replyTo : undefined
}
