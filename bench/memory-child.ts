/**
 * Child process of the memory measurements (run with --expose-gc): it measures its own RSS, V8 heap
 * and young generation after a full GC, before and after creating what is measured, and reports
 * over IPC.
 *
 *   fleet N G          the simulator process: embedded Aedes, then a fleet of N devices on G gateways
 *   fleet N G URL      the fleet alone, attached to the broker at URL (another process)
 *   broker             an empty Aedes broker; sends {url}, then its memory on each 'measure' message
 *   clients N URL      N idle MQTT.js connections (TCP_NODELAY, keepalive 30 s) to URL
 */
import { settled, type MemorySnapshot } from './memory-snapshot.ts'
import { startBroker } from '../simulator/broker.ts'
import { Fleet } from '../simulator/fleet.ts'
import { connectMqtt, endClient } from '../core/mqtt-connect.ts'
import { getProfile } from '../simulator/profiles.ts'

export type ChildReport =
  | { type: 'ready'; url: string }
  | { type: 'memory'; before: MemorySnapshot; after: MemorySnapshot; startMs: number }
  | { type: 'snapshot'; memory: MemorySnapshot }

const gc = (globalThis as { gc?: () => void }).gc

const send = (r: ChildReport): void => void process.send?.(r)
const nextMessage = (): Promise<unknown> => new Promise((resolve) => process.once('message', resolve))

async function main(): Promise<void> {
  if (gc === undefined) throw new Error('run with --expose-gc')
  const [mode, a, b, c] = process.argv.slice(2)
  if (mode === 'fleet') {
    const broker = c === undefined ? await startBroker() : undefined
    const target = { url: c ?? broker!.url }
    // warm-up: a one-device fleet started and stopped first, so compiled code and one-off state
    // are in the baseline and the difference is what the devices cost
    const warm = new Fleet({ devices: 1, gateways: 1, profile: getProfile('instant')!, seed: 1, broker: target, protocolVersion: 4 })
    await warm.start()
    await warm.stop()
    const before = await settled()
    const started = performance.now()
    const fleet = new Fleet({ devices: Number(a), gateways: Number(b), profile: getProfile('instant')!, seed: 1, broker: target, protocolVersion: 4 })
    await fleet.start()
    const startMs = performance.now() - started
    const after = await settled()
    send({ type: 'memory', before, after, startMs })
    await nextMessage()
    await fleet.stop()
    await broker?.close()
  } else if (mode === 'broker') {
    const broker = await startBroker()
    send({ type: 'ready', url: broker.url })
    for (;;) {
      const m = await nextMessage()
      if (m !== 'measure') break
      send({ type: 'snapshot', memory: await settled() })
    }
    await broker.close()
  } else if (mode === 'clients') {
    const before = await settled()
    const started = performance.now()
    const clients = []
    for (let i = 0; i < Number(a); i++) clients.push(await connectMqtt({ url: b! }, { clientId: `bench-idle-${process.pid}-${i}`, protocolVersion: 4 }))
    const startMs = performance.now() - started
    const after = await settled()
    send({ type: 'memory', before, after, startMs })
    await nextMessage()
    await Promise.all(clients.map((cl) => endClient(cl, true)))
  } else {
    throw new Error(`unknown mode ${String(mode)}`)
  }
  process.disconnect?.()
}

// the bench went away (Ctrl-C): do not linger
process.on('disconnect', () => process.exit(0))

main().catch((err: unknown) => {
  process.stderr.write(`memory-child: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
