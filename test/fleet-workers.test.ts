/** --fleet-workers end to end: parallel-ble and `npm run simulator` with the broker and the gateways on threads of their own. */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { accountingError } from '../core/accounting.ts'
import { connectMqtt, endClient } from '../core/mqtt-connect.ts'
import * as wire from '../core/protocol.ts'
import type { RunResult } from '../core/result.ts'
import { runCli } from './support/cli.ts'
import { rpc } from './support/results.ts'

const dir = mkdtempSync(join(tmpdir(), 'fleetbench-fleet-workers-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('parallel-ble --fleet-workers 2', () => {
  it('runs its cells against gateways on two threads, the broker on a third, with exact broker counts', async () => {
    const out = join(dir, 'parallel-ble')
    const r = await runCli('cli/scenario.ts', ['parallel-ble', '--devices', '40', '--gateways', '4', '--users', '2', '--fleet-workers', '2',
      '--strategies', 'naive-parallel,multiplexed', '--ack-mode', 'lenient', '--profile', 'instant', '--caller-link', 'loopback', '--gateway-link', 'loopback',
      '--workers', '1', '--duration', '1500ms', '--timeout', '2s', '--out', out, '--quiet'], 90_000)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as RunResult
    expect(result.environment.broker).toMatchObject({ kind: 'aedes', version: '1.2.0', protocolVersion: 4 })
    expect(result.options).toMatchObject({ fleetWorkers: 2 })
    for (const c of result.cells) {
      expect(c.status, `${c.id}: ${c.error}`).toBe('ok')
      expect(accountingError(c)).toBeUndefined()
      expect(c.counts.ok).toBe(c.counts.sent)
    }
    // Counted on the broker's thread, read by the runner before and after each cell.
    const naive = rpc(result.cells.find((c) => c.id === 'naive-parallel'))
    expect([naive.broker.source, naive.broker.subscribe, naive.broker.unsubscribe]).toEqual(['broker', naive.counts.sent, naive.counts.sent])
    const mux = rpc(result.cells.find((c) => c.id === 'multiplexed'))
    expect([mux.broker.subscribe, mux.broker.unsubscribe, mux.broker.publish]).toEqual([2, 0, 2 * mux.counts.sent])
  }, 90_000)
})

describe('npm run simulator -- --fleet-workers 2', () => {
  it('serves envelope and MQTTnet calls from gateway threads and stops every thread on SIGINT', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/simulator.ts', '--port', '0', '--devices', '40', '--gateways', '4', '--fleet-workers', '2', '--profile', 'instant'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stderr.on('data', (d) => (err += d))
    const exit = new Promise<number | null>((resolve) => child.on('close', resolve))
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not ready: ${out}${err}`)), 30_000)
        child.stdout.on('data', (d) => {
          out += d
          const m = /broker\s+(mqtt:\/\/\S+)/.exec(out)
          if (m && out.includes('ready.')) {
            clearTimeout(timer)
            resolve(m[1]!)
          }
        })
      })
      expect(out).toMatch(/embedded Aedes 1\.2\.0, MQTT 3\.1\.1, on a thread of its own/)
      expect(out).toMatch(/40 devices on 4 gateways, profile instant, seed 1, gateways on 2 threads/)
      expect(out).toMatch(/gw-4 +10 devices {2}ble-0031 … ble-0040/)
      const c = await connectMqtt({ url }, { protocolVersion: 4 })
      try {
        await c.subscribeAsync('fleet/reply/cli', { qos: 1 })
        const envelope = new Promise<string>((resolve) => c.once('message', (_t, p) => resolve(p.toString())))
        await c.publishAsync(wire.requestTopic('ble-0040', 'info'), JSON.stringify({ id: 1, replyTo: 'fleet/reply/cli' }), { qos: 1 })
        expect(JSON.parse(await envelope)).toMatchObject({ id: 1, ok: true, result: { deviceId: 'ble-0040', gatewayId: 'gw-4' } })
        const topic = wire.mqttnetRequestTopic('9b2c1f6e-0d7a-4e55-a3c1-6f0e2b7d8c90', 'ble-0015', 'info')
        await c.subscribeAsync(wire.mqttnetResponseTopic(topic), { qos: 1 })
        const mqttnet = new Promise<Buffer>((resolve) => c.once('message', (_t, p) => resolve(p)))
        await c.publishAsync(topic, '{}', { qos: 1 })
        expect(wire.decodeBareReply(await mqttnet)).toMatchObject({ ok: true, result: { deviceId: 'ble-0015', gatewayId: 'gw-2' } })
      } finally {
        await endClient(c)
      }
      child.kill('SIGINT')
      expect(await exit).toBe(0)
      expect(out).toMatch(/stopped\. requests received 2, replied 2 \(0 errors\), dropped 0/)
    } finally {
      child.kill('SIGKILL')
    }
  }, 60_000)

  it.each([
    [['--fleet-workers', '3', '--gateways', '2'], /^simulator: --fleet-workers 3 needs at least 3 gateways \(each thread runs whole gateways\), but this run has 2: raise --gateways or lower --fleet-workers$/],
    [['--fleet-workers', '1', '--auth', 'alice:secret'], /--auth hands every gateway its credentials in-process, which --fleet-workers 1 cannot do/],
    [['--fleet-workers', '65'], /--fleet-workers must be a whole number from 0 to 64/],
  ])('refuses %j with one line and exit 2', async (args, message) => {
    const r = await runCli('cli/simulator.ts', args, 20_000)
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr.trim()).toMatch(message)
  })

  it('refuses --record before creating its directory', async () => {
    const rec = join(dir, 'never')
    const r = await runCli('cli/simulator.ts', ['--fleet-workers', '1', '--record', rec], 20_000)
    expect([r.code, r.stderr.trim()]).toEqual([2, 'simulator: --record needs the gateways and the broker in this thread: drop --fleet-workers 1 to record'])
    expect(existsSync(rec)).toBe(false)
  })

  it('refuses more fleet workers than gateways in parallel-ble too', async () => {
    const r = await runCli('cli/scenario.ts', ['parallel-ble', '--gateways', '4', '--fleet-workers', '5'], 20_000)
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/--fleet-workers 5 needs at least 5 gateways/)
  })
})
