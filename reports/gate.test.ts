import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { lexer } from 'marked'
import { describe, expect, it } from 'vitest'
import { fakeCell as cell, fakeResult as result } from '../test/support/fake-result.ts'
import { DEFAULT_GATE, gate, optionMismatch } from './gate.ts'
import { gateJUnit, gateMarkdown } from './gate-output.ts'

const base = result([cell('multiplexed', [10_000, 11_000, 10_500], [1000, 1010, 990]), cell('serial', [5_000, 5_200, 5_100], [130, 128, 131])])

describe('regression gate', () => {
  it('fails a result made slower beyond tolerance in every repeat', () => {
    const slow = result([cell('multiplexed', [15_000, 16_000, 15_500], [700, 690, 710]), cell('serial', [5_050, 5_150, 5_100], [129, 130, 128])])
    const r = gate(base, slow)
    expect(r.failed).toBe(true)
    const regressed = r.comparisons.filter((c) => c.verdict === 'regressed').map((c) => `${c.cell}:${c.metric}`)
    expect(regressed).toEqual(expect.arrayContaining(['multiplexed:p99', 'multiplexed:callsPerSec']))
    expect(regressed.some((x) => x.startsWith('serial'))).toBe(false)
    expect(r.comparisons.find((c) => c.cell === 'multiplexed' && c.metric === 'p99')!.p).toBeCloseTo(0.05, 10)
  })

  it('passes a change beyond tolerance that stays within the spread between repeats', () => {
    // Median p99 15% worse, but the repeats overlap the baseline's: noise, not a regression.
    const noisy = result([cell('multiplexed', [9_000, 12_100, 16_000], [1000, 1005, 995]), cell('serial', [5_000, 5_200, 5_100], [130, 128, 131])])
    const r = gate(base, noisy)
    const p99 = r.comparisons.find((c) => c.cell === 'multiplexed' && c.metric === 'p99')!
    expect(p99.worse).toBeGreaterThan(0.1)
    expect(p99.verdict).toBe('unchanged')
    expect(p99.note).toMatch(/within run-to-run spread/)
    expect(r.failed).toBe(false)
  })

  it('passes an identical result and reports improvements as such', () => {
    expect(gate(base, base).failed).toBe(false)
    const faster = result([cell('multiplexed', [5_000, 5_500, 5_200], [2000, 2010, 1990]), cell('serial', [5_000, 5_200, 5_100], [130, 128, 131])])
    const r = gate(base, faster)
    expect(r.failed).toBe(false)
    expect(r.comparisons.find((c) => c.cell === 'multiplexed' && c.metric === 'callsPerSec')!.verdict).toBe('improved')
  })

  it('fails a result that breaks the accounting invariant, misses a cell, or failed a threshold', () => {
    const broken = result([{ ...cell('multiplexed', [10_000, 11_000, 10_500], [1000, 1010, 990]), counts: { sent: 10, ok: 3, dropped: 0, errors: {} } }, base.cells[1]!])
    expect(gate(base, broken)).toMatchObject({ failed: true, broken: [expect.stringMatching(/accounting broken: sent 10 != ok 3/)] })
    expect(gate(base, result([base.cells[0]!]))).toMatchObject({ failed: true, missing: ['serial'] })
    const deadlocked = result([{ ...base.cells[0]!, status: 'deadlock' }, base.cells[1]!])
    expect(gate(base, deadlocked)).toMatchObject({ failed: true, broken: ['multiplexed: ok in the baseline, deadlock now'] })
    expect(gate(deadlocked, deadlocked).failed).toBe(false) // an expected deadlock (the deadlock cell) is no failure
    const th = { ...base, thresholds: [{ cell: 'multiplexed', expr: 'multiplexed:p99<1ms', actual: 11, pass: false }] }
    expect(gate(base, th).failed).toBe(true)
  })

  it('ignores latency changes below the resolution floor (1 ms by default), however large in relative terms', () => {
    const tiny = result([cell('multiplexed', [20, 25, 22], [1000, 1010, 990])])
    const bigger = result([cell('multiplexed', [300, 320, 310], [1000, 1010, 990])])
    const p99 = gate(tiny, bigger).comparisons.find((c) => c.metric === 'p99')!
    expect(p99.worse).toBeGreaterThan(10)
    expect(p99.verdict).toBe('unchanged')
    expect(gate(tiny, bigger, { ...DEFAULT_GATE, minChangeUs: 0 }).failed).toBe(true)
  })

  it('decides by tolerance alone, and says so, when there are too few repeats', () => {
    const one = (p99: number, rate: number) => result([{ ...cell('multiplexed', [p99], [rate]), repeats: undefined }])
    const r = gate(one(10_000, 1000), one(20_000, 1000))
    const p99 = r.comparisons.find((c) => c.metric === 'p99')!
    expect(p99.verdict).toBe('regressed')
    expect(p99.note).toMatch(/too few repeats/)
  })

  it('refuses results recorded with different load options or of another scenario', () => {
    expect(optionMismatch(base, result(base.cells, { devices: 60 }))).toMatch(/baseline was recorded with devices 200 but the result has 60/)
    expect(optionMismatch(base, { ...base, scenario: 'channel-capacity' })).toMatch(/baseline is a parallel-ble result but the result is channel-capacity/)
    expect(optionMismatch(base, result(base.cells, { devices: 200, out: '/elsewhere', repeat: 5 }))).toBeUndefined()
  })

  it('writes Markdown and JUnit XML that parse, with one failure per regression', () => {
    const slow = result([cell('multiplexed', [15_000, 16_000, 15_500], [700, 690, 710]), cell('serial<script>', [5_000, 5_200, 5_100], [130, 128, 131])])
    const r = gate(base, slow)
    const junit = gateJUnit(r)
    expect(XMLValidator.validate(junit)).toBe(true)
    const doc = new XMLParser({ ignoreAttributes: false }).parse(junit)
    const suite = doc.testsuites.testsuite
    expect(Number(suite['@_failures'])).toBe(r.comparisons.filter((c) => c.verdict === 'regressed').length + r.missing.length)
    const tokens = lexer(gateMarkdown(r))
    const table = tokens.find((t) => t.type === 'table') as { header: unknown[]; rows: unknown[][] } | undefined
    expect(table?.header).toHaveLength(8)
    expect(table?.rows.length).toBe(r.comparisons.length)
    expect(gateMarkdown(r)).toContain('serial\\<script\\>')
    expect(gateMarkdown(r)).not.toContain('<script>')
  })
})
