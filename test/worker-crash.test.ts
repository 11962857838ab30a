import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { accountingError } from '../core/accounting.ts'
import type { RunResult } from '../core/result.ts'
import { runCli } from './support/cli.ts'

const dir = mkdtempSync(join(tmpdir(), 'fleetbench-crash-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('a worker thread crashing mid-cell', () => {
  it('fails that cell with a clear error, keeps the other cells, and exits non-zero', async () => {
    const r = await runCli('cli/scenario.ts', ['parallel-ble', '--devices', '16', '--users', '2', '--strategies', 'serial,multiplexed,batch',
      '--duration', '1s', '--profile', 'instant', '--out', dir, '--quiet'], 90_000, { FLEETBENCH_CRASH_WORKER: 'multiplexed' })
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/cell multiplexed failed: worker 0 crashed/)
    const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as RunResult
    const byId = Object.fromEntries(result.cells.map((c) => [c.id, c]))
    expect(byId.multiplexed!.status).toBe('failed')
    expect(byId.multiplexed!.error).toMatch(/worker 0 crashed/)
    for (const id of ['serial', 'batch']) {
      expect(byId[id]!.status).toBe('ok')
      expect(byId[id]!.counts.ok).toBeGreaterThan(0)
      expect(accountingError(byId[id]!)).toBeUndefined()
    }
  })
})
