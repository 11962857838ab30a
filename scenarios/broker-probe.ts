/**
 * What fleetbench can learn about an external broker before loading it: its version (from
 * `$SYS/broker/version`, when published) and whether a QoS 1 round trip stalls the way it does when
 * the broker's sockets leave Nagle's algorithm on (about 40 ms per round trip on loopback).
 */
import { unreachableBroker } from '../core/broker-access.ts'
import { PROBE_BOUND_MS, withDeadline } from '../core/deadline.ts'
import { connectMqtt, endClient, protocolOf, type BrokerTarget } from '../core/mqtt-connect.ts'
import type { Environment } from '../core/result.ts'
import { AEDES_VERSION } from '../simulator/broker.ts'

export interface BrokerProbe {
  version: string
  protocolVersion: 4 | 5
  /** Median QoS 1 publish → delivery round trip, ms. */
  medianRoundTripMs: number
  /** False when the round trips look like Nagle + delayed ACK. */
  noDelay: boolean
}

/** Round trips at or above this on a single idle connection point at Nagle + delayed ACK. */
export const NAGLE_SUSPECT_MS = 25

/** A requester and a responder on two connections: the shape of an RPC, where the stall shows. */
export async function probeBroker(target: BrokerTarget, samples = 9): Promise<BrokerProbe> {
  const id = `fleetbench-probe-${process.pid}-${Date.now().toString(36)}`
  const requester = await connectMqtt(target, { protocolVersion: 'auto', clientId: `${id}-req` })
  const responder = await connectMqtt(target, { protocolVersion: 'auto', clientId: `${id}-rsp` }).catch(async (err) => {
    await endClient(requester, true)
    throw err
  })
  try {
    let version = 'unknown'
    const request = `fleetbench/probe/${id}/request`
    const reply = `fleetbench/probe/${id}/reply`
    let onReply: () => void = () => {}
    requester.on('message', (topic, payload) => {
      if (topic === '$SYS/broker/version') version = payload.toString().slice(0, 100)
      else if (topic === reply) onReply()
    })
    responder.on('message', (topic) => {
      if (topic === request) responder.publish(reply, 'pong', { qos: 1 })
    })
    await requester.subscribeAsync('$SYS/broker/version', { qos: 0 }).catch(() => undefined)
    await requester.subscribeAsync(reply, { qos: 1 })
    await responder.subscribeAsync(request, { qos: 1 })
    const times: number[] = []
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now()
      const got = new Promise<void>((resolve) => (onReply = resolve))
      requester.publish(request, 'ping', { qos: 1 })
      await Promise.race([got, new Promise((r) => setTimeout(r, 2000))])
      times.push(performance.now() - t0)
    }
    times.sort((a, b) => a - b)
    const median = times[Math.floor(times.length / 2)] ?? 0
    return { version, protocolVersion: protocolOf(requester), medianRoundTripMs: Math.round(median * 10) / 10, noDelay: median < NAGLE_SUSPECT_MS }
  } finally {
    await Promise.all([endClient(requester, true), endClient(responder, true)])
  }
}

export function noDelayWarning(url: string, probe: BrokerProbe): string | undefined {
  if (probe.noDelay) return undefined
  return `the broker at ${url} took ${probe.medianRoundTripMs} ms per idle QoS 1 round trip, the signature of Nagle's algorithm meeting delayed ACKs: enable TCP_NODELAY on the broker (Mosquitto: set_tcp_nodelay true), or every figure below includes ~40 ms per round trip`
}

/** Probes an external broker before any load; an unreachable one is a usage error naming --broker. */
export async function probeExternal(external: BrokerTarget | undefined): Promise<BrokerProbe | undefined> {
  if (!external) return undefined
  try {
    return await withDeadline(probeBroker(external), PROBE_BOUND_MS, `probing ${external.url}`)
  } catch (err) {
    throw unreachableBroker(external.url, err)
  }
}

/** The environment's broker block: the embedded Aedes, or what the probe learned of an external one. */
export function brokerEnvironment(embeddedUrl: string | undefined, probe: BrokerProbe | undefined, url: string, protocolVersion: number): Environment['broker'] {
  if (embeddedUrl !== undefined) return { kind: 'aedes', version: AEDES_VERSION, protocolVersion: 4, url: embeddedUrl, noDelay: true }
  return {
    kind: /mosquitto/i.test(probe?.version ?? '') ? 'mosquitto' : 'external',
    version: probe?.version.replace(/^mosquitto version /i, '') ?? 'unknown',
    protocolVersion,
    url,
    noDelay: probe?.noDelay ?? 'unknown',
  }
}

/** Warnings a probe gives the result's notes. */
export const probeNotes = (url: string, probe: BrokerProbe | undefined): string[] => (probe ? [noDelayWarning(url, probe)].filter((n): n is string => n !== undefined) : [])
