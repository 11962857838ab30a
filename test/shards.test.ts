import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { accountingError } from '../core/accounting.ts'
import type { RunResult } from '../core/result.ts'
import { runCli, type CliRun } from './support/cli.ts'
import { mosquittoAvailable, startMosquitto, type MosquittoBroker } from './support/mosquitto.ts'
import { rpc } from './support/results.ts'

const skip = mosquittoAvailable()
const dir = mkdtempSync(join(tmpdir(), 'fleetbench-shards-'))
const read = (p: string): RunResult => JSON.parse(readFileSync(p, 'utf8')) as RunResult

function shard(i: number, url: string, id: string): Promise<CliRun> {
  return new Promise((resolve) => {
    const out = join(dir, `shard-${i}`)
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/scenario.ts', 'parallel-ble', '--broker', url, '--shard', `${i}/2`, '--rendezvous', id,
      '--devices', '16', '--gateways', '2', '--users', '4', '--profile', 'instant', '--strategies', 'multiplexed,batch', '--duration', '1s',
      '--timeout', '5s', '--out', out, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const kill = setTimeout(() => child.kill('SIGKILL'), 90_000)
    child.on('close', (code) => (clearTimeout(kill), resolve({ code, stdout, stderr })))
  })
}

describe.skipIf(skip !== undefined)(`two shards against one Mosquitto, merged${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  let broker: MosquittoBroker
  beforeAll(async () => {
    broker = await startMosquitto()
  })
  afterAll(async () => {
    await broker?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('each shard runs half the gateways and users; the merge accounts for exactly the calls of the whole', async () => {
    // Start one shard late: the rendezvous holds the first one until both are ready.
    const first = shard(0, broker.url, `t${process.pid}`)
    await new Promise((r) => setTimeout(r, 1500))
    const [a, b] = await Promise.all([first, shard(1, broker.url, `t${process.pid}`)])
    expect(a.code, a.stderr + a.stdout).toBe(0)
    expect(b.code, b.stderr + b.stdout).toBe(0)
    const parts = [read(join(dir, 'shard-0', 'result.json')), read(join(dir, 'shard-1', 'result.json'))]
    expect(parts.map((p) => p.options.shard)).toEqual([{ index: 0, count: 2 }, { index: 1, count: 2 }])
    const merged = join(dir, 'whole.json')
    const m = await runCli('cli/report.ts', ['merge', join(dir, 'shard-0', 'result.json'), join(dir, 'shard-1', 'result.json'), '-o', merged])
    expect(m.code, m.stderr).toBe(0)
    const whole = read(merged)
    for (const cell of whole.cells.map(rpc)) {
      const pieces = parts.map((p) => rpc(p.cells.find((c) => c.id === cell.id)))
      // Each shard ran 2 of the 4 users, so 2 multiplexed connections each.
      for (const p of pieces) expect(p.clients.connections).toBe(2)
      expect(cell.clients.connections).toBe(4)
      expect(cell.counts.sent).toBe(pieces[0]!.counts.sent + pieces[1]!.counts.sent)
      expect(cell.counts.ok).toBe(cell.counts.sent)
      expect(cell.latencyUs.count).toBe(cell.counts.ok)
      expect(accountingError(cell)).toBeUndefined()
      // 16 devices over 4 users: open + read + close on 4 devices = 12 calls in every round of every shard.
      expect(cell.counts.sent).toBe(12 * cell.rounds)
    }
  })

  it('refuses --shard without --broker', async () => {
    const r = await runCli('cli/scenario.ts', ['parallel-ble', '--shard', '0/2'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--shard 0\/2 needs --broker/)
  })
})
