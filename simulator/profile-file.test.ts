import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ManualClock } from '../test/support/manual-clock.ts'
import { UsageError } from '../core/cli-support.ts'
import type { RpcOutcome } from '../core/protocol.ts'
import { Device } from './device.ts'
import { parseProfile, readProfileFile, sourceOf } from './profile-file.ts'
import { profileChoice, profileLabel } from './profiles.ts'
import { Radio } from './radio.ts'

const dir = mkdtempSync(join(tmpdir(), 'fleetbench-profile-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

/** The smallest valid profile: open takes exactly 7 ms. */
const minimal = (): Json => ({
  name: 'seven',
  latency: { open: { kind: 'fixed', ms: 7 }, read: { kind: 'fixed', ms: 2 }, write: { kind: 'fixed', ms: 3 }, close: { kind: 'fixed', ms: 1 } },
  connectTimeoutMs: 500,
  radioSlots: 2,
})

function file(name: string, content: string | Json): string {
  const path = join(dir, name)
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2))
  return path
}

const refusal = (fn: () => unknown): string => {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError)
    return (err as Error).message
  }
  throw new Error('not refused')
}

const SRC = '--profile ./x.json'
const bad = (edit: (p: Json) => void): string => {
  const p = minimal()
  edit(p)
  return refusal(() => parseProfile(JSON.stringify(p), SRC))
}

describe('a bad profile file gets one line naming the field and the fix', () => {
  it.each<[string, (p: Json) => void, string]>([
    ['a word for a number', (p) => (p.latency.open = { kind: 'lognormal', medianMs: 'fast', sigma: 0.5, maxMs: 900 }), 'latency.open.medianMs must be a number from 0 to 3600000, got "fast"'],
    ['a negative latency', (p) => (p.latency.read.ms = -1), 'latency.read.ms must be a number from 0 to 3600000, got -1'],
    ['an unknown distribution', (p) => (p.latency.open = { kind: 'gauss', ms: 5 }), 'latency.open.kind must be "fixed", "uniform" or "lognormal", got "gauss"'],
    ['a distribution without kind', (p) => (p.latency.open = { ms: 5 }), 'latency.open.kind is missing; add it: "fixed", "uniform" or "lognormal"'],
    ['a misspelt field', (p) => (p.latency.open = { kind: 'fixed', msec: 5 }), 'latency.open.ms is missing (latency.open.msec is not a known field); add it: a number from 0 to 3600000'],
    ['an extra field', (p) => (p.latency.open = { kind: 'fixed', ms: 5, jitterMs: 1 }), 'latency.open.jitterMs is not a known field; latency.open has only kind, ms'],
    ['an unknown top-level field', (p) => (p.slots = 4), 'slots is not a known field; a device profile has only name, description, latency, failures, connectTimeoutMs, radioSlots'],
    ['a missing verb', (p) => delete p.latency.close, 'latency.close is missing; add it: an object with kind "fixed", "uniform" or "lognormal"'],
    ['no radioSlots', (p) => delete p.radioSlots, 'radioSlots is missing; add it: "unlimited" or a whole number from 1 to 1000000'],
    ['zero radio slots', (p) => (p.radioSlots = 0), 'radioSlots must be "unlimited" or a whole number from 1 to 1000000, got 0'],
    ['a word other than unlimited', (p) => (p.radioSlots = 'many'), 'radioSlots must be "unlimited" or a whole number from 1 to 1000000, got "many"'],
    ['a probability above 1', (p) => (p.failures = { open: { probability: 1.5, kinds: [{ code: 'gatt_error', weight: 1 }] } }), 'failures.open.probability must be a number from 0 to 1, got 1.5'],
    ['an error code not in the wire contract', (p) => (p.failures = { read: { probability: 0.1, kinds: [{ code: 'boom', weight: 1 }] } }),
      'failures.read.kinds[0].code must be one of "bad_request", "unknown_verb", "unknown_device", "payload_too_large", "not_connected", "connect_timeout", "out_of_range", "connect_aborted", "gatt_error", got "boom"'],
    ['no failure kinds', (p) => (p.failures = { write: { probability: 0.1, kinds: [] } }), 'failures.write.kinds must be a list of at least 1 item, got []'],
    ['failures for close', (p) => (p.failures = { close: { probability: 0.1, kinds: [{ code: 'gatt_error', weight: 1 }] } }), 'failures.close is not a known field; failures has only open, read, write'],
    ['a fractional radio', (p) => (p.radioSlots = 2.5), 'radioSlots must be "unlimited" or a whole number from 1 to 1000000, got 2.5'],
    ['an empty name', (p) => (p.name = ''), 'name must be a string of 1 to 64 characters, got ""'],
    ['latency that is not an object', (p) => (p.latency = 5), 'latency must be an object with open, read, write, close (and optional info), got 5'],
    // What the schema cannot say:
    ['a uniform range upside down', (p) => (p.latency.read = { kind: 'uniform', minMs: 10, maxMs: 2 }), 'latency.read.minMs (10) is above latency.read.maxMs (2); a uniform range needs minMs <= maxMs'],
    ['a log-normal cap below its median', (p) => (p.latency.open = { kind: 'lognormal', medianMs: 60, sigma: 0.5, maxMs: 50 }), 'latency.open.maxMs (50) is below latency.open.medianMs (60); the cap must be at least the median'],
    ['failure weights all zero', (p) => (p.failures = { open: { probability: 0.1, kinds: [{ code: 'connect_timeout', weight: 0 }, { code: 'out_of_range', weight: 0 }] } }),
      'failures.open.kinds has only weights of 0; give at least one kind a weight above 0'],
  ])('%s', (_label, edit, message) => {
    const line = bad(edit)
    expect(line).toBe(`${SRC}: ${message}`)
    expect(line).not.toContain('\n')
  })

  it('a file that is not a JSON object', () => {
    expect(refusal(() => parseProfile('[1, 2]', SRC))).toBe(`${SRC}: a device profile must be an object with name, latency, connectTimeoutMs, radioSlots (and optional description, failures), got [1,2]`)
  })

  it('invalid JSON, with the parser\'s message and where', () => {
    const line = refusal(() => parseProfile('{\n  "name": "x",\n}\n', SRC))
    expect(line).toMatch(/^--profile \.\/x\.json: not JSON \(.*JSON at position 17 \(line 3, column 1\)\); fix the file/)
    expect(line).not.toContain('\n')
  })

  it('a missing file, a directory and an empty file (refused for root too)', () => {
    const missing = join(dir, 'absent.json')
    expect(refusal(() => profileChoice('profile', missing))).toBe(`--profile ${missing}: no such file; give the path of a device profile JSON file`)
    expect(refusal(() => profileChoice('profile', `${dir}/`))).toBe(`--profile ${dir}/: is a directory; give the path of a device profile JSON file`)
    const empty = file('empty.json', '')
    expect(refusal(() => profileChoice('profile', empty))).toBe(`--profile ${empty}: the file is empty; give the path of a device profile JSON file`)
  })
})

