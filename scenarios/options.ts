/** Option parsers shared by scenarios; each throws a UsageError that names the option. */
import { cpus } from 'node:os'
import { brokerUrl, callerCredentials, type Credentials } from '../core/broker-access.ts'
import { duration, integer, listOf, oneOf, readablePem, UsageError } from '../core/cli-support.ts'
import { backoffText, parseBackoffRange, type BackoffRange } from '../core/backoff.ts'
import { parseRate } from '../core/pacer.ts'
import { CONVENTIONS, parseConventions, type RpcConvention } from '../simulator/conventions.ts'
import { profileChoice, profileLabel, profileNames, type ProfileChoice } from '../simulator/profiles.ts'
import { describeLink, LINK_NAMES, LINK_PROFILES, linkSpecText, parseLink, type LinkSpec } from '../loadgen/faults/link-profile.ts'
import type { OptionSpec } from './types.ts'

export const int = (min: number, max: number, describe: string): OptionSpec<number> => ({
  describe,
  parse: (raw, name) => integer(name, raw, min, max),
})

export const ms = (describe: string, minMs = 1, maxMs = 24 * 3_600_000): OptionSpec<number> => ({
  describe,
  parse: (raw, name) => duration(name, raw, minMs, maxMs),
  show: (v) => (v % 1000 === 0 ? `${v / 1000}s` : `${v}ms`),
})

export const choice = <T extends string>(allowed: readonly T[], describe: string): OptionSpec<T> => ({
  describe: `${describe} (${allowed.join(', ')})`,
  parse: (raw, name) => oneOf(name, raw, allowed),
})

/** A comma-separated list of numbers, each read by `one`, deduplicated and sorted; `what` names one item in the message for an empty list. */
export const numberList = (describe: string, what: string, example: string, one: (raw: string, name: string) => number): OptionSpec<number[]> => ({
  describe,
  parse: (raw, name) => {
    const items = raw.split(',').map((s) => s.trim()).filter((s) => s !== '')
    if (items.length === 0) throw new UsageError(`--${name} needs at least one ${what}, e.g. ${example}`)
    return [...new Set(items.map((s) => one(s, name)))].sort((a, b) => a - b)
  },
  show: (v) => v.join(','),
})

/** A comma-separated list of whole numbers in [min, max], deduplicated and sorted. */
export const intList = (min: number, max: number, describe: string, example: string): OptionSpec<number[]> =>
  numberList(describe, 'whole number', example, (raw, name) => integer(name, raw, min, max))

/** A comma-separated list of names from `allowed`, deduplicated, in the order given. */
export const nameList = <T extends string>(allowed: readonly T[], describe: string): OptionSpec<T[]> => ({
  describe: `${describe}, comma-separated (${allowed.join(', ')})`,
  parse: (raw, name) => listOf(name, raw, allowed),
  show: (v) => v.join(','),
})

/** `base..cap`, two durations: the first backoff ceiling and the largest; with `minMs` 0 also `0` (no wait). */
export const backoffRange = (describe: string, minMs = 1): OptionSpec<BackoffRange> => ({
  describe,
  parse: (raw, name) => parseBackoffRange(name, raw, minMs),
  show: backoffText,
})

/** `--conventions envelope,mqtt5,mqttnet`: what the fleet serves (fewer subscriptions per device). */
export const conventionsOption = (describe = 'RPC conventions the fleet serves (envelope and mqtt5 share 1 subscription per device, mqttnet costs 5)'): OptionSpec<RpcConvention[]> => ({
  describe: `${describe}: a comma-separated list of ${CONVENTIONS.join(', ')}`,
  parse: (raw, name) => parseConventions(name, raw),
  show: (v) => v.join(','),
})

/** `--connect-rate 200/s`: connects per second through one token bucket; 0 = all at once. */
export const connectRateOption = (describe: string): OptionSpec<number> => ({
  describe,
  parse: (raw, name) => parseRate(name, raw),
  show: (v) => `${v}/s`,
})

export const text = (describe: string): OptionSpec<string | undefined> => ({ describe, parse: (raw) => raw })

export const positiveRate = (describe: string): OptionSpec<number | undefined> => ({
  describe,
  parse: (raw, name) => {
    const n = Number(raw)
    if (!/^\s*\d+(\.\d+)?\s*$/.test(raw) || !(n > 0) || n > 1_000_000)
      throw new UsageError(`--${name} must be a positive number up to 1000000, got ${JSON.stringify(raw)}`)
    return n
  },
})

