import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { RunResult } from '../core/result.ts'
import { parallelBleResult } from '../test/support/results.ts'
import { writeRunOutputs, type Writer } from './outputs.ts'

const dir = mkdtempSync(join(tmpdir(), 'fleetbench-write-'))
const spares: string[] = []
afterAll(() => [dir, ...spares].forEach((d) => rmSync(d, { recursive: true, force: true })))

const failing = (code: string): Writer => async () => {
  throw Object.assign(new Error(`${code}: injected`), { code })
}

describe('writeRunOutputs', () => {
  it('writes result.json and report.html where asked', async () => {
    const w = await writeRunOutputs(dir, parallelBleResult())
    expect(w).toEqual({ file: join(dir, 'result.json'), report: join(dir, 'report.html') })
    expect(existsSync(w.report)).toBe(true)
  })

  it('saves the whole result to the temp directory when the write fails (disk full)', async () => {
    const result = parallelBleResult(3)
    const w = await writeRunOutputs(join(dir, 'full'), result, { write: failing('ENOSPC') })
    spares.push(dirname(w.file))
    expect(w.fallback).toEqual({ reason: 'no space left on device', intended: join(dir, 'full', 'result.json') })
    expect(w.file.startsWith(join(tmpdir(), 'fleetbench-parallel-ble-'))).toBe(true)
    expect(JSON.parse(readFileSync(w.file, 'utf8')) as RunResult).toEqual(JSON.parse(JSON.stringify(result)))
    expect(existsSync(w.report)).toBe(true)
  })

  it('does not wait for a write that hangs: past its deadline the temp directory takes the files', async () => {
    const hangs: Writer = () => new Promise<string>(() => {})
    const w = await writeRunOutputs(join(dir, 'nfs'), parallelBleResult(), { write: hangs, deadlineMs: 50 })
    spares.push(dirname(w.file))
    expect(w.fallback?.reason).toMatch(/^writing .*nfs\/result\.json did not finish within 50 ms$/)
    expect(existsSync(w.file)).toBe(true)
  })
})
