/**
 * Where callers and the fleet connect, checked the same way by every command: an external broker
 * (URL, credentials, TLS files) or the embedded one, locked down when `auth` is set. Every refusal
 * is a UsageError naming the options and the fix.
 */
import { credentials, UsageError } from './cli-support.ts'
import { parseBrokerUrl, type BrokerTarget } from './mqtt-connect.ts'

export interface Credentials {
  username: string
  password: string
}

/** Gateways log in as `gateway/<id>`; no caller may take such a name. */
export const GATEWAY_USERNAME_PREFIX = 'gateway/'

/** `--auth user:password` for the callers of a locked-down embedded broker. */
export function callerCredentials(name: string, raw: unknown): Credentials {
  const c = credentials(name, raw)
  if (c.username.startsWith(GATEWAY_USERNAME_PREFIX))
    throw new UsageError(`--${name}: usernames starting with ${GATEWAY_USERNAME_PREFIX} are reserved for the gateways; choose another`)
  return c
}

/** `--broker URL` (mqtt://, mqtts://, ws:// or wss://): returned as given once it parses. */
export function brokerUrl(name: string, raw: string): string {
  try {
    parseBrokerUrl(raw)
  } catch (err) {
    throw new UsageError(`--${name}: ${(err as Error).message}`)
  }
  return raw
}

export interface BrokerAccessOptions {
  broker?: string | undefined
  username?: string | undefined
  password?: string | undefined
  auth?: Credentials | undefined
  /** PEM file paths for an mqtts:// or wss:// broker. */
  ca?: string | undefined
  cert?: string | undefined
  key?: string | undefined
}

/** The external broker target, or undefined and the embedded broker's lock-down credentials. */
export function brokerAccess(o: BrokerAccessOptions): { external: BrokerTarget | undefined; auth: Credentials | undefined } {
  const tlsGiven = o.ca !== undefined || o.cert !== undefined || o.key !== undefined
  if ((o.cert === undefined) !== (o.key === undefined)) throw new UsageError('--cert and --key go together: give both for a client certificate, or neither')
  if (o.broker === undefined) {
    if (tlsGiven) throw new UsageError('--ca, --cert and --key apply to an mqtts:// or wss:// --broker; the embedded broker speaks plain MQTT on loopback')
    return { external: undefined, auth: o.auth }
  }
  if (o.auth !== undefined) throw new UsageError('--auth locks down the embedded broker; for --broker give its credentials with --username and --password')
  if (tlsGiven && !parseBrokerUrl(brokerUrl('broker', o.broker)).secure) throw new UsageError('--ca, --cert and --key apply to an mqtts:// or wss:// --broker; use mqtts://host:8883 or wss://host:443/mqtt')
  return { external: { url: o.broker, username: o.username, password: o.password, ca: o.ca, cert: o.cert, key: o.key }, auth: undefined }
}

/** The one message for a broker that cannot be reached, before any load. */
export function unreachableBroker(url: string, err: unknown): UsageError {
  return new UsageError(`cannot connect to --broker ${url}: ${(err as Error).message}; check the URL, that the broker runs, --username/--password, and for mqtts:// or wss:// --ca/--cert/--key`)
}
