import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { escapeHtml } from '../reports/escape.ts'
import { readResult, SCHEMA_URL, validateResult } from '../reports/read.ts'
import { SCENARIOS } from '../scenarios/registry.ts'
import { runCli } from './support/cli.ts'

const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

/** Small runs per scenario; a scenario not listed here runs with --quick. */
const SMALL: Record<string, string[]> = {
  'parallel-ble': ['--devices', '12', '--gateways', '2', '--users', '2', '--duration', '500ms', '--timeout', '400ms', '--pool-size', '2'],
  'telemetry-vs-rpc': ['--devices', '6', '--gateways', '2', '--hz', '2,5', '--duration', '1s'],
  'reconnect-storm': ['--gateways', '10', '--devices-per-gateway', '2', '--connect-rate', '0,50', '--downtime', '200ms', '--warm-up', '200ms', '--reconnect-backoff', '20ms..200ms', '--recovery-timeout', '10s'],
}

describe('every result the scenarios write validates against reports/result.schema.json', () => {
  it('the schema file is a JSON Schema 2020-12 document', () => {
    const schema = JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as { $schema: string }
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema')
  })

  it.each(SCENARIOS.map((s) => [s.name]))('%s: result.json and --json output validate; report.html is written beside; no TTY, no progress', async (name) => {
    const out = mkdtempSync(join(tmpdir(), `fleetbench-schema-${name}-`))
    dirs.push(out)
    const r = await runCli('cli/scenario.ts', [name, ...(SMALL[name] ?? ['--quick']), '--out', out, '--json'], 170_000)
    expect([0, 99], r.stderr).toContain(r.code)
    expect(r.stderr).toBe('')
    const result = await readResult(join(out, 'result.json'))
    expect(validateResult(JSON.parse(r.stdout), 'stdout')).toEqual(result)
    expect(result.scenario).toBe(name)
    expect(result.cells.length).toBeGreaterThan(0)
    expect(existsSync(join(out, 'report.html'))).toBe(true)
    const html = readFileSync(join(out, 'report.html'), 'utf8')
    for (const c of result.cells) expect(html).toContain(`data-cell="${escapeHtml(c.id)}"`)
  }, 180_000)
})
