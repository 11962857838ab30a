/** A result is never lost: the output directory replaced by a file mid-run sends the result to a fallback file. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { accountingError } from '../core/accounting.ts'
import type { RunResult } from '../core/result.ts'
import { runCli } from './support/cli.ts'

const dir = mkdtempSync(join(tmpdir(), 'fleetbench-fallback-'))
const spares: string[] = []
afterAll(() => [dir, ...spares].forEach((d) => rmSync(d, { recursive: true, force: true })))

describe('a result is never lost', () => {
  it('writes the full result to the printed fallback path when --out is replaced by a file mid-run, exit 1', async () => {
    const out = join(dir, 'out')
    const run = runCli('cli/scenario.ts', ['parallel-ble', '--devices', '12', '--gateways', '2', '--users', '2', '--strategies', 'multiplexed,serial',
      '--duration', '1500ms', '--profile', 'instant', '--out', out, '--quiet'], 60_000)
    // The directory is proven at start-up; replace it while the cells run.
    for (let i = 0; i < 100 && !existsSync(out); i++) await new Promise((r) => setTimeout(r, 50))
    await new Promise((r) => setTimeout(r, 1000))
    rmSync(out, { recursive: true, force: true })
    writeFileSync(out, 'not a directory any more')
    const r = await run
    expect(r.code, r.stderr).toBe(1)
    const m = /cannot write .*out\/result\.json: (.+); the result was saved to (\S+result\.json) instead/.exec(r.stderr)
    expect(m, r.stderr).not.toBeNull()
    expect(m![1]).toBe('not a directory')
    const saved = m![2]!
    spares.push(dirname(saved))
    const result = JSON.parse(readFileSync(saved, 'utf8')) as RunResult
    expect(result.partial).toBe(false)
    expect(result.cells.map((c) => c.id)).toEqual(['multiplexed', 'serial'])
    for (const c of result.cells) {
      expect(accountingError(c)).toBeUndefined()
      expect(c.counts.sent).toBeGreaterThan(0)
    }
    expect(existsSync(join(dirname(saved), 'report.html'))).toBe(true)
    expect(readFileSync(out, 'utf8')).toBe('not a directory any more')
  })
})
