/** reconnect-storm's options and the cells they give: one per connect pacing. */
import { UsageError } from '../../core/cli-support.ts'
import type { ProfileChoice } from '../../simulator/profiles.ts'
import type { CellIdentity } from '../cell-runner.ts'
import type { LinkOptions } from '../options.ts'

export const STORM_FAULTS = ['broker-restart', 'cut'] as const
export type StormFault = (typeof STORM_FAULTS)[number]

export interface ReconnectStormOptions extends LinkOptions {
  gateways: number
  devicesPerGateway: number
  /** One cell per pacing: gateways' (re)connects per second, 0 = all at once. */
  connectRate: number[]
  reconnectBackoff: { baseMs: number; capMs: number }
  fault: StormFault
  /** How long the broker is down (restart) or unreachable (cut). */
  downtime: number
  /** Steady calls before the fault. */
  warmUp: number
  /** The caller's calls per second to random devices, and each call's deadline. */
  callRate: number
  callTimeout: number
  /** Longest wait, from the broker back up, for every gateway to be subscribed again. */
  recoveryTimeout: number
  profile: ProfileChoice
  seed: number
  repeat: number
  out: string | undefined
}

export interface StormCellSpec extends CellIdentity {
  connectRate: number
}

export const cellIdOf = (rate: number): string => `connect-rate-${rate}`

export function stormCells(o: Pick<ReconnectStormOptions, 'connectRate'>): StormCellSpec[] {
  return o.connectRate.map((r) => ({ id: cellIdOf(r), labels: { connectRate: r }, connectRate: r }))
}

export function validateStorm(o: ReconnectStormOptions): void {
  const devices = o.gateways * o.devicesPerGateway
  if (devices > 1_000_000) throw new UsageError(`--gateways ${o.gateways} × --devices-per-gateway ${o.devicesPerGateway} is ${devices} devices; keep it at most 1000000`)
  if (o.callTimeout >= o.recoveryTimeout) throw new UsageError(`--call-timeout (${o.callTimeout} ms) must be shorter than --recovery-timeout (${o.recoveryTimeout} ms)`)
}
