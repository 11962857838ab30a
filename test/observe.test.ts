/**
 * The fleet measures a user's own client: callers that are not fleetbench's (Python with Debian's
 * paho-mqtt) run as the wrapped command, and the recording must count exactly what each sent and
 * received, name each one's pattern, and exit with the command's code.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { accountingError } from '../core/accounting.ts'
import type { ObserveCell, RunResult } from '../core/result.ts'
import { runCli } from './support/cli.ts'

const dir = mkdtempSync(join(tmpdir(), 'fleetbench-observe-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A python3 that has paho-mqtt (Debian's python3-paho-mqtt lives beside /usr/bin/python3). */
function pythonWithPaho(): string | undefined {
  for (const py of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(py, ['-c', 'import paho.mqtt.client'], { stdio: 'ignore', timeout: 10_000 })
      return py
    } catch {
      // not this one
    }
  }
  return undefined
}
const python = pythonWithPaho()
const CALLERS = 'test/fixtures/callers'
const FLEET = ['--port', '0', '--devices', '12', '--gateways', '2', '--quiet']

const read = (out: string): RunResult => JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as RunResult
const cellOf = (r: RunResult, id: string): ObserveCell => {
  const c = r.cells.find((x) => x.id === id)
  if (c?.kind !== 'observe') throw new Error(`no observe cell ${id} in ${r.cells.map((x) => x.id).join(', ')}`)
  return c
}
interface CallerCounts {
  sent: number
  ok: number
  errors: number
  subscribes: number
  unsubscribes: number
  timeouts: number
}

describe.skipIf(python === undefined)(`npm run simulator -- --record DIR -- CMD (callers in Python${python ? '' : ': skipped, no python3 with paho-mqtt (apt-get install python3-paho-mqtt)'})`, () => {
  it('records an MQTTnet-style and a multiplexed caller exactly, names their patterns, and writes a report', async () => {
    const out = join(dir, 'two')
    // Both callers at once; each prints its own counts as JSON into the record directory.
    const both = `${python} ${CALLERS}/mqttnet_style.py > ${out}/a.json & ${python} ${CALLERS}/multiplexed.py > ${out}/b.json; wait`
    const r = await runCli('cli/simulator.ts', [...FLEET, '--record', out, '--', 'sh', '-c', both], 120_000)
    expect(r.code, r.stderr).toBe(0)
    const result = read(out)
    expect(result.scenario).toBe('observe')
    expect(result.cells.map((c) => c.id).sort()).toEqual(['py-mqttnet', 'py-mux'])
    for (const [id, file] of [['py-mqttnet', 'a.json'], ['py-mux', 'b.json']] as const) {
      const own = JSON.parse(readFileSync(join(out, file), 'utf8')) as CallerCounts
      const c = cellOf(result, id)
      expect(own.timeouts, id).toBe(0)
      expect(c.counts.sent, id).toBe(own.sent)
      expect(c.counts.ok + (c.counts.errors['device-error'] ?? 0), id).toBe(own.ok + own.errors)
      expect(c.counts.errors['device-error'], id).toBe(own.errors)
      expect(c.broker?.subscribe, id).toBe(own.subscribes)
      expect(c.broker?.unsubscribe, id).toBe(own.unsubscribes)
      expect(c.clients).toMatchObject({ connections: 1, disconnects: 1, teardownsWithPending: 0 })
      expect(accountingError(c)).toBeUndefined()
      expect(c.latencyUs.count).toBe(c.counts.ok)
    }
    const mqttnet = cellOf(result, 'py-mqttnet')
    expect(mqttnet.observe.subscribesPerCall).toBe(2)
    expect(mqttnet.observe.conventions.mqttnet).toBe(mqttnet.counts.sent)
    // Three threads, one call each at a time: never more than 3 in flight, and more than one at once
    // (all three at once is likely but not certain on a loaded machine: a thread may start late).
    expect(mqttnet.clients?.peakInFlight).toBeLessThanOrEqual(3)
    expect(mqttnet.clients?.peakInFlight).toBeGreaterThanOrEqual(2)
    const mux = cellOf(result, 'py-mux')
    expect(mux.broker?.subscribe).toBe(1)
    expect(mux.observe.conventions.envelope).toBe(mux.counts.sent)
    expect(mux.observe.replyTopics).toEqual(['fleet/reply/py-mux'])
    expect(mux.clients?.peakInFlight).toBe(6) // every device at once
    const findings = result.findings.join('\n')
    expect(findings).toMatch(/^py-mqttnet: subscribes per call \(MQTTnet RPC style\): 2\.00 SUBSCRIBE\+UNSUBSCRIBE per call/m)
    expect(findings).toMatch(/^py-mux: one response subscription with correlation \(multiplexed\): 1 SUBSCRIBE for 54 calls, up to 6 in flight/m)
    expect(existsSync(join(out, 'report.html'))).toBe(true)
    // The report and the gate read it like any result.
    const report = await runCli('cli/report.ts', [join(out, 'result.json'), '--out', join(out, 'again.html')])
    expect(report.code, report.stderr).toBe(0)
  })

  it("exits with the command's own code (3), the result still written", async () => {
    const out = join(dir, 'three')
    const r = await runCli('cli/simulator.ts', [...FLEET, '--record', out, '--', python!, `${CALLERS}/multiplexed.py`], 60_000, { CALLER_EXIT: '3', CALLER_ROUNDS: '1' })
    expect(r.code, r.stderr).toBe(3)
    expect(cellOf(read(out), 'py-mux').counts.sent).toBe(18)
    expect(read(out).notes.join(' ')).toMatch(/until the command exited with code 3/)
  })

  it('exits 99 when a threshold on the recorded callers fails, 0 when it passes', async () => {
    const fail = await runCli('cli/simulator.ts', [...FLEET, '--record', join(dir, 't1'), '--threshold', 'py-mux:p99<1us', '--', python!, `${CALLERS}/multiplexed.py`], 60_000, { CALLER_ROUNDS: '1' })
    expect(fail.code, fail.stderr).toBe(99)
    const pass = await runCli('cli/simulator.ts', [...FLEET, '--record', join(dir, 't2'), '--threshold', '*:errorRate<1%', '--', python!, `${CALLERS}/multiplexed.py`], 60_000, { CALLER_ROUNDS: '1' })
    expect(pass.code, pass.stderr).toBe(0)
  })

  it('npm run gate flags a caller whose p99 regressed between two recordings', async () => {
    // The same caller, the same fleet: first 2 devices at once, then 40 at once, whose opens queue
    // for the gateways' 2 radio slots (the kind of change a refactor of a caller makes).
    const record = (out: string, devices: string) =>
      runCli('cli/simulator.ts', ['--port', '0', '--devices', '40', '--gateways', '2', '--radio-slots', '2', '--quiet', '--record', out, '--', python!, `${CALLERS}/multiplexed.py`], 60_000, { CALLER_DEVICES: devices, CALLER_ROUNDS: '2' })
    const base = join(dir, 'base')
    const slow = join(dir, 'slow')
    expect((await record(base, '2')).code).toBe(0)
    expect((await record(slow, '40')).code).toBe(0)
    const g = await runCli('cli/gate.ts', ['--baseline', join(base, 'result.json'), join(slow, 'result.json')])
    expect(g.code, g.stdout + g.stderr).toBe(99)
    expect(g.stdout).toMatch(/py-mux\s+p99\s.*REGRESSED/)
  })
})

