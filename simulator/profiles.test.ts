import { readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { ERROR_CODES } from '../core/protocol.ts'
import { UsageError } from '../core/cli-support.ts'
import { parseProfile, PROFILE_SCHEMA_URL, profileFileOf } from './profile-file.ts'
import { getProfile, isProfilePath, profileChoice, profileLabel, profileNames, profileOf, PROFILES, PROFILES_DIR, type DeviceProfile } from './profiles.ts'

const EXAMPLE_URL = new URL('../examples/profiles/my-fleet.json', import.meta.url)
const README_URL = new URL('../README.md', import.meta.url)

/** The built-in profiles exactly as they were written in TypeScript before they became files. */
const BEFORE: Record<string, DeviceProfile> = {
  'ble-default': {
    name: 'ble-default',
    description: 'healthy BLE: open 20-800 ms (median 60), read/write 2-8 ms, rare failures',
    latency: {
      info: { kind: 'uniform', minMs: 0, maxMs: 1 },
      open: { kind: 'lognormal', medianMs: 60, sigma: 0.6, maxMs: 800 },
      read: { kind: 'uniform', minMs: 2, maxMs: 8 },
      write: { kind: 'uniform', minMs: 3, maxMs: 10 },
      close: { kind: 'uniform', minMs: 1, maxMs: 5 },
    },
    failures: {
      open: { probability: 0.01, kinds: [{ code: 'connect_timeout', weight: 1 }] },
      read: { probability: 0.002, kinds: [{ code: 'gatt_error', weight: 1 }] },
      write: { probability: 0.002, kinds: [{ code: 'gatt_error', weight: 1 }] },
    },
    connectTimeoutMs: 1000,
    radioSlots: 8,
  },
  'ble-flaky': {
    name: 'ble-flaky',
    description: 'weak links: open 100-3000 ms (median 250), 20% failed opens (connect_timeout, out_of_range), 5% GATT errors',
    latency: {
      info: { kind: 'uniform', minMs: 0, maxMs: 2 },
      open: { kind: 'lognormal', medianMs: 250, sigma: 0.8, maxMs: 3000 },
      read: { kind: 'uniform', minMs: 5, maxMs: 40 },
      write: { kind: 'uniform', minMs: 5, maxMs: 50 },
      close: { kind: 'uniform', minMs: 2, maxMs: 20 },
    },
    failures: {
      open: { probability: 0.2, kinds: [{ code: 'connect_timeout', weight: 3 }, { code: 'out_of_range', weight: 2 }] },
      read: { probability: 0.05, kinds: [{ code: 'gatt_error', weight: 1 }] },
      write: { probability: 0.05, kinds: [{ code: 'gatt_error', weight: 1 }] },
    },
    connectTimeoutMs: 1500,
    radioSlots: 4,
  },
  instant: {
    name: 'instant',
    description: 'zero latency, no failures, unlimited radio: measures the MQTT path alone (benchmarks)',
    latency: {
      info: { kind: 'fixed', ms: 0 },
      open: { kind: 'fixed', ms: 0 },
      read: { kind: 'fixed', ms: 0 },
      write: { kind: 'fixed', ms: 0 },
      close: { kind: 'fixed', ms: 0 },
    },
    failures: {},
    connectTimeoutMs: 0,
    radioSlots: Number.MAX_SAFE_INTEGER,
  },
}

describe('built-in profiles', () => {
  it('are the files in simulator/profiles/, each valid against the schema and named after its file', () => {
    const files = readdirSync(PROFILES_DIR).sort()
    expect(files).toEqual(profileNames().map((n) => `${n}.json`))
    for (const file of files) {
      const profile = parseProfile(readFileSync(new URL(file, PROFILES_DIR), 'utf8'), file)
      expect(`${profile.name}.json`).toBe(file)
    }
  })

  it('are loaded exactly as they were written in TypeScript, so behaviour is unchanged', () => {
    expect(PROFILES).toEqual(BEFORE)
    expect(profileNames()).toEqual(['ble-default', 'ble-flaky', 'instant'])
    expect(getProfile('instant')?.radioSlots).toBe(Number.MAX_SAFE_INTEGER)
    expect(getProfile('nope')).toBeUndefined()
    expect(getProfile('toString')).toBeUndefined()
  })

  it('load in a worker thread whose process works in another directory', async () => {
    // The thread loads the module through tsx, as the RPC worker threads load theirs.
    const tsx = import.meta.resolve('tsx/esm/api')
    const module = new URL('./profiles.ts', import.meta.url).href
    const code = `
      const { parentPort, workerData } = require('node:worker_threads')
      import(workerData.tsx)
        .then(({ tsImport }) => tsImport(workerData.module, workerData.module))
        .then((m) => parentPort.postMessage(m.PROFILES), (err) => parentPort.postMessage({ error: String(err) }))`
    const cwd = process.cwd()
    process.chdir(tmpdir())
    try {
      const worker = new Worker(code, { eval: true, workerData: { tsx, module } })
      const loaded = await new Promise((resolve, reject) => {
        worker.once('message', resolve)
        worker.once('error', reject)
      })
      await worker.terminate()
      expect(loaded).toEqual(BEFORE)
    } finally {
      process.chdir(cwd)
    }
  })
})

describe('the profile schema', () => {
  it('allows exactly the error codes of the wire contract', () => {
    const schema = JSON.parse(readFileSync(PROFILE_SCHEMA_URL, 'utf8')) as { $defs: { failure: { properties: { kinds: { items: { properties: { code: { enum: string[] } } } } } } } }
    expect(schema.$defs.failure.properties.kinds.items.properties.code.enum).toEqual([...ERROR_CODES])
  })

  it('accepts the README example, which is examples/profiles/my-fleet.json', () => {
    const text = readFileSync(EXAMPLE_URL, 'utf8')
    const example = parseProfile(text, 'examples/profiles/my-fleet.json')
    expect(example).toMatchObject({ name: 'my-fleet', radioSlots: 6, connectTimeoutMs: 1200 })
    const section = /## Device profiles\n([\s\S]*?)\n## /.exec(readFileSync(README_URL, 'utf8'))?.[1]
    const block = section && /```json\n([\s\S]*?)```/.exec(section)?.[1]
    expect(block, 'the README has a "Device profiles" section with a json block').toBeDefined()
    expect(JSON.parse(block!)).toEqual(JSON.parse(text))
  })

  it('gives back every profile in file form that parses to the same profile (what result.json records)', () => {
    for (const p of Object.values(PROFILES)) expect(parseProfile(JSON.stringify(profileFileOf(p)), p.name)).toEqual(p)
    expect(profileFileOf(PROFILES.instant!).radioSlots).toBe('unlimited')
  })
})

describe('--profile NAME|PATH', () => {
  it('is a path when it holds a slash or a backslash or ends in .json, and a name otherwise', () => {
    for (const raw of ['./x.json', 'x.json', 'X.JSON', 'dir/x', 'C:\\fleet\\x', '/abs/p']) expect(isProfilePath(raw)).toBe(true)
    for (const raw of ['ble-default', 'instant', 'json', 'x.jsonl']) expect(isProfilePath(raw)).toBe(false)
  })

  it('keeps a built-in as its name, so results and baselines record it as before', () => {
    expect(profileChoice('profile', 'ble-flaky')).toBe('ble-flaky')
    expect(profileOf('ble-flaky')).toBe(PROFILES['ble-flaky'])
    expect(profileLabel('ble-flaky')).toBe('ble-flaky')
  })

  it('refuses an unknown name, listing the names and saying a path works too', () => {
    expect(() => profileChoice('profile', 'fast')).toThrow(
      new UsageError('--profile must be one of ble-default, ble-flaky, instant, or the path of a device profile JSON file (e.g. ./my-fleet.json), got "fast"'),
    )
  })
})
