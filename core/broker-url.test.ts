import { describe, expect, it } from 'vitest'
import { parseBrokerUrl, webSocketUrl } from './mqtt-connect.ts'

describe('parseBrokerUrl', () => {
  it.each([
    ['mqtt://broker', { transport: 'tcp', secure: false, host: 'broker', port: 1883, path: '' }],
    ['tcp://broker:1884', { transport: 'tcp', secure: false, host: 'broker', port: 1884, path: '' }],
    ['mqtts://broker', { transport: 'tcp', secure: true, host: 'broker', port: 8883, path: '' }],
    ['ssl://broker:8884', { transport: 'tcp', secure: true, host: 'broker', port: 8884, path: '' }],
    // No path written: /mqtt, what Mosquitto, EMQX, HiveMQ and the Aedes examples serve.
    ['ws://broker:9001', { transport: 'ws', secure: false, host: 'broker', port: 9001, path: '/mqtt' }],
    ['ws://broker', { transport: 'ws', secure: false, host: 'broker', port: 80, path: '/mqtt' }],
    ['wss://broker', { transport: 'ws', secure: true, host: 'broker', port: 443, path: '/mqtt' }],
    // A path written, even "/", is used as written (with its query).
    ['ws://broker:9001/', { transport: 'ws', path: '/' }],
    ['wss://broker:8084/ws?token=a%20b', { transport: 'ws', secure: true, port: 8084, path: '/ws?token=a%20b' }],
    ['ws://broker:9001?x=1', { path: '/mqtt?x=1' }],
    ['ws://[::1]:9001', { host: '::1', port: 9001, path: '/mqtt' }],
  ])('%s', (url, expected) => {
    expect(parseBrokerUrl(url)).toMatchObject(expected)
  })

  it('builds the WebSocket URL from the parts, brackets around an IPv6 host', () => {
    expect(webSocketUrl(parseBrokerUrl('ws://[::1]:9001'))).toBe('ws://[::1]:9001/mqtt')
    expect(webSocketUrl(parseBrokerUrl('wss://broker/ws#frag'))).toBe('wss://broker:443/ws')
  })

  it.each([
    ['http://x', /^broker URL scheme http: is not supported; use mqtt:\/\/, mqtts:\/\/, ws:\/\/ or wss:\/\/$/],
    ['broker:1883', /scheme broker: is not supported/],
    ['nonsense', /is not a URL; expected mqtt:\/\/host:port, mqtts:\/\/host:port, ws:\/\/host:port\/mqtt or wss:\/\/host:port\/mqtt$/],
    ['ws://:9001', /has no host|is not a URL/],
  ])('refuses %s', (url, message) => {
    expect(() => parseBrokerUrl(url)).toThrow(message)
  })
})
