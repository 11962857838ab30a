/**
 * The contract every RpcClient implementation runs (like MQTT.js's abstract_store suite), against a
 * real embedded Aedes broker and fleet on 127.0.0.1, port 0. Devices answer instantly except
 * `write`, which takes SLOW_MS, so deadlines, late replies, aborts and disconnects are exact.
 *
 *   rpcClientContract('multiplexed', (broker, opts) => new MultiplexedRpcClient({ broker, clientId: 'x', ...opts }))
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { BrokerOptions } from '../../simulator/broker.ts'
import { realClock } from '../../core/clock.ts'
import { startSimulation, type Simulation } from '../../simulator/fleet.ts'
import type { BrokerTarget } from '../../core/mqtt-connect.ts'
import { PROFILES, type DeviceProfile, type Dist } from '../../simulator/profiles.ts'
import type { CallResult, ClientOptions, RpcClient } from '../../loadgen/clients/types.ts'

export const SLOW_MS = 120

/** PROFILES.instant with some verbs given a fixed latency (ms). */
export function fixedProfile(latencyMs: Partial<Record<keyof DeviceProfile['latency'], number>> = { write: SLOW_MS }): DeviceProfile {
  const base = PROFILES.instant!
  const latency = { ...base.latency }
  for (const [verb, ms] of Object.entries(latencyMs)) latency[verb as keyof typeof latency] = { kind: 'fixed', ms } satisfies Dist
  return { ...base, name: 'contract', description: 'instant, with fixed latencies for some verbs', latency }
}

/** A small fleet (ble-0001…ble-0008 on gw-1, gw-2) on a fresh embedded broker. */
export function startTestSim(profile: DeviceProfile = fixedProfile(), embedded: BrokerOptions = {}, devices = 8): Promise<Simulation> {
  return startSimulation({ devices, gateways: 2, profile, seed: 1, protocolVersion: 4 }, { embedded })
}

