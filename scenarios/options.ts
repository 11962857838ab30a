/** Option parsers shared by scenarios; each throws a UsageError that names the option. */
import { cpus } from 'node:os'
import { brokerUrl, callerCredentials, type Credentials } from '../core/broker-access.ts'
import { duration, integer, oneOf, readablePem, UsageError } from '../core/cli-support.ts'
import { profileNames } from '../simulator/profiles.ts'
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
  profile: string
  seed: number
  broker: string | undefined
  username: string | undefined
  password: string | undefined
  /** Locks the embedded broker down; this user is the callers' (written to results without its password). */
  auth: Credentials | undefined
  /** PEM file paths for an mqtts:// --broker. */
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
  profile: choice(profileNames(), 'device profile'),
  seed: int(0, 2 ** 32 - 1, 'seed for device behaviour; same seed, same device decisions'),
  broker: {
    describe: 'external broker URL (mqtt:// or mqtts://); the fleet is attached to it',
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
  ca: pemFile('PEM file of the CA that signed the mqtts:// --broker\'s certificate'),
  cert: pemFile('PEM client certificate for an mqtts:// --broker that requires one (with --key)'),
  key: pemFile('PEM private key of --cert'),
  out: text('directory for result.json (default results/<scenario>/<timestamp>)'),
  workers: int(1, 64, 'worker threads running the clients'),
  qos: { describe: 'QoS of requests and replies (0 or 1)', parse: (raw: string, name: string) => integer(name, raw, 0, 1) as 0 | 1 } satisfies OptionSpec<0 | 1>,
}
