/**
 * What a scenario or a command needs of a running fleet, wherever its gateways and broker run: in
 * this thread (a Simulation, through `hostOf`) or spread over threads (threads/threaded-simulation.ts).
 */
import type { BrokerCounts } from '../core/counters.ts'
import type { DeviceIds } from './device-ids.ts'
import type { Simulation } from './fleet.ts'
import type { GatewayStats } from './gateway-stats.ts'

/** The embedded broker's facts, for the environment of a result and the banner. */
export interface EmbeddedBrokerInfo {
  url: string
  host: string
  port: number
  version: string
  /** ws://host:port/mqtt when it also listens on WebSocket. */
  wsUrl: string | undefined
}

export interface FleetHost {
  /** Where callers connect. */
  readonly brokerUrl: string
  /** Set when fleetbench started its own broker; undefined when the fleet is attached to an external one. */
  readonly embedded: EmbeddedBrokerInfo | undefined
  /** MQTT version the gateways speak (the first gateway's), once connected. */
  readonly protocolVersion: 4 | 5 | undefined
  /** This process's gateways (its shard), in layout order. */
  readonly gateways: ReadonlyArray<{ readonly id: string; readonly deviceIds: DeviceIds }>
  readonly deviceCount: number
  /** Packets the embedded broker handled since it first started, across restarts; read at once. */
  brokerCounts(): BrokerCounts | undefined
  /** Embedded broker only: closes it (every connection drops), waits `downtimeMs`, reopens it on the same port. */
  restartBroker(downtimeMs: number): Promise<void>
  /** Every gateway's counts, summed. */
  stats(): Promise<GatewayStats>
  close(): Promise<void>
}

/** A fleet in this thread as a host. */
export function hostOf(sim: Simulation): FleetHost {
  return {
    brokerUrl: sim.brokerUrl,
    get embedded() {
      const b = sim.broker
      return b && { url: b.url, host: b.host, port: b.port, version: b.version, wsUrl: b.wsUrl }
    },
    get protocolVersion() {
      return sim.fleet.gateways[0]?.protocolVersion
    },
    gateways: sim.fleet.gateways.map((g) => ({ id: g.id, deviceIds: g.devices.ids })),
    get deviceCount() {
      return sim.fleet.deviceCount
    },
    brokerCounts: () => sim.brokerCounts(),
    restartBroker: (ms) => sim.restartBroker(ms),
    stats: async () => sim.fleet.stats(),
    close: () => sim.close(),
  }
}
