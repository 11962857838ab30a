/**
 * Device profile files (README, "Device profiles"): JSON checked against profile.schema.json, then
 * against what a schema cannot say (ranges in order, some failure weight above zero), and turned
 * into a DeviceProfile. The built-in profiles (profiles/*.json) are read by this same code.
 */
import { readFileSync } from 'node:fs'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import { readableFile, UsageError } from '../core/cli-support.ts'
import { schemaErrorLine } from '../core/schema-message.ts'
import { UNLIMITED_SLOTS, type DeviceProfile, type Dist } from './device-profile.ts'

export const PROFILE_SCHEMA_URL = new URL('./profile.schema.json', import.meta.url)

/** A profile as its file holds it: radioSlots may be "unlimited"; info (default 0 ms), failures (default none) and description may be left out. */
export interface ProfileFile {
  $schema?: string
  name: string
  description?: string
  latency: { info?: Dist; open: Dist; read: Dist; write: Dist; close: Dist }
  failures?: DeviceProfile['failures']
  connectTimeoutMs: number
  radioSlots: number | 'unlimited'
}

const INSTANT: Dist = { kind: 'fixed', ms: 0 }

let checker: { validate: ValidateFunction; schema: Record<string, unknown> } | undefined

function schemaCheck(): { validate: ValidateFunction; schema: Record<string, unknown> } {
  if (!checker) {
    const schema = JSON.parse(readFileSync(PROFILE_SCHEMA_URL, 'utf8')) as Record<string, unknown>
    // verbose: errors carry the failing value and its schema, which the one-line message is made from.
    const validate = new Ajv2020({ allErrors: false, strict: true, allowUnionTypes: true, discriminator: true, verbose: true }).compile(schema)
    checker = { validate, schema }
  }
  return checker
}

/** The JSON parser's complaint, with a line and column when it gives only a position. */
function jsonError(err: unknown, text: string): string {
  const message = (err as Error).message.split('\n')[0] ?? 'unreadable'
  const at = /at position (\d+)/.exec(message)
  if (!at || /line \d+/.test(message)) return message
  const before = text.slice(0, Number(at[1])).split('\n')
  return `${message} (line ${before.length}, column ${(before[before.length - 1]?.length ?? 0) + 1})`
}

/** What the schema cannot say: a uniform range in order, a cap at or above the median, a failure that can pick a code. */
function ruleBroken(file: ProfileFile): string | undefined {
  for (const [verb, d] of Object.entries(file.latency)) {
    const at = `latency.${verb}`
    if (d.kind === 'uniform' && d.minMs > d.maxMs)
      return `${at}.minMs (${d.minMs}) is above ${at}.maxMs (${d.maxMs}); a uniform range needs minMs <= maxMs`
    if (d.kind === 'lognormal' && d.maxMs < d.medianMs)
      return `${at}.maxMs (${d.maxMs}) is below ${at}.medianMs (${d.medianMs}); the cap must be at least the median`
  }
  for (const [verb, f] of Object.entries(file.failures ?? {}))
    if (f.kinds.every((k) => k.weight === 0)) return `failures.${verb}.kinds has only weights of 0; give at least one kind a weight above 0`
  return undefined
}

function toProfile(file: ProfileFile): DeviceProfile {
  const { info = INSTANT, open, read, write, close } = file.latency
  return {
    name: file.name,
    description: file.description ?? '',
    latency: { info, open, read, write, close },
    failures: file.failures ?? {},
    connectTimeoutMs: file.connectTimeoutMs,
    radioSlots: file.radioSlots === 'unlimited' ? UNLIMITED_SLOTS : file.radioSlots,
  }
}

/** A profile in file form, every default written out: it validates and parses back to the same profile. */
export function profileFileOf(p: DeviceProfile): ProfileFile {
  const { name, description, latency, failures, connectTimeoutMs } = p
  return { name, description, latency, failures, connectTimeoutMs, radioSlots: p.radioSlots >= UNLIMITED_SLOTS ? 'unlimited' : p.radioSlots }
}

/**
 * Parses and checks profile JSON; every problem is a UsageError of one line that starts with
 * `source` (e.g. `--profile ./x.json`) and names the field and the fix.
 */
export function parseProfile(text: string, source: string): DeviceProfile {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new UsageError(`${source}: not JSON (${jsonError(err, text)}); fix the file (the README's "Device profiles" has one to start from)`)
  }
  const { validate, schema } = schemaCheck()
  if (!validate(value)) throw new UsageError(`${source}: ${schemaErrorLine(validate.errors ?? [], schema, 'a device profile')}`)
  const file = value as ProfileFile
  const broken = ruleBroken(file)
  if (broken !== undefined) throw new UsageError(`${source}: ${broken}`)
  return toProfile(file)
}

/**
 * Reads `--{option} PATH` at parse time. The profile is written to JSON (result.json's options) as
 * `{ file, profile }`: the path as given and the whole checked profile, so a result says exactly what
 * the devices did even after the file changes, and `jq .options.profile.profile` gives a file that
 * reproduces the run.
 */
export function readProfileFile(option: string, path: string): DeviceProfile {
  const text = readableFile(option, path, 'a device profile JSON file').toString('utf8')
  const profile = parseProfile(text, `--${option} ${path}`)
  sources.set(profile, path)
  return Object.defineProperty(profile, 'toJSON', { value: () => ({ file: path, profile: profileFileOf(profile) }), enumerable: false })
}

const sources = new WeakMap<DeviceProfile, string>()

/** The path a profile was read from by readProfileFile, as given. */
export const sourceOf = (profile: DeviceProfile): string | undefined => sources.get(profile)
