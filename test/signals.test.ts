/** SIGINT and SIGTERM work in every phase of a run: start-up, waiting, a cell, writing; and through npm run. */
import { SAME_PRESS_MS } from '../scenarios/stop.ts'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { accountingError } from '../core/accounting.ts'
import type { RunResult } from '../core/result.ts'

const dir = mkdtempSync(join(tmpdir(), 'fleetbench-signals-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const SCENARIO = [process.execPath, '--import', 'tsx', 'cli/scenario.ts']
const LONG_RUN = ['parallel-ble', '--devices', '24', '--users', '2', '--strategies', 'multiplexed,serial', '--duration', '30s']

interface Interrupted {
  code: number | null
  stderr: string
  /** From the first signal to the exit. */
  ms: number
}

/** Starts `command`, sends `signals` (200 ms apart) once it has run `afterMs`, and waits for the exit. */
function interrupt(command: string[], signals: NodeJS.Signals[], afterMs: number, env: Record<string, string> = {}): Promise<Interrupted> {
  return new Promise((resolve) => {
    const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.stdout.resume()
    const kill = setTimeout(() => child.kill('SIGKILL'), 30_000)
    let sentAt = 0
    setTimeout(() => {
      sentAt = Date.now()
      // Past the same-press window (a copy of one Ctrl-C that npm forwards is not a second press).
      signals.forEach((s, i) => setTimeout(() => child.kill(s), i * (SAME_PRESS_MS + 300)))
    }, afterMs)
    child.on('close', (code) => {
      clearTimeout(kill)
      resolve({ code, stderr, ms: Date.now() - sentAt })
    })
  })
}

const read = (out: string): RunResult => JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as RunResult

describe('stopping a run with signals', () => {
  it('SIGINT in a cell: finishes in-flight rounds, writes a partial result and report, exits 130', async () => {
    const out = join(dir, 'int')
    const r = await interrupt([...SCENARIO, ...LONG_RUN, '--timeout', '400ms', '--out', out], ['SIGINT'], 8000)
    expect(r.code, r.stderr).toBe(130)
    expect(r.stderr).toMatch(/SIGINT: stopping/)
    expect(r.ms).toBeLessThan(10_000) // the cell was 30 s long: it really stopped early
    const result = read(out)
    expect(result.partial).toBe(true)
    expect(result.cells.length).toBeGreaterThanOrEqual(1)
    expect(result.cells.length).toBeLessThan(2) // the second cell never started
    for (const c of result.cells) {
      expect(accountingError(c)).toBeUndefined()
      expect(c.counts.sent).toBeGreaterThan(0)
    }
    expect(existsSync(join(out, 'report.html'))).toBe(true)
  })

  it('SIGTERM: the same, exit 143', async () => {
    const out = join(dir, 'term')
    const r = await interrupt([...SCENARIO, ...LONG_RUN, '--timeout', '400ms', '--out', out], ['SIGTERM'], 4000)
    expect(r.code, r.stderr).toBe(143)
    expect(read(out).partial).toBe(true)
  })

  it('a second Ctrl-C exits at once without writing', async () => {
    const out = join(dir, 'twice')
    // Slow opens and a long deadline keep the rounds in flight for seconds after the first SIGINT,
    // so the second one (800 ms later) surely lands before the partial result is written.
    const r = await interrupt([...SCENARIO, ...LONG_RUN, '--profile', 'ble-flaky', '--timeout', '5s', '--out', out], ['SIGINT', 'SIGINT'], 4000)
    expect(r.code, r.stderr).toBe(130)
    expect(r.stderr).toMatch(/SIGINT again: exiting at once/)
    expect(existsSync(join(out, 'result.json'))).toBe(false)
  })

  it('while starting (modules still loading): exits 130 at once with one line, nothing run', async () => {
    const out = join(dir, 'starting')
    // Start-up held for 20 s, as on a cold and loaded machine; the signal comes 1.5 s in.
    const r = await interrupt([...SCENARIO, ...LONG_RUN, '--out', out], ['SIGINT'], 1500, { FLEETBENCH_TEST_SLOW_START_MS: '20000' })
    expect(r.ms).toBeLessThan(10_000) // it did not sit out the start-up
    expect(r.code, r.stderr).toBe(130)
    expect(r.stderr.trim()).toBe('scenario: SIGINT while starting: nothing was run')
    expect(existsSync(join(out, 'result.json'))).toBe(false)
  })

  it('while waiting for --start-at: stops waiting, writes a partial result with no cells, exits 143', async () => {
    const out = join(dir, 'waiting')
    const startAt = new Date(Date.now() + 120_000).toISOString()
    const r = await interrupt([...SCENARIO, ...LONG_RUN, '--start-at', startAt, '--out', out], ['SIGTERM'], 3000)
    expect(r.code, r.stderr).toBe(143)
    expect(r.ms).toBeLessThan(10_000)
    const result = read(out)
    expect(result.partial).toBe(true)
    expect(result.cells).toEqual([])
  })

  it('while writing: the write finishes (no result is lost) and the run exits 130', async () => {
    const out = join(dir, 'writing')
    // Two 300 ms cells, then a write held for 4 s: the signal lands in the middle of it.
    const args = ['parallel-ble', '--devices', '8', '--gateways', '2', '--users', '2', '--strategies', 'multiplexed,serial', '--profile', 'instant', '--duration', '300ms', '--out', out]
    const r = await interrupt([...SCENARIO, ...args], ['SIGINT'], 4500, { FLEETBENCH_TEST_SLOW_WRITE_MS: '4000' })
    expect(r.code, r.stderr).toBe(130)
    const result = read(out)
    expect(result.cells.map((c) => c.id)).toEqual(['multiplexed', 'serial'])
    expect(existsSync(join(out, 'report.html'))).toBe(true)
  })

  it('SIGTERM to `npm run scenario` reaches the run: no orphan goes on running', async () => {
    const out = join(dir, 'npm')
    const r = await interrupt(['npm', 'run', '-s', 'scenario', '--', ...LONG_RUN, '--timeout', '400ms', '--out', out], ['SIGTERM'], 5000)
    expect(r.code, r.stderr).toBe(143)
    expect(r.stderr).toMatch(/stopped by SIGTERM; partial result written/)
    expect(read(out).partial).toBe(true)
  })
})
