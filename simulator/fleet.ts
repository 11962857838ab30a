/** A fleet: gateways and their devices, attached to the embedded broker or to an external one. */
import { randomBytes } from 'node:crypto'
import { AccessControl, gatewayUsername, type Credentials } from './acl.ts'
import { startBroker, type BrokerOptions, type EmbeddedBroker } from './broker.ts'
import type { BrokerCounts } from '../core/counters.ts'
import type { Clock } from '../core/clock.ts'
import { Gateway } from './gateway.ts'
import { sumGatewayStats, type GatewayStats } from './gateway-stats.ts'
import { fleetBlocks } from './device-ids.ts'
import type { BrokerTarget, ProtocolChoice } from '../core/mqtt-connect.ts'
import type { DeviceProfile } from './profiles.ts'
import { attachRecorder } from './observe/broker-hooks.ts'
import type { FleetRecorder } from './observe/recorder.ts'
import type { BackoffRange } from '../core/backoff.ts'
import type { ConnectionObserver } from './connection-observer.ts'
import { connectionPolicy, type ConnectionPolicy } from './connection-policy.ts'
import { servedConventions, type RpcConvention } from './conventions.ts'

export interface FleetOptions {
  devices: number
  gateways: number
  profile: DeviceProfile
  seed: number
  broker: BrokerTarget
  protocolVersion?: ProtocolChoice
  radioSlots?: number
  maxPayloadBytes?: number
  clock?: Clock
  /** Run only shard `index` of `count` (0-based): a deterministic slice of the gateways. */
  shard?: { index: number; count: number }
  /** Each gateway's own credentials by gateway id (locked-down broker); gateways not in it use `broker`'s. */
  gatewayCredentials?: ReadonlyMap<string, Credentials>
  /** Record every call served, per caller (observe); the embedded broker reports to it too. */
  recorder?: FleetRecorder
  /** Every device an object from the start instead of on first use (device-table.ts); for measurements and tests. */
  eagerDevices?: boolean
  /** Conventions served (default all three); envelope or mqtt5 alone cost 1 subscription per device, all three 6. */
  conventions?: readonly RpcConvention[]
  /** Gateway CONNECTs per second, fleet-wide, first connects and reconnects alike (token bucket, burst rate/10); 0 = all at once. Default 200. */
  connectRate?: number
  /** Reconnect backoff, full jitter: attempt n waits a uniform draw below min(cap, base · 2^n). Default 1s..30s; 0..0 = at once. */
  reconnectBackoff?: BackoffRange
  /** Gateways subscribing at once (SUBSCRIBE packets in flight, fleet-wide). Default 4. */
  subscribeWindow?: number
  /** Told of every connect attempt, CONNACK, full re-subscription and loss (connection-observer.ts). */
  connections?: ConnectionObserver
}

export interface FleetLayout {
  gatewayId: string
  deviceIds: string[]
}

/** Device ids `ble-0001…` in contiguous, balanced blocks per gateway `gw-1…`. Pure, so every shard agrees. */
export function fleetLayout(devices: number, gateways: number): FleetLayout[] {
  return fleetBlocks(devices, gateways).map((b) => ({ gatewayId: b.gatewayId, deviceIds: [...b.ids] }))
}

export class Fleet {
  readonly gateways: Gateway[]
  /** The pacer, backoff, subscribe permits and observer every gateway shares. */
  readonly connection: ConnectionPolicy

  constructor(opts: FleetOptions) {
    this.connection = connectionPolicy({ connectRate: opts.connectRate, reconnectBackoff: opts.reconnectBackoff, subscribeWindow: opts.subscribeWindow, observer: opts.connections, clock: opts.clock })
    const conventions = servedConventions(opts.conventions)
    // Compact blocks of ids (device-ids.ts): the same ids as fleetLayout, never a million strings.
    let layout = fleetBlocks(opts.devices, opts.gateways)
    if (opts.shard) layout = layout.filter((_, i) => i % opts.shard!.count === opts.shard!.index)
    this.gateways = layout.map(
      (l) =>
        new Gateway({
          gatewayId: l.gatewayId,
          deviceIds: l.ids,
          profile: opts.profile,
          seed: opts.seed,
          broker: { ...opts.broker, ...opts.gatewayCredentials?.get(l.gatewayId) },
          protocolVersion: opts.protocolVersion,
          radioSlots: opts.radioSlots,
          maxPayloadBytes: opts.maxPayloadBytes,
          clock: opts.clock,
          recorder: opts.recorder,
          eagerDevices: opts.eagerDevices,
          connection: this.connection,
          conventions,
        }),
    )
  }

  get deviceCount(): number {
    return this.gateways.reduce((n, g) => n + g.devices.size, 0)
  }

  /** Gateways with every filter acknowledged on their current connection (all of them once the fleet answers everywhere). */
  readyCount(): number {
    let n = 0
    for (const g of this.gateways) if (g.ready) n++
    return n
  }

  /** Gateways connected now, and filters acknowledged on their current connections. */
  progress(): { gateways: number; connected: number; ready: number; filtersAcked: number } {
    let connected = 0
    let ready = 0
    let filtersAcked = 0
    for (const g of this.gateways) {
      if (g.link.client !== undefined) connected++
      if (g.ready) ready++
      filtersAcked += g.link.acked
    }
    return { gateways: this.gateways.length, connected, ready, filtersAcked }
  }

