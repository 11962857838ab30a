import { afterEach, describe, expect, it } from 'vitest'
import { noDelayWarning, probeBroker } from '../scenarios/broker-probe.ts'
import { mosquittoAvailable, startMosquitto, type MosquittoBroker } from './support/mosquitto.ts'

const skip = mosquittoAvailable()

describe.skipIf(skip !== undefined)(`external broker probe${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  let broker: MosquittoBroker | undefined
  afterEach(async () => {
    await broker?.stop()
    broker = undefined
  })

  it('reads the version and sees no stall when the broker sets TCP_NODELAY', async () => {
    broker = await startMosquitto()
    const probe = await probeBroker({ url: broker.url })
    expect(probe.version).toMatch(/mosquitto version \d/)
    expect(probe.protocolVersion).toBe(5)
    expect(probe.noDelay).toBe(true)
    expect(noDelayWarning(broker.url, probe)).toBeUndefined()
  })

  it('warns when round trips stall like Nagle meeting delayed ACKs', async () => {
    broker = await startMosquitto({ noDelay: false })
    const probe = await probeBroker({ url: broker.url })
    expect(probe.noDelay).toBe(false)
    expect(noDelayWarning(broker.url, probe)).toMatch(/set_tcp_nodelay true/)
  })
})