/** Polls until `cond` holds (every 5 ms, at most `timeoutMs`); fails with `what` otherwise. */
export async function until(cond: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

export const sleepMs = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
export const deadlineIn = (ms: number): number => realClock.now() + ms

/** Closes the broker side of a client's connection, as a network cut would. */
export function dropOnBroker(sim: Simulation, clientId: string): void {
  const clients = (sim.broker!.aedes as unknown as { clients: Record<string, { close(): void } | undefined> }).clients
  const c = clients[clientId]
  if (c === undefined) throw new Error(`dropOnBroker: no client ${clientId} on the broker`)
  c.close()
}

export const okResult = (r: CallResult): Record<string, unknown> => {
  if (!r.ok) throw new Error(`expected ok, got ${r.kind}${r.code ? `/${r.code}` : ''}: ${r.message}`)
  return r.result as Record<string, unknown>
}

export interface ContractTraits {
  /**
   * Whether replies arriving after a timeout or abort reach the client (and count as lateReplies).
   * True for a standing response subscription; false for the MQTTnet style, which unsubscribes
   * before the reply comes, so the broker drops it.
   */
  lateRepliesReachClient: boolean
}

export function rpcClientContract(
  name: string,
  make: (broker: BrokerTarget, opts: Partial<ClientOptions>) => RpcClient,
  traits: ContractTraits = { lateRepliesReachClient: true },
): void {
  describe(`RpcClient contract: ${name}`, () => {
    let sim: Simulation | undefined
    const opened: RpcClient[] = []
    let seq = 0

    beforeEach(async () => {
      sim = await startTestSim()
    })
    afterEach(async () => {
      for (const c of opened.splice(0)) await c.close()
      await sim?.close()
      sim = undefined
    })

    async function open(): Promise<{ client: RpcClient; clientId: string }> {
      const clientId = `contract-${process.pid}-${++seq}`
      const client = make({ url: sim!.brokerUrl }, { clientId })
      opened.push(client)
      await client.connect()
      return { client, clientId }
    }
    const repliedOk = (): number => sim!.fleet.stats().repliedOk

    it('answers info, open, read and close', async () => {
      const { client } = await open()
      expect(client.connected).toBe(true)
      expect(client.protocolVersion).toBe(4) // Aedes speaks 3.1.1
      const d = deadlineIn(2000)
      expect(okResult(await client.call('ble-0001', 'info', {}, { deadline: d }))).toMatchObject({ deviceId: 'ble-0001', gatewayId: 'gw-1', state: 'disconnected' })
      expect(okResult(await client.call('ble-0005', 'info', undefined, { deadline: d }))).toMatchObject({ deviceId: 'ble-0005', gatewayId: 'gw-2' })
      expect(okResult(await client.call('ble-0001', 'open', {}, { deadline: d }))).toMatchObject({ state: 'connected' })
      expect(okResult(await client.call('ble-0001', 'read', { characteristic: 'battery' }, { deadline: d }))).toMatchObject({ characteristic: '2a19', value: expect.stringMatching(/^[0-9a-f]{2}$/) })
      expect(okResult(await client.call('ble-0001', 'close', {}, { deadline: d }))).toMatchObject({ state: 'disconnected' })
      const s = client.stats()
      expect(s).toMatchObject({ connections: 1, lateReplies: 0, unknownReplies: 0, protocolViolations: 0, disconnectedCalls: 0 })
      expect(s.peakInFlight).toBeGreaterThanOrEqual(1)
    })

    it('reports a device error with its code', async () => {
      const { client } = await open()
      const r = await client.call('ble-0002', 'read', {}, { deadline: deadlineIn(2000) })
      expect(r).toMatchObject({ ok: false, kind: 'device-error', code: 'not_connected', message: expect.stringContaining('ble-0002') })
    })

    it('times out at the deadline; the late reply resolves no other call', async () => {
      const { client } = await open()
      okResult(await client.call('ble-0003', 'open', {}, { deadline: deadlineIn(2000) }))
      const before = repliedOk()
      const t0 = realClock.now()
      const first = await client.call('ble-0003', 'write', { value: '01' }, { deadline: deadlineIn(30) })
      expect(first).toMatchObject({ ok: false, kind: 'timeout' })
      expect(realClock.now() - t0).toBeLessThan(SLOW_MS - 20)
      // The first reply (written: 1) arrives while this call is pending; this call must get its own (written: 3).
      const second = await client.call('ble-0003', 'write', { value: '010203' }, { deadline: deadlineIn(2000) })
      expect(okResult(second)).toEqual({ characteristic: '2a19', written: 3 })
      await until(() => repliedOk() - before === 2, 'the gateway to answer both writes')
      expect(client.stats().lateReplies).toBe(traits.lateRepliesReachClient ? 1 : 0)
    })

    it('counts late replies after many timeouts and keeps answering correctly', async () => {
      const { client } = await open()
      const devices = ['ble-0001', 'ble-0002', 'ble-0005', 'ble-0006']
      for (const id of devices) okResult(await client.call(id, 'open', {}, { deadline: deadlineIn(2000) }))
      const before = repliedOk()
      const shared = deadlineIn(25) // one deadline for the whole round, like one CancellationToken
      const results = await Promise.all(devices.map((id) => client.call(id, 'write', { value: 'ff' }, { deadline: shared })))
      for (const r of results) expect(r).toMatchObject({ ok: false, kind: 'timeout' })
      await until(() => repliedOk() - before === devices.length, 'the gateways to answer every write')
      await sleepMs(20)
      const infos = await Promise.all(devices.map((id) => client.call(id, 'info', {}, { deadline: deadlineIn(2000) })))
      infos.forEach((r, i) => expect(okResult(r)).toMatchObject({ deviceId: devices[i], state: 'connected' }))
      expect(client.stats().lateReplies).toBe(traits.lateRepliesReachClient ? devices.length : 0)
      expect(client.stats().unknownReplies).toBe(0)
    })

    it('fails a pending call as disconnected when the connection drops, later calls at once, and reconnects', async () => {
      const { client, clientId } = await open()
      okResult(await client.call('ble-0004', 'open', {}, { deadline: deadlineIn(2000) }))
      const pending = client.call('ble-0004', 'write', { value: 'aa' }, { deadline: deadlineIn(5000) })
      await sleepMs(20)
      dropOnBroker(sim!, clientId)
      expect(await pending).toMatchObject({ ok: false, kind: 'disconnected' })
      expect(client.connected).toBe(false)
      const t0 = realClock.now()
      expect(await client.call('ble-0004', 'info', {}, { deadline: deadlineIn(5000) })).toMatchObject({ ok: false, kind: 'disconnected' })
      expect(realClock.now() - t0).toBeLessThan(20)
      expect(client.stats().disconnectedCalls).toBe(2)
      await client.connect()
      expect(okResult(await client.call('ble-0004', 'info', {}, { deadline: deadlineIn(2000) }))).toMatchObject({ deviceId: 'ble-0004' })
      expect(client.stats().connections).toBe(2)
    })

    it('turns an AbortSignal into cancelled, before or during a call', async () => {
      const { client } = await open()
      okResult(await client.call('ble-0007', 'open', {}, { deadline: deadlineIn(2000) }))
      const before = repliedOk()
      const ctl = new AbortController()
      const t0 = realClock.now()
      const pending = client.call('ble-0007', 'write', { value: 'bb' }, { deadline: deadlineIn(5000), signal: ctl.signal })
      setTimeout(() => ctl.abort(), 15)
      expect(await pending).toMatchObject({ ok: false, kind: 'cancelled' })
      expect(realClock.now() - t0).toBeLessThan(SLOW_MS - 20)
      expect(await client.call('ble-0007', 'info', {}, { deadline: deadlineIn(2000), signal: ctl.signal })).toMatchObject({ ok: false, kind: 'cancelled' })
      await until(() => repliedOk() - before === 1, 'the gateway to answer the aborted write')
      await sleepMs(20)
      expect(client.stats().lateReplies).toBe(traits.lateRepliesReachClient ? 1 : 0)
      expect(okResult(await client.call('ble-0007', 'info', {}, { deadline: deadlineIn(2000) }))).toMatchObject({ deviceId: 'ble-0007' })
    })

    it('close() fails pending calls as disconnected and refuses new ones', async () => {
      const { client } = await open()
      okResult(await client.call('ble-0008', 'open', {}, { deadline: deadlineIn(2000) }))
      const pending = client.call('ble-0008', 'write', { value: 'cc' }, { deadline: deadlineIn(5000) })
      await sleepMs(15)
      await client.close()
      expect(await pending).toMatchObject({ ok: false, kind: 'disconnected' })
      expect(client.connected).toBe(false)
      expect(await client.call('ble-0008', 'info', {}, { deadline: deadlineIn(2000) })).toMatchObject({ ok: false, kind: 'disconnected' })
      await expect(client.connect()).rejects.toThrow(/after close/)
    })
  })
}
