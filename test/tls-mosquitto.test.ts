/**
 * mqtts:// against a real Mosquitto TLS listener, with a CA, server and client certificate made by
 * openssl inside the test: the fleet and clients connect with --ca (and --cert/--key for mutual
 * TLS); without the CA, to a name the certificate does not carry, or without a client certificate
 * where one is required, the connection is refused. Plus the option checks, which need neither.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { deadlineIn, okResult, until } from './support/client-contract.ts'
import { MultiplexedRpcClient } from '../loadgen/clients/multiplexed.ts'
import { accountingError } from '../core/accounting.ts'
import type { RunResult } from '../core/result.ts'
import { startSimulation, type Simulation } from '../simulator/fleet.ts'
import { connectMqtt, type BrokerTarget } from '../core/mqtt-connect.ts'
import { PROFILES } from '../simulator/profiles.ts'
import { makeTestPki, opensslAvailable, type TestPki } from './support/certs.ts'
import { runCli } from './support/cli.ts'
import { mosquittoAvailable, startMosquitto, type MosquittoBroker } from './support/mosquitto.ts'

const skip = mosquittoAvailable() ?? opensslAvailable()
const CERT_ERROR = /certificate|self[- ]signed|unable to verify/i

describe.skipIf(skip !== undefined)(`mqtts:// against a Mosquitto TLS listener${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  let pki: TestPki
  let tls: MosquittoBroker
  let mutual: MosquittoBroker
  let sim: Simulation | undefined
  const clients: MultiplexedRpcClient[] = []
  const out = mkdtempSync(join(tmpdir(), 'fleetbench-tls-'))

  beforeAll(async () => {
    pki = await makeTestPki()
    const server = { cafile: pki.ca, certfile: pki.serverCert, keyfile: pki.serverKey }
    tls = await startMosquitto({ tls: server })
    mutual = await startMosquitto({ tls: { ...server, requireCertificate: true } })
  }, 30_000)
  afterAll(async () => {
    await tls?.stop()
    await mutual?.stop()
    await pki?.remove()
    rmSync(out, { recursive: true, force: true })
  })
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close()
    await sim?.close()
    sim = undefined
  })

  async function fleetAndCall(target: BrokerTarget): Promise<void> {
    sim = await startSimulation({ devices: 4, gateways: 2, profile: PROFILES.instant!, seed: 1 }, { external: target })
    const c = new MultiplexedRpcClient({ broker: target, clientId: `tls-${process.pid}-${clients.length}` })
    clients.push(c)
    await c.connect()
    expect(okResult(await c.call('ble-0003', 'info', {}, { deadline: deadlineIn(3000) }))).toMatchObject({ deviceId: 'ble-0003', gatewayId: 'gw-2' })
    expect(c.protocolVersion).toBe(5)
  }

  it('serves the fleet and a multiplexed client over mqtts:// with --ca', async () => {
    expect(tls.url).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/)
    await fleetAndCall({ url: tls.url, ca: pki.ca })
  })

  it('refuses a client without the CA, and a name the certificate does not carry', async () => {
    await expect(connectMqtt({ url: tls.url })).rejects.toThrow(CERT_ERROR)
    // The certificate names IP 127.0.0.1 only: the same broker as "localhost" must not be trusted.
    await expect(connectMqtt({ url: tls.url.replace('127.0.0.1', 'localhost'), ca: pki.ca })).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' })
  })

  it('does mutual TLS with --cert/--key, and a client without a certificate is refused', async () => {
    await expect(connectMqtt({ url: mutual.url, ca: pki.ca }, { connectTimeoutMs: 3000 })).rejects.toThrow(/certificate required/i)
    await fleetAndCall({ url: mutual.url, ca: pki.ca, cert: pki.clientCert, key: pki.clientKey })
  })

  it('npm run simulator attaches the fleet to an mqtts:// broker with --ca, --cert, --key', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/simulator.ts', '--broker', mutual.url, '--ca', pki.ca, '--cert', pki.clientCert, '--key', pki.clientKey,
      '--devices', '4', '--gateways', '2'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let text = ''
    child.stdout.on('data', (d) => (text += d))
    child.stderr.on('data', (d) => (text += d))
    const exit = new Promise<number | null>((resolve) => child.on('close', resolve))
    try {
      await until(() => text.includes('ready.') || child.exitCode !== null, 'the simulator to be ready', 15_000)
      expect(text).toMatch(/external, gateways speak MQTT 5/)
      const c = new MultiplexedRpcClient({ broker: { url: mutual.url, ca: pki.ca, cert: pki.clientCert, key: pki.clientKey }, clientId: `tls-cli-${process.pid}` })
      clients.push(c)
      await c.connect()
      okResult(await c.call('ble-0001', 'info', {}, { deadline: deadlineIn(3000) }))
    } finally {
      child.kill('SIGINT')
      expect(await exit, text).toBe(0)
    }
  }, 30_000)

  it('runs parallel-ble end to end over mutual TLS (--ca, --cert, --key) and refuses it without --ca', async () => {
    const common = ['parallel-ble', '--devices', '8', '--gateways', '2', '--users', '2', '--duration', '500ms', '--timeout', '2s',
      '--profile', 'instant', '--strategies', 'naive-parallel,multiplexed', '--ack-mode', 'lenient', '--workers', '1', '--quiet']
    const r = await runCli('cli/scenario.ts', [...common, '--broker', mutual.url, '--ca', pki.ca, '--cert', pki.clientCert, '--key', pki.clientKey, '--out', out], 90_000)
    expect(r.code, r.stderr).toBe(0)
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as RunResult
    expect(result.environment.broker).toMatchObject({ kind: 'mosquitto', protocolVersion: 5, url: mutual.url })
    expect(result.cells).toHaveLength(2)
    for (const c of result.cells) {
      expect(accountingError(c)).toBeUndefined()
      expect(c.counts.sent).toBeGreaterThan(0)
      expect(c.counts.ok).toBe(c.counts.sent)
    }

    const refused = await runCli('cli/scenario.ts', [...common, '--broker', tls.url, '--out', join(out, 'refused')], 60_000)
    expect(refused.code).toBe(2)
    expect(refused.stderr.trim().split('\n')).toHaveLength(1)
    expect(refused.stderr).toMatch(/cannot connect to --broker mqtts:\/\//)
    expect(refused.stderr).toMatch(CERT_ERROR)
  }, 120_000)
})

describe('broker access options', () => {
  const missing = join(tmpdir(), 'fleetbench-no-such-dir', 'ca.pem')
  const files = mkdtempSync(join(tmpdir(), 'fleetbench-pem-'))
  afterAll(() => rmSync(files, { recursive: true, force: true }))
  // Any readable file with a PEM block passes the parse-time check; the broker judges the rest.
  const readable = join(files, 'ok.pem')
  writeFileSync(readable, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')
  const empty = join(files, 'empty.pem')
  writeFileSync(empty, '')
  const badFiles: Array<[string[], RegExp]> = [
    [['--ca', missing], /^--ca .*ca\.pem: no such file; give the path of a PEM file$/],
    [['--ca', files], /^--ca .*: is a directory; give the path of a PEM file$/],
    [['--cert', empty, '--key', readable], /^--cert .*empty\.pem: the file is empty; give the path of a PEM file$/],
    [['--key', 'package.json', '--cert', readable], /^--key package\.json: not a PEM file \(no -----BEGIN line\); give the path of a PEM file$/],
    [['--ca', '/dev/null'], /^--ca \/dev\/null: is not a regular file; give the path of a PEM file$/],
  ]

  it.each([
    ...badFiles,
    [['--cert', readable], /--cert and --key go together/],
    [['--ca', readable], /--ca, --cert and --key apply to an mqtts:\/\/ or wss:\/\/ --broker/],
    [['--broker', 'mqtt://127.0.0.1:1', '--ca', readable], /apply to an mqtts:\/\/ or wss:\/\/ --broker; use mqtts:/],
    [['--broker', 'ws://127.0.0.1:1', '--ca', readable], /apply to an mqtts:\/\/ or wss:\/\/ --broker; use mqtts:\/\/host:8883 or wss:/],
    [['--broker', 'mqtt://127.0.0.1:1', '--auth', 'alice:pw'], /--auth locks down the embedded broker; for --broker give its credentials/],
    [['--auth', 'gateway/gw-1:pw'], /reserved for the gateways/],
  ])('npm run scenario refuses %j with one line and exit 2', async (args, message) => {
    const r = await runCli('cli/scenario.ts', ['parallel-ble', '--devices', '4', '--duration', '200ms', '--quiet', ...args], 30_000)
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr.trim().replace(/^scenario: /, '')).toMatch(message)
  })

  it.each([
    ...badFiles,
    [['--key', readable], /--cert and --key go together/],
    [['--port', '0', '--ca', readable], /the embedded broker speaks plain MQTT/],
    [['--broker', 'mqtt://127.0.0.1:1', '--auth', 'alice:pw'], /--auth locks down the embedded broker/],
  ])('npm run simulator refuses %j with one line and exit 2', async (args, message) => {
    const r = await runCli('cli/simulator.ts', args, 30_000)
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr.trim().replace(/^simulator: /, '')).toMatch(message)
  })
})
