import { describe, expect, it } from 'vitest'
import { UsageError } from '../core/cli-support.ts'
import { checkConventionsFor311, filterBatches, filtersPerDevice, gatewayFilterCount, listedConventions, parseConventions, servedConventions } from './conventions.ts'

const ids = ['ble-0001', 'ble-0002', 'ble-0003']
const all = (list: Parameters<typeof servedConventions>[0]): string[] => [...filterBatches(servedConventions(list), 'fleet/gateway/gw-1/rpc/batch', ids, 500)].flat()

describe('conventions: what a gateway subscribes and lists', () => {
  it('envelope or mqtt5 alone (or both) cost one filter per device; mqttnet five; all three six', () => {
    expect(all(['envelope'])).toEqual(['fleet/gateway/gw-1/rpc/batch', 'fleet/ble-0001/rpc/+', 'fleet/ble-0002/rpc/+', 'fleet/ble-0003/rpc/+'])
    expect(all(['mqtt5'])).toEqual(all(['envelope']))
    expect(all(['envelope', 'mqtt5'])).toEqual(all(['envelope']))
    expect(all(['mqttnet'])).toHaveLength(15)
    expect(all(['mqttnet'])[0]).toBe('MQTTnet.RPC/+/ble-0001.info')
    expect(all(undefined)).toHaveLength(1 + 3 * 6)
    expect([['envelope'], ['mqttnet'], undefined].map((c) => filtersPerDevice(servedConventions(c as never)))).toEqual([1, 5, 6])
    expect(gatewayFilterCount(servedConventions(['envelope']), 1000)).toBe(1001)
    expect(gatewayFilterCount(servedConventions(['mqttnet']), 1000)).toBe(5000)
  })

  it('batches hold at most the batch size, in order, and every filter once', () => {
    const many = Array.from({ length: 333 }, (_, i) => `d${i}`)
    const batches = [...filterBatches(servedConventions(undefined), 'b', many, 500)]
    expect(batches.map((b) => b.length)).toEqual([500, 500, 500, 499])
    expect(new Set(batches.flat()).size).toBe(1 + 333 * 6)
  })

  it('the registry lists what is served, MQTT 5 only on an MQTT 5 connection', () => {
    expect(listedConventions(servedConventions(undefined), 4)).toEqual(['envelope', 'mqttnet'])
    expect(listedConventions(servedConventions(undefined), 5)).toEqual(['envelope', 'mqtt5', 'mqttnet'])
    expect(listedConventions(servedConventions(['envelope']), 5)).toEqual(['envelope'])
    expect(listedConventions(servedConventions(['mqttnet', 'mqtt5']), 5)).toEqual(['mqtt5', 'mqttnet'])
  })

  it('--conventions: a list in canonical order, each once; bad names and mqtt5 alone on 3.1.1 are one-line usage errors', () => {
    expect(parseConventions('conventions', 'mqttnet, envelope,mqttnet')).toEqual(['envelope', 'mqttnet'])
    expect(() => parseConventions('conventions', 'envelope,amqp')).toThrow(/^--conventions must be one of envelope, mqtt5, mqttnet, got "amqp"$/)
    expect(() => parseConventions('conventions', '')).toThrow(/^--conventions needs at least one of envelope, mqtt5, mqttnet$/)
    expect(() => checkConventionsFor311('conventions', ['mqtt5'])).toThrow(UsageError)
    expect(() => checkConventionsFor311('conventions', ['mqtt5'])).toThrow(/mqtt5 needs an MQTT 5 broker.*add envelope/)
    expect(() => checkConventionsFor311('conventions', ['envelope', 'mqtt5'])).not.toThrow()
    expect(() => servedConventions([])).toThrow(/at least one convention/)
  })
})
