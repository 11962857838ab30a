/**
 * The RPC wire contract between callers and simulated devices. It is a public interface (see the
 * README): topics, payload shapes and error codes here change only with a new contract version.
 */
export const VERBS = ['info', 'open', 'read', 'write', 'close'] as const
export type Verb = (typeof VERBS)[number]
export const isVerb = (v: unknown): v is Verb => typeof v === 'string' && (VERBS as readonly string[]).includes(v)

/** Stable error codes a caller can switch on. */
export const ERROR_CODES = [
  'bad_request', // malformed JSON, wrong types, missing fields
  'unknown_verb',
  'unknown_device',
  'payload_too_large',
  'not_connected', // read/write/close on a device that is not connected
  'connect_timeout',
  'out_of_range',
  'connect_aborted', // close() while an open was in progress
  'gatt_error',
] as const
export type ErrorCode = (typeof ERROR_CODES)[number]

export interface RpcError {
  code: ErrorCode | (string & {})
  message: string
}
export type RpcOutcome = { ok: true; result: unknown } | { ok: false; error: RpcError }

export const rpcError = (code: ErrorCode, message: string): RpcOutcome => ({ ok: false, error: { code, message } })

// ---- topics -------------------------------------------------------------------------------

export const requestTopic = (deviceId: string, verb: string): string => `fleet/${deviceId}/rpc/${verb}`
export const deviceRequestFilter = (deviceId: string): string => `fleet/${deviceId}/rpc/+`
export const batchTopic = (gatewayId: string): string => `fleet/gateway/${gatewayId}/rpc/batch`
export const registryTopic = (gatewayId: string): string => `fleet/gateways/${gatewayId}`
export const REGISTRY_FILTER = 'fleet/gateways/+'
export const MQTTNET_PREFIX = 'MQTTnet.RPC'
export const mqttnetRequestTopic = (callId: string, deviceId: string, verb: string): string =>
  `${MQTTNET_PREFIX}/${callId}/${deviceId}.${verb}`
export const mqttnetResponseTopic = (request: string): string => `${request}/response`
export const mqttnetRequestFilter = (deviceId: string, verb: string): string => `${MQTTNET_PREFIX}/+/${deviceId}.${verb}`

