/**
 * A gateway thread: an ordinary Fleet for the gateways its `shard` deals it, on its own event loop.
 * Answers `stats` with its gateways' counts (the host sums the threads' with the same rule) and
 * stops its gateways on `stop`. Loaded by thread.mjs.
 */
import { parentPort } from 'node:worker_threads'
import { Fleet } from '../fleet.ts'
import { THREAD_PROTOCOL, threadError, type FromFleetThread, type ToFleetThread } from './messages.ts'
import { linuxThreadId } from './thread-id.ts'

const port = parentPort!
const send = (m: FromFleetThread): void => port.postMessage(m)
let fleet: Fleet | undefined

async function handle(m: ToFleetThread): Promise<void> {
  switch (m.type) {
    case 'start': {
      const f = new Fleet(m.options)
      await f.start() // a failed start stops what it started
      fleet = f
      send({ type: 'ready', protocol: THREAD_PROTOCOL, gateways: f.gateways.length, devices: f.deviceCount, protocolVersion: f.gateways[0]?.protocolVersion, tid: linuxThreadId() })
      return
    }
    case 'stats':
      if (fleet === undefined) throw new Error('stats before the fleet started')
      send({ type: 'stats', seq: m.seq, stats: fleet.stats() })
      return
    case 'stop':
      await fleet?.stop()
      fleet = undefined
      send({ type: 'stopped' })
      port.close()
  }
}

port.on('message', (m: ToFleetThread) => void handle(m).catch((err) => send(threadError(err))))
