import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../test/support/cli.ts'
import { channelCapacityResult, parallelBleResult } from '../test/support/results.ts'
import { readResult } from '../reports/read.ts'

const dir = mkdtempSync(join(tmpdir(), 'fleetbench-report-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const put = (name: string, value: unknown): string => {
  const p = join(dir, name)
  writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value))
  return p
}
const report = (...args: string[]): ReturnType<typeof runCli> => runCli('cli/report.ts', args, 60_000)

/** Bad input: exit 2, nothing on stdout, one line on stderr. */
function expectUsage(r: Awaited<ReturnType<typeof runCli>>, message: RegExp): void {
  expect(r.code, r.stderr).toBe(2)
  expect(r.stdout).toBe('')
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1)
  expect(r.stderr.trimEnd()).toMatch(message)
}

describe('npm run report -- RESULT.json', () => {
  it('writes report.html beside result.json, or where --out says, with a baseline overlaid', async () => {
    const sub = join(dir, 'run')
    const file = put('result.json', parallelBleResult())
    const base = put('base.json', parallelBleResult(2))
    const r1 = await report(file)
    expect(r1.code, r1.stderr).toBe(0)
    expect(r1.stdout).toBe(`report: ${join(dir, 'report.html')}\n`)
    const out = join(sub, 'custom.html')
    const r2 = await report(file, '--out', out, '--baseline', base)
    expect(r2.code, r2.stderr).toBe(0)
    expect(readFileSync(out, 'utf8')).toContain('Baseline (dashed lines)')
  })

  it.each([
    ['a corrupt file', () => put('corrupt.json', '{"schemaVersion": 1, "cells": ['), /^report: .*corrupt\.json: not JSON \(.+\); expected a result\.json written by npm run scenario$/],
    ['a future schemaVersion', () => put('future.json', { ...parallelBleResult(), schemaVersion: 3 }), /^report: .*future\.json: written by a newer fleetbench \(schemaVersion 3; this one reads 2\); upgrade fleetbench to read it$/],
    ['a cell of no kind', () => put('bad.json', { ...parallelBleResult(), cells: [{ id: 'x' }] }), /^report: .*bad\.json: not a valid fleetbench result: cells\[0\] has no kind/],
    ['a schema violation', () => put('bad2.json', { ...parallelBleResult(), cells: [{ kind: 'rpc', id: 'x' }] }), /^report: .*bad2\.json: not a valid fleetbench result: cells\[0\] has no labels/],
    ['a missing file', () => join(dir, 'nope.json'), /^report: cannot read .*nope\.json: no such file$/],
  ])('refuses %s with exit 2 and one line', async (_name, make, message) => {
    expectUsage(await report(make()), message)
  })

  it('refuses a baseline of another scenario', async () => {
    const r = await report(put('pb.json', parallelBleResult()), '--baseline', put('cc.json', channelCapacityResult()))
    expectUsage(r, /--baseline .*cc\.json is a channel-capacity result but .*pb\.json is parallel-ble/)
  })
})

describe('npm run report -- merge', () => {
  it('merges results into a valid result with its report beside it', async () => {
    const a = put('a.json', parallelBleResult(1))
    const b = put('b.json', parallelBleResult(2))
    const out = join(dir, 'merged', 'all.json')
    const r = await report('merge', a, b, '-o', out)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('merged 2 results (concurrent)')
    const merged = await readResult(out)
    expect(merged.cells[0]!.counts.ok).toBe(parallelBleResult(1).cells[0]!.counts.ok + parallelBleResult(2).cells[0]!.counts.ok)
    // The scenario's own findings, recomputed for the merged cells.
    expect(merged.findings.length).toBe(merged.cells.length)
    expect(existsSync(join(dir, 'merged', 'all.html'))).toBe(true)
  })

  it('refuses mismatched scenarios with exit 2 and one line', async () => {
    const r = await report('merge', put('m1.json', parallelBleResult()), put('m2.json', channelCapacityResult()), '-o', join(dir, 'x.json'))
    expectUsage(r, /^report: cannot merge: .*m1\.json is a parallel-ble result but .*m2\.json is a channel-capacity result$/)
    expect(existsSync(join(dir, 'x.json'))).toBe(false)
  })

  it('refuses a single file, and a corrupt one', async () => {
    expectUsage(await report('merge', put('s.json', parallelBleResult()), '-o', join(dir, 'y.json')), /merge needs at least two result files/)
    expectUsage(await report('merge', put('s2.json', parallelBleResult()), put('c2.json', '[]'), '-o', join(dir, 'y.json')), /c2\.json: not a valid fleetbench result: the top level must be object/)
  })
})
