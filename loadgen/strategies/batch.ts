/**
 * batch: the third usual remedy. One multiplexed client; per gateway, one batch request per step
 * (open, then read, then close), gateways concurrently and each gateway's steps in sequence.
 * read and close batches carry only the devices whose open succeeded. Every item counts as one
 * call (sent, then ok or an error), and each item's latency is its batch's latency. With retries,
 * the items to retry go again as one smaller batch after the backoff.
 */
import type { CallOptions, CallResult, RpcClient } from '../clients/types.ts'
import { MAX_BATCH_ITEMS, type BatchItem } from '../../core/protocol.ts'
import type { CallRecorder } from '../engine/recorder.ts'
import { sleep, type Clock } from '../../core/clock.ts'
import { isRetryable } from './retry.ts'
import { READ_PARAMS, pastDeadline, singleClientRun } from './calls.ts'
import { rejectUnknown, type NoOptions } from './options.ts'
import type { Strategy } from './types.ts'

/** What an item ends as when the gateway's reply holds fewer results than the request had items. */
export const MISSING_ITEM: CallResult = Object.freeze({ ok: false, kind: 'bad-reply', message: 'batch reply has no result for this item' })

type SendBatch = NonNullable<RpcClient['batch']>

/** One gateway's share of a user's devices, with every item prebuilt and the per-round buffers reused. */
interface GatewayLane {
  gatewayId: string
  open: BatchItem[]
  read: BatchItem[]
  close: BatchItem[]
  /** 1 where the device's open succeeded this round. */
  opened: Uint8Array
  readNow: BatchItem[]
  closeNow: BatchItem[]
}

export const batch: Strategy<NoOptions, 'batch'> = {
  type: 'batch',
  summary: 'one multiplexed client, one batch request per gateway per step (open, read, close)',
  defaults: {},
  validate(raw) {
    rejectUnknown('batch', raw, [])
    return {}
  },
  clientsPerUser: () => 1,
  create(ctx) {
    const client = ctx.makeClient('multiplexed', 0)
    if (client.batch === undefined) throw new Error(`strategy batch needs a client with batch(); got a ${client.kind} client without it`)
    const send: SendBatch = client.batch.bind(client)
    const lanes = planLanes(ctx.devices)
    return singleClientRun(ctx, client, async (_client, opts, rec) => {
      await Promise.all(lanes.map((lane) => playLane(send, ctx.clock, lane, opts, rec)))
    })
  },
}

function planLanes(devices: readonly { deviceId: string; gatewayId: string }[]): GatewayLane[] {
  const byGateway = new Map<string, string[]>()
  for (const d of devices) {
    const ids = byGateway.get(d.gatewayId) ?? []
    ids.push(d.deviceId)
    byGateway.set(d.gatewayId, ids)
  }
  return [...byGateway].map(([gatewayId, ids]) => {
    if (ids.length > MAX_BATCH_ITEMS) {
      throw new Error(`strategy batch: gateway ${gatewayId} has ${ids.length} devices for one user; a batch holds at most ${MAX_BATCH_ITEMS}`)
    }
    return {
      gatewayId,
      open: ids.map((device) => ({ device, verb: 'open' })),
      read: ids.map((device) => ({ device, verb: 'read', params: READ_PARAMS })),
      close: ids.map((device) => ({ device, verb: 'close' })),
      opened: new Uint8Array(ids.length),
      readNow: [],
      closeNow: [],
    }
  })
}

async function playLane(
  send: SendBatch,
  clock: Clock,
  lane: GatewayLane,
  opts: CallOptions,
  rec: CallRecorder,
): Promise<void> {
  lane.opened.fill(0)
  await step(send, clock, lane.gatewayId, lane.open, opts, rec, lane.opened)
  lane.readNow.length = 0
  lane.closeNow.length = 0
  for (let i = 0; i < lane.opened.length; i++) {
    const read = lane.read[i]
    const close = lane.close[i]
    if (lane.opened[i] !== 1 || read === undefined || close === undefined) continue
    lane.readNow.push(read)
    lane.closeNow.push(close)
  }
  await step(send, clock, lane.gatewayId, lane.readNow, opts, rec, undefined)
  await step(send, clock, lane.gatewayId, lane.closeNow, opts, rec, undefined)
}

/** One batch request, recorded item by item; `ok[i]` is set to 1 for each item that succeeded. */
async function step(
  send: SendBatch,
  clock: Clock,
  gatewayId: string,
  items: readonly BatchItem[],
  opts: CallOptions,
  rec: CallRecorder,
  ok: Uint8Array | undefined,
): Promise<void> {
  if (items.length === 0 || pastDeadline(clock, opts)) return
  rec.recordSent(items.length)
  const start = clock.now()
  if (rec.retrier !== undefined) return retriedStep(send, clock, gatewayId, items, opts, rec, ok, start)
  const reply = await send(gatewayId, items, opts)
  const latencyUs = (clock.now() - start) * 1000
  for (let i = 0; i < items.length; i++) {
    const result = itemResult(reply, i)
    rec.recordResult(result, latencyUs)
    if (ok !== undefined && result.ok) ok[i] = 1
  }
}

const itemResult = (reply: CallResult[] | CallResult, i: number): CallResult => (Array.isArray(reply) ? (reply[i] ?? MISSING_ITEM) : reply)

/**
 * A step with retries: the items whose result the policy retries go again as one smaller batch
 * after one backoff, while retries and time are left; each item ends with its last attempt.
 */
async function retriedStep(send: SendBatch, clock: Clock, gatewayId: string, items: readonly BatchItem[], opts: CallOptions, rec: CallRecorder, ok: Uint8Array | undefined, start: number): Promise<void> {
  const retrier = rec.retrier!
  const results: CallResult[] = []
  const doneAt: number[] = []
  const attempts: number[] = []
  let pending = items.map((_, i) => i)
  for (let n = 0; pending.length > 0; n++) {
    const reply = await send(gatewayId, pending.map((i) => items[i]!), retrier.attempt(opts, clock.now()))
    const now = clock.now()
    pending.forEach((i, k) => ((results[i] = itemResult(reply, k)), (doneAt[i] = now), (attempts[i] = n + 1)))
    const again = pending.filter((i) => isRetryable(retrier.policy, results[i]!))
    const wait = again.length > 0 ? retrier.waitBefore(n, results[again[0]!]!, now, opts.deadline) : undefined
    if (wait === undefined) break
    for (const i of again) rec.recordRetry(results[i]!)
    await sleep(clock, wait)
    pending = again
  }
  for (let i = 0; i < items.length; i++) {
    rec.recordResult(results[i]!, (doneAt[i]! - start) * 1000, attempts[i])
    if (ok !== undefined && results[i]!.ok) ok[i] = 1
  }
}
