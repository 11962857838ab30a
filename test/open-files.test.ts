/**
 * The open-files limit, for real: child processes started under a low `ulimit -n` (a shell may
 * lower its own limit without privilege). A fleet that cannot fit is refused before any load; a
 * process that runs out while connecting gets one line naming the limit and the fix; the embedded
 * broker of `npm run simulator` says so when it starts dropping connections, and keeps serving.
 */
import { spawn } from 'node:child_process'
import net from 'node:net'
import { describe, expect, it } from 'vitest'
import { connectMqtt, endClient } from '../core/mqtt-connect.ts'
import { MultiplexedRpcClient } from '../loadgen/clients/multiplexed.ts'
import { deadlineIn, okResult, until } from './support/client-contract.ts'
import type { CliRun } from './support/cli.ts'

/** `node --import tsx ARGS` under `ulimit -n limit` (soft and hard), bounded in time. */
function underLimit(limit: number, args: readonly string[], timeoutMs = 30_000): { done: Promise<CliRun>; output(): string; kill(signal: NodeJS.Signals): void } {
  const child = spawn('/bin/sh', ['-c', `ulimit -n ${limit} && exec "$0" "$@"`, process.execPath, '--import', 'tsx', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const done = new Promise<CliRun>((resolve) => child.on('close', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr }))))
  return { done, output: () => stdout + stderr, kill: (signal) => child.kill(signal) }
}

const FIX = /ulimit -n 65536/

describe.skipIf(process.platform !== 'linux')('the open-files limit', () => {
  it('refuses, before any load, a fleet on the embedded broker that cannot fit under the limit', async () => {
    const r = await underLimit(300, ['cli/simulator.ts', '--port', '0', '--devices', '40', '--gateways', '40']).done
    expect(r.code, r.stderr).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr.trim()).toMatch(/^simulator: --gateways 40 on the embedded broker need about 336 file descriptors, over the open-files limit of 300 \(ulimit -n; hard limit 300\); raise it with `ulimit -n 65536` .*, or use fewer --gateways$/)
  })

  it('turns running out while connecting into one line naming the limit and the fix', async () => {
    // In one process the client's socket or the broker's accept may hit the limit first: both read the same.
    const script = `
      import { startBroker } from './simulator/broker.ts'
      import { connectMqtt } from './core/mqtt-connect.ts'
      const broker = await startBroker()
      let n = 0
      try {
        for (; n < 500; n++) await connectMqtt({ url: broker.url }, { protocolVersion: 4 })
        console.log(JSON.stringify({ n }))
      } catch (err) {
        console.log(JSON.stringify({ n, code: err.code, message: err.message }))
      }
      process.exit(0)`
    const r = await underLimit(100, ['--input-type=module', '-e', script]).done
    expect(r.code, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout) as { n: number; code?: string; message?: string }
    expect(out.n).toBeLessThan(50)
    expect(out.code).toBe('EMFILE')
    expect(out.message).toMatch(/^out of file descriptors \(EMFILE\): this process reached the open-files limit of 100 \(ulimit -n; hard limit 100\); raise it with `ulimit -n 65536`/)
    expect(out.message).not.toContain('\n')
  })

  it('npm run simulator warns once when its broker starts dropping connections, and keeps serving', async () => {
    const sim = underLimit(300, ['cli/simulator.ts', '--port', '0', '--devices', '4', '--gateways', '2', '--profile', 'instant'])
    const sockets: net.Socket[] = []
    try {
      await until(() => sim.output().includes('ready.'), 'the simulator to be ready', 15_000)
      const url = /broker\s+(mqtt:\/\/\S+)/.exec(sim.output())![1]!
      const port = Number(new URL(url).port)
      const warned = (): boolean => /warning: the broker refused a connection/.test(sim.output())
      for (let i = 0; i < 400 && !warned(); i++) {
        const s = net.createConnection({ host: '127.0.0.1', port })
        s.on('error', () => undefined)
        sockets.push(s)
        await new Promise((r) => setTimeout(r, 2))
      }
      await until(warned, 'the out-of-files warning', 5000)
      const lines = sim.output().split('\n').filter((l) => l.includes('warning'))
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(/^simulator: warning: the broker refused a connection: out of file descriptors \(EMFILE\): this process reached the open-files limit of 300 \(ulimit -n; hard limit 300\); raise it with `ulimit -n 65536`/)
      expect(lines[0]).toMatch(FIX)
      for (const s of sockets.splice(0)) s.destroy()
      // The broker frees the descriptors as it sees the sockets close: connect once it has.
      for (let attempt = 1; ; attempt++) {
        try {
          await endClient(await connectMqtt({ url }, { protocolVersion: 4, connectTimeoutMs: 1000 }), true)
          break
        } catch (err) {
          if (attempt >= 50) throw err
          await new Promise((r) => setTimeout(r, 20))
        }
      }
      const c = new MultiplexedRpcClient({ broker: { url }, clientId: `fd-${process.pid}`, protocolVersion: 4 })
      await c.connect()
      try {
        okResult(await c.call('ble-0003', 'info', {}, { deadline: deadlineIn(3000) }))
      } finally {
        await c.close()
      }
    } finally {
      for (const s of sockets) s.destroy()
      sim.kill('SIGINT')
      const r = await sim.done
      expect(r.code, r.stderr).toBe(0)
    }
  }, 40_000)
})
