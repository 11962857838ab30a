/**
 * Floor (a): raw TCP ping-pong between two Node processes on loopback. One connection with
 * TCP_NODELAY; `concurrency` fixed-size frames in flight, each sent again as soon as its echo
 * arrives (closed loop). Frames that come back in one read are answered with one write, as any
 * sensible RPC transport would do. Nothing here parses JSON or speaks MQTT: it is the ceiling that
 * loopback and the Node event loop put on any request/response over TCP.
 */
import { fork, type ChildProcess } from 'node:child_process'
import net from 'node:net'
import { Samples } from './latency.ts'
import { perSec, type Measurement } from './types.ts'

/** About the size of an MQTT request of the other floors (topic, envelope, params). */
export const FRAME_BYTES = 96

export interface TcpEcho {
  port: number
  stop(): Promise<void>
}

export async function startTcpEcho(): Promise<TcpEcho> {
  const child: ChildProcess = fork(new URL('./tcp-echo.mjs', import.meta.url), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [] })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port))
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`TCP echo server exited with code ${code} before listening`)))
  })
  return {
    port,
    stop: async () => {
      if (child.connected) child.disconnect()
      const killer = setTimeout(() => child.kill('SIGKILL'), 2000)
      await exited
      clearTimeout(killer)
    },
  }
}

export async function measureTcp(port: number, concurrency: number, durationMs: number): Promise<Measurement> {
  const socket = net.createConnection({ host: '127.0.0.1', port, noDelay: true })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  // frame i carries its slot number in its first 4 bytes; frames are prebuilt and never change
  const frames = Buffer.alloc(FRAME_BYTES * concurrency, 0x2e)
  for (let i = 0; i < concurrency; i++) frames.writeUInt32LE(i, i * FRAME_BYTES)
  const sentAt = new Float64Array(concurrency)
  const samples = new Samples()
  let pending: Buffer = Buffer.alloc(0)
  let active = concurrency
  let calls = 0
  const start = performance.now()
  const endAt = start + durationMs
  let end = start
  const done = new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.on('data', (chunk: Buffer) => {
      const now = performance.now()
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
      const whole = Math.floor(pending.length / FRAME_BYTES)
      const again: number[] = []
      for (let f = 0; f < whole; f++) {
        const slot = pending.readUInt32LE(f * FRAME_BYTES)
        calls++
        samples.push((now - sentAt[slot]!) * 1000)
        if (now < endAt) again.push(slot)
        else active--
      }
      pending = pending.subarray(whole * FRAME_BYTES)
      if (again.length > 0) {
        const out = Buffer.allocUnsafe(again.length * FRAME_BYTES)
        for (let k = 0; k < again.length; k++) {
          const slot = again[k]!
          frames.copy(out, k * FRAME_BYTES, slot * FRAME_BYTES, (slot + 1) * FRAME_BYTES)
          sentAt[slot] = now
        }
        socket.write(out)
      }
      if (active === 0) {
        end = now
        resolve()
      }
    })
  })
  for (let i = 0; i < concurrency; i++) sentAt[i] = performance.now()
  socket.write(frames)
  await done
  socket.destroy()
  const [p50Us = 0, p99Us = 0] = samples.percentiles([50, 99])
  const elapsedMs = end - start
  return { floor: 'tcp', concurrency, calls, errors: 0, elapsedMs, callsPerSec: perSec(calls, elapsedMs), p50Us, p99Us }
}
