/**
 * Option validation shared by strategies. Each option has a `key` (camelCase, as in scenario files
 * and result labels) and a `flag` (kebab-case, as on the command line); either spelling is
 * accepted, and messages use the flag. Keys whose value is `undefined` count as absent.
 */
import type { StrategyName } from './types.ts'

export interface OptionName {
  key: string
  flag: string
}

/** Options object of a strategy that takes none. */
export type NoOptions = Record<string, never>

/** Throws on any option the strategy does not know, so typos do not silently fall back to defaults. */
export function rejectUnknown(strategy: StrategyName, raw: Readonly<Record<string, unknown>>, names: readonly OptionName[]): void {
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined || names.some((n) => n.key === key || n.flag === key)) continue
    throw new Error(
      names.length === 0
        ? `strategy ${strategy} takes no options, got ${key}`
        : `strategy ${strategy} has no option ${key}; allowed: ${names.map((n) => n.flag).join(', ')}`,
    )
  }
}

/** The option's value under either spelling; undefined when absent. */
export function readOption(raw: Readonly<Record<string, unknown>>, name: OptionName): unknown {
  const byKey = raw[name.key]
  const byFlag = raw[name.flag]
  if (byKey !== undefined && byFlag !== undefined && byKey !== byFlag) {
    throw new Error(`${name.flag} given twice with different values (${show(byKey)} and ${show(byFlag)})`)
  }
  return byKey !== undefined ? byKey : byFlag
}

/** A whole number in [min, max]; numbers and decimal strings ("8", from a command line) are accepted. */
export function wholeNumber(flag: string, value: unknown, min: number, max: number): number {
  const n = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value
  if (typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max) return n
  throw new Error(`${flag} must be a whole number from ${min} to ${max}, got ${show(value)}`)
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value)
  return Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : typeof value
}
