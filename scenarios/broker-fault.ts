/**
 * `--fault broker-restart@5s[:1s]`: in every cell, 5 s after it starts, the embedded broker is
 * closed (every connection drops) and reopened on the same port after 1 s (the default downtime).
 * Clients and gateways reconnect on their own; calls pending at the cut fail as `disconnected`.
 */
import { duration, UsageError } from '../core/cli-support.ts'
import type { OptionSpec } from './types.ts'

export interface BrokerRestartFault {
  kind: 'broker-restart'
  atMs: number
  downtimeMs: number
}

export function parseBrokerFault(raw: string, name: string): BrokerRestartFault | undefined {
  if (raw === 'none') return undefined
  const m = /^broker-restart@([^:]+)(?::(.+))?$/.exec(raw.trim())
  if (!m) throw new UsageError(`--${name} must be none or broker-restart@<when>[:<downtime>] (e.g. broker-restart@5s:1s), got ${JSON.stringify(raw)}`)
  return { kind: 'broker-restart', atMs: duration(name, m[1], 1, 3_600_000), downtimeMs: m[2] === undefined ? 1000 : duration(name, m[2], 1, 600_000) }
}

export const brokerFaultSpec: OptionSpec<BrokerRestartFault | undefined> = {
  describe: 'fault injected in every cell: none, or broker-restart@<when>[:<downtime>] (embedded broker)',
  parse: parseBrokerFault,
  show: (f) => (f === undefined ? 'none' : `broker-restart@${f.atMs}ms:${f.downtimeMs}ms`),
}
