import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../test/support/manual-clock.ts'
import type { CallResult } from '../clients/types.ts'
import { deviceError, FakeRpcClient } from '../../test/support/fake-client.ts'

async function settle<T>(clock: ManualClock, p: Promise<T>): Promise<{ value: T; at: number }> {
  let at = Number.NaN
  const timed = p.then((value) => {
    at = clock.now()
    return value
  })
  await clock.runAll()
  return { value: await timed, at }
}

describe('FakeRpcClient', () => {
  it('answers after the verb latency, and fails calls made before connect()', async () => {
    const clock = new ManualClock()
    const c = new FakeRpcClient({ kind: 'mqttnet', clock, latencyMs: { open: 7 } })
    expect(await c.call('d1', 'open', undefined, { deadline: 100 })).toMatchObject({ ok: false, kind: 'disconnected' })
    await c.connect()
    expect(await settle(clock, c.call('d1', 'open', undefined, { deadline: 100 }))).toEqual({ value: { ok: true, result: { fake: true } }, at: 7 })
    expect(c.stats()).toMatchObject({ connections: 1, subscribes: 1, unsubscribes: 1, disconnectedCalls: 1, peakInFlight: 1 })
    expect(c.count('open')).toBe(2)
  })

  it('times out at the deadline and counts the late reply', async () => {
    const clock = new ManualClock()
    const c = new FakeRpcClient({ kind: 'multiplexed', clock, defaultLatencyMs: 30 })
    await c.connect()
    const r = await settle(clock, c.call('d1', 'read', {}, { deadline: 20 }))
    expect(r).toMatchObject({ value: { ok: false, kind: 'timeout' }, at: 20 })
    expect(clock.now()).toBe(30)
    expect(c.stats().lateReplies).toBe(1)
    expect(c.inFlight).toBe(0)
  })

  it('injects failures per call and per batch item', async () => {
    const clock = new ManualClock()
    const fail = (device: string, verb: string): CallResult | undefined => (device === 'd2' && verb === 'open' ? deviceError('out_of_range') : undefined)
    const c = new FakeRpcClient({ kind: 'multiplexed', clock, fail })
    await c.connect()
    const items = [{ device: 'd1', verb: 'open' }, { device: 'd2', verb: 'open' }]
    const r = await settle(clock, c.batch?.('gw', items, { deadline: 100 }) ?? Promise.reject(new Error('no batch')))
    expect(r.value).toEqual([{ ok: true, result: { fake: true } }, { ok: false, kind: 'device-error', code: 'out_of_range', message: 'device answered out_of_range' }])
    expect(c.batches).toEqual([{ at: 0, gatewayId: 'gw', items, deadline: 100 }])
    expect(new FakeRpcClient({ kind: 'mqttnet', clock }).batch).toBeUndefined()
  })

  it('tears down: pending calls fail, later calls are disconnected until connect()', async () => {
    const clock = new ManualClock()
    const c = new FakeRpcClient({ kind: 'mqttnet', clock })
    await c.connect()
    const pending = c.call('d1', 'open', undefined, { deadline: 100 })
    c.teardown()
    expect(await pending).toMatchObject({ ok: false, kind: 'protocol-violation' })
    expect(c.connected).toBe(false)
    expect(await c.call('d1', 'open', undefined, { deadline: 100 })).toMatchObject({ kind: 'disconnected' })
    await c.connect()
    expect(c.stats()).toMatchObject({ connections: 2, protocolViolations: 1, disconnectedCalls: 1 })
    expect(clock.pendingTimers).toBe(0)
  })

  it('close() fails pending calls as disconnected and clears its timers', async () => {
    const clock = new ManualClock()
    const c = new FakeRpcClient({ kind: 'mqttnet', clock, connectMs: 5 })
    await settle(clock, c.connect())
    const pending = c.call('d1', 'open', undefined, { deadline: 1 })
    await clock.advance(1) // times out; the late reply timer is still set
    expect(await pending).toMatchObject({ kind: 'timeout' })
    const another = c.call('d1', 'open', undefined, { deadline: 100 })
    await c.close()
    expect(await another).toMatchObject({ kind: 'disconnected' })
    expect(clock.pendingTimers).toBe(0)
    await expect(c.connect()).rejects.toThrow('fake client is closed')
  })
})
