import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { channelCapacityResult, hostileResult, PAYLOADS, parallelBleResult } from '../test/support/results.ts'
import { escapeHtml, jsonForScript } from './escape.ts'
import { renderReport, verdict } from './html.ts'

const scripts = (html: string): string[] => [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[0])

describe('escaping', () => {
  it('escapeHtml escapes the five markup characters', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;')
  })

  it('jsonForScript cannot close its element and parses back to the same value', () => {
    const value = { s: '</script><!-- & \u2028 \u2029 >', n: [1, null] }
    const text = jsonForScript(value)
    expect(text).not.toMatch(/[<>&\u2028\u2029]/)
    expect(JSON.parse(text)).toEqual(value)
  })
})

describe('renderReport', () => {
  it('is one offline file: uPlot and its CSS inline, no URL to fetch, a CSP that allows no network', () => {
    const html = renderReport(parallelBleResult())
    expect(html).not.toMatch(/<script[^>]+src=/)
    expect(html).not.toMatch(/<link\b/)
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:|\/\/)|url\(\s*["']?(https?:|\/\/)|@import/i)
    expect(html).toContain('.uplot')
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; script-src &#39;sha256-/)
  })

  it('allows exactly its two inline scripts by hash', () => {
    const html = renderReport(channelCapacityResult())
    const csp = /script-src ([^;"]+)/.exec(html.replace(/&#39;/g, "'"))![1]!
    const code = scripts(html).filter((s) => !s.includes('application/json')).map((s) => s.replace(/^<script>|<\/script>$/g, ''))
    expect(code).toHaveLength(2)
    expect(csp.trim().split(' ').sort()).toEqual(code.map((c) => `'sha256-${createHash('sha256').update(c).digest('base64')}'`).sort())
  })

  it('shows strings from the result only as text: no payload survives as markup', () => {
    const html = renderReport(hostileResult())
    expect(scripts(html)).toHaveLength(3)
    for (const p of PAYLOADS) expect(html).not.toContain(p)
    expect(html).not.toMatch(/<img/i)
    expect(html).toContain(escapeHtml(PAYLOADS[1]))
    // Chart data carries the labels escaped for <script>.
    const data = /<script type="application\/json" id="fleetbench-data">([\s\S]*?)<\/script>/.exec(html)![1]!
    expect(JSON.parse(data).charts[0].lines[0].label).toBe(`${PAYLOADS[0]}#0`)
  })

  it('hides secrets among the options', () => {
    const r = parallelBleResult()
    r.options = { ...r.options, password: 'hunter2', username: 'u' }
    const html = renderReport(r)
    expect(html).not.toContain('hunter2')
    expect(html).toContain('(hidden)')
  })

  it('adds baseline columns and names the baseline', () => {
    const html = renderReport(parallelBleResult(1), { baseline: parallelBleResult(2), baselineName: 'base.json' })
    expect(html).toContain('calls/s vs baseline')
    expect(html).toContain('Baseline (dashed lines): base.json')
  })

  it('shows channel-capacity columns and charts only when the cells carry them', () => {
    expect(renderReport(parallelBleResult())).not.toContain('blocking p99')
    const html = renderReport(channelCapacityResult())
    for (const s of ['blocking p99', 'p99 uncorr.', 'id="chart-blocking-p99"', 'id="chart-channel-losses"', 'id="chart-queue-depth"']) expect(html).toContain(s)
  })
})

describe('verdict', () => {
  const r = parallelBleResult()
  it('passes when every threshold passed', () => {
    expect(verdict(r)).toEqual({ level: 'pass', headline: 'PASS: all 1 threshold passed', detail: '4 cells · 1 of 1 threshold passed' })
  })
  it('fails on a failed threshold, naming it', () => {
    const v = verdict({ ...r, thresholds: [{ cell: 'serial', expr: 'serial:p99<1ms', actual: 9, pass: false }] })
    expect(v).toMatchObject({ level: 'fail', headline: 'FAIL: serial:p99<1ms on serial' })
  })
  it('fails on a cell that could not run, and reports deadlocks without failing', () => {
    const cells = r.cells.map((c, i) => (i === 0 ? { ...c, status: 'failed' as const } : i === 1 ? { ...c, status: 'deadlock' as const } : c))
    expect(verdict({ ...r, cells })).toMatchObject({ level: 'fail', headline: 'FAILED: naive-parallel-strict could not run' })
    expect(verdict({ ...r, cells: cells.slice(1) }).detail).toContain('1 deadlocked (serial)')
    expect(verdict({ ...r, cells: cells.slice(1) }).level).toBe('pass')
  })
  it('warns on a partial run and says when there were no thresholds', () => {
    expect(verdict({ ...r, partial: true }).level).toBe('warn')
    expect(verdict({ ...r, thresholds: [] }).headline).toBe('DONE: no thresholds were set')
  })
})
