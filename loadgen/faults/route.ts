/**
 * A broker target seen through a shaped link: starts a fault proxy in front of the broker with the
 * link's conditions on both directions and returns the target to connect to (the same URL, the
 * TCP connection routed via the proxy), or the target itself when the link shapes nothing (unless
 * a proxy is asked for anyway).
 */
import { parseBrokerUrl, type BrokerTarget } from '../../core/mqtt-connect.ts'
import type { Rng } from '../../core/rng.ts'
import type { LinkConditions } from './link.ts'
import { startFaultProxy, type FaultProxy } from './proxy.ts'

export interface Route {
  target: BrokerTarget
  /** Undefined when the link is plain (loopback). */
  proxy: FaultProxy | undefined
  close(): Promise<void>
}

/** With `always`, a plain link still gets its proxy (to cut every connection through it later). */
export async function routeThrough(target: BrokerTarget, conditions: LinkConditions | undefined, rng: Rng, always = false): Promise<Route> {
  if (conditions === undefined && !always) return { target, proxy: undefined, close: async () => undefined }
  const to = target.via ?? parseBrokerUrl(target.url)
  const proxy = await startFaultProxy({ target: { host: to.host, port: to.port }, rng })
  proxy.setLink('both', conditions)
  return { target: { ...target, via: { host: proxy.host, port: proxy.port } }, proxy, close: () => proxy.close() }
}
