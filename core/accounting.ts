/**
 * The rules every cell is judged by, one home each: the accounting invariant, error totals and
 * rates, and per-second figures. Runners, thresholds, the gate, reports and findings all import
 * these; none computes them itself.
 */
import type { AttemptCounts, CellCounts } from './result.ts'

/** Errors of every kind. */
export const errorTotal = (c: CellCounts): number => Object.values(c.errors).reduce((a, b) => a + b, 0)

/**
 * The fraction of sent requests that failed in transport: every error kind except `device-error`
 * (a device that answered "not connected" did answer; see deviceErrorRate).
 */
export function errorRate(c: CellCounts): number {
  return c.sent > 0 ? (errorTotal(c) - (c.errors['device-error'] ?? 0)) / c.sent : 0
}

/** The fraction of sent calls a device answered with an error. */
export function deviceErrorRate(c: CellCounts): number {
  return c.sent > 0 ? (c.errors['device-error'] ?? 0) / c.sent : 0
}

/** `n` events over `ms` milliseconds as a per-second rate, to two decimals; 0 for no time. */
export function perSec(n: number, ms: number): number {
  return ms > 0 ? Math.round((n / (ms / 1000)) * 100) / 100 : 0
}

/** sent = ok + Σ errors + dropped for calls, and sent = ok + Σ errors for their attempts; returns a one-line complaint or undefined. */
export function accountingError(cell: { id: string; counts: CellCounts; attempts?: AttemptCounts }): string | undefined {
  const { sent, ok, dropped } = cell.counts
  const errs = errorTotal(cell.counts)
  if (sent !== ok + errs + dropped) return `cell ${cell.id}: accounting broken: sent ${sent} != ok ${ok} + errors ${errs} + dropped ${dropped}`
  const a = cell.attempts
  if (a === undefined) return undefined
  const aErrs = Object.values(a.errors).reduce((x, y) => x + y, 0)
  if (a.sent !== a.ok + aErrs) return `cell ${cell.id}: attempt accounting broken: attempts ${a.sent} != ok ${a.ok} + errors ${aErrs}`
  if (a.ok !== ok || a.sent < sent - dropped) return `cell ${cell.id}: attempt accounting broken: ${a.sent} attempts (${a.ok} ok) for ${sent - dropped} calls sent (${ok} ok)`
  return undefined
}

/** Attempts per call sent (1 without retries). */
export const attemptsPerCall = (c: { counts: CellCounts; attempts?: AttemptCounts }): number => {
  const calls = c.counts.sent - c.counts.dropped
  return c.attempts && calls > 0 ? c.attempts.sent / calls : 1
}

/** A cell whose accounting is broken is failed, with the reason; others are returned as they are. */
export function withAccountingChecked<C extends { id: string; counts: CellCounts; attempts?: AttemptCounts; status: string; error?: string }>(cell: C): C {
  const broken = accountingError(cell)
  return broken ? { ...cell, status: 'failed', error: broken } : cell
}
