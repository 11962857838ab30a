import { describe, expect, it } from 'vitest'
import * as wire from './protocol.ts'

describe('wire contract', () => {
  it('routes the three request topic shapes and rejects everything else', () => {
    expect(wire.parseTopic('fleet/ble-0001/rpc/open')).toEqual({ kind: 'device', deviceId: 'ble-0001', verb: 'open' })
    expect(wire.parseTopic('fleet/gateway/gw-2/rpc/batch')).toEqual({ kind: 'batch', gatewayId: 'gw-2' })
    expect(wire.parseTopic('MQTTnet.RPC/abc/ble-0001.read')).toEqual({ kind: 'mqttnet', deviceId: 'ble-0001', verb: 'read' })
    for (const bad of ['fleet', 'fleet/x/rpc', 'fleet/x/y/z', 'MQTTnet.RPC/abc/nodot', 'MQTTnet.RPC/abc/.open', 'other/a/rpc/b', ''])
      expect(wire.parseTopic(bad)).toBeUndefined()
  })

  it('builds MQTTnet topics exactly as MQTTnet.Extensions.Rpc does', () => {
    const t = wire.mqttnetRequestTopic('3f2504e0', 'ble-0001', 'open')
    expect(t).toBe('MQTTnet.RPC/3f2504e0/ble-0001.open')
    expect(wire.mqttnetResponseTopic(t)).toBe('MQTTnet.RPC/3f2504e0/ble-0001.open/response')
  })

  it('decodes envelopes and recovers the reply address of a bad one when it can', () => {
    expect(wire.decodeEnvelope(Buffer.from('{"id":"1","replyTo":"r/1","params":{"a":1}}'))).toEqual({
      ok: true, request: { id: '1', replyTo: 'r/1', params: { a: 1 } },
    })
    expect(wire.decodeEnvelope(Buffer.from('{"replyTo":"r/1"}'))).toMatchObject({ ok: false, replyTo: 'r/1', id: null, error: { code: 'bad_request' } })
    expect(wire.decodeEnvelope(Buffer.from('{"id":1,"replyTo":"r/+"}'))).toMatchObject({ ok: false, error: { code: 'bad_request' } })
    expect(wire.decodeEnvelope(Buffer.from('nope'))).not.toHaveProperty('replyTo')
    expect(wire.decodeEnvelope(Buffer.from('null'))).toMatchObject({ ok: false })
  })

  it('round-trips bare replies and tells results from errors', () => {
    expect(wire.decodeBareReply(wire.encodeBareReply({ ok: true, result: { a: 1 } }))).toEqual({ ok: true, result: { a: 1 } })
    const err = { ok: false as const, error: { code: 'not_connected', message: 'm' } }
    expect(wire.decodeBareReply(wire.encodeBareReply(err))).toEqual(err)
    expect(JSON.parse(wire.encodeEnvelopeReply('7', err).toString())).toEqual({ id: '7', ...err })
  })

  it('validates verb parameters with stable codes', () => {
    expect(wire.validateParams('read', { characteristic: 'battery' })).toEqual({ ok: true, value: { verb: 'read', characteristic: '2a19' } })
    expect(wire.validateParams('write', { characteristic: '2A6E', value: '0a0b' })).toMatchObject({ ok: true, value: { characteristic: '2a6e' } })
    for (const [verb, p] of [['read', { characteristic: 'warp-core' }], ['write', { value: 'xyz' }], ['write', {}], ['info', 'str'], ['open', [1]]] as const)
      expect(wire.validateParams(verb, p)).toMatchObject({ ok: false, error: { code: 'bad_request' } })
  })

  it('validates batches', () => {
    expect(wire.validateBatch([{ device: 'a', verb: 'open' }])).toMatchObject({ ok: true })
    expect(wire.validateBatch({})).toMatchObject({ ok: false, error: { code: 'bad_request' } })
    expect(wire.validateBatch([{ device: 1, verb: 'open' }])).toMatchObject({ ok: false, error: { message: /item 0/ } })
  })
})

describe('isRequestTopic', () => {
  it('agrees with parseTopic on every shape, without allocating', () => {
    const { isRequestTopic, parseTopic } = wire
    const topics = ['fleet/ble-0001/rpc/open', 'fleet/gateway/gw-1/rpc/batch', 'MQTTnet.RPC/abc/ble-0001.open', 'fleet/ble-0001/rpc', 'fleet/ble-0001/rpc/open/x',
      'fleet/gateway/gw-1/rpc/other', 'fleet/gateways/gw-1', 'fleet/reply/app', 'MQTTnet.RPC/abc/ble-0001.open/response', 'other/topic', 'fleet/a/xrpc/b', 'fleet//rpc/open']
    for (const t of topics) expect(isRequestTopic(t), t).toBe(parseTopic(t) !== undefined)
  })
})
