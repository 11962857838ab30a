/**
 * The routes a run's link options give, one home for every scenario: the gateways' route through
 * the shaped gateway link (startSimulation's `gatewayRoute`) and the callers' through the caller
 * link, each with its own seeded stream for jitter and loss.
 */
import type { BrokerTarget } from '../core/mqtt-connect.ts'
import { deriveRng } from '../core/rng.ts'
import { linkConditions } from '../loadgen/faults/link-profile.ts'
import { routeThrough, type Route } from '../loadgen/faults/route.ts'
import type { GatewayRoute } from '../simulator/fleet.ts'
import type { LinkOptions } from './options.ts'

type Links = Pick<LinkOptions, 'gatewayLink' | 'callerLink'> & { seed: number }

/**
 * The gateways' route, undefined for a plain link unless `always` (a proxy to cut them at);
 * `onRoute` is handed the route (and its proxy) once the fleet starts.
 */
export function gatewayRouteOf(o: Pick<Links, 'gatewayLink' | 'seed'>, opts: { always?: boolean; onRoute?: (r: Route) => void } = {}): GatewayRoute | undefined {
  const conditions = linkConditions(o.gatewayLink)
  if (conditions === undefined && opts.always !== true) return undefined
  return async (t: BrokerTarget) => {
    const route = await routeThrough(t, conditions, deriveRng(o.seed, 'gateway-link'), opts.always)
    opts.onRoute?.(route)
    return route
  }
}

/** The callers' target through the caller link (the target itself on a plain link). */
export const callerRouteOf = (brokerUrl: string, o: Pick<Links, 'callerLink' | 'seed'>): Promise<Route> =>
  routeThrough({ url: brokerUrl }, linkConditions(o.callerLink), deriveRng(o.seed, 'caller-link'))
