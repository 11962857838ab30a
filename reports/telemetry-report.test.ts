import { describe, expect, it } from 'vitest'
import { resultOf, telemetryCellOf } from '../test/support/results.ts'
import type { TelemetryCell } from '../core/result.ts'
import { telemetryCharts } from './charts-telemetry.ts'
import { renderReport } from './html.ts'
import { mergeCells } from './merge.ts'
import { evaluateThresholds } from './thresholds.ts'

const cells = (): TelemetryCell[] =>
  [1, 5, 20].flatMap((hz) => [
    telemetryCellOf({ pattern: 'rpc', hz, sent: 600 * hz, missed: hz === 20 ? 600 : 0, freshUs: 900, p99Us: 4000 }),
    telemetryCellOf({ pattern: 'telemetry', hz, sent: 600 * hz, freshUs: 700, p99Us: 2000 }),
  ])

describe('telemetry cells in reports', () => {
  it('merges repeats by adding counts and recomputing the ratios from them', () => {
    const a = telemetryCellOf({ pattern: 'rpc', hz: 5, sent: 1000, missed: 100, measures: { callerCpuUs: 18_000 } })
    const b = telemetryCellOf({ pattern: 'rpc', hz: 5, sent: 1000, missed: 0, measures: { callerCpuUs: 30_000 } })
    const m = mergeCells([a, b], 'sequential') as TelemetryCell
    expect(m.counts).toEqual({ sent: 2000, ok: 1900, dropped: 0, errors: { timeout: 100 } })
    expect(m.telemetry.callerCpuUs).toBe(48_000)
    expect(m.telemetry.callerCpuUsPerSample).toBe(Math.round((48_000 / 1900) * 100) / 100)
    expect(m.telemetry.missedRate).toBe(0.05)
    expect(m.telemetry.messagesPerSample).toBe(Math.round((8000 / 1900) * 1000) / 1000)
    expect(m.telemetry.loadMs).toBe(6000)
  })

  it('draws freshness, messages, CPU and misses against the rate, one line per pattern', () => {
    const charts = telemetryCharts(cells())
    expect(charts.map((c) => c.id)).toEqual(['telemetry-freshness', 'telemetry-messages', 'telemetry-cpu', 'telemetry-missed'])
    for (const c of charts) {
      expect(c.x.categories).toEqual(['1 Hz', '5 Hz', '20 Hz'])
      expect(c.lines.map((l) => l.label)).toEqual(['rpc', 'telemetry'])
    }
    expect(charts[1]!.lines[1]!.values).toEqual([2, 2, 2])
    expect(charts[3]!.lines[0]!.values).toEqual([0, 0, 5])
    expect(telemetryCharts([])).toEqual([])
  })

  it('renders the cells with their telemetry columns and charts, in telemetry words', () => {
    const html = renderReport(resultOf('telemetry-vs-rpc', cells(), { options: { thresholds: [] } }))
    expect(html).toContain('<h2>Telemetry vs RPC, by sampling rate</h2>')
    expect(html).toContain('id="figure-telemetry-cpu"')
    expect(html).toContain('<th class="">msgs/sample</th>')
    expect(html).toContain('Freshness by percentile')
    expect(html).not.toContain('<h2>Channel capacity</h2>')
  })

  it('judges missedRate thresholds on telemetry cells only', () => {
    const t = evaluateThresholds(['rpc-20hz:missedRate<1%', 'telemetry-20hz:missedRate<1%'], cells())
    expect(t.map((x) => [x.cell, x.actual, x.pass])).toEqual([['rpc-20hz', 5, false], ['telemetry-20hz', 0, true]])
  })
})
