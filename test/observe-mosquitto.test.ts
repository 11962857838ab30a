/**
 * Recording against an external MQTT 5 broker (Mosquitto): the gateways still record service time,
 * outcomes, conventions and the callers' reply topics; what only a broker sees is listed as
 * unavailable, never guessed. The caller is Mosquitto's own mosquitto_rr.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunResult } from '../core/result.ts'
import { runCli } from './support/cli.ts'
import { findExecutable, mosquittoAvailable, startMosquitto, type MosquittoBroker } from './support/mosquitto.ts'

const rr = findExecutable('mosquitto_rr')
const skipReason = mosquittoAvailable() ?? (rr === undefined ? 'mosquitto_rr is not installed (apt-get install mosquitto-clients)' : undefined)
const dir = mkdtempSync(join(tmpdir(), 'fleetbench-observe-mq-'))

describe.skipIf(skipReason !== undefined)(`recording on Mosquitto with mosquitto_rr${skipReason ? ` [skipped: ${skipReason}]` : ''}`, () => {
  let broker: MosquittoBroker | undefined
  beforeAll(async () => {
    broker = await startMosquitto()
  }, 30_000)
  afterAll(async () => {
    await broker?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('counts the MQTT 5 calls by reply topic and marks the broker-only figures unavailable', async () => {
    const out = join(dir, 'rr')
    // Three MQTT 5 request/response calls (Response Topic + Correlation Data), one at a time.
    const calls = Array.from({ length: 3 }, (_, i) => `${rr} -h 127.0.0.1 -p ${broker!.port} -V mqttv5 -t fleet/ble-000${i + 1}/rpc/info -e fleet/reply/rr -m '{}' -W 5 >/dev/null`).join(' && ')
    const r = await runCli('cli/simulator.ts', ['--broker', broker!.url, '--devices', '4', '--gateways', '2', '--quiet', '--record', out, '--', 'sh', '-c', calls], 60_000)
    expect(r.code, r.stderr).toBe(0)
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as RunResult
    expect(result.cells.map((c) => c.id)).toEqual(['fleet/reply/rr'])
    const c = result.cells[0]!
    if (c.kind !== 'observe') throw new Error('expected an observe cell')
    expect(c.counts).toEqual({ sent: 3, ok: 3, dropped: 0, errors: { 'device-error': 0, 'bad-request': 0, undeliverable: 0 } })
    expect(c.observe.conventions.mqtt5).toBe(3)
    expect(c.observe.verbs).toEqual({ info: 3 })
    expect(c.serviceUs.count).toBe(3)
    expect(c.latencyUs.count).toBe(0)
    expect(c.unavailable).toEqual(['latencyUs', 'broker', 'clients', 'undeliverable'])
    expect(c).not.toHaveProperty('broker')
    expect(result.notes.join(' ')).toMatch(/Attached to an external broker/)
  })
})
