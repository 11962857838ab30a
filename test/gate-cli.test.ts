import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { validateResult } from '../reports/read.ts'
import { runCli } from './support/cli.ts'
import { fakeCell, fakeResult } from './support/fake-result.ts'

const dir = mkdtempSync(join(tmpdir(), 'fleetbench-gate-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const file = (name: string, content: unknown): string => {
  const p = join(dir, name)
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content))
  return p
}

const base = fakeResult([fakeCell('multiplexed', [10_000, 11_000, 10_500], [1000, 1010, 990]), fakeCell('serial', [5_000, 5_200, 5_100], [130, 128, 131])])
const slow = fakeResult([fakeCell('multiplexed', [15_000, 16_000, 15_500], [700, 690, 710]), fakeCell('serial', [5_000, 5_200, 5_100], [130, 128, 131])])

describe('npm run gate', () => {
  it('uses schema-valid fixtures', () => {
    expect(() => validateResult(base, 'base')).not.toThrow()
  })

  it('passes an unchanged result (exit 0) and fails a regression (exit 99) with JUnit and Markdown written', async () => {
    const b = file('base.json', base)
    const ok = await runCli('cli/gate.ts', ['--baseline', b, file('same.json', base)])
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toMatch(/gate passed: 0 regressed/)
    const junit = join(dir, 'junit.xml')
    const md = join(dir, 'gate.md')
    const summary = file('summary.md', '')
    const bad = await runCli('cli/gate.ts', ['--baseline', b, file('slow.json', slow), '--junit', junit, '--markdown', md], undefined, { GITHUB_STEP_SUMMARY: summary })
    expect(bad.code).toBe(99)
    expect(bad.stdout).toMatch(/multiplexed\s+p99\s+.*REGRESSED/)
    expect(readFileSync(junit, 'utf8')).toMatch(/<failure message="p99 /)
    expect(readFileSync(md, 'utf8')).toMatch(/fleetbench gate: parallel-ble — failed/)
    expect(readFileSync(summary, 'utf8')).toBe(readFileSync(md, 'utf8'))
  })

  it.each([
    ['a missing baseline', () => ['--baseline', join(dir, 'nope.json'), file('r1.json', base)], /cannot read .*nope\.json: no such file/],
    ['a corrupt baseline', () => ['--baseline', file('corrupt.json', '{"schemaVersion":1,'), file('r2.json', base)], /corrupt\.json: not JSON/],
    ['a future baseline', () => ['--baseline', file('future.json', { ...base, schemaVersion: 3 }), file('r3.json', base)], /written by a newer fleetbench \(schemaVersion 3/],
    ['a different scenario', () => ['--baseline', file('other.json', { ...base, scenario: 'channel-capacity' }), file('r4.json', base)], /not comparable: baseline is a channel-capacity result/],
    ['different load options', () => ['--baseline', file('opts.json', { ...base, options: { devices: 60 } }), file('r5.json', base)], /baseline was recorded with devices 60 but the result has 200/],
    ['no result file', () => ['--baseline', file('b6.json', base)], /expected one result file/],
    ['a bad tolerance', () => ['--baseline', file('b7.json', base), file('r7.json', base), '--tolerance', 'lots'], /--tolerance must be a percentage like 10%/],
  ])('exits 2 with one line for %s', async (_name, args, message) => {
    const r = await runCli('cli/gate.ts', args())
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(message)
  })

  it('records a baseline with --update-baseline', async () => {
    const target = join(dir, 'baselines', 'parallel-ble.json')
    const r = await runCli('cli/gate.ts', ['--update-baseline', file('new.json', slow), '--baseline', target])
    expect(r.code, r.stderr).toBe(0)
    expect(existsSync(target)).toBe(true)
    expect(JSON.parse(readFileSync(target, 'utf8')).cells[0].id).toBe('multiplexed')
  })
})
