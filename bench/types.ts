/** What every bench measurement produces, so the report and the ratios treat them alike. */

/** (a) raw TCP, (b) hand-written MQTT.js loop, (c) fleetbench's full path. */
export type Floor = 'tcp' | 'bare' | 'loadgen'
export type BrokerKind = 'aedes' | 'mosquitto'

export interface Measurement {
  floor: Floor
  /** Undefined for TCP. */
  broker?: BrokerKind
  /** Undefined for TCP. */
  qos?: 0 | 1
  /** Calls in flight at once (closed loop: each one issues the next call when it completes). */
  concurrency: number
  /** Successful calls. */
  calls: number
  errors: number
  elapsedMs: number
  callsPerSec: number
  p50Us: number
  p99Us: number
}

/** One cell of the grid, measured once per repeat; the report shows the median over repeats. */
export interface CellKey {
  floor: Floor
  broker?: BrokerKind
  qos?: 0 | 1
  concurrency: number
}

export const cellId = (k: CellKey): string =>
  k.floor === 'tcp' ? `tcp c${k.concurrency}` : `${k.floor} ${k.broker} qos${k.qos} c${k.concurrency}`

export const perSec = (n: number, ms: number): number => (ms > 0 ? n / (ms / 1000) : 0)
