import { describe, expect, it } from 'vitest'
import { matchesFilter } from './topic-match.ts'

describe('matchesFilter', () => {
  it.each([
    ['fleet/reply/app-1', 'fleet/reply/app-1', true],
    ['fleet/reply/+', 'fleet/reply/app-1', true],
    ['fleet/reply/+', 'fleet/reply/app-1/x', false],
    ['fleet/#', 'fleet/reply/app-1', true],
    ['fleet/#', 'fleet', true],
    ['#', 'MQTTnet.RPC/abc/ble-0001.open/response', true],
    ['#', '$SYS/broker/version', false],
    ['+/+', '$SYS/x', false],
    ['$SYS/#', '$SYS/broker/version', true],
    ['a/+/c', 'a/b/c', true],
    ['a/+/c', 'a/b/d', false],
    ['a/b', 'a', false],
  ])('%s matches %s: %s', (filter, topic, expected) => {
    expect(matchesFilter(filter, topic)).toBe(expected)
  })
})
