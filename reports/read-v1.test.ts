/**
 * Version-1 result files (kept in test/fixtures as the scenarios wrote them before schemaVersion 2)
 * are still read: upgraded on read, then reported, merged and gated like version-2 files.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { accountingError } from '../core/accounting.ts'
import { SCHEMA_VERSION } from '../core/result.ts'
import { channel, rpc } from '../test/support/results.ts'
import { gate } from './gate.ts'
import { renderReport } from './html.ts'
import { mergeResults } from './merge.ts'
import { readResult, validateResult } from './read.ts'

const V1_RPC = 'test/fixtures/v1-parallel-ble.json'
const V1_CHANNEL = 'test/fixtures/v1-channel-capacity.json'
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a version-1 file, read as plain JSON to compare field by field
const raw = (file: string): { schemaVersion: number; options: Record<string, unknown>; cells: Array<Record<string, any>> } => JSON.parse(readFileSync(file, 'utf8'))

describe('reading version-1 results', () => {
  it('upgrades parallel-ble cells to rpc cells with every stable field in its place', async () => {
    const v1 = raw(V1_RPC)
    expect(v1.schemaVersion).toBe(1)
    const r = await readResult(V1_RPC)
    expect(r.schemaVersion).toBe(SCHEMA_VERSION)
    expect(r.cells.map((c) => c.id)).toEqual(v1.cells.map((c) => c.id))
    for (const [i, c] of r.cells.map(rpc).entries()) {
      const old = v1.cells[i]!
      expect(c.counts).toEqual(old.counts)
      expect(c.labels).toEqual(old.labels)
      expect(c.broker).toEqual(old.broker)
      expect(c.latencyUs).toEqual(old.latencyUs)
      expect(c.throughput).toEqual(old.throughput)
      expect(c.clients).toEqual(old.clients)
      expect(c.repeats).toEqual(old.repeats)
      expect(accountingError(c)).toBeUndefined()
    }
    expect(r.notes.at(-1)).toMatch(/upgraded to version 2/)
  })

  it('upgrades channel-capacity cells to channel cells without the RPC fields they faked', async () => {
    const v1 = raw(V1_CHANNEL)
    expect(v1.cells[0]!.rounds).toBe(0) // what version 1 wrote: a round count of a kind that has no rounds
    const r = await readResult(V1_CHANNEL)
    for (const [i, c] of r.cells.map(channel).entries()) {
      const old = v1.cells[i]!
      for (const gone of ['rounds', 'roundsPastDeadline', 'roundsMissed', 'roundUs', 'roundUncorrectedUs', 'clients', 'deviceErrors']) expect(c, `${c.id}.${gone}`).not.toHaveProperty(gone)
      expect(c.throughput).toEqual({ callsPerSec: old.throughput.callsPerSec })
      expect(c.counts).toEqual(old.counts)
      expect(c.blockingUs).toEqual(old.blockingUs)
      // The embedded broker counted these baselines' packets, so they stay.
      expect(c.broker).toEqual(old.broker)
      expect(c.channel.peakInFlight).toBe(old.channel.peakInflight)
      expect(c.channel).not.toHaveProperty('peakInflight')
      expect(c.repeats?.map((x) => x.blockingP99)).toEqual(old.repeats?.map((x: { blockingP99: number }) => x.blockingP99))
    }
    expect(r.options.maxInFlight).toBe(v1.options.maxInflight)
    expect(r.options).not.toHaveProperty('maxInflight')
  })

  it('drops a version-1 channel broker block that the clients counted by hand', () => {
    const v1 = raw(V1_CHANNEL)
    v1.cells[0]!.broker = { subscribe: 2, unsubscribe: 1, publish: 10, source: 'clients' }
    const r = validateResult(v1, 'old.json')
    expect(channel(r.cells[0])).not.toHaveProperty('broker')
  })

  it('refuses a broken version-1 file with one line naming the version-1 schema', () => {
    const v1 = raw(V1_RPC)
    delete v1.cells[0]!.counts
    expect(() => validateResult(v1, 'old.json')).toThrow(/^old\.json: not a valid fleetbench result: cells\[0\] has no counts \(see core\/result\.v1\.schema\.json\)$/)
  })

  it('gates a version-2 result against a version-1 baseline, merges and reports them', async () => {
    const base = await readResult(V1_RPC)
    const again = await readResult(V1_RPC)
    const report = gate(base, again)
    expect(report.failed).toBe(false)
    expect(report.comparisons.length).toBeGreaterThan(0)
    const merged = mergeResults([{ file: 'a', result: base }, { file: 'b', result: again }], { timing: 'sequential' })
    expect(merged.cells.map((c) => c.counts.sent)).toEqual(base.cells.map((c) => c.counts.sent * 2))
    expect(() => validateResult(JSON.parse(JSON.stringify(merged)), 'merged')).not.toThrow()
    expect(renderReport(await readResult(V1_CHANNEL))).toContain('blocking p99')
  })
})
