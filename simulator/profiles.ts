/**
 * The built-in device profiles, which are profile files (profiles/*.json) read and checked like any
 * other, and the --profile option: a built-in's name or the path of a profile file.
 */
import { readFileSync } from 'node:fs'
import { UsageError } from '../core/cli-support.ts'
import type { DeviceProfile } from './device-profile.ts'
import { parseProfile, readProfileFile, sourceOf } from './profile-file.ts'

export { drawFailure, sample, UNLIMITED_SLOTS, type DeviceProfile, type Dist, type Failure } from './device-profile.ts'

/** Where the built-in profile files are, beside this module (so a worker thread or another cwd finds them too). */
export const PROFILES_DIR = new URL('./profiles/', import.meta.url)
const BUILT_IN = ['ble-default', 'ble-flaky', 'instant'] as const

function builtIn(name: string): DeviceProfile {
  try {
    return parseProfile(readFileSync(new URL(`${name}.json`, PROFILES_DIR), 'utf8'), `simulator/profiles/${name}.json`)
  } catch (err) {
    // A broken built-in is a fault of this installation, not of the command line.
    throw new Error(`built-in device profile ${name} is broken: ${(err as Error).message}`)
  }
}

export const PROFILES: Readonly<Record<string, DeviceProfile>> = Object.fromEntries(BUILT_IN.map((name) => [name, builtIn(name)]))

export function profileNames(): string[] {
  return Object.keys(PROFILES)
}

export function getProfile(name: string): DeviceProfile | undefined {
  return Object.hasOwn(PROFILES, name) ? PROFILES[name] : undefined
}

/** A --profile value: a built-in's name, or a profile read from a file (which writes itself to JSON as `{ file, profile }`). */
export type ProfileChoice = string | DeviceProfile

/** A --profile value is a path when it holds a `/` or `\` or ends in `.json`; anything else names a built-in. */
export const isProfilePath = (raw: string): boolean => /[/\\]/.test(raw) || /\.json$/i.test(raw)

/** `--{option} NAME|PATH`, checked at parse time: a built-in's name, or the checked profile from the file; else a UsageError. */
export function profileChoice(option: string, raw: string): ProfileChoice {
  if (isProfilePath(raw)) return readProfileFile(option, raw)
  if (getProfile(raw)) return raw
  throw new UsageError(`--${option} must be one of ${profileNames().join(', ')}, or the path of a device profile JSON file (e.g. ./my-fleet.json), got ${JSON.stringify(raw)}`)
}

/** The profile a choice stands for. */
export function profileOf(choice: ProfileChoice): DeviceProfile {
  if (typeof choice !== 'string') return choice
  const profile = getProfile(choice)
  if (!profile) throw new Error(`no built-in device profile ${JSON.stringify(choice)}`)
  return profile
}

/** How a choice reads in a banner or --help: the name, and the file it came from. */
export const profileLabel = (choice: ProfileChoice): string => {
  if (typeof choice === 'string') return choice
  const file = sourceOf(choice)
  return file === undefined ? choice.name : `${choice.name} (${file})`
}