/** Ids used in topics must be one non-empty level without wildcards or the MQTTnet separator. */
export const isValidId = (id: string): boolean => id.length > 0 && id.length <= 128 && !/[/+#.\s\0]/.test(id)

export type Route =
  | { kind: 'device'; deviceId: string; verb: string }
  | { kind: 'batch'; gatewayId: string }
  | { kind: 'mqttnet'; deviceId: string; verb: string }

const slashes = (t: string): number => {
  let n = 0
  for (let i = t.indexOf('/'); i !== -1; i = t.indexOf('/', i + 1)) n++
  return n
}

/**
 * True for a topic of the shape of an RPC request (the shapes parseTopic classifies), without
 * allocating: the broker asks it of every PUBLISH while recording.
 */
export function isRequestTopic(topic: string): boolean {
  if (topic.startsWith('fleet/')) {
    const n = slashes(topic)
    if (n === 3) return topic.indexOf('/rpc/', 6) === topic.lastIndexOf('/') - 4
    return n === 4 && topic.startsWith('fleet/gateway/') && topic.endsWith('/rpc/batch')
  }
  return topic.startsWith(`${MQTTNET_PREFIX}/`) && slashes(topic) === 2
}

/** Classifies a topic a gateway received; undefined for anything outside the contract. */
export function parseTopic(topic: string): Route | undefined {
  const parts = topic.split('/')
  if (parts[0] === 'fleet') {
    if (parts.length === 4 && parts[2] === 'rpc') return { kind: 'device', deviceId: parts[1]!, verb: parts[3]! }
    if (parts.length === 5 && parts[1] === 'gateway' && parts[3] === 'rpc' && parts[4] === 'batch')
      return { kind: 'batch', gatewayId: parts[2]! }
    return undefined
  }
  if (parts[0] === MQTTNET_PREFIX && parts.length === 3) {
    const last = parts[2]!
    const dot = last.lastIndexOf('.')
    if (dot <= 0) return undefined
    return { kind: 'mqttnet', deviceId: last.slice(0, dot), verb: last.slice(dot + 1) }
  }
  return undefined
}

// ---- envelope convention (MQTT 3.1.1) ---------------------------------------------------------

export interface EnvelopeRequest {
  id: string | number
  replyTo: string
  params: unknown
}

export type EnvelopeDecode =
  | { ok: true; request: EnvelopeRequest }
  /** `replyTo`/`id` are set when they could be recovered, so the caller can still get an error. */
  | { ok: false; error: RpcError; replyTo?: string; id?: string | number | null }

/** Aedes' default limit. Like a `$`-topic (`$SYS/…`), a deeper one makes the broker close the *publisher's* connection. */
export const MAX_REPLY_TOPIC_LEVELS = 100

/**
 * A reply address the gateway can publish to without the broker dropping the gateway: MQTT.js would
 * replay the refused reply on every reconnect, so one bad `replyTo` would take a gateway down for good.
 */
export const isValidReplyTopic = (t: unknown): t is string =>
  typeof t === 'string' && t.length > 0 && t.length <= 1024 && t[0] !== '$' && !/[+#\0]/.test(t) && levelCount(t) <= MAX_REPLY_TOPIC_LEVELS

function levelCount(t: string): number {
  let n = 1
  for (let i = t.indexOf('/'); i !== -1; i = t.indexOf('/', i + 1)) n++
  return n
}

const isId = (v: unknown): v is string | number =>
  (typeof v === 'string' && v.length > 0 && v.length <= 256) || (typeof v === 'number' && Number.isFinite(v))

export function decodeEnvelope(payload: Buffer): EnvelopeDecode {
  let value: unknown
  try {
    value = JSON.parse(payload.toString('utf8'))
  } catch {
    return { ok: false, error: { code: 'bad_request', message: 'payload is not valid JSON' } }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, error: { code: 'bad_request', message: 'payload must be a JSON object {"id","replyTo","params"}' } }
  const { id, replyTo, params } = value as Record<string, unknown>
  const reply = isValidReplyTopic(replyTo) ? replyTo : undefined
  if (reply === undefined)
    return { ok: false, error: { code: 'bad_request', message: 'replyTo must be a topic name without wildcards' } }
  if (!isId(id))
    return { ok: false, replyTo: reply, id: null, error: { code: 'bad_request', message: 'id must be a non-empty string or a number' } }
  return { ok: true, request: { id, replyTo: reply, params } }
}

export function encodeEnvelopeReply(id: string | number | null, outcome: RpcOutcome): Buffer {
  const body = outcome.ok ? { id, ok: true, result: outcome.result } : { id, ok: false, error: outcome.error }
  return Buffer.from(JSON.stringify(body))
}

// ---- bare payloads (MQTT 5 properties and MQTTnet conventions) --------------------------------

/** MQTT 5 and MQTTnet carry params as the whole payload; an empty payload means no params. */
export function decodeBareParams(payload: Buffer): { ok: true; params: unknown } | { ok: false; error: RpcError } {
  if (payload.length === 0) return { ok: true, params: undefined }
  try {
    return { ok: true, params: JSON.parse(payload.toString('utf8')) }
  } catch {
    return { ok: false, error: { code: 'bad_request', message: 'payload is not valid JSON' } }
  }
}

/** Success: the result object itself. Failure: `{"error":{"code","message"}}`. */
export function encodeBareReply(outcome: RpcOutcome): Buffer {
  return Buffer.from(JSON.stringify(outcome.ok ? outcome.result : { error: outcome.error }))
}

/** Reads a bare reply back into an outcome (for callers of the MQTT 5 and MQTTnet conventions). */
export function decodeBareReply(payload: Buffer): RpcOutcome {
  let value: unknown
  try {
    value = JSON.parse(payload.toString('utf8'))
  } catch {
    return rpcError('bad_request', 'reply is not valid JSON')
  }
  if (typeof value === 'object' && value !== null && 'error' in value) {
    const error = (value as { error: unknown }).error
    if (typeof error === 'object' && error !== null) {
      const { code, message } = error as { code?: unknown; message?: unknown }
      // A replier may omit or mistype the message; the outcome still has the RpcError shape.
      if (typeof code === 'string') return { ok: false, error: { code, message: typeof message === 'string' ? message : code } }
    }
  }
  return { ok: true, result: value }
}

// ---- batch ------------------------------------------------------------------------------------

export interface BatchItem {
  device: string
  verb: string
  params?: unknown
}
export const MAX_BATCH_ITEMS = 10_000

export function validateBatch(params: unknown): { ok: true; items: BatchItem[] } | { ok: false; error: RpcError } {
  if (!Array.isArray(params)) return { ok: false, error: { code: 'bad_request', message: 'batch params must be an array of {device, verb, params}' } }
  if (params.length > MAX_BATCH_ITEMS)
    return { ok: false, error: { code: 'bad_request', message: `batch has ${params.length} items; at most ${MAX_BATCH_ITEMS}` } }
  for (let i = 0; i < params.length; i++) {
    const item = params[i] as Partial<BatchItem> | null
    if (typeof item !== 'object' || item === null || typeof item.device !== 'string' || typeof item.verb !== 'string')
      return { ok: false, error: { code: 'bad_request', message: `batch item ${i} must be {device: string, verb: string, params?}` } }
  }
  return { ok: true, items: params as BatchItem[] }
}

// ---- verb parameters --------------------------------------------------------------------------

/** GATT characteristic: a 4- or 32-hex-digit UUID, or one of the names below. */
export const CHARACTERISTICS: Record<string, string> = { battery: '2a19', temperature: '2a6e', firmware: '2a26', name: '2a00' }

export type VerbParams = { verb: Verb; characteristic: string; value?: Buffer }

export function validateParams(verb: Verb, params: unknown): { ok: true; value: VerbParams } | { ok: false; error: RpcError } {
  if (params !== undefined && params !== null && (typeof params !== 'object' || Array.isArray(params)))
    return { ok: false, error: { code: 'bad_request', message: `params of ${verb} must be an object` } }
  const p = (params ?? {}) as Record<string, unknown>
  const raw = p.characteristic ?? 'battery'
  if (typeof raw !== 'string') return { ok: false, error: { code: 'bad_request', message: 'characteristic must be a string' } }
  // Own keys only: `constructor`, `__proto__`, … must not resolve to Object.prototype members.
  const characteristic = Object.hasOwn(CHARACTERISTICS, raw) ? CHARACTERISTICS[raw]! : raw.toLowerCase()
  if ((verb === 'read' || verb === 'write') && !/^([0-9a-f]{4}|[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12})$/.test(characteristic))
    return { ok: false, error: { code: 'bad_request', message: `unknown characteristic ${JSON.stringify(raw).slice(0, 80)}` } }
  if (verb !== 'write') return { ok: true, value: { verb, characteristic } }
  if (typeof p.value !== 'string' || !/^([0-9a-fA-F]{2}){1,512}$/.test(p.value))
    return { ok: false, error: { code: 'bad_request', message: 'write needs value: 1 to 512 bytes as a hex string' } }
  return { ok: true, value: { verb, characteristic, value: Buffer.from(p.value, 'hex') } }
}

// ---- telemetry (telemetry-vs-rpc) ------------------------------------------------------------

/** Characteristics a device samples and can publish as telemetry, by name (the topic level) and GATT UUID. */
export const TELEMETRY_CHARACTERISTICS = ['battery', 'temperature'] as const
export type TelemetryCharacteristic = (typeof TELEMETRY_CHARACTERISTICS)[number]

/** `fleet/{deviceId}/telemetry/{characteristic}`: a gateway publishes here for its device. */
export const telemetryTopic = (deviceId: string, characteristic: TelemetryCharacteristic): string => `fleet/${deviceId}/telemetry/${characteristic}`
/** One subscription receives every device's telemetry. */
export const TELEMETRY_FILTER = 'fleet/+/telemetry/#'

/**
 * One telemetry message: `{"run","seq","n","at","value"}`. `at` is when the device took the sample
 * (epoch ms with sub-ms precision), `seq` counts this stream's messages from 1 (a gap is a lost
 * message), `n` is the sample's index from 0 (every sample is published: n = seq − 1; on change:
 * the samples between two messages did not change), `run` tells one publishing run from another.
 */
export interface TelemetryMessage {
  run: number
  seq: number
  n: number
  at: number
  value: number
}

export const encodeTelemetry = (m: TelemetryMessage): string => `{"run":${m.run},"seq":${m.seq},"n":${m.n},"at":${m.at.toFixed(3)},"value":${m.value}}`

/** The message, or undefined for anything that is not one (never throws). */
export function decodeTelemetry(payload: Buffer): TelemetryMessage | undefined {
  let v: unknown
  try {
    v = JSON.parse(payload.toString('utf8'))
  } catch {
    return undefined
  }
  if (typeof v !== 'object' || v === null) return undefined
  const { run, seq, n, at, value } = v as Record<string, unknown>
  if (typeof run !== 'number' || typeof seq !== 'number' || typeof n !== 'number' || typeof at !== 'number' || typeof value !== 'number') return undefined
  if (!Number.isInteger(seq) || seq < 1 || !Number.isInteger(n) || n < 0) return undefined
  return { run, seq, n, at, value }
}
