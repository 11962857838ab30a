import { describe, expect, it } from 'vitest'
import { decodeTelemetry, encodeTelemetry, TELEMETRY_FILTER, telemetryTopic } from './protocol.ts'
import { emptyTelemetryMeasures, publishModeOf, telemetryStats } from './telemetry.ts'

describe('telemetry wire contract and figures', () => {
  it('encodes a sample with sub-ms time and reads it back; anything else is not a sample', () => {
    const m = { run: 3, seq: 17, n: 16, at: 1_767_225_600_123.457, value: 21.3 }
    const text = encodeTelemetry(m)
    expect(text).toBe('{"run":3,"seq":17,"n":16,"at":1767225600123.457,"value":21.3}')
    expect(decodeTelemetry(Buffer.from(text))).toEqual(m)
    for (const bad of ['', 'nope', '[]', '{"run":1,"seq":0,"n":0,"at":1,"value":1}', '{"run":1,"seq":1,"n":-1,"at":1,"value":1}', '{"run":1,"seq":1,"n":0,"at":"x","value":1}'])
      expect(decodeTelemetry(Buffer.from(bad))).toBeUndefined()
    expect(telemetryTopic('ble-0001', 'temperature')).toBe('fleet/ble-0001/telemetry/temperature')
    expect(TELEMETRY_FILTER).toBe('fleet/+/telemetry/#')
  })

  it('derives the ratios from the counts: per sample obtained, CPU share of a core, missed share of those due', () => {
    const s = telemetryStats({ sent: 1000, ok: 800 }, { ...emptyTelemetryMeasures(), brokerPublishIn: 2000, brokerPublishOut: 2000, brokerPayloadIn: 100_000, brokerPayloadOut: 60_000, callerCpuUs: 250_000, loadMs: 5000 })
    expect(s).toMatchObject({ messagesPerSample: 5, bytesPerSample: 200, callerCpuUsPerSample: 312.5, callerCpuPercent: 5, missedRate: 0.2 })
    expect(telemetryStats({ sent: 0, ok: 0 }, emptyTelemetryMeasures())).toMatchObject({ messagesPerSample: 0, missedRate: 0, callerCpuPercent: 0 })
    expect([publishModeOf('rpc'), publishModeOf('telemetry'), publishModeOf('report-by-exception')]).toEqual([undefined, 'every-sample', 'on-change'])
  })
})
