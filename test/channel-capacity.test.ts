import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { LOSS_KINDS } from '../loadgen/channel/cell-metrics.ts'
import { accountingError } from '../core/accounting.ts'
import type { RunResult } from '../core/result.ts'
import { runCli } from './support/cli.ts'
import { channel } from './support/results.ts'

const dirs: string[] = []
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'fleetbench-channel-'))
  dirs.push(d)
  return d
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

const read = (dir: string): RunResult => JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as RunResult

describe('npm run scenario -- channel-capacity (real sockets, a real worker)', () => {
  it('sweeps every policy under stall with the invariant kept, and ends the send-in-poll cell as deadlock within its watchdog', async () => {
    const out = tempDir()
    // Stall windows [150, 450) and [750, 1050) ms; the send-in-poll cell deadlocks when the first one ends.
    const r = await runCli('cli/scenario.ts', ['channel-capacity', '--capacities', '0,10', '--duration', '1200ms', '--producers', '10', '--rate', '300',
      '--fault-for', '300ms', '--fault-every', '600ms', '--watchdog', '400ms', '--out', out, '--quiet'], 90_000)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const result = read(out)
    expect(result.scenario).toBe('channel-capacity')
    const ids = ['block', 'try', 'drop-newest', 'drop-oldest'].flatMap((p) => [`${p}-c0-stall`, `${p}-c10-stall`])
    expect(result.cells.map((c) => c.id)).toEqual([...ids, 'send-in-poll-c10-stall'])
    for (const c of result.cells.map(channel)) {
      expect(accountingError(c), c.id).toBeUndefined()
      expect(c.counts.sent, c.id).toBeGreaterThan(0)
      expect(c.channel.produced).toBe(c.counts.sent)
      expect(c.latencyUs.count).toBe(c.counts.ok)
      expect(c.blockingUs.count).toBe(c.counts.sent)
      for (const kind of Object.keys(c.counts.errors)) expect(LOSS_KINDS).toContain(kind)
      expect(c.series.some((p) => typeof p.queueDepth === 'number')).toBe(true)
      expect(c.channel.peakRssBytes).toBeGreaterThan(0)
    }
    const cell = (id: string) => channel(result.cells.find((c) => c.id === id))
    for (const id of ids.slice(0, -1)) expect(cell(id).status).toBe('ok')
    // block loses nothing; try is refused, the drop policies drop, and neither ever waits long.
    expect(cell('block-c0-stall').counts.ok).toBe(cell('block-c0-stall').counts.sent)
    expect(cell('try-c0-stall').counts.errors['try-full']).toBeGreaterThan(0)
    expect(cell('drop-newest-c0-stall').counts.dropped).toBeGreaterThan(0)
    for (const id of ['try-c0-stall', 'drop-newest-c10-stall', 'drop-oldest-c10-stall']) expect(cell(id).blockingUs.max, id).toBeLessThan(50_000)
    expect(cell('drop-oldest-c10-stall').channel.maxQueueDepth).toBeLessThanOrEqual(10 + 10)
    const dl = cell('send-in-poll-c10-stall')
    expect(dl.status).toBe('deadlock')
    expect(dl.error).toMatch(/awaited send\(\) into its own full channel/)
    expect(dl.channel.deadlockAfterMs).toBeGreaterThanOrEqual(450 + 400)
    expect(dl.channel.deadlockAfterMs).toBeLessThan(450 + 400 + 1_000)
    expect(dl.counts.errors.deadlock).toBeGreaterThan(0)
    expect(result.findings.join(' ')).toMatch(/send-in-poll-c10-stall \(rumqtt #1025\): the event loop awaited send\(\)/)
  })

  it('cut: nothing drains while the broker is unreachable, and everything queued is delivered after the reconnect', async () => {
    const out = tempDir()
    const r = await runCli('cli/scenario.ts', ['channel-capacity', '--faults', 'cut', '--policies', 'block,drop-oldest', '--capacities', '20', '--cut-for', '500ms',
      '--duration', '1500ms', '--producers', '5', '--rate', '200', '--deadlock-cell', 'off', '--out', out], 60_000)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^cell\s+status\s+sent\s+delivered\s+dropped\s+try-full/m)
    const result = read(out)
    expect(result.findings.join(' ')).toMatch(/During the cut nothing drained: the event loop took 0 requests while disconnected/)
    for (const c of result.cells.map(channel)) {
      expect(c.status).toBe('ok')
      expect(accountingError(c)).toBeUndefined()
      expect(c.channel.takenWhileDown).toBe(0)
      expect(c.channel.disconnects).toBeGreaterThanOrEqual(1)
      expect(c.channel.proxy?.severed).toBeGreaterThanOrEqual(1)
      expect(c.counts.errors.undelivered ?? 0).toBe(0)
      expect(c.counts.ok + c.counts.dropped).toBe(c.counts.sent)
    }
  })

  it.each([
    [['--capacities', '0,-1'], /--capacities must be a whole number from 0 to 100000, got "-1"/],
    [['--policies', 'block,yolo'], /--policies must be one of block, try, drop-newest, drop-oldest, got "yolo"/],
    [['--faults', 'stall,earthquake'], /--faults must be one of stall, cut, slow-link, none, got "earthquake"/],
    [['--ring', '0'], /--ring must be a whole number from 1 to 100000, got "0"/],
    [['--rate', '0'], /--rate must be a positive number up to 1000000, got "0"/],
    [['--fault-for', '2s', '--fault-every', '1s'], /--fault-for \(2000 ms\) must not exceed --fault-every \(1000 ms\)/],
    [['--deadlock-cell', 'maybe'], /--deadlock-cell must be one of on, off, got "maybe"/],
    [['--duration', '10parsecs'], /--duration must be a duration like 500ms, 10s or 2m/],
    [['--caller-link', 'rtt=fast'], /--caller-link: rtt must be a time like 40ms/],
    [['--broker', 'mqtt://127.0.0.1:1'], /cannot connect to --broker mqtt:\/\/127.0.0.1:1/],
  ])('refuses %j with exit 2, one line, and no result', async (args, message) => {
    const out = join(tempDir(), 'never')
    const r = await runCli('cli/scenario.ts', ['channel-capacity', ...args, '--out', out])
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(message)
    expect(existsSync(out)).toBe(false)
  })
})
