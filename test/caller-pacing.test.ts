/** Callers' connects go through the scenario's pacer (real sockets on the embedded broker). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MultiplexedRpcClient } from '../loadgen/clients/multiplexed.ts'
import { MqttnetRpcClient } from '../loadgen/clients/mqttnet.ts'
import { startBroker, type EmbeddedBroker } from '../simulator/broker.ts'

let broker: EmbeddedBroker
beforeAll(async () => {
  broker = await startBroker()
})
afterAll(async () => {
  await broker.close()
})

/** A pacer whose turns are granted by hand. */
function handPacer(): { take(): Promise<void>; grant(): void; waiting: number } {
  const queue: Array<() => void> = []
  return {
    take: () => new Promise<void>((resolve) => queue.push(resolve)),
    grant: () => queue.shift()?.(),
    get waiting() {
      return queue.length
    },
  }
}

describe('paced caller connects', () => {
  it.each(['multiplexed', 'mqttnet'] as const)('a %s client does not connect before its turn', async (kind) => {
    const pacer = handPacer()
    const opts = { broker: { url: broker.url }, clientId: `paced-${kind}`, protocolVersion: 4 as const, pacer }
    const client = kind === 'multiplexed' ? new MultiplexedRpcClient(opts) : new MqttnetRpcClient(opts)
    try {
      const before = broker.counts().connect
      let done = false
      const connecting = client.connect().then(() => (done = true))
      await new Promise((r) => setTimeout(r, 50))
      expect([done, pacer.waiting, broker.counts().connect - before]).toEqual([false, 1, 0])
      pacer.grant()
      await connecting
      expect(client.connected).toBe(true)
      expect(broker.counts().connect - before).toBe(1)
    } finally {
      await client.close()
    }
  })
})
