/**
 * The fleet over several cores: the embedded broker on a thread of its own and the gateways spread
 * over `workers` threads, each running an ordinary Fleet for its slice, so neither the broker nor
 * any gateway waits for another's event loop. The host (this thread) keeps only the addresses, the
 * broker's shared counts and the threads; it serves no packet itself (a shaped gateway link's proxy
 * excepted, which stays in this thread).
 *
 * Worker w of W runs the gateways whose layout index g has g % (n·W) = i + n·w, for a run that is
 * itself shard i of n: together exactly the run's own gateways, dealt round-robin. Fleet-wide
 * connection bounds (connect rate, subscribe window) are divided among the threads.
 */
import type { Worker } from 'node:worker_threads'
import { CLOSE_BOUND_MS, WARM_UP_BOUND_MS } from '../../core/deadline.ts'
import type { BrokerTarget } from '../../core/mqtt-connect.ts'
import type { BrokerOptions } from '../broker.ts'
import { DEFAULT_CONNECT_RATE, DEFAULT_SUBSCRIBE_WINDOW } from '../connection-policy.ts'
import { fleetBlocks } from '../device-ids.ts'
import type { FleetOptions, GatewayRoute } from '../fleet.ts'
import type { FleetHost } from '../fleet-host.ts'
import { sumGatewayStats } from '../gateway-stats.ts'
import { startBrokerThread, type BrokerThread } from './broker-thread.ts'
import { THREAD_PROTOCOL, type FleetThreadReady, type FromFleetThread, type ThreadFleetOptions, type ToFleetThread } from './messages.ts'
import { ThreadHandle } from './thread-handle.ts'

export interface FleetThreadInfo {
  role: 'broker' | 'gateways'
  /** Gateway threads 0…W−1; 0 for the broker. */
  index: number
  /** Linux thread id (per-thread CPU in /proc/self/task/TID/stat), undefined elsewhere. */
  tid: number | undefined
  /** Gateways it runs (0 for the broker). */
  gateways: number
  /** Its event loop's busy share so far (performance.eventLoopUtilization, read from this thread). */
  eventLoopUtilization(): { idle: number; active: number; utilization: number }
}

export interface ThreadedSimulation extends FleetHost {
  readonly threads: readonly FleetThreadInfo[]
}

export interface ThreadOptions {
  /** Gateway threads (at most one per gateway of the run). */
  workers: number
  /** A thread ended without being closed (a crash): one line. */
  onThreadEnd?(why: string): void
}

type FleetThreadHandle = ThreadHandle<ToFleetThread, FromFleetThread>

/** Why these fleet options cannot run on threads, or undefined: what needs the fleet in this thread. */
export function threadedRefusal(fleet: Omit<FleetOptions, 'broker'>, embedded: BrokerOptions | undefined): string | undefined {
  if (fleet.recorder !== undefined) return 'recording needs the gateways and the broker in this thread'
  if (fleet.clock !== undefined) return 'an injected clock cannot cross threads'
  if (fleet.connections !== undefined) return 'a connection observer cannot cross threads'
  if (fleet.gatewayCredentials !== undefined || embedded?.auth !== undefined || embedded?.access !== undefined) return "a locked-down broker hands the gateways' credentials over in-process"
  if (embedded?.hooks !== undefined) return 'broker hooks cannot cross threads'
  return undefined
}

export async function startThreadedSimulation(
  fleet: Omit<FleetOptions, 'broker' | 'gatewayCredentials'>,
  where: { external?: BrokerTarget; embedded?: BrokerOptions; gatewayRoute?: GatewayRoute },
  o: ThreadOptions,
): Promise<ThreadedSimulation> {
  const refused = threadedRefusal(fleet, where.external ? undefined : where.embedded)
  if (refused !== undefined) throw new Error(`the fleet cannot run on threads: ${refused}`)
  const run = fleet.shard ?? { index: 0, count: 1 }
  const layout = fleetBlocks(fleet.devices, fleet.gateways).filter((_, g) => g % run.count === run.index)
  const workers = Math.min(Math.max(1, Math.floor(o.workers)), Math.max(1, layout.length))
  let broker: BrokerThread | undefined
  let route: Awaited<ReturnType<GatewayRoute>> | undefined
  const handles: FleetThreadHandle[] = []
  const closeAll = async (): Promise<void> => {
    await Promise.allSettled(handles.map((h) => h.close({ type: 'stop' }, CLOSE_BOUND_MS)))
    await route?.close()
    await broker?.close()
  }
  let ready: FleetThreadReady[]
  try {
    const e = where.embedded
    broker = where.external ? undefined : await startBrokerThread({ host: e?.host, port: e?.port, wsPort: e?.wsPort }, { onServerError: e?.onServerError, onEnd: o.onThreadEnd })
    const target: BrokerTarget = where.external ?? { url: broker!.info.url }
    route = where.gatewayRoute ? await where.gatewayRoute(target) : undefined
    const { recorder: _r, clock: _c, connections: _o, ...plain } = fleet
    const perThread = (w: number): ThreadFleetOptions => ({
      ...plain,
      broker: route?.target ?? target,
      shard: { index: run.index + run.count * w, count: run.count * workers },
      connectRate: (fleet.connectRate ?? DEFAULT_CONNECT_RATE) / workers,
      subscribeWindow: Math.max(1, Math.ceil((fleet.subscribeWindow ?? DEFAULT_SUBSCRIBE_WINDOW) / workers)),
    })
    const startMs = WARM_UP_BOUND_MS + 30_000 + fleet.devices
    ready = await Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        const h: FleetThreadHandle = new ThreadHandle('./fleet-worker.ts', `gateway thread ${w + 1} of ${workers}`, { onEnd: o.onThreadEnd })
        handles.push(h)
        const r = await h.request({ type: 'start', options: perThread(w) }, 'ready', startMs, 'starting the gateways')
        if (r.protocol !== THREAD_PROTOCOL) throw new Error(`${h.name} speaks protocol ${r.protocol}, the host ${THREAD_PROTOCOL}`)
        return r
      }),
    )
  } catch (err) {
    await closeAll()
    throw err
  }
  const elu = (h: { worker: Worker }) => () => h.worker.performance.eventLoopUtilization()
  let seq = 0
  let closing: Promise<void> | undefined
  return {
    brokerUrl: where.external?.url ?? broker!.info.url,
    embedded: broker?.info,
    protocolVersion: ready[0]?.protocolVersion,
    gateways: layout.map((b) => ({ id: b.gatewayId, deviceIds: b.ids })),
    deviceCount: ready.reduce((n, r) => n + r.devices, 0),
    threads: [
      ...(broker ? [{ role: 'broker' as const, index: 0, tid: broker.tid, gateways: 0, eventLoopUtilization: elu(broker.handle) }] : []),
      ...handles.map((h, i) => ({ role: 'gateways' as const, index: i, tid: ready[i]!.tid, gateways: ready[i]!.gateways, eventLoopUtilization: elu(h) })),
    ],
    brokerCounts: () => broker?.counts(),
    restartBroker: async (downtimeMs) => {
      if (!broker) throw new Error('restartBroker needs the embedded broker; restart an external broker yourself')
      await broker.restart(downtimeMs)
    },
    stats: async () => {
      const n = ++seq
      const replies = await Promise.all(handles.map((h) => h.request({ type: 'stats', seq: n }, 'stats', CLOSE_BOUND_MS, 'reading the gateways\' counts', (r) => r.seq === n)))
      return sumGatewayStats(replies.map((r) => r.stats))
    },
    close: () => (closing ??= closeAll()),
  }
}
