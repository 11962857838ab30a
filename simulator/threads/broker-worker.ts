/**
 * The embedded broker's thread: one Aedes on its own event loop. It counts packets into the shared
 * counts (the host reads them in place), reports failed accepts, restarts on request with the
 * counts going on, and closes on `stop`. Loaded by thread.mjs.
 */
import { parentPort } from 'node:worker_threads'
import { startBroker, type EmbeddedBroker } from '../broker.ts'
import { THREAD_PROTOCOL, threadError, type BrokerThreadOptions, type FromBrokerThread, type ToBrokerThread } from './messages.ts'
import { SharedCounts } from './shared-counts.ts'
import { linuxThreadId } from './thread-id.ts'

const port = parentPort!
const send = (m: FromBrokerThread): void => port.postMessage(m)

let broker: EmbeddedBroker | undefined
let options: BrokerThreadOptions = {}
let counts: SharedCounts | undefined

const open = (at: BrokerThreadOptions): Promise<EmbeddedBroker> =>
  startBroker({
    ...at,
    onCount: (k) => counts!.add(k),
    onServerError: (err) => send({ type: 'server-error', message: err.message, code: err.code }),
  })

async function handle(m: ToBrokerThread): Promise<void> {
  switch (m.type) {
    case 'start': {
      options = m.options
      counts = new SharedCounts(m.counts)
      broker = await open(options)
      send({ type: 'ready', protocol: THREAD_PROTOCOL, url: broker.url, host: broker.host, port: broker.port, wsUrl: broker.wsUrl, wsPort: broker.wsPort, version: broker.version, tid: linuxThreadId() })
      return
    }
    case 'restart': {
      const old = broker
      if (old === undefined) throw new Error('restart before start')
      broker = undefined
      await old.close()
      await new Promise((r) => setTimeout(r, m.downtimeMs))
      broker = await open({ ...options, host: old.host, port: old.port, wsPort: old.wsPort })
      send({ type: 'restarted' })
      return
    }
    case 'stop': {
      await broker?.close()
      broker = undefined
      send({ type: 'stopped' })
      port.close()
    }
  }
}

port.on('message', (m: ToBrokerThread) => void handle(m).catch((err) => send(threadError(err))))
