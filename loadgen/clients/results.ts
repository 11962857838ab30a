/**
 * CallResults shared by the RPC clients: constant failures (allocated once, frozen) and the
 * decoders that turn a reply payload into a CallResult. Decoders never throw: a reply that cannot
 * be read becomes `bad-reply`.
 */
import type { CallResult } from './types.ts'

const fail = (kind: 'timeout' | 'cancelled' | 'disconnected', message: string): CallResult => Object.freeze({ ok: false, kind, message })

export const TIMEOUT = fail('timeout', 'no reply before the deadline')
export const CANCELLED = fail('cancelled', "cancelled by the caller's AbortSignal")
export const NOT_CONNECTED = fail('disconnected', 'not connected to the broker (call connect() first, or wait for the reconnect)')
export const CONNECTION_LOST = fail('disconnected', 'the connection to the broker was lost while the call was pending')
export const CLIENT_CLOSED = fail('disconnected', 'the client was closed while the call was pending')

export const badReply = (message: string): CallResult => ({ ok: false, kind: 'bad-reply', message })

/** `{code, message}` from a device → device-error; anything else is a malformed reply. */
export function decodeDeviceError(error: unknown): CallResult {
  if (typeof error !== 'object' || error === null) return badReply('error reply without an {code, message} object')
  const { code, message } = error as { code?: unknown; message?: unknown }
  if (typeof code !== 'string') return badReply('error reply without a string code')
  return { ok: false, kind: 'device-error', code, message: typeof message === 'string' ? message : code }
}

/** A batch result is an array of `{ok:true,result}` / `{ok:false,error}`, one per item, in order. */
export function batchResults(result: unknown): CallResult[] | CallResult {
  if (!Array.isArray(result)) return badReply('batch reply is not an array')
  const out: CallResult[] = new Array<CallResult>(result.length)
  for (let i = 0; i < result.length; i++) {
    const item = result[i] as { ok?: unknown; result?: unknown; error?: unknown } | null
    if (typeof item !== 'object' || item === null) out[i] = badReply(`batch item ${i} is not an object`)
    else if (item.ok === true) out[i] = { ok: true, result: item.result }
    else out[i] = decodeDeviceError(item.error)
  }
  return out
}

export function parseJson(payload: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(payload.toString('utf8')) }
  } catch {
    return { ok: false }
  }
}

/** Envelope reply body (already parsed, id checked): `{"id","ok":true,"result"}` or `{"id","ok":false,"error"}`. */
export function envelopeOutcome(body: { ok?: unknown; result?: unknown; error?: unknown }, batch: boolean): CallResult | CallResult[] {
  if (body.ok === true) return batch ? batchResults(body.result) : { ok: true, result: body.result }
  if (body.ok === false) return decodeDeviceError(body.error)
  return badReply('envelope reply without a boolean "ok"')
}

/** Bare reply (MQTT 5 properties and MQTTnet conventions): the result itself, or `{"error":{code,message}}`. */
export function bareOutcome(payload: Buffer, batch: boolean): CallResult | CallResult[] {
  const parsed = parseJson(payload)
  if (!parsed.ok) return badReply('reply is not valid JSON')
  const value = parsed.value
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'error' in value) {
    const error = (value as { error: unknown }).error
    if (typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string') return decodeDeviceError(error)
  }
  return batch ? batchResults(value) : { ok: true, result: value }
}

/** Correlation Data written as decimal ASCII digits → the number; NaN for anything else. No allocation. */
export function correlationId(data: Buffer | undefined): number {
  if (data === undefined || data.length === 0 || data.length > 15) return NaN
  let n = 0
  for (let i = 0; i < data.length; i++) {
    const d = data[i]! - 48
    if (d < 0 || d > 9) return NaN
    n = n * 10 + d
  }
  return n
}
