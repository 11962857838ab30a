import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../test/support/cli.ts'

const dir = mkdtempSync(join(tmpdir(), 'fleetbench-profile-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const EXAMPLE = 'examples/profiles/my-fleet.json'

describe('--profile FILE.json on the command line', () => {
  it('refuses a bad file at option-parse time: one line naming the field, exit 2, no result', async () => {
    const bad = join(dir, 'fast.json')
    writeFileSync(bad, readFileSync(EXAMPLE, 'utf8').replace('"medianMs": 120', '"medianMs": "fast"'))
    const out = join(dir, 'never')
    const r = await runCli('cli/scenario.ts', ['parallel-ble', '--profile', bad, '--out', out])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(`scenario: --profile ${bad}: latency.open.medianMs must be a number from 0 to 3600000, got "fast"\n`)
    expect(() => readFileSync(join(out, 'result.json'))).toThrow()
  })

  it('refuses a directory in the simulator too, with exit 2', async () => {
    const r = await runCli('cli/simulator.ts', ['--profile', `${dir}/`, '--port', '0'])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(`simulator: --profile ${dir}/: is a directory; give the path of a device profile JSON file\n`)
  })

  it('runs the fleet on the example file and records its path and the whole profile', async () => {
    const rec = join(dir, 'rec')
    const r = await runCli('cli/simulator.ts', ['--profile', EXAMPLE, '--port', '0', '--devices', '4', '--gateways', '1', '--record', rec, '--duration', '300ms'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`profile my-fleet (${EXAMPLE})`)
    const result = JSON.parse(readFileSync(join(rec, 'result.json'), 'utf8')) as { options: { profile: unknown } }
    // The example writes out every field, so the recorded profile is the file itself.
    expect(result.options.profile).toEqual({ file: EXAMPLE, profile: JSON.parse(readFileSync(EXAMPLE, 'utf8')) })
  })
})
