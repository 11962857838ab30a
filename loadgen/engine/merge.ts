/** Merging worker slices into one: counters add, histograms add exactly, series align by time. */
import { ERROR_KINDS } from '../clients/types.ts'
import { sumClientStats } from '../../core/counters.ts'
import { mergeEncoded } from '../../core/histogram.ts'
import { mergeSeries } from '../../core/series.ts'
import { emptyCounts, type DeviceTarget, type SliceResult, type UserPlan } from './types.ts'

export function mergeSlices(slices: readonly SliceResult[]): SliceResult {
  const counts = emptyCounts(ERROR_KINDS)
  const deviceErrors: Record<string, number> = {}
  let series: SliceResult['series'] = []
  let rounds = 0
  let roundsPastDeadline = 0
  let roundsMissed = 0
  let elapsedMs = 0
  const attempts: SliceResult['attempts'] = { sent: 0, ok: 0, errors: {}, retried: 0, retriedOk: 0 }
  for (const s of slices) {
    attempts.sent += s.attempts.sent
    attempts.ok += s.attempts.ok
    attempts.retried += s.attempts.retried
    attempts.retriedOk += s.attempts.retriedOk
    for (const [k, v] of Object.entries(s.attempts.errors)) attempts.errors[k] = (attempts.errors[k] ?? 0) + v
    counts.sent += s.counts.sent
    counts.ok += s.counts.ok
    counts.dropped += s.counts.dropped
    for (const [k, v] of Object.entries(s.counts.errors)) counts.errors[k as keyof typeof counts.errors] = (counts.errors[k as keyof typeof counts.errors] ?? 0) + v
    for (const [k, v] of Object.entries(s.deviceErrors)) deviceErrors[k] = (deviceErrors[k] ?? 0) + v
    series = mergeSeries(series, s.series)
    rounds += s.rounds
    roundsPastDeadline += s.roundsPastDeadline
    roundsMissed += s.roundsMissed
    elapsedMs = Math.max(elapsedMs, s.elapsedMs)
  }
  return {
    counts,
    deviceErrors,
    rounds,
    roundsPastDeadline,
    roundsMissed,
    attempts,
    callLatency: mergeEncoded(slices.map((s) => s.callLatency)),
    roundLatency: mergeEncoded(slices.map((s) => s.roundLatency)),
    roundLatencyUncorrected: mergeEncoded(slices.map((s) => s.roundLatencyUncorrected)),
    series,
    clients: sumClientStats(slices.map((s) => s.clients)),
    elapsedMs,
  }
}


/** Deals devices to users round-robin, so every user spans every gateway. */
export function planUsers(devices: readonly DeviceTarget[], users: number): UserPlan[] {
  const plans: UserPlan[] = Array.from({ length: Math.min(users, devices.length) }, (_, i) => ({ userIndex: i, devices: [] }))
  devices.forEach((d, i) => plans[i % plans.length]!.devices.push(d))
  return plans
}

/** Deals users to workers round-robin; a worker with no user gets no task. */
export function splitUsers(plans: readonly UserPlan[], workers: number): UserPlan[][] {
  const out: UserPlan[][] = Array.from({ length: Math.min(workers, plans.length) }, () => [])
  plans.forEach((p, i) => out[i % out.length]!.push(p))
  return out
}
