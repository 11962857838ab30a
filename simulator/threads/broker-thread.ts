/**
 * The embedded broker on a thread of its own (broker-worker.ts), as the host sees it: its address,
 * its packet counts read in place from shared memory (exact, synchronous), restart, and close.
 */
import { CLOSE_BOUND_MS, WARM_UP_BOUND_MS } from '../../core/deadline.ts'
import type { BrokerCounts } from '../../core/counters.ts'
import type { EmbeddedBrokerInfo } from '../fleet-host.ts'
import { THREAD_PROTOCOL, type BrokerThreadOptions, type FromBrokerThread, type ToBrokerThread } from './messages.ts'
import { SharedCounts } from './shared-counts.ts'
import { ThreadHandle } from './thread-handle.ts'

export interface BrokerThread {
  readonly info: EmbeddedBrokerInfo
  readonly wsPort: number | undefined
  /** Linux thread id, for per-thread CPU. */
  readonly tid: number | undefined
  readonly handle: ThreadHandle<ToBrokerThread, FromBrokerThread>
  counts(): BrokerCounts
  restart(downtimeMs: number): Promise<void>
  close(): Promise<void>
}

export interface BrokerThreadHooks {
  /** A failed accept on the broker's listener (like BrokerOptions.onServerError). */
  onServerError?(err: NodeJS.ErrnoException): void
  /** The thread ended without being closed. */
  onEnd?(why: string): void
}

export async function startBrokerThread(options: BrokerThreadOptions, hooks: BrokerThreadHooks = {}): Promise<BrokerThread> {
  const counts = new SharedCounts()
  const handle = new ThreadHandle<ToBrokerThread, FromBrokerThread>('./broker-worker.ts', 'the broker thread', {
    onEnd: hooks.onEnd,
    onMessage: (m) => {
      if (m.type === 'server-error') hooks.onServerError?.(Object.assign(new Error(m.message), m.code === undefined ? {} : { code: m.code }))
    },
  })
  let ready: Extract<FromBrokerThread, { type: 'ready' }>
  try {
    ready = await handle.request({ type: 'start', options, counts: counts.buffer }, 'ready', WARM_UP_BOUND_MS, 'starting the embedded broker')
    if (ready.protocol !== THREAD_PROTOCOL) throw new Error(`the broker thread speaks protocol ${ready.protocol}, the host ${THREAD_PROTOCOL}`)
  } catch (err) {
    await handle.terminate()
    throw err
  }
  return {
    info: { url: ready.url, host: ready.host, port: ready.port, version: ready.version, wsUrl: ready.wsUrl },
    wsPort: ready.wsPort,
    tid: ready.tid,
    handle,
    counts: () => counts.read(),
    restart: async (downtimeMs) => {
      await handle.request({ type: 'restart', downtimeMs }, 'restarted', downtimeMs + 2 * CLOSE_BOUND_MS, 'restarting the embedded broker')
    },
    close: () => handle.close({ type: 'stop' }, CLOSE_BOUND_MS),
  }
}
