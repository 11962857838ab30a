/**
 * batch: the third usual remedy. One multiplexed client; per gateway, one batch request per step
 * (open, then read, then close), gateways concurrently and each gateway's steps in sequence.
 * read and close batches carry only the devices whose open succeeded. Every item counts as one
 * call (sent, then ok or an error), and each item's latency is its batch's latency.
 */
import type { CallOptions, CallResult, RpcClient } from '../clients/types.ts'
import { MAX_BATCH_ITEMS, type BatchItem } from '../../core/protocol.ts'
import type { CallRecorder } from '../engine/recorder.ts'
import type { Clock } from '../../core/clock.ts'
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
  const reply = await send(gatewayId, items, opts)
  const latencyUs = (clock.now() - start) * 1000
  for (let i = 0; i < items.length; i++) {
    const result = Array.isArray(reply) ? (reply[i] ?? MISSING_ITEM) : reply
    rec.recordResult(result, latencyUs)
    if (ok !== undefined && result.ok) ok[i] = 1
  }
}
