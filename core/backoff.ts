/**
 * Exponential backoff with full jitter, the way the AWS architecture blog describes it: before
 * attempt n (0-based) wait a uniform draw in [0, min(cap, base · 2^n)). One home for the rule: the
 * callers' retries (loadgen/strategies/retry.ts) and the gateways' reconnects use it.
 */
import { duration, UsageError } from './cli-support.ts'
import type { Rng } from './rng.ts'

export interface BackoffRange {
  baseMs: number
  capMs: number
}

/** The most a wait before attempt `n` (0-based) can be: min(cap, base · 2^n); 0 when the base is 0. */
export const backoffCeilingMs = (p: BackoffRange, n: number): number => (p.baseMs === 0 ? 0 : Math.min(p.capMs, p.baseMs * 2 ** Math.min(n, 64)))

/** Full jitter: the wait before attempt `n`, uniform in [0, ceiling). */
export const backoffMs = (p: BackoffRange, n: number, rng: Rng): number => rng.next() * backoffCeilingMs(p, n)

/**
 * `base..cap`, two durations (`50ms..2s`); with `minMs` 0 also `0` alone (no wait at all). Throws a
 * UsageError naming `--name`.
 */
export function parseBackoffRange(name: string, raw: string, minMs = 1, maxMs = 600_000): BackoffRange {
  if (minMs === 0 && /^\s*0+(\.0+)?\s*(ms|s|m)?\s*$/.test(raw)) return { baseMs: 0, capMs: 0 }
  const parts = raw.split('..')
  if (parts.length !== 2) throw new UsageError(`--${name} must be base..cap, two durations like 50ms..2s${minMs === 0 ? ' (or 0: no wait)' : ''}, got ${JSON.stringify(raw)}`)
  const baseMs = duration(name, parts[0]!.trim(), minMs, maxMs)
  const capMs = duration(name, parts[1]!.trim(), minMs, maxMs)
  if (capMs < baseMs) throw new UsageError(`--${name}: the cap (${parts[1]!.trim()}) must not be below the base (${parts[0]!.trim()}); write base..cap, e.g. 50ms..2s`)
  return { baseMs, capMs }
}

/** `1s..30s` for messages and banners. */
export const backoffText = (p: BackoffRange): string => (p.capMs === 0 ? '0' : `${msText(p.baseMs)}..${msText(p.capMs)}`)
const msText = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`)
