/** parallel-ble's cells (pool sweep × retries), the pool knee rule and the retry finding, from hand-built cells. */
import { describe, expect, it } from 'vitest'
import type { RpcCell } from '../../core/result.ts'
import { cellOf, latencies } from '../../test/support/results.ts'
import { resolveOptions } from '../run.ts'
import { parallelBleCells } from './cells.ts'
import { parallelBleFindings } from './findings.ts'
import { parallelBle } from './index.ts'
import { poolKnee, poolKneeFinding } from './pool-knee.ts'

const opts = (argv: Record<string, unknown>) => resolveOptions(parallelBle, argv, false)

/** A pool-K cell with this many calls/s (over 10 s) on `connections` connections. */
function pool(k: number, callsPerSec: number, connections = 4 * k): RpcCell {
  const c = cellOf({ id: `pool-${k}`, labels: { strategy: 'pool', poolSize: k, ackMode: 'strict' }, samples: latencies(50, 20_000, k), seconds: 10 })
  return { ...c, throughput: { ...c.throughput, callsPerSec }, clients: { ...c.clients, connections } }
}

describe('parallel-ble cells', () => {
  it('gives one pool-K cell per size, in order, and each strategy cell once per retry count', () => {
    const o = opts({ strategies: 'pool,multiplexed', poolSize: '8,1,4,2', retries: '0,3' })
    expect(parallelBleCells(o).map((c) => c.id)).toEqual(['pool-1', 'pool-1-retry3', 'pool-2', 'pool-2-retry3', 'pool-4', 'pool-4-retry3', 'pool-8', 'pool-8-retry3', 'multiplexed', 'multiplexed-retry3'])
    const retried = parallelBleCells(o).find((c) => c.id === 'multiplexed-retry3')!
    expect(retried.labels).toEqual({ strategy: 'multiplexed', retries: 3 })
    expect(retried.retry).toEqual({ retries: 3, baseMs: 50, capMs: 2000, on: ['timeout', 'connect_timeout', 'disconnected'], attemptTimeoutMs: undefined })
    expect(parallelBleCells(o).find((c) => c.id === 'pool-4')!.retry).toBeUndefined()
  })

  it('defaults to shaped links, recorded by name', () => {
    const o = opts({})
    expect([o.callerLink.name, o.gatewayLink.name, o.timeout]).toEqual(['wan', 'wan', 800])
    expect(opts({ callerLink: 'loopback', gatewayLink: 'rtt=10ms' }).gatewayLink).toMatchObject({ name: 'custom', rttMs: 10 })
  })

  it.each([
    [{ poolSize: '0' }, /--pool-size must be a whole number from 1 to 1000/],
    [{ retries: '11' }, /--retries must be a whole number from 0 to 10/],
    [{ backoff: '2s..50ms' }, /--backoff: the cap \(50ms\) must not be below the base \(2s\)/],
    [{ backoff: '50ms' }, /--backoff must be base\.\.cap/],
    [{ retryOn: 'gatt_error,sometimes' }, /--retry-on must be one of/],
    [{ attemptTimeout: '300ms' }, /--attempt-timeout only applies to retried calls/],
    [{ attemptTimeout: '900ms', retries: '2' }, /--attempt-timeout \(900 ms\) must be shorter than --timeout \(800 ms\)/],
    [{ callerLink: 'moon' }, /--caller-link must be a name/],
  ])('refuses %j in one line', (argv, message) => {
    expect(() => {
      const o = opts(argv)
      parallelBle.validate?.(o)
    }).toThrow(message)
  })
})

describe('the pool knee', () => {
  it('is the size after which doubling the connections adds less than 10% calls/s', () => {
    const cells = [pool(1, 100), pool(2, 190), pool(4, 350), pool(8, 370), pool(16, 380)]
    const k = poolKnee(cells)
    expect(k.kind).toBe('knee')
    if (k.kind !== 'knee') return
    expect(k.at.id).toBe('pool-4')
    expect(k.step.to.id).toBe('pool-8')
    expect(poolKneeFinding(cells)).toBe('pool sweep: the knee is pool-4 (350.0 calls/s on 16 connections): going to pool-8 took 32 connections (2.0x) for +6% calls/s (370.0). Steps: pool-2 +90%, pool-4 +84%, pool-8 +6%, pool-16 +3%.')
  })

  it('says there is none when every step still pays, and needs two sizes', () => {
    expect(poolKneeFinding([pool(1, 100), pool(2, 180), pool(4, 300)])).toMatch(/^pool sweep: no knee up to pool-4/)
    expect(poolKneeFinding([pool(8, 100)])).toBeUndefined()
    // A small gain without more connections is no knee.
    expect(poolKnee([pool(1, 100, 4), pool(2, 105, 5)]).kind).toBe('none')
  })

  it('is named in the findings, once per retry count', () => {
    const cells = [pool(1, 100), pool(2, 105)]
    const lines = parallelBleFindings(cells)
    expect(lines.filter((l) => l.startsWith('pool sweep: the knee is pool-1'))).toHaveLength(1)
  })
})

describe('the retry finding', () => {
  it('says what the retries bought and cost, from the attempt counts', () => {
    const c = cellOf({ id: 'multiplexed-retry3', labels: { strategy: 'multiplexed', retries: 3 }, samples: latencies(90, 20_000, 3), errors: { timeout: 10 } })
    const cell: RpcCell = { ...c, attempts: { sent: 130, ok: 90, errors: { timeout: 40 }, retried: 25, retriedOk: 15 } }
    const line = parallelBleFindings([cell]).find((l) => l.includes('retries for'))
    expect(line).toMatch(/^multiplexed-retry3: 30 retries for 100 calls \(1\.30 attempts per call\); 25 calls needed one, and 15 of them then succeeded, so the retries turned 15\.0% of calls from failed into ok\./)
  })
})