describe('the strict naive caller of parallel-ble, pointed at a recording fleet', () => {
  it('is seen as torn down with calls pending', async () => {
    const out = join(dir, 'strict')
    // A 60 ms shared deadline lands while SUBACKs are in flight: the emulated MQTTnet < 5.2 dispatcher tears down.
    const r = await runCli('cli/simulator.ts', ['--port', '0', '--devices', '200', '--gateways', '4', '--quiet', '--record', out, '--', process.execPath, '--import', 'tsx', `${CALLERS}/naive-strict.ts`],
      90_000, { CALLER_DEADLINE_MS: '60', CALLER_ROUNDS: '4' })
    expect(r.code, r.stderr).toBe(0)
    const own = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { protocolViolations: number; connections: number }
    expect(own.protocolViolations).toBeGreaterThan(0)
    const c = cellOf(read(out), 'naive-strict')
    const seen = JSON.stringify({ own, clients: c.clients, counts: c.counts })
    expect(c.clients?.connections, seen).toBe(own.connections)
    expect(c.clients?.disconnects, seen).toBe(own.connections)
    expect(c.clients?.teardownsWithPending, seen).toBeGreaterThanOrEqual(1)
    expect(c.broker!.subscribe / c.counts.sent).toBeGreaterThan(0.75) // a SUBSCRIBE per call; the teardowns cut the UNSUBSCRIBEs
    expect(read(out).findings.join('\n')).toMatch(/^naive-strict: subscribes per call \(MQTTnet RPC style\)/m)
    expect(read(out).findings.join('\n')).toMatch(/^naive-strict: torn down [\d,]+ times? with [\d,]+ calls? pending/m)
  })
})

describe.skipIf(python === undefined)('npm run simulator -- --record DIR --ready-file PATH (no wrapped command)', () => {
  it('writes the broker URL once the fleet answers, records a caller started by hand, and stops at --duration', async () => {
    const out = join(dir, 'ready')
    const ready = join(dir, 'ready.url')
    const sim = runCli('cli/simulator.ts', [...FLEET, '--record', out, '--ready-file', ready, '--duration', '6s'], 60_000)
    for (let i = 0; i < 200 && !existsSync(ready); i++) await new Promise((r) => setTimeout(r, 50))
    const url = readFileSync(ready, 'utf8').trim()
    expect(url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/)
    const devices = Array.from({ length: 12 }, (_, i) => `ble-${String(i + 1).padStart(4, '0')}`).join(',')
    execFileSync(python!, [`${CALLERS}/multiplexed.py`], { env: { ...process.env, FLEET_BROKER_URL: url, FLEET_DEVICES: devices, CALLER_ROUNDS: '1' }, timeout: 30_000 })
    const r = await sim
    expect(r.code, r.stderr).toBe(0)
    const c = cellOf(read(out), 'py-mux')
    expect(c.counts).toMatchObject({ sent: 18, ok: 18 })
    expect(read(out).notes.join(' ')).toMatch(/until --duration 6s passed/)
  })
})
