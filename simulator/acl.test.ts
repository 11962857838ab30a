import { describe, expect, it } from 'vitest'
import { AccessControl, gatewayUsername, type Principal, type PublishFacts } from './acl.ts'
import * as wire from '../core/protocol.ts'

const acl = new AccessControl({
  callers: [{ username: 'alice', password: 's3cret' }],
  gateways: [
    { gatewayId: 'gw-1', deviceIds: ['ble-0001', 'ble-0002'], credentials: { username: gatewayUsername('gw-1'), password: 'g1' } },
    { gatewayId: 'gw-2', deviceIds: ['ble-0003'], credentials: { username: gatewayUsername('gw-2'), password: 'g2' } },
  ],
})

function principal(clientId: string, username: string, password: string): Principal {
  const r = acl.authenticate(clientId, username, Buffer.from(password))
  if (!r.ok) throw new Error(`expected ${username} to authenticate: ${r.reason}`)
  return r.principal
}
const caller = principal('c1', 'alice', 's3cret')
const gw1 = principal('fleetbench-gw-gw-1-1', 'gateway/gw-1', 'g1')
const envelope = (replyTo: unknown): string => JSON.stringify({ id: 1, replyTo, params: {} })
const pub = (topic: string, payload: string | Buffer = '', more: Partial<PublishFacts> = {}): PublishFacts => ({ topic, payload, ...more })

describe('authenticate', () => {
  it('accepts known users with their password and tells gateways from callers', () => {
    expect(caller).toEqual({ role: 'caller', username: 'alice' })
    expect(gw1).toMatchObject({ role: 'gateway', gatewayId: 'gw-1' })
  })

  it.each([
    ['anonymous', 'c1', undefined, undefined, 5],
    ['empty username', 'c1', '', 'x', 5],
    ['wrong password', 'c1', 'alice', 'nope', 4],
    ['no password', 'c1', 'alice', undefined, 4],
    ['unknown user', 'c1', 'mallory', 's3cret', 4],
    ["another gateway's password", 'g', 'gateway/gw-2', 'g1', 4],
    ['a caller whose client id cannot name a topic level', 'a/b', 'alice', 's3cret', 2],
    ['a caller whose client id is a wildcard', '#', 'alice', 's3cret', 2],
  ] as const)('refuses %s with CONNACK %i', (_name, clientId, user, pass, code) => {
    const r = acl.authenticate(clientId, user, pass === undefined ? undefined : Buffer.from(pass))
    expect(r).toMatchObject({ ok: false, returnCode: code })
  })

  it('refuses a caller username in the gateway namespace and duplicate usernames', () => {
    expect(() => new AccessControl({ callers: [{ username: 'gateway/x', password: 'p' }], gateways: [] })).toThrow(/reserved/)
    expect(() => new AccessControl({ callers: [{ username: 'a', password: 'p' }, { username: 'a', password: 'q' }], gateways: [] })).toThrow(/twice/)
  })
})

describe('gateway rules', () => {
  it('subscribes to exactly the filters a gateway uses for its own devices', () => {
    const own = ['fleet/gateway/gw-1/rpc/batch', ...['ble-0001', 'ble-0002'].flatMap((d) => [wire.deviceRequestFilter(d), ...wire.VERBS.map((v) => wire.mqttnetRequestFilter(d, v))])]
    for (const f of own) expect(acl.subscribeDenial(gw1, 'g', f), f).toBeUndefined()
  })

  it.each([
    wire.deviceRequestFilter('ble-0003'), // gw-2's device
    wire.mqttnetRequestFilter('ble-0003', 'open'),
    wire.batchTopic('gw-2'),
    'fleet/+/rpc/+',
    'fleet/#',
    '#',
    'MQTTnet.RPC/#',
    'MQTTnet.RPC/+/ble-0001.reboot',
    'fleet/reply/c1',
    'fleet/reply/#',
    'fleet/gateways/+',
  ])('may not subscribe to %s', (filter) => {
    expect(acl.subscribeDenial(gw1, 'g', filter)).toMatch(/own devices/)
  })

  it('publishes its registry (retained, also as its will) and replies', () => {
    expect(acl.publishDenial(gw1, 'g', pub('fleet/gateways/gw-1', '{}', { retain: true }))).toBeUndefined()
    expect(acl.publishDenial(gw1, 'g', pub('fleet/reply/c1', '{}'))).toBeUndefined()
    expect(acl.publishDenial(gw1, 'g', pub('fleet/reply/c1/deep', '{}'))).toBeUndefined()
    expect(acl.publishDenial(gw1, 'g', pub(wire.mqttnetResponseTopic(wire.mqttnetRequestTopic('abc', 'ble-0002', 'read')), '{}'))).toBeUndefined()
  })

  it.each([
    pub('fleet/gateways/gw-2', '{}', { retain: true }), // impersonating another gateway
    pub('fleet/reply/c1', '{}', { retain: true }),
    pub('fleet/reply/', '{}'),
    pub(wire.mqttnetResponseTopic(wire.mqttnetRequestTopic('abc', 'ble-0003', 'read')), '{}'), // not its device
    pub(wire.requestTopic('ble-0003', 'open'), envelope('fleet/reply/x')),
    pub('$SYS/anything', ''),
  ])('may not publish to $topic', (msg) => {
    expect(acl.publishDenial(gw1, 'g', msg)).toBeDefined()
  })
})

