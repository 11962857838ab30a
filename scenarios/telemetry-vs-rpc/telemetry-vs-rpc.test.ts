import { describe, expect, it } from 'vitest'
import { UsageError } from '../../core/cli-support.ts'
import { telemetryCellOf, type TelemetrySpec } from '../../test/support/results.ts'
import { resolveOptions } from '../run.ts'
import { telemetryFindings } from './findings.ts'
import { telemetryVsRpc } from './index.ts'
import { telemetryCells } from './options.ts'

const RATES = [1, 5, 20]
/** One cell per pattern and rate; `over` changes a pattern's spec at a rate. */
function run(over: (p: TelemetrySpec['pattern'], hz: number) => Partial<TelemetrySpec> = () => ({})) {
  return RATES.flatMap((hz) => (['rpc', 'telemetry', 'report-by-exception'] as const).map((pattern) => telemetryCellOf({ pattern, hz, sent: 1200 * hz, freshUs: 800, p99Us: 3000, ...over(pattern, hz) })))
}

describe('telemetry-vs-rpc findings, from hand-built cells', () => {
  it('says one sentence per pattern and, from the figures, the rate from which RPC misses more than 1%', () => {
    const f = telemetryFindings(run((p, hz) => (p === 'rpc' ? { missed: hz === 20 ? 1200 : hz === 5 ? 18 : 2 } : {})))
    expect(f).toHaveLength(4)
    // Messages per sample obtained: a missed read's messages count too.
    expect(f[0]).toMatch(/^rpc \(a read per sample .*at 1, 5, 20 Hz: 4\.01 → 4\.01 → 4\.21 broker messages/)
    expect(f[0]).toMatch(/missed 0\.17% → 0\.30% → 5\.00%/)
    expect(f[0]).toMatch(/not back before the next period 2 → 18 → 1,200/)
    expect(f[1]).toMatch(/^telemetry \(every sample published, one subscription\), at 1, 5, 20 Hz: 2\.00 → 2\.00 → 2\.00 broker messages/)
    expect(f[2]).toMatch(/^report-by-exception .*: 10\.0% → 10\.0% → 10\.0% of samples changed and were published/)
    expect(f[3]).toMatch(/^RPC polling stops being the right pattern from 20 Hz \(.*\): there it missed 5\.00% of its samples \(over 1\.00%\)\. Below that \(1, 5 Hz\) it missed at most 0\.30% and cost 2\.0× the broker messages and 2\.5× the caller CPU per sample of telemetry/)
  })

  it('counts a staler RPC only when the gap is more than a tenth of the period', () => {
    // 1 Hz: 30 ms against 3 ms is 10× but 27 ms of a 1 s period; 5 Hz: 60 ms against 3 ms is 57 ms of 200 ms.
    const f = telemetryFindings(run((p, hz) => (p === 'rpc' && hz === 1 ? { p99Us: 30_000 } : p === 'rpc' && hz >= 5 ? { p99Us: 60_000 } : {})))
    expect(f.at(-1)).toMatch(/^RPC polling stops being the right pattern from 5 Hz .*: there its freshness p99 was 20\.0× telemetry's \(60ms against 3\.00ms\)\. Below that \(1 Hz\)/)
  })

  it('says so when RPC never crosses the lines, and when it does from the lowest rate', () => {
    expect(telemetryFindings(run()).at(-1)).toMatch(/^Up to 20 Hz, the highest rate measured, RPC polling did not cross the lines .* at 20 Hz it missed 0\.00% .* Polling stays workable here/)
    // 5× the CPU per sample counts only while RPC keeps over a tenth of a core busy: at 1 Hz 60 µs × 400/s is 2.4%, at 5 Hz 12%.
    const cpu = telemetryFindings(run((p, hz) => (p === 'rpc' ? { measures: { callerCpuUs: 60 * 1200 * hz } } : {})))
    expect(cpu.at(-1)).toMatch(/^RPC polling stops being the right pattern from 5 Hz .*: there the caller spent 5\.0× the CPU per sample \(60\.0 against 12\.0 µs, 12\.0% of a core\)\. Below that \(1 Hz\) it missed at most 0\.00% and cost 2\.0× the broker messages and 5\.0× the caller CPU/)
    const early = telemetryFindings(run((p) => (p === 'rpc' ? { missed: 600 } : {})))
    expect(early.at(-1)).toMatch(/^RPC polling is not the right pattern from the lowest rate measured, 1 Hz, on .*: there it missed 50\.0% of its samples/)
  })

  it('compares with report-by-exception when telemetry did not run, reports failed cells, and states no crossover without rpc', () => {
    const cells = run((p, hz) => (p === 'rpc' && hz === 5 ? { missed: 600 } : {})).filter((c) => c.labels.pattern !== 'telemetry')
    cells.push(telemetryCellOf({ pattern: 'telemetry', hz: 5, sent: 0, status: 'failed', error: 'the caller process exited (SIGKILL)' }))
    const f = telemetryFindings(cells)
    expect(f).toHaveLength(4)
    // Against report-by-exception (10% of samples published), a read per sample is 20× the messages at every rate.
    expect(f[2]).toMatch(/^RPC polling is not the right pattern from the lowest rate measured, 1 Hz, on \(.*report-by-exception's\): there the broker moved 20\.0× the messages per sample \(4\.00 against 0\.20\)\.$/)
    expect(f[3]).toBe('telemetry-5hz: failed: the caller process exited (SIGKILL)')
    expect(telemetryFindings(run().filter((c) => c.labels.pattern !== 'rpc'))).toHaveLength(2)
  })
})

describe('telemetry-vs-rpc options', () => {
  const parse = (argv: Record<string, string>, quick = false) => resolveOptions(telemetryVsRpc, argv, quick)

  it('runs every pattern at each rate, rates ascending, with thresholds on the publishing patterns', () => {
    const o = parse({ hz: '20,1, 5,1', patterns: 'telemetry,rpc' })
    expect(o.hz).toEqual([1, 5, 20])
    expect(telemetryCells(o).map((c) => c.id)).toEqual(['telemetry-1hz', 'rpc-1hz', 'telemetry-5hz', 'rpc-5hz', 'telemetry-20hz', 'rpc-20hz'])
    expect(telemetryCells(o)[0]!.labels).toEqual({ pattern: 'telemetry', hz: 1 })
    expect(telemetryVsRpc.thresholds(o)).toEqual(['telemetry-1hz:missedRate<1%', 'telemetry-5hz:missedRate<1%', 'telemetry-20hz:missedRate<1%'])
    expect(parse({}, true).duration).toBe(3000)
    expect(parse({}).devices).toBe(200)
  })

  it.each([
    [{ hz: '' }, /--hz needs at least one rate in Hz, e.g. 1,5,20/],
    [{ hz: '5,fast' }, /--hz must be a positive number up to 1000000, got "fast"/],
    [{ patterns: 'rpc,mqtt' }, /--patterns must be one of rpc, telemetry, report-by-exception, got "mqtt"/],
    [{ characteristics: 'humidity' }, /--characteristics must be one of battery, temperature, got "humidity"/],
    [{ duration: '500ms', hz: '1' }, /--duration 500 ms is shorter than one period at 1 Hz; make it at least 1000 ms or raise --hz/],
    [{ devices: '3', gateways: '4' }, /--gateways \(4\) must not exceed --devices \(3\)/],
    [{ devices: '10000', hz: '20' }, /--devices 10000 × 2 characteristics × 20 Hz is 400000 samples\/s; keep it at most 100000/],
  ])('refuses %j with one line naming the option', (argv, message) => {
    expect(() => parse(argv as Record<string, string>)).toThrow(UsageError)
    expect(() => parse(argv as Record<string, string>)).toThrow(message)
  })
})
