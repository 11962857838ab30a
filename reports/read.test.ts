import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { UsageError } from '../core/cli-support.ts'
import { channelCapacityResult, hostileResult, parallelBleResult } from '../test/support/results.ts'
import { parseResult, readResult, validateResult } from './read.ts'

const dir = mkdtempSync(join(tmpdir(), 'fleetbench-read-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const valid = (): Record<string, unknown> => JSON.parse(JSON.stringify(parallelBleResult())) as Record<string, unknown>
const message = (f: () => unknown): string => {
  try {
    f()
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError)
    return (err as Error).message
  }
  throw new Error('expected a UsageError')
}

describe('validateResult against reports/result.schema.json', () => {
  it('accepts results in the shapes the scenarios write, optional channel-capacity fields included', () => {
    for (const r of [parallelBleResult(), channelCapacityResult(), hostileResult()]) expect(() => validateResult(JSON.parse(JSON.stringify(r)), 'x.json')).not.toThrow()
  })

  it('accepts fields it does not know (more may be added) and a threshold whose actual was not finite', () => {
    const r = valid()
    r.somethingNew = { a: 1 }
    ;(r.cells as Array<Record<string, unknown>>)[0]!.extra = [1, 2]
    r.thresholds = [{ cell: 'serial', expr: 'serial:callsPerSec>2x multiplexed', actual: null, pass: false }]
    expect(() => validateResult(r, 'x.json')).not.toThrow()
  })

  it('refuses a newer schemaVersion before judging the shape', () => {
    expect(message(() => validateResult({ schemaVersion: 3, whatever: true }, 'new.json'))).toBe(
      'new.json: written by a newer fleetbench (schemaVersion 3; this one reads 2); upgrade fleetbench to read it',
    )
  })

  it.each([
    ['no schemaVersion', (r: Record<string, unknown>) => delete r.schemaVersion, 'the top level has no schemaVersion'],
    ['schemaVersion 0', (r: Record<string, unknown>) => (r.schemaVersion = 0), 'schemaVersion must be 2'],
    ['a missing cell field', (r: Record<string, unknown>) => delete (r.cells as Array<Record<string, unknown>>)[1]!.latencyUs, 'cells[1] has no latencyUs'],
    ['a wrong type', (r: Record<string, unknown>) => (((r.cells as Array<Record<string, { sent: unknown }>>)[0]!.counts!.sent = 'many')), 'cells[0].counts.sent must be integer'],
    ['a negative count', (r: Record<string, unknown>) => (((r.cells as Array<Record<string, { errors: Record<string, number> }>>)[0]!.counts!.errors.timeout = -1)), 'cells[0].counts.errors.timeout must be >= 0'],
    ['an unknown status', (r: Record<string, unknown>) => ((r.cells as Array<Record<string, unknown>>)[0]!.status = 'great'), 'cells[0].status must be one of "ok", "deadlock", "failed"'],
    ['a histogram that is not one', (r: Record<string, unknown>) => (((r.cells as Array<Record<string, { hist: string }>>)[0]!.latencyUs!.hist = 'garbage')), 'cells[0].latencyUs.hist must match pattern'],
    ['an odd key', (r: Record<string, unknown>) => ((r.cells as Array<Record<string, Record<string, unknown>>>)[0]!.labels!['a/b'] = null), 'cells[0].labels["a/b"] must be string,number,boolean'],
  ])('names the first bad path: %s', (_name, mutate, expected) => {
    const r = valid()
    mutate(r)
    const m = message(() => validateResult(r, 'r.json'))
    expect(m.startsWith(`r.json: not a valid fleetbench result: ${expected}`), m).toBe(true)
    expect(m).not.toContain('\n')
  })

  it('refuses a value that is not an object', () => {
    expect(message(() => validateResult([1, 2], 'a.json'))).toMatch(/^a\.json: not a valid fleetbench result: the top level must be object/)
  })
})

describe('readResult', () => {
  const file = (name: string, text: string): string => {
    const p = join(dir, name)
    writeFileSync(p, text)
    return p
  }

  it('reads a valid file', async () => {
    const p = file('ok.json', JSON.stringify(parallelBleResult()))
    expect((await readResult(p)).cells.map((c) => c.id)).toEqual(['naive-parallel-strict', 'serial', 'pool-8', 'multiplexed'])
  })

  it.each([
    ['missing.json', undefined, /^cannot read .*missing\.json: no such file$/],
    ['empty.json', '', /: the file is empty; expected a result\.json written by npm run scenario$/],
    ['truncated.json', JSON.stringify(parallelBleResult()).slice(0, 300), /: not JSON \(.+\); expected a result\.json written by npm run scenario$/],
    ['binary.json', '\u0000\u0001PK', /: not JSON/],
  ])('refuses %s with one line', async (name, text, expected) => {
    const p = text === undefined ? join(dir, name) : file(name, text)
    await expect(readResult(p)).rejects.toThrow(UsageError)
    await expect(readResult(p)).rejects.toThrow(expected)
  })

  it('refuses a directory', async () => {
    await expect(readResult(dir)).rejects.toThrow(/is a directory, not a result file$/)
  })

  it('parseResult names its source', () => {
    expect(message(() => parseResult('{', 'stdin'))).toMatch(/^stdin: not JSON/)
  })
})
