/**
 * Every command that writes proves its outputs before it does any work: a bad path is exit 2 with
 * one line naming the option, the path and the reason, no stack trace, nothing run or written.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from './support/cli.ts'
import { parallelBleResult } from './support/results.ts'

const dir = mkdtempSync(join(tmpdir(), 'fleetbench-outputs-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const result = join(dir, 'result.json')
writeFileSync(result, JSON.stringify(parallelBleResult()))
const other = join(dir, 'other.json')
writeFileSync(other, JSON.stringify(parallelBleResult(2)))

/** The bad places, and how the reason reads for each. */
const BAD: Array<[string, RegExp]> = [
  ['/dev/null/x', /\/dev\/null is not a directory/],
  ['/etc/passwd/x', /\/etc\/passwd is not a directory/],
  ['/proc/forbidden/x', /not a real file system \(\/proc is proc\)/],
  ['/sys/x', /not a real file system \(\/sys is sysfs\)/],
  [join(result, 'x'), /result\.json is not a directory/],
]

/** Each writing command with the bad path in its output option. */
const COMMANDS: Array<[string, string, (p: string) => string[], string]> = [
  ['scenario --out', 'cli/scenario.ts', (p) => ['parallel-ble', '--devices', '4', '--duration', '10s', '--out', p], '--out'],
  ['report --out', 'cli/report.ts', (p) => [result, '--out', join(p, 'r.html')], '--out'],
  ['report merge -o', 'cli/report.ts', (p) => ['merge', result, other, '-o', join(p, 'm.json')], '-o'],
  ['gate --junit', 'cli/gate.ts', (p) => ['--baseline', result, other, '--junit', join(p, 'g.xml')], '--junit'],
  ['gate --markdown', 'cli/gate.ts', (p) => ['--baseline', result, other, '--markdown', join(p, 'g.md')], '--markdown'],
  ['gate --update-baseline', 'cli/gate.ts', (p) => ['--update-baseline', result, '--baseline', join(p, 'b.json')], '--baseline'],
]

describe('outputs are proven before any work', () => {
  const cases = COMMANDS.flatMap(([name, script, args, option]) => BAD.map(([path, reason]) => [`${name} ${path}`, script, args(path), option, path, reason] as const))
  it.each(cases)('%s: exit 2, one line naming the option, path and reason', async (_name, script, args, option, path, reason) => {
    const r = await runCli(script, args, 30_000)
    expect(r.code, r.stderr).toBe(2)
    const lines = r.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(`${option} ${path}`)
    expect(lines[0]).toMatch(reason)
    expect(r.stderr).not.toMatch(/\n\s+at /) // no stack trace
    expect(r.stdout).toBe('') // nothing ran: no table, no report line
  })
})