describe('caller rules', () => {
  it.each(['fleet/reply/c1', 'fleet/reply/c1/#', 'fleet/reply/c1/+', 'fleet/gateways/+', 'fleet/gateways/gw-1', 'MQTTnet.RPC/abc/ble-0001.open/response'])(
    'may subscribe to %s',
    (filter) => expect(acl.subscribeDenial(caller, 'c1', filter)).toBeUndefined(),
  )

  it.each([
    'fleet/reply/c2', // another caller's replies
    'fleet/reply/c2/#',
    'fleet/reply/+',
    'fleet/reply/#',
    'fleet/reply/c1x',
    'fleet/#',
    '#',
    '+/reply/c2',
    'fleet/gateways/#',
    'MQTTnet.RPC/#',
    'MQTTnet.RPC/+/+/response',
    'MQTTnet.RPC/abc/+/response',
    'MQTTnet.RPC/abc/ble-0001.open',
    wire.deviceRequestFilter('ble-0001'), // reading other callers' requests
    wire.batchTopic('gw-1'),
    '$SYS/#',
  ])('may not subscribe to %s', (filter) => {
    expect(acl.subscribeDenial(caller, 'c1', filter)).toMatch(/may subscribe only/)
  })

  it('publishes requests whose replies come back to its own namespace', () => {
    expect(acl.publishDenial(caller, 'c1', pub(wire.requestTopic('ble-0001', 'open'), envelope('fleet/reply/c1')))).toBeUndefined()
    expect(acl.publishDenial(caller, 'c1', pub(wire.requestTopic('ble-0001', 'open'), envelope('fleet/reply/c1/x')))).toBeUndefined()
    expect(acl.publishDenial(caller, 'c1', pub(wire.batchTopic('gw-1'), Buffer.from(envelope('fleet/reply/c1'))))).toBeUndefined()
    expect(acl.publishDenial(caller, 'c1', pub(wire.mqttnetRequestTopic('abc', 'ble-0001', 'read'), '{}'))).toBeUndefined()
    // MQTT 5 properties convention: the Response Topic is checked instead of the (bare) payload.
    expect(acl.publishDenial(caller, 'c1', pub(wire.requestTopic('ble-0001', 'open'), '', { properties: { responseTopic: 'fleet/reply/c1' } }))).toBeUndefined()
  })

  it.each([
    ['impersonating a gateway', pub('fleet/gateways/gw-1', '{"devices":[]}'), /only RPC requests/],
    ['wiping a registry', pub('fleet/gateways/gw-1', '', { retain: true }), /retained/],
    ['forging a reply', pub('fleet/reply/c2', '{"id":1,"ok":true}'), /only RPC requests/],
    ['a reply into its own namespace', pub('fleet/reply/c1', '{}'), /only RPC requests/],
    ['forging an MQTTnet response', pub('MQTTnet.RPC/abc/ble-0001.open/response', '{}'), /MQTTnet/],
    ['a request whose reply goes to another caller', pub(wire.requestTopic('ble-0001', 'open'), envelope('fleet/reply/c2')), /replies must go to fleet\/reply\/c1/],
    ['a request whose reply goes to a prefix-sharing caller', pub(wire.requestTopic('ble-0001', 'open'), envelope('fleet/reply/c1x')), /replies must go/],
    ['a request whose reply goes to the registry', pub(wire.requestTopic('ble-0001', 'open'), envelope('fleet/gateways/gw-2')), /replies must go/],
    ['duplicate replyTo keys (the last one wins in JSON.parse)', pub(wire.requestTopic('ble-0001', 'open'), '{"replyTo":"fleet/reply/c1","id":1,"replyTo":"fleet/reply/c2"}'), /replies must go/],
    ['an escaped replyTo key', pub(wire.requestTopic('ble-0001', 'open'), '{"reply\\u0054o":"fleet/reply/c2","id":1}'), /replies must go/],
    ['a batch whose reply goes to another caller', pub(wire.batchTopic('gw-1'), envelope('fleet/reply/c2')), /replies must go/],
    ['an MQTT 5 Response Topic of another caller', pub(wire.requestTopic('ble-0001', 'open'), envelope('fleet/reply/c1'), { properties: { responseTopic: 'fleet/reply/c2' } }), /replies must go/],
    ['a request without a reply address', pub(wire.requestTopic('ble-0001', 'open'), 'not json'), /must name its reply topic/],
    ['a request with a device id that lands in the reply namespace', pub('fleet/reply/rpc/x', envelope('fleet/reply/c1')), /only RPC requests/],
    ['a retained request (replayed to every gateway that subscribes)', pub(wire.requestTopic('ble-0001', 'open'), envelope('fleet/reply/c1'), { retain: true }), /retained/],
    ['anything else', pub('some/topic', 'x'), /only RPC requests/],
    ['$SYS', pub('$SYS/broker/x', 'x'), /only RPC requests/],
  ] as const)('may not publish %s', (_name, msg, why) => {
    expect(acl.publishDenial(caller, 'c1', msg)).toMatch(why)
  })
})
