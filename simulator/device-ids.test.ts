import { describe, expect, it } from 'vitest'
import { fleetBlocks, IdBlock, IdList, toDeviceIds } from './device-ids.ts'
import { fleetLayout } from './fleet.ts'

/** The layout as it was built before blocks: one string per device. */
function stringLayout(devices: number, gateways: number): Array<{ gatewayId: string; deviceIds: string[] }> {
  const width = Math.max(4, String(devices).length)
  const out = []
  let next = 1
  for (let g = 0; g < gateways; g++) {
    const count = Math.floor(devices / gateways) + (g < devices % gateways ? 1 : 0)
    const deviceIds: string[] = []
    for (let i = 0; i < count; i++) deviceIds.push(`ble-${String(next++).padStart(width, '0')}`)
    out.push({ gatewayId: `gw-${g + 1}`, deviceIds })
  }
  return out
}

describe('device ids', () => {
  it('fleetBlocks hands out exactly the ids of the string layout, and fleetLayout still lists them', () => {
    for (const [devices, gateways] of [[1, 1], [8, 2], [10, 3], [9_999, 7], [10_000, 7], [123_457, 100], [5, 8]] as const) {
      const expected = stringLayout(devices, gateways)
      const blocks = fleetBlocks(devices, gateways)
      expect(blocks.map((b) => ({ gatewayId: b.gatewayId, deviceIds: [...b.ids] }))).toEqual(expected)
      expect(fleetLayout(devices, gateways)).toEqual(expected)
      const wrong = blocks.flatMap((b, g) => {
        const ids = expected[g]!.deviceIds
        return [...(b.ids.size === ids.length ? [] : [`${b.gatewayId} size`]), ...ids.filter((id, i) => b.ids.at(i) !== id || b.ids.indexOf(id) !== i)]
      })
      expect(wrong).toEqual([])
    }
  })

  it('an IdBlock finds only the ids it would write, in its own range', () => {
    const b = new IdBlock('ble-', 4, 11, 5) // ble-0011 … ble-0015
    expect([...b]).toEqual(['ble-0011', 'ble-0012', 'ble-0013', 'ble-0014', 'ble-0015'])
    for (const id of ['ble-0010', 'ble-0016', 'ble-011', 'ble-00011', 'ble-001a', 'bl-0011', 'ble-+011', 'ble-', '', 'xble-0011'])
      expect(b.indexOf(id), id).toBe(-1)
    // Past the width, numbers are written without padding, and only so.
    const wide = new IdBlock('x-', 2, 95, 10)
    expect([...wide].slice(4, 6)).toEqual(['x-99', 'x-100'])
    expect(wide.indexOf('x-104')).toBe(9)
    expect(wide.indexOf('x-0104')).toBe(-1)
    expect(wide.indexOf('x-105')).toBe(-1)
    expect(() => new IdBlock('x-', 0, 1, 1)).toThrow(/width/)
    expect(() => new IdBlock('x-', 2, -1, 1)).toThrow(/first/)
  })

  it('an IdList keeps arbitrary ids once each, in their first place', () => {
    const l = new IdList(['b', 'a', 'b', 'c'])
    expect([...l]).toEqual(['b', 'a', 'c'])
    expect(l.size).toBe(3)
    expect(l.indexOf('c')).toBe(2)
    expect(l.indexOf('__proto__')).toBe(-1)
    expect(() => l.at(3)).toThrow(/position 3/)
    expect(toDeviceIds(['a'])).toBeInstanceOf(IdList)
    const b = new IdBlock('ble-', 4, 1, 2)
    expect(toDeviceIds(b)).toBe(b)
  })
})