describe('a profile file', () => {
  it('fills in what may be left out: info answers at once, nothing fails', () => {
    const p = parseProfile(JSON.stringify(minimal()), 'minimal')
    expect(p).toEqual({ ...minimal(), description: '', latency: { info: { kind: 'fixed', ms: 0 }, ...minimal().latency }, failures: {} })
    expect(parseProfile(JSON.stringify({ ...minimal(), radioSlots: 'unlimited' }), 'x').radioSlots).toBe(Number.MAX_SAFE_INTEGER)
  })

  it('is recorded with its path and the whole checked profile, in a form that reproduces it', () => {
    const path = file('seven.json', { ...minimal(), $schema: '../profile.schema.json' })
    const choice = profileChoice('profile', path)
    expect(typeof choice).not.toBe('string')
    expect(sourceOf(choice as never)).toBe(path)
    expect(profileLabel(choice)).toBe(`seven (${path})`)
    const recorded = JSON.parse(JSON.stringify({ profile: choice })) as { profile: { file: string; profile: Json } }
    expect(recorded.profile.file).toBe(path)
    expect(recorded.profile.profile).toEqual({ ...minimal(), description: '', latency: { info: { kind: 'fixed', ms: 0 }, ...minimal().latency }, failures: {} })
    expect(parseProfile(JSON.stringify(recorded.profile.profile), 'recorded')).toEqual(choice)
  })

  it('drives a device: a fixed 7 ms open takes 7 ms on the clock, and its failure codes are the ones answered', async () => {
    const clock = new ManualClock()
    const profile = readProfileFile('profile', file('drive.json', minimal()))
    const device = new Device('ble-1', { gatewayId: 'gw-1', clock, radio: new Radio(profile.radioSlots), profile }, 1)
    let outcome: RpcOutcome | undefined
    void device.open().then((o) => (outcome = o))
    await clock.advance(6)
    expect(outcome).toBeUndefined()
    await clock.advance(1)
    expect(outcome).toEqual({ ok: true, result: { state: 'connected', connectMs: 7 } })

    const failing = readProfileFile('profile', file('fail.json', { ...minimal(), failures: { open: { probability: 1, kinds: [{ code: 'out_of_range', weight: 1 }] } } }))
    const lost = new Device('ble-2', { gatewayId: 'gw-1', clock, radio: new Radio(failing.radioSlots), profile: failing }, 1)
    const open = lost.open()
    await clock.runAll()
    expect(await open).toMatchObject({ ok: false, error: { code: 'out_of_range' } })
  })
})
