import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ERROR_KINDS } from '../loadgen/clients/types.ts'
import { accountingError } from '../core/accounting.ts'
import type { RunResult } from '../core/result.ts'
import { runCli } from './support/cli.ts'
import { rpc } from './support/results.ts'

const dirs: string[] = []
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'fleetbench-test-'))
  dirs.push(d)
  return d
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

describe('npm run scenario -- parallel-ble (small fleet, real sockets, real workers)', () => {
  it('measures every strategy and keeps the accounting invariant; packet counts come from the broker', async () => {
    const out = tempDir()
    const r = await runCli('cli/scenario.ts', ['parallel-ble', '--devices', '24', '--gateways', '2', '--users', '2', '--duration', '1500ms',
      '--timeout', '400ms', '--pool-size', '3', '--out', out, '--quiet'], 90_000)
    expect(r.stderr).toBe('')
    expect([0, 99]).toContain(r.code)
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as RunResult
    expect(result.schemaVersion).toBe(2)
    expect(result.environment.broker).toMatchObject({ kind: 'aedes', version: '1.2.0', protocolVersion: 4 })
    expect(result.cells.map((c) => c.id)).toEqual(['naive-parallel-strict', 'naive-parallel-lenient', 'serial', 'pool-3', 'batch', 'multiplexed'])
    for (const c of result.cells) {
      expect(c.status, `${c.id}: ${c.error}`).toBe('ok')
      expect(accountingError(c)).toBeUndefined()
      expect(c.counts.sent).toBeGreaterThan(0)
      for (const kind of Object.keys(c.counts.errors)) expect(ERROR_KINDS).toContain(kind)
      expect(c.latencyUs.count).toBe(c.counts.ok)
      expect(c.latencyUs.hist.length).toBeGreaterThan(10)
    }
    const cell = (id: string) => rpc(result.cells.find((c) => c.id === id))
    // MQTTnet-style: one SUBSCRIBE and one UNSUBSCRIBE per call sent, counted by the broker.
    const lenient = cell('naive-parallel-lenient')
    expect(lenient.clients.protocolViolations).toBe(0)
    expect(lenient.counts.errors['protocol-violation']).toBe(0)
    expect(lenient.broker.source).toBe('broker')
    expect(lenient.broker.subscribe).toBe(lenient.counts.sent)
    expect(lenient.broker.unsubscribe).toBe(lenient.counts.sent)
    // Multiplexed: exactly one response subscription per client, no UNSUBSCRIBE, no violation.
    const mux = cell('multiplexed')
    expect(mux.clients.connections).toBe(2)
    expect(mux.broker.subscribe).toBe(2)
    expect(mux.broker.unsubscribe).toBe(0)
    expect(mux.counts.errors['protocol-violation']).toBe(0)
    // Pool: K clients per user.
    expect(cell('pool-3').clients.connections).toBeGreaterThanOrEqual(6)
    // Strict mode: every protocol-violation error comes from a counted teardown.
    const strict = cell('naive-parallel-strict')
    if (strict.counts.errors['protocol-violation']! > 0) expect(strict.clients.protocolViolations).toBeGreaterThan(0)
    expect(result.findings.length).toBe(6)
    expect(result.notes.join(' ')).toMatch(/emulation of MQTTnet < 5.2/)
  })

  it('makes the same calls per round with 1 and with 2 workers', async () => {
    const perRound = async (workers: string): Promise<number[]> => {
      const out = tempDir()
      const r = await runCli('cli/scenario.ts', ['parallel-ble', '--devices', '16', '--gateways', '2', '--users', '4', '--duration', '600ms',
        '--timeout', '5s', '--profile', 'instant', '--strategies', 'multiplexed,batch', '--workers', workers, '--out', out, '--quiet'], 60_000)
      expect(r.code, r.stderr).toBe(0)
      const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as RunResult
      expect(result.environment.workers).toBe(Number(workers))
      return result.cells.map(rpc).map((c) => {
        expect(c.counts.ok).toBe(c.counts.sent)
        expect(c.latencyUs.count).toBe(c.counts.ok)
        return c.counts.sent / c.rounds
      })
    }
    // 4 devices per user, open + read + close each: 12 calls per round whatever the split.
    expect(await perRound('1')).toEqual([12, 12])
    expect(await perRound('2')).toEqual([12, 12])
  })

  it.each([
    [['--devices', '-1'], /--devices must be a whole number from 1 to 100000, got "-1"/],
    [['--strategies', 'serial,warp'], /--strategies must be one of naive-parallel, serial, pool, batch, multiplexed, got "warp"/],
    [['--pool-size', '0'], /--pool-size must be a whole number from 1 to 1000, got "0"/],
    [['--duration', '10parsecs'], /--duration must be a duration like 500ms, 10s or 2m/],
    [['--rate', '-3'], /--rate must be a positive number/],
    [['--ack-mode', 'sloppy'], /--ack-mode must be one of strict, lenient, both/],
    [['--users', '500', '--devices', '10'], /--users \(500\) must not exceed --devices \(10\)/],
    [['--broker', 'mqtt://127.0.0.1:1'], /cannot connect to --broker mqtt:\/\/127.0.0.1:1/],
    [['--threshold', 'multiplexed:p99<fast'], /--threshold: threshold "multiplexed:p99<fast" is not of the form/],
  ])('refuses %j with exit 2, one line, and no partial result', async (args, message) => {
    const out = join(tempDir(), 'never')
    const r = await runCli('cli/scenario.ts', ['parallel-ble', ...args, '--out', out])
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(message)
    expect(existsSync(out)).toBe(false)
  })

  it('lists the scenarios and refuses an unknown one', async () => {
    const list = await runCli('cli/scenario.ts', ['list'])
    expect(list.code).toBe(0)
    expect(list.stdout).toMatch(/^parallel-ble\s+\S/m)
    const bad = await runCli('cli/scenario.ts', ['parallel-bel'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/unknown scenario "parallel-bel"; the scenarios are parallel-ble/)
  })
})
