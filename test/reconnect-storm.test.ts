/** reconnect-storm end to end on a small fleet (real sockets): every gateway recovers, in each fault, and the figures add up. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { accountingError } from '../core/accounting.ts'
import { isRecoveryCell, type RunResult } from '../core/result.ts'
import { runCli } from './support/cli.ts'

const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

async function storm(fault: string): Promise<RunResult> {
  const out = mkdtempSync(join(tmpdir(), 'fleetbench-storm-'))
  dirs.push(out)
  const r = await runCli('cli/scenario.ts', ['reconnect-storm', '--gateways', '20', '--devices-per-gateway', '3', '--connect-rate', '0,40', '--fault', fault,
    '--downtime', '300ms', '--warm-up', '400ms', '--reconnect-backoff', '50ms..400ms', '--call-rate', '50', '--call-timeout', '500ms', '--recovery-timeout', '20s', '--out', out, '--quiet'], 120_000)
  expect(r.code, r.stderr).toBe(0)
  return JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as RunResult
}

describe('npm run scenario -- reconnect-storm (20 gateways)', () => {
  it.each(['broker-restart', 'cut'])('%s: every gateway is back, CONNECTs are counted, the caller succeeds again', async (fault) => {
    const result = await storm(fault)
    expect(result.cells.map((c) => c.id)).toEqual(['connect-rate-0', 'connect-rate-40'])
    for (const c of result.cells) {
      if (!isRecoveryCell(c)) throw new Error(`${c.id} is a ${c.kind} cell`)
      expect(c.status, c.error).toBe('ok')
      expect(accountingError(c)).toBeUndefined()
      const r = c.recovery
      // Envelope convention: one filter per device, plus each gateway's batch topic.
      expect(r).toMatchObject({ fault, gateways: 20, recovered: 20, filtersRestored: 20 * (3 + 1) })
      expect(r.recoveryUs.count).toBe(20)
      expect(r.attempts).toBeGreaterThanOrEqual(20)
      expect(r.connackUs.count).toBeGreaterThanOrEqual(20)
      expect(r.downtimeMs).toBeGreaterThanOrEqual(300)
      expect(c.counts.ok).toBeGreaterThan(0)
    }
    // Paced at 40/s, 20 gateways cannot all get in within one second: the peak stays at the pace.
    const paced = result.cells[1]
    if (paced && isRecoveryCell(paced)) expect(paced.recovery.peakAttemptsPerSec).toBeLessThanOrEqual(40 + 1)
    expect(result.thresholds.every((t) => t.pass)).toBe(true)
    expect(result.findings.some((f) => f.startsWith('Pacing against all at once'))).toBe(true)
  })
})
