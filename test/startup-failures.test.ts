/**
 * Every start-up failure ends the command by itself with its one line and its code: a busy port,
 * a bad host, an unreachable broker, a broker that accepts TCP but never answers MQTT.
 */
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './support/cli.ts'

let busy: net.Server
let silent: net.Server
const silentSockets = new Set<net.Socket>()
const portOf = (s: net.Server): number => (s.address() as net.AddressInfo).port
const listening = (s: net.Server): Promise<void> => new Promise((resolve) => s.listen(0, '127.0.0.1', resolve))

beforeAll(async () => {
  busy = net.createServer()
  // Accepts connections and never says a word: no CONNACK ever comes.
  silent = net.createServer((socket) => {
    silentSockets.add(socket)
    socket.on('close', () => silentSockets.delete(socket))
  })
  await Promise.all([listening(busy), listening(silent)])
})
afterAll(async () => {
  for (const s of silentSockets) s.destroy()
  await Promise.all([busy, silent].map((s) => new Promise((r) => s.close(r))))
})

/** The command must end on its own: a hang would be killed at 20 s and show as code null. */
async function expectOneLine(script: string, args: string[], code: number, message: RegExp): Promise<void> {
  const r = await runCli(script, args, 20_000)
  expect(r.code, `${r.stderr}${r.stdout}`).toBe(code)
  const lines = r.stderr.trim().split('\n')
  expect(lines, r.stderr).toHaveLength(1)
  expect(lines[0]).toMatch(message)
}

describe('start-up failures end the command with one line', () => {
  it('simulator: a busy port', async () => {
    await expectOneLine('cli/simulator.ts', ['--port', String(portOf(busy)), '--devices', '4'], 2, new RegExp(`^simulator: port ${portOf(busy)} on 127\\.0\\.0\\.1 is in use; pick another with --port`))
  })

  it('simulator: a host that is not this machine', async () => {
    await expectOneLine('cli/simulator.ts', ['--host', '192.0.2.1', '--port', '0', '--devices', '4'], 2, /^simulator: --host 192\.0\.2\.1 is not an address of this machine$/)
  })

  it('simulator: an unreachable --broker', async () => {
    await expectOneLine('cli/simulator.ts', ['--broker', 'mqtt://127.0.0.1:1', '--devices', '4'], 2, /^simulator: cannot start the fleet on mqtt:\/\/127\.0\.0\.1:1: .*; check --broker and credentials$/)
  })

  it('simulator: a --broker that never answers MQTT (connect deadline)', async () => {
    await expectOneLine('cli/simulator.ts', ['--broker', `mqtt://127.0.0.1:${portOf(silent)}`, '--devices', '4'], 2, /^simulator: cannot start the fleet on .*: no CONNACK from .* within 5000 ms/)
  })

  it('scenario: an unreachable --broker, before any load', async () => {
    await expectOneLine('cli/scenario.ts', ['parallel-ble', '--broker', 'mqtt://127.0.0.1:1', '--devices', '4', '--quiet'], 2, /^scenario: cannot connect to --broker mqtt:\/\/127\.0\.0\.1:1: /)
  })

  it('scenario: a --broker that never answers MQTT (probe deadline)', async () => {
    await expectOneLine('cli/scenario.ts', ['channel-capacity', '--broker', `mqtt://127.0.0.1:${portOf(silent)}`, '--quiet'], 2, /^scenario: cannot connect to --broker .*: no CONNACK from .* within 5000 ms/)
  })
})
