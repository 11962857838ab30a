/**
 * MQTT over WebSocket, both sides: a `ws` WebSocket as the byte stream MQTT.js and Aedes read and
 * write, sending one binary frame per batch of writes instead of one per write.
 *
 * mqtt-packet writes a packet in pieces (fixed header, length, topic, payload…) inside one cork,
 * and the write coalescer corks a whole event-loop turn. `ws.createWebSocketStream` has no
 * `_writev`, so every piece would leave as its own WebSocket frame, each its own socket write
 * (measured against a frame-counting server: MQTT.js 5.16's own ws stream sends a QoS 1 PUBLISH
 * as 6 frames and CONNECT as 9; this stream, 1 each). MQTT allows any split over frames (MQTT
 * 3.1.1 §6, 5.0 §6: "a single WebSocket data frame can contain multiple or partial MQTT Control
 * Packets"), so the batch is joined and sent as one frame: a corked packet is one frame, as on TCP
 * it is one write.
 */
import type net from 'node:net'
import type { Duplex } from 'node:stream'
import { createWebSocketStream, WebSocket } from 'ws'

/** The WebSocket subprotocol of MQTT 3.1.1 and 5 (MQTT 3.1 used `mqttv3.1`). */
export const MQTT_WS_SUBPROTOCOL = 'mqtt'

/** Path used when a ws:// or wss:// URL names none; what Mosquitto, EMQX, HiveMQ and the Aedes examples serve. */
export const DEFAULT_WS_PATH = '/mqtt'

/** The WebSocket as a byte stream for MQTT; writes corked together leave as one binary frame. */
export function mqttStreamOf(socket: WebSocket): Duplex {
  const stream = createWebSocketStream(socket)
  const writeOne = stream._write.bind(stream)
  stream._writev = (chunks, callback) => {
    const one = chunks.length === 1 ? (chunks[0]!.chunk as Buffer) : Buffer.concat(chunks.map((c) => c.chunk as Buffer))
    writeOne(one, chunks[0]!.encoding, callback)
  }
  return stream
}

/**
 * A client WebSocket to `url` (ws:// or wss://, path included) whose TCP or TLS socket comes from
 * `connect` (so it can be routed via a proxy and keeps TCP_NODELAY), as an MQTT byte stream.
 *
 * MQTT.js passes on only stream errors that carry a `code` and turns the rest into a bare close, so a
 * refused upgrade ("Unexpected server response: 404") would read as "closed before CONNACK": such
 * errors get the code ERR_WS_HANDSHAKE and a message that says what to check.
 */
export function openWebSocketStream(url: string, connect: () => net.Socket): Duplex {
  const socket = new WebSocket(url, [MQTT_WS_SUBPROTOCOL], { perMessageDeflate: false, createConnection: connect })
  socket.on('error', (err: Error & { code?: string }) => {
    if (err.code !== undefined) return
    err.code = 'ERR_WS_HANDSHAKE'
    const path = new URL(url).pathname
    err.message = `WebSocket upgrade of ${url} failed: ${err.message}${/\b404\b/.test(err.message) ? `; is ${path} the broker's WebSocket path?` : ''}`
  })
  return mqttStreamOf(socket)
}
