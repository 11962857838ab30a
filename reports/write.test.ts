import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { writeResultJson } from './write.ts'

const dir = mkdtempSync(join(tmpdir(), 'fleetbench-write-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('atomic result writes', () => {
  it('never exposes a half-written result.json: readers see the old file or the whole new one', async () => {
    const file = join(dir, 'result.json')
    writeFileSync(file, JSON.stringify({ version: 'old' }))
    const big = { version: 'new', cells: Array.from({ length: 40_000 }, (_, i) => ({ id: `cell-${i}`, hist: 'x'.repeat(200) })) }
    let done = false
    const writing = writeResultJson(file, big).then(() => (done = true))
    const seen = new Set<string>()
    while (!done) {
      seen.add((JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version) // throws on a torn file
      await new Promise((r) => setImmediate(r))
    }
    await writing
    expect((JSON.parse(readFileSync(file, 'utf8')) as { cells: unknown[] }).cells).toHaveLength(40_000)
    expect(seen.has('old')).toBe(true)
    expect(readdirSync(dir)).toEqual(['result.json']) // no temporary file left behind
  })
})
