/** Option parsers shared by scenarios; each throws a UsageError that names the option. */
import { cpus } from 'node:os'
import { duration, integer, oneOf, UsageError } from '../simulator/cli-support.ts'
import { parseBrokerUrl } from '../simulator/mqtt-connect.ts'
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

export interface CommonOptions {
  profile: string
  seed: number
  broker: string | undefined
  username: string | undefined
  password: string | undefined
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
  out: undefined,
  workers: Math.max(1, Math.min(2, cpus().length)),
  qos: 1,
})

export const commonSpecs = {
  profile: choice(profileNames(), 'device profile'),
  seed: int(0, 2 ** 32 - 1, 'seed for device behaviour; same seed, same device decisions'),
  broker: {
    describe: 'external broker URL (mqtt:// or mqtts://); the fleet is attached to it',
    parse: (raw: string, name: string) => {
      try {
        parseBrokerUrl(raw)
      } catch (err) {
        throw new UsageError(`--${name}: ${(err as Error).message}`)
      }
      return raw
    },
  } satisfies OptionSpec<string | undefined>,
  username: text('username for --broker'),
  password: text('password for --broker'),
  out: text('directory for result.json (default results/<scenario>/<timestamp>)'),
  workers: int(1, 64, 'worker threads running the clients'),
  qos: { describe: 'QoS of requests and replies (0 or 1)', parse: (raw: string, name: string) => integer(name, raw, 0, 1) as 0 | 1 } satisfies OptionSpec<0 | 1>,
}
