import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { connectMqtt, endClient } from '../core/mqtt-connect.ts'

const TSX = ['--import', 'tsx', 'cli/simulator.ts']

function run(args: string[], timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...TSX, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('close', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })))
  })
}

describe('npm run simulator', () => {
  it.each([
    [['--devices', '-1'], /--devices must be a whole number from 1/],
    [['--gateways', '0'], /--gateways must be a whole number from 1/],
    [['--profile', 'nope'], /--profile must be one of ble-default, ble-flaky, instant/],
    [['--port', '70000'], /--port must be a whole number from 0 to 65535/],
    [['--broker', 'http://x'], /--broker: broker URL scheme http: is not supported; use mqtt:\/\/, mqtts:\/\/, ws:\/\/ or wss:\/\//],
    [['--broker', 'mqtt://127.0.0.1:1'], /cannot start the fleet on mqtt:\/\/127.0.0.1:1/],
    [['--auth', 'nocolon'], /--auth must be user:password/],
    [['--frobnicate'], /unknown option --frobnicate/],
    [['--conventions', 'envelope,amqp'], /^simulator: --conventions must be one of envelope, mqtt5, mqttnet, got "amqp"$/m],
    [['--conventions', 'mqtt5'], /--conventions mqtt5 needs an MQTT 5 broker, and the embedded broker speaks MQTT 3\.1\.1 only; add envelope/],
    [['--connect-rate', 'fast'], /^simulator: --connect-rate must be a rate like 200\/s/m],
    [['--reconnect-backoff', '30s..1s'], /--reconnect-backoff: the cap \(1s\) must not be below the base \(30s\)/],
  ])('refuses %j with one line and exit 2', async (args, message) => {
    const r = await run(args)
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(message)
  })

  it('serves the fleet, prints a ready-to-paste call and stops cleanly on SIGINT', async () => {
    const child = spawn(process.execPath, [...TSX, '--port', '0', '--devices', '10', '--gateways', '2'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready: ${out}`)), 15_000)
      child.stdout.on('data', (d) => {
        out += d
        const m = /broker\s+(mqtt:\/\/\S+)/.exec(out)
        if (m && out.includes('ready.')) {
          clearTimeout(timer)
          resolve(m[1]!)
        }
      })
    })
    expect(out).toMatch(/10 devices on 2 gateways/)
    expect(out).toMatch(/mosquitto_pub .* -t fleet\/ble-0001\/rpc\/info/)
    const c = await connectMqtt({ url }, { protocolVersion: 4 })
    await c.subscribeAsync('fleet/reply/cli', { qos: 1 })
    const reply = new Promise<string>((resolve) => c.once('message', (_t, p) => resolve(p.toString())))
    await c.publishAsync('fleet/ble-0010/rpc/info', JSON.stringify({ id: 1, replyTo: 'fleet/reply/cli' }), { qos: 1 })
    expect(JSON.parse(await reply)).toMatchObject({ id: 1, ok: true, result: { deviceId: 'ble-0010', gatewayId: 'gw-2' } })
    await endClient(c)
    const exit = new Promise<number | null>((resolve) => child.on('close', resolve))
    child.kill('SIGINT')
    expect(await exit).toBe(0)
    expect(out).toMatch(/stopped\. requests received 1, replied 1/)
  })
})
