import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { accountingError } from '../core/accounting.ts'
import { isTelemetryCell, type TelemetryCell } from '../core/result.ts'
import { readResult } from '../reports/read.ts'
import { runCli } from './support/cli.ts'

const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

describe('npm run scenario -- telemetry-vs-rpc (a few devices, real sockets, the caller in its own process)', () => {
  it('runs every pattern with sent = ok + errors + dropped, and telemetry costs the broker fewer messages per sample than rpc', async () => {
    const out = mkdtempSync(join(tmpdir(), 'fleetbench-tvr-'))
    dirs.push(out)
    const r = await runCli('cli/scenario.ts', ['telemetry-vs-rpc', '--devices', '6', '--gateways', '2', '--hz', '5', '--duration', '1s', '--out', out, '--quiet'], 120_000)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    // Read back through the schema check, like report, merge and gate do.
    const result = await readResult(join(out, 'result.json'))
    expect(existsSync(join(out, 'report.html'))).toBe(true)
    const cells = result.cells.filter(isTelemetryCell)
    expect(cells.map((c) => c.id)).toEqual(['rpc-5hz', 'telemetry-5hz', 'report-by-exception-5hz'])
    const cell = (p: string): TelemetryCell => cells.find((c) => c.labels.pattern === p)!
    for (const c of cells) {
      expect(c.status, `${c.id}: ${c.error}`).toBe('ok')
      expect(accountingError(c)).toBeUndefined()
      // 6 devices × 2 characteristics × 5 Hz × 1 s: every pattern is due the same samples.
      expect(c.counts.sent).toBe(60)
      expect(c.telemetry.callerCpuUs).toBeGreaterThan(0)
      expect(c.latencyUs.count).toBeGreaterThan(0)
    }
    const rpc = cell('rpc')
    const tel = cell('telemetry')
    const rbe = cell('report-by-exception')
    // A read is a request and a reply, each into the broker and out of it; a telemetry sample one message in and out.
    expect(rpc.telemetry.published).toBe(60)
    expect(rpc.telemetry.brokerPublishIn).toBeGreaterThanOrEqual(rpc.telemetry.published + rpc.counts.ok)
    expect(rpc.telemetry.brokerPublishIn).toBeLessThanOrEqual(2 * rpc.telemetry.published)
    expect(rpc.telemetry.messagesPerSample).toBeGreaterThanOrEqual(4)
    expect(tel.counts.ok).toBe(60)
    expect(tel.telemetry.brokerPublishIn).toBe(60)
    expect(tel.telemetry.brokerPublishOut).toBe(60)
    expect(tel.telemetry.messagesPerSample).toBe(2)
    expect(tel.telemetry.messagesPerSample).toBeLessThan(rpc.telemetry.messagesPerSample)
    expect(tel.telemetry.bytesPerSample).toBeLessThan(rpc.telemetry.bytesPerSample)
    // Report-by-exception published only the changes (the first sample of each stream among them) and lost none.
    expect(rbe.counts.ok).toBe(60)
    expect(rbe.telemetry.published).toBeGreaterThanOrEqual(12)
    expect(rbe.telemetry.published).toBeLessThan(60)
    expect(rbe.telemetry.messagesPerSample).toBeLessThan(tel.telemetry.messagesPerSample)
    expect(result.thresholds.map((t) => [t.cell, t.pass])).toEqual([['telemetry-5hz', true], ['report-by-exception-5hz', true]])
    expect(result.findings).toHaveLength(4)
    const html = readFileSync(join(out, 'report.html'), 'utf8')
    expect(html).toContain('id="figure-telemetry-messages"')
  }, 130_000)
})
