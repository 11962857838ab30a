import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { accountingError } from '../core/accounting.ts'
import type { RunResult } from '../core/result.ts'
import { runCli } from './support/cli.ts'
import { mosquittoAvailable, startMosquitto, type MosquittoBroker } from './support/mosquitto.ts'
import { rpc } from './support/results.ts'

const skip = mosquittoAvailable()

describe.skipIf(skip !== undefined)(`parallel-ble against Mosquitto (MQTT 5)${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  let broker: MosquittoBroker
  const out = mkdtempSync(join(tmpdir(), 'fleetbench-mosq-'))
  beforeAll(async () => {
    broker = await startMosquitto()
  })
  afterAll(async () => {
    await broker?.stop()
    rmSync(out, { recursive: true, force: true })
  })

  it('attaches the fleet to the external broker, speaks MQTT 5 and records the broker in the environment', async () => {
    const r = await runCli('cli/scenario.ts', ['parallel-ble', '--broker', broker.url, '--devices', '12', '--gateways', '2', '--users', '2',
      '--duration', '800ms', '--timeout', '2s', '--profile', 'instant', '--strategies', 'naive-parallel,multiplexed', '--ack-mode', 'lenient', '--out', out, '--quiet'])
    expect(r.code, r.stderr).toBe(0)
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as RunResult
    expect(result.environment.broker).toMatchObject({ kind: 'mosquitto', protocolVersion: 5, noDelay: true, url: broker.url })
    expect(result.environment.broker.version).toMatch(/^\d+\.\d+/)
    expect(result.notes.join(' ')).not.toMatch(/TCP_NODELAY/)
    for (const c of result.cells.map(rpc)) {
      expect(accountingError(c)).toBeUndefined()
      expect(c.counts.ok).toBe(c.counts.sent)
      // An external broker's packets are counted by the clients that sent them.
      expect(c.broker.source).toBe('clients')
    }
    const naive = rpc(result.cells.find((c) => c.id === 'naive-parallel'))
    expect(naive.broker.subscribe).toBe(naive.counts.sent)
    expect(rpc(result.cells.find((c) => c.id === 'multiplexed')).broker.subscribe).toBe(2)
  })
})
