/**
 * From measurements to what the report shows: the median of each cell over its repeats, the ratios
 * (c)/(b), (b)/(a) and Aedes/Mosquitto per cell, and the headline ratios of the issue, taken at
 * concurrency 16, QoS 1 (Aedes where the broker is not what is compared).
 */
import { cellId, type BrokerKind, type CellKey, type Measurement } from './types.ts'

export interface CellSummary extends CellKey {
  /** Medians over the repeats. */
  callsPerSec: number
  p50Us: number
  p99Us: number
  errors: number
  /** calls/s of each repeat, in run order. */
  repeats: number[]
}

export interface PairRatio {
  broker: BrokerKind
  qos: 0 | 1
  concurrency: number
  /** (c)/(b) calls/s. */
  loadgenVsBare: number | null
  /** Lowest and highest (c)/(b) of one repeat's pair (the two ran back to back); null with one repeat. */
  loadgenVsBareRange: [number, number] | null
  /** (b)/(a) calls/s. */
  bareVsTcp: number | null
}

export interface BrokerRatio {
  floor: 'bare' | 'loadgen'
  qos: 0 | 1
  concurrency: number
  aedesVsMosquitto: number | null
}

export const HEADLINE = { qos: 1, concurrency: 16 } as const

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

export function summarizeCells(samples: readonly Measurement[]): CellSummary[] {
  const groups = new Map<string, Measurement[]>()
  for (const m of samples) {
    const id = cellId(m)
    groups.set(id, [...(groups.get(id) ?? []), m])
  }
  return [...groups.values()].map((ms) => {
    const first = ms[0]!
    const key: CellKey = { floor: first.floor, broker: first.broker, qos: first.qos, concurrency: first.concurrency }
    return {
      ...key,
      callsPerSec: median(ms.map((m) => m.callsPerSec)),
      p50Us: median(ms.map((m) => m.p50Us)),
      p99Us: median(ms.map((m) => m.p99Us)),
      errors: ms.reduce((t, m) => t + m.errors, 0),
      repeats: ms.map((m) => m.callsPerSec),
    }
  })
}

export function findCell(cells: readonly CellSummary[], key: CellKey): CellSummary | undefined {
  const id = cellId(key)
  return cells.find((c) => cellId(c) === id)
}

const ratio = (a: CellSummary | undefined, b: CellSummary | undefined): number | null =>
  a === undefined || b === undefined || !(b.callsPerSec > 0) ? null : a.callsPerSec / b.callsPerSec

function pairedRange(a: CellSummary | undefined, b: CellSummary | undefined): [number, number] | null {
  if (a === undefined || b === undefined) return null
  const n = Math.min(a.repeats.length, b.repeats.length)
  if (n < 2) return null
  const rs: number[] = []
  for (let i = 0; i < n; i++) if (b.repeats[i]! > 0) rs.push(a.repeats[i]! / b.repeats[i]!)
  return rs.length < 2 ? null : [Math.min(...rs), Math.max(...rs)]
}

export function pairRatios(cells: readonly CellSummary[]): PairRatio[] {
  const out: PairRatio[] = []
  for (const c of cells) {
    if (c.floor !== 'bare' || c.broker === undefined || c.qos === undefined) continue
    const loadgen = findCell(cells, { ...c, floor: 'loadgen' })
    const tcp = findCell(cells, { floor: 'tcp', concurrency: c.concurrency })
    out.push({ broker: c.broker, qos: c.qos, concurrency: c.concurrency, loadgenVsBare: ratio(loadgen, c), loadgenVsBareRange: pairedRange(loadgen, c), bareVsTcp: ratio(c, tcp) })
  }
  return out
}

export function brokerRatios(cells: readonly CellSummary[]): BrokerRatio[] {
  const out: BrokerRatio[] = []
  for (const c of cells) {
    if (c.floor === 'tcp' || c.broker !== 'aedes' || c.qos === undefined) continue
    const mosquitto = findCell(cells, { ...c, broker: 'mosquitto' })
    out.push({ floor: c.floor, qos: c.qos, concurrency: c.concurrency, aedesVsMosquitto: ratio(c, mosquitto) })
  }
  return out
}

/** The three ratios of the issue, at concurrency 16, QoS 1. */
export function headlineRatios(cells: readonly CellSummary[]): { loadgenVsBare: number | null; bareVsTcp: number | null; aedesVsMosquitto: number | null } {
  const at = { qos: HEADLINE.qos, concurrency: HEADLINE.concurrency } as const
  const bareAedes = findCell(cells, { floor: 'bare', broker: 'aedes', ...at })
  return {
    loadgenVsBare: ratio(findCell(cells, { floor: 'loadgen', broker: 'aedes', ...at }), bareAedes),
    bareVsTcp: ratio(bareAedes, findCell(cells, { floor: 'tcp', concurrency: HEADLINE.concurrency })),
    aedesVsMosquitto: ratio(bareAedes, findCell(cells, { floor: 'bare', broker: 'mosquitto', ...at })),
  }
}
