import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { accountingError } from '../core/accounting.ts'
import type { RunResult } from '../core/result.ts'
import { connectMqtt, endClient } from '../core/mqtt-connect.ts'
import { runCli } from './support/cli.ts'
import { mosquittoAvailable, startMosquitto, type MosquittoBroker } from './support/mosquitto.ts'
import { rpc } from './support/results.ts'

const dir = mkdtempSync(join(tmpdir(), 'fleetbench-restart-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const read = (out: string): RunResult => JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as RunResult
const SMALL = ['--devices', '24', '--users', '2', '--ack-mode', 'lenient', '--timeout', '400ms', '--quiet']

/** The run survived: every cell accounted, some calls lost to the cut, calls answered again after it. */
function expectSurvived(result: RunResult, cutAtSec: number): void {
  for (const c of result.cells) {
    expect(c.status, c.error).toBe('ok')
    expect(accountingError(c)).toBeUndefined()
    expect(c.counts.errors.disconnected, `${c.id} lost no call to the cut`).toBeGreaterThan(0)
    const after = c.series.filter((p) => p.t > cutAtSec + 1).reduce((n, p) => n + p.ok, 0)
    expect(after, `${c.id} answered nothing after the restart`).toBeGreaterThan(0)
  }
}

describe('broker restart in the middle of a run', () => {
  it('embedded broker (--fault broker-restart): clients reconnect, pending calls count as disconnected, the run completes', async () => {
    const out = join(dir, 'embedded')
    const r = await runCli('cli/scenario.ts', ['parallel-ble', ...SMALL, '--strategies', 'naive-parallel,multiplexed', '--duration', '4s',
      '--fault', 'broker-restart@1500ms:500ms', '--out', out], 90_000)
    expect([0, 99], r.stderr).toContain(r.code) // 99: the default error-rate threshold may fail under the fault
    const result = read(out)
    expectSurvived(result, 2)
    expect(rpc(result.cells.find((c) => c.id === 'naive-parallel')).clients.connections).toBeGreaterThan(2)
  })

  it('refuses --fault broker-restart with an external broker', async () => {
    const r = await runCli('cli/scenario.ts', ['parallel-ble', '--broker', 'mqtt://127.0.0.1:1', '--fault', 'broker-restart@1s'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--fault broker-restart restarts the embedded broker/)
  })

  const skip = mosquittoAvailable()
  it.skipIf(skip !== undefined)(`external Mosquitto killed and restarted on the same port${skip ? ` [skipped: ${skip}]` : ''}`, async () => {
    let broker: MosquittoBroker | undefined = await startMosquitto()
    const port = broker.port
    const out = join(dir, 'mosquitto')
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'cli/scenario.ts', 'parallel-ble', ...SMALL, '--strategies', 'multiplexed',
        '--duration', '5s', '--broker', broker.url, '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] })
      let stderr = ''
      child.stderr.on('data', (d) => (stderr += d))
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
      // Wait until replies flow (the load has started), then cut into the load.
      const watcher = await connectMqtt({ url: broker.url }, { protocolVersion: 4 })
      const flowing = new Promise<void>((resolve) => watcher.once('message', () => resolve()))
      await watcher.subscribeAsync('fleet/reply/#', { qos: 0 })
      await Promise.race([flowing, new Promise((r) => setTimeout(r, 20_000))])
      await endClient(watcher, true)
      await new Promise((r) => setTimeout(r, 1500))
      process.kill(broker.pid, 'SIGKILL')
      await broker.stop()
      await new Promise((r) => setTimeout(r, 500))
      broker = await startMosquitto({ port })
      expect([0, 99], stderr).toContain(await exited)
      const result = read(out)
      for (const c of result.cells) {
        expect(accountingError(c)).toBeUndefined()
        expect(c.counts.errors.disconnected).toBeGreaterThan(0)
        expect(c.series.at(-1)!.ok + c.series.at(-2)!.ok).toBeGreaterThan(0)
      }
    } finally {
      await broker?.stop()
    }
  })
})