/** A readable PEM file, checked at parse time. */
export const pemFile = (describe: string): OptionSpec<string | undefined> => ({ describe, parse: (raw, name) => readablePem(name, raw) })

export interface CommonOptions {
  /** A built-in's name, or the profile read from --profile FILE.json (recorded in result.json as { file, profile }). */
  profile: ProfileChoice
  seed: number
  broker: string | undefined
  username: string | undefined
  password: string | undefined
  /** Locks the embedded broker down; this user is the callers' (written to results without its password). */
  auth: Credentials | undefined
  /** PEM file paths for an mqtts:// or wss:// --broker. */
  ca: string | undefined
  cert: string | undefined
  key: string | undefined
  out: string | undefined
  workers: number
  qos: 0 | 1
}

export const commonDefaults = (): CommonOptions => ({
  profile: 'ble-default',
  seed: 1,
  broker: undefined,
  username: undefined,
  password: undefined,
  auth: undefined,
  ca: undefined,
  cert: undefined,
  key: undefined,
  out: undefined,
  workers: Math.max(1, Math.min(2, cpus().length)),
  qos: 1,
})

export const commonSpecs = {
  profile: {
    describe: `device profile: a built-in (${profileNames().join(', ')}) or the path of a profile JSON file (README, Device profiles)`,
    parse: (raw: string, name: string) => profileChoice(name, raw),
    show: profileLabel,
  } satisfies OptionSpec<ProfileChoice>,
  seed: int(0, 2 ** 32 - 1, 'seed for device behaviour; same seed, same device decisions'),
  broker: {
    describe: 'external broker URL (mqtt://, mqtts://, ws:// or wss://); the fleet is attached to it',
    parse: (raw: string, name: string) => brokerUrl(name, raw),
  } satisfies OptionSpec<string | undefined>,
  username: text('username for --broker'),
  password: text('password for --broker'),
  auth: {
    describe: 'user:password: lock the embedded broker down (callers log in as this user, gateways get their own credentials, topic ACLs)',
    parse: (raw: string, name: string) => {
      const c = callerCredentials(name, raw)
      // result.json records every option: keep the password out of it.
      return Object.defineProperty(c, 'toJSON', { value: () => ({ username: c.username, password: '***' }), enumerable: false })
    },
  } satisfies OptionSpec<Credentials | undefined>,
  ca: pemFile('PEM file of the CA that signed the mqtts:// or wss:// --broker\'s certificate'),
  cert: pemFile('PEM client certificate for an mqtts:// or wss:// --broker that requires one (with --key)'),
  key: pemFile('PEM private key of --cert'),
  out: text('directory for result.json (default results/<scenario>/<timestamp>)'),
  workers: int(1, 64, 'worker threads running the clients'),
  qos: { describe: 'QoS of requests and replies (0 or 1)', parse: (raw: string, name: string) => integer(name, raw, 0, 1) as 0 | 1 } satisfies OptionSpec<0 | 1>,
}

/** The two shaped links of a run: callers ↔ broker and gateways (or the receiving side) ↔ broker. */
export interface LinkOptions {
  callerLink: LinkSpec
  gatewayLink: LinkSpec
}

export const link = (name: keyof typeof LINK_PROFILES): LinkSpec => ({ ...LINK_PROFILES[name]! })

const linkSpec = (describe: string): OptionSpec<LinkSpec> => ({
  describe: `${describe}: ${LINK_NAMES.join(', ')} or rtt=40ms,jitter=5ms,bandwidth=1mbit,loss=1% (rtt/2 each way, per connection, loss as retransmission delay)`,
  parse: (raw, name) => parseLink(name, raw),
  show: (v) => (v.name === 'custom' ? linkSpecText(v) : v.name),
})

export const linkSpecs = {
  callerLink: linkSpec('network between the callers and the broker'),
  gatewayLink: linkSpec('network between the gateways and the broker'),
}

/** The links as results and reports name them. */
export const linkEnvironment = (o: LinkOptions): { caller: string; gateway: string } => ({ caller: describeLink(o.callerLink), gateway: describeLink(o.gatewayLink) })

