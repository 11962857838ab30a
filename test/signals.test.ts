import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { accountingError } from '../core/accounting.ts'
import type { RunResult } from '../core/result.ts'

const dir = mkdtempSync(join(tmpdir(), 'fleetbench-signals-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Starts a long run, sends `signals` once it has been running `afterMs`, and waits for the exit. */
function interrupt(out: string, signals: NodeJS.Signals[], afterMs: number, extra: string[] = []): Promise<{ code: number | null; stderr: string; ms: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/scenario.ts', 'parallel-ble', '--devices', '24', '--users', '2',
      '--strategies', 'multiplexed,serial', '--duration', '30s', ...(extra.length > 0 ? extra : ['--timeout', '400ms']), '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.stdout.resume()
    const kill = setTimeout(() => child.kill('SIGKILL'), 30_000)
    let sentAt = 0
    setTimeout(() => {
      sentAt = Date.now()
      signals.forEach((s, i) => setTimeout(() => child.kill(s), i * 200))
    }, afterMs)
    child.on('close', (code) => {
      clearTimeout(kill)
      resolve({ code, stderr, ms: Date.now() - sentAt })
    })
  })
}

describe('stopping a run with signals', () => {
  it('SIGINT: finishes in-flight rounds, writes a partial result and report, exits 130', async () => {
    const out = join(dir, 'int')
    const r = await interrupt(out, ['SIGINT'], 8000)
    expect(r.code, r.stderr).toBe(130)
    expect(r.stderr).toMatch(/SIGINT: stopping/)
    expect(r.ms).toBeLessThan(10_000) // the cell was 30 s long: it really stopped early
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as RunResult
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
    const r = await interrupt(out, ['SIGTERM'], 4000)
    expect(r.code, r.stderr).toBe(143)
    expect((JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as RunResult).partial).toBe(true)
  })

  it('a second Ctrl-C exits at once without writing', async () => {
    const out = join(dir, 'twice')
    // Slow opens and a long deadline keep the rounds in flight for seconds after the first SIGINT,
    // so the second one (200 ms later) surely lands before the partial result is written.
    const r = await interrupt(out, ['SIGINT', 'SIGINT'], 4000, ['--profile', 'ble-flaky', '--timeout', '5s'])
    expect(r.code, r.stderr).toBe(130)
    expect(r.stderr).toMatch(/SIGINT again: exiting at once/)
    expect(existsSync(join(out, 'result.json'))).toBe(false)
  })
})