  /** Starts every gateway (connects paced by the fleet's pacer); the first failure stops the rest and is thrown. */
  async start(): Promise<void> {
    try {
      await Promise.all(this.gateways.map((g) => g.start()))
    } catch (err) {
      await this.stop()
      throw err
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.gateways.map((g) => g.stop()))
  }

  stats(): GatewayStats {
    return sumGatewayStats(this.gateways.map((g) => g.stats))
  }
}

export interface Simulation {
  /** Set when fleetbench started its own broker (the current instance, after restarts too). */
  broker: EmbeddedBroker | undefined
  brokerUrl: string
  fleet: Fleet
  /** With `embedded.auth`: each gateway's own credentials, generated at start (for tests and tools in-process). */
  gatewayCredentials: ReadonlyMap<string, Credentials> | undefined
  /** Packets the embedded broker handled since it first started, across restarts. */
  brokerCounts(): BrokerCounts | undefined
  /** Embedded broker only: closes it (every connection drops), waits `downtimeMs`, reopens it on the same port. */
  restartBroker(downtimeMs: number): Promise<void>
  close(): Promise<void>
}

/**
 * Starts the embedded broker (unless `external` is given) and a fleet on it. With `embedded.auth`
 * the broker is locked down (acl.ts): that user is the caller, and every gateway gets its own
 * random password, handed to it in-process. `gatewayRoute` puts a hop between the gateways and the
 * broker (the scenario's shaped gateway link); callers keep the broker's own address. `starting`
 * gets the fleet before its gateways connect (start-up progress). On the embedded broker (MQTT
 * 3.1.1 only) `auto` gateways speak 3.1.1 at once instead of trying MQTT 5 first: one CONNECT each.
 */
/** Puts something in front of the broker for the gateways (a shaped link); `close` removes it. */
export type GatewayRoute = (target: BrokerTarget) => Promise<{ target: BrokerTarget; close(): Promise<void> }>

export async function startSimulation(
  fleet: Omit<FleetOptions, 'broker' | 'gatewayCredentials'>,
  where: { external?: BrokerTarget; embedded?: BrokerOptions; gatewayRoute?: GatewayRoute; starting?: (fleet: Fleet) => void } = {},
): Promise<Simulation> {
  const locked = where.external === undefined && where.embedded?.auth !== undefined && where.embedded.access === undefined
    ? lockDown(fleet, where.embedded.auth)
    : undefined
  const embedded: BrokerOptions | undefined = locked ? { ...where.embedded, access: locked.access } : where.embedded
  let broker = where.external ? undefined : await startBroker(embedded)
  if (broker && fleet.recorder) attachRecorder(broker.aedes, fleet.recorder)
  const auth = where.embedded?.auth
  const target: BrokerTarget = where.external ?? { url: broker!.url, username: auth?.username, password: auth?.password }
  let route: Awaited<ReturnType<GatewayRoute>> | undefined
  let f: Fleet
  try {
    route = where.gatewayRoute ? await where.gatewayRoute(target) : undefined
    const protocolVersion = broker && (fleet.protocolVersion ?? 'auto') === 'auto' ? 4 : fleet.protocolVersion
    f = new Fleet({ ...fleet, protocolVersion, broker: route?.target ?? target, gatewayCredentials: locked?.gateways })
    where.starting?.(f)
    await f.start()
  } catch (err) {
    await route?.close()
    await broker?.close()
    throw err
  }
  const before: BrokerCounts = { connect: 0, subscribe: 0, unsubscribe: 0, publish: 0 }
  const sim: Simulation = {
    broker,
    brokerUrl: target.url,
    fleet: f,
    gatewayCredentials: locked?.gateways,
    brokerCounts: () => {
      const now = broker?.counts()
      if (!now) return undefined
      return { connect: before.connect + now.connect, subscribe: before.subscribe + now.subscribe, unsubscribe: before.unsubscribe + now.unsubscribe, publish: before.publish + now.publish }
    },
    restartBroker: async (downtimeMs) => {
      const old = broker
      if (!old) throw new Error('restartBroker needs the embedded broker; restart an external broker yourself')
      const counted = old.counts()
      for (const k of Object.keys(before) as Array<keyof BrokerCounts>) before[k] += counted[k]
      await old.close()
      await new Promise((r) => setTimeout(r, downtimeMs))
      broker = await startBroker({ ...embedded, host: old.host, port: old.port, wsPort: old.wsPort })
      if (fleet.recorder) attachRecorder(broker.aedes, fleet.recorder)
      sim.broker = broker
    },
    close: async () => {
      await f.stop()
      await route?.close()
      await broker?.close()
    },
  }
  return sim
}

/** Credentials and ACL for a locked-down embedded broker: `caller` plus one principal per gateway of the whole layout. */
function lockDown(fleet: Pick<FleetOptions, 'devices' | 'gateways'>, caller: Credentials): { access: AccessControl; gateways: Map<string, Credentials> } {
  const grants = fleetLayout(fleet.devices, fleet.gateways).map((l) => ({
    gatewayId: l.gatewayId,
    deviceIds: l.deviceIds,
    credentials: { username: gatewayUsername(l.gatewayId), password: randomBytes(18).toString('base64url') },
  }))
  return {
    access: new AccessControl({ callers: [caller], gateways: grants }),
    gateways: new Map(grants.map((g) => [g.gatewayId, g.credentials])),
  }
}
