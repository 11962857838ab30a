/** Shaped links end to end (real sockets, real workers): what the result figures must show. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { accountingError } from '../core/accounting.ts'
import type { RunResult } from '../core/result.ts'
import { runCli } from './support/cli.ts'
import { rpc } from './support/results.ts'

const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

async function run(args: string[]): Promise<RunResult> {
  const out = mkdtempSync(join(tmpdir(), 'fleetbench-links-'))
  dirs.push(out)
  const r = await runCli('cli/scenario.ts', ['parallel-ble', '--devices', '8', '--gateways', '1', '--users', '1', '--profile', 'instant', '--timeout', '5s', '--duration', '1s', '--out', out, '--quiet', ...args], 90_000)
  expect(r.code, r.stderr).toBe(0)
  const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as RunResult
  for (const c of result.cells) expect(accountingError(c), c.id).toBeUndefined()
  return result
}

describe('--caller-link and --gateway-link', () => {
  it('rtt=40ms between callers and broker: every MQTTnet-style call takes at least three round trips, two more than a multiplexed one', async () => {
    const result = await run(['--strategies', 'naive-parallel,multiplexed', '--ack-mode', 'lenient', '--caller-link', 'rtt=40ms', '--gateway-link', 'loopback'])
    expect(result.environment.links).toEqual({ caller: 'custom (rtt=40ms)', gateway: 'loopback (no shaping)' })
    expect(result.options.callerLink).toMatchObject({ name: 'custom', rttMs: 40 })
    const mqttnet = rpc(result.cells.find((c) => c.id === 'naive-parallel'))
    const mux = rpc(result.cells.find((c) => c.id === 'multiplexed'))
    const rttUs = 40_000
    // SUBSCRIBE→SUBACK, PUBLISH→reply, UNSUBSCRIBE→UNSUBACK: the fastest MQTTnet-style call still waited three of them.
    expect(mqttnet.latencyUs.min).toBeGreaterThanOrEqual(3 * rttUs)
    // One request, one reply: a multiplexed call can finish within one round trip and a bit.
    expect(mux.latencyUs.min).toBeGreaterThanOrEqual(rttUs)
    expect(mux.latencyUs.min).toBeLessThan(2 * rttUs)
    expect(mqttnet.latencyUs.p50 - mux.latencyUs.p50).toBeGreaterThanOrEqual(2 * rttUs)
    expect(mqttnet.latencyUs.min - mux.latencyUs.min).toBeGreaterThanOrEqual(2 * rttUs)
  })

  it('rtt=60ms between gateways and broker: every call waits the gateway\'s round trip, the callers\' link is plain', async () => {
    const result = await run(['--strategies', 'multiplexed', '--caller-link', 'loopback', '--gateway-link', 'rtt=60ms'])
    const mux = rpc(result.cells[0])
    expect(result.environment.links?.gateway).toBe('custom (rtt=60ms)')
    expect(mux.latencyUs.min).toBeGreaterThanOrEqual(60_000)
    expect(mux.counts.ok).toBe(mux.counts.sent)
  })
})
