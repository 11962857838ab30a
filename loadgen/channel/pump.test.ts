import { afterEach, describe, expect, it } from 'vitest'
import { ManualClock } from '../../test/support/manual-clock.ts'
import { BoundedChannel } from './bounded-channel.ts'
import { Pump, type PumpRequest, type PumpSink } from './pump.ts'
import { Watchdog } from './watchdog.ts'

interface Req extends PumpRequest {
  id: number
}

const pub = (id: number, qos: 0 | 1 = 1): Req => ({ kind: 'publish', qos, id })

/** An MQTT side that records writes; QoS>0 publishes and (un)subscribes complete when acked. */
class FakeSink implements PumpSink<Req> {
  connected = true
  writable = true
  /** The next write fills the socket buffer (as a write is what fills it). */
  fillOnWrite = false
  readonly written: Req[] = []
  private readonly unacked: Req[] = []
  pump!: Pump<Req>

  write(req: Req): void {
    this.written.push(req)
    if (this.fillOnWrite) this.writable = false
    if (req.kind === 'publish' && req.qos === 0) this.pump.complete(req)
    else this.unacked.push(req)
  }

  ack(n: number): void {
    for (const r of this.unacked.splice(0, n)) this.pump.complete(r)
  }
}

const pumps: Array<Pump<Req>> = []
function setup(capacity: number, opts: ConstructorParameters<typeof Pump<Req>>[2] = {}): { ch: BoundedChannel<Req>; sink: FakeSink; pump: Pump<Req>; clock: ManualClock; ids: () => number[] } {
  const ch = new BoundedChannel<Req>(capacity)
  const sink = new FakeSink()
  const pump = new Pump(ch, sink, opts)
  sink.pump = pump
  pumps.push(pump)
  void pump.start()
  return { ch, sink, pump, clock: new ManualClock(), ids: () => sink.written.map((r) => r.id) }
}
afterEach(async () => {
  for (const p of pumps.splice(0)) await p.stop()
})
const settle = (): Promise<void> => new Promise((r) => setImmediate(r))

describe('Pump (the event loop)', () => {
  it('writes every request type in FIFO order; only QoS>0 publishes count as in flight', async () => {
    const { ch, pump, ids } = setup(10)
    for (const r of [pub(1), { kind: 'subscribe', qos: 1, id: 2 } as Req, pub(3, 0), { kind: 'unsubscribe', qos: 1, id: 4 } as Req, pub(5)]) await ch.send(r)
    await settle()
    expect(ids()).toEqual([1, 2, 3, 4, 5])
    expect(pump.inflight).toBe(2)
    expect(pump.taken).toBe(5)
  })

  it('takes only while in-flight QoS 1 publishes are below maxInFlight; acks let it go on', async () => {
    const { ch, sink, pump, ids } = setup(10, { maxInFlight: 3 })
    for (let i = 1; i <= 8; i++) ch.trySend(pub(i))
    await settle()
    expect(ids()).toEqual([1, 2, 3])
    expect([ch.length, pump.state]).toEqual([5, 'inflight-full'])
    sink.ack(2)
    await settle()
    expect(ids()).toEqual([1, 2, 3, 4, 5])
    sink.ack(10)
    await settle()
    sink.ack(10)
    await settle()
    expect(ids()).toHaveLength(8)
    expect([pump.inflight, pump.peakInFlight]).toEqual([0, 3])
  })

  it('takes nothing while disconnected, so nothing drains; reconnecting resumes in order', async () => {
    const { ch, sink, pump, ids } = setup(5)
    await settle()
    sink.connected = false
    pump.connectionChanged()
    // The idle loop withdrew from recv: at capacity 5 items queue, nothing is taken.
    for (let i = 1; i <= 3; i++) await ch.send(pub(i))
    await settle()
    expect([ids(), ch.length, pump.state, pump.takenWhileDown]).toEqual([[], 3, 'disconnected', 0])
    sink.connected = true
    pump.connectionChanged()
    await settle()
    expect(ids()).toEqual([1, 2, 3])
  })

  it('a stall stops polling: a rendezvous send waits the stall out, and acks wait to be polled', async () => {
    const { ch, sink, pump, clock, ids } = setup(0, { maxInFlight: 1 })
    await settle()
    expect(ch.receiverWaiting).toBe(true)
    pump.stall()
    expect(ch.receiverWaiting).toBe(false)
    let acceptedAt = -1
    const sent = ch.send(pub(1), { onAccepted: () => (acceptedAt = clock.now()) })
    await clock.advance(400)
    expect([ids(), acceptedAt, pump.state]).toEqual([[], -1, 'stalled'])
    pump.resume()
    await sent
    expect([ids(), acceptedAt]).toEqual([[1], 400])
    pump.stall()
    sink.ack(1)
    expect(pump.inflight).toBe(1)
    pump.resume()
    await settle()
    expect(pump.inflight).toBe(0)
  })

  it('waits while the socket pushes back', async () => {
    const { ch, sink, pump, ids } = setup(5)
    sink.fillOnWrite = true
    ch.trySend(pub(1, 0))
    ch.trySend(pub(2, 0))
    await settle()
    expect([ids(), ch.length, pump.state]).toEqual([[1], 1, 'backpressure'])
    sink.fillOnWrite = false
    sink.writable = true
    pump.writableChanged()
    await settle()
    expect(ids()).toEqual([1, 2])
  })

  it('handles incoming publishes inside the loop; awaiting send() into its own full channel deadlocks it (rumqtt #1025) and the watchdog says so', async () => {
    const { ch, pump, clock, ids } = setup(2, { onIncoming: () => ch.send(pub(99)) })
    pump.stall()
    await ch.send(pub(1))
    await ch.send(pub(2))
    const blocked = ch.send(pub(3))
    pump.incoming({ topic: 'cmd', payload: Buffer.from('x') })
    pump.resume()
    await settle()
    expect([pump.state, ids(), pump.handled]).toEqual(['handling', [], 1])
    let stuckFor = -1
    const dog = new Watchdog({
      clock,
      timeoutMs: 1000,
      probe: { progress: () => pump.progress, pending: () => ch.length + ch.waitingSenders > 0, excused: () => pump.state === 'stalled' },
      onStuck: (ms) => (stuckFor = ms),
    })
    dog.start()
    await clock.advance(500)
    // A stall that begins now does not excuse a loop already stuck in its handler.
    pump.stall()
    await clock.advance(400)
    expect([stuckFor, pump.state]).toEqual([-1, 'handling'])
    await clock.advance(100)
    expect(stuckFor).toBe(1000)
    // Closing the channel fails the handler's send (and the producer's); the loop drains what is buffered and ends.
    pump.resume()
    ch.close()
    await expect(blocked).rejects.toThrow('channel closed')
    await pump.start()
    expect([ids(), pump.state]).toEqual([[1, 2], 'stopped'])
  })

  it('a handler that does not wait for the channel never blocks the loop', async () => {
    const { ch, pump, ids } = setup(2, { onIncoming: () => void ch.trySend(pub(99)) })
    pump.stall()
    await ch.send(pub(1))
    await ch.send(pub(2))
    pump.incoming({ topic: 'cmd', payload: Buffer.from('x') })
    pump.resume()
    await settle()
    expect(ids()).toEqual([1, 2])
    expect(pump.handled).toBe(1)
  })
})

describe('Watchdog', () => {
  it('fires once after timeoutMs without progress while work is pending', async () => {
    const clock = new ManualClock()
    let progress = 0
    let pending = true
    let excused = false
    const fired: number[] = []
    const dog = new Watchdog({ clock, timeoutMs: 500, checkEveryMs: 50, probe: { progress: () => progress, pending: () => pending, excused: () => excused }, onStuck: (ms) => fired.push(ms) })
    dog.start()
    await clock.advance(400)
    progress++ // progress resets the clock
    await clock.advance(400)
    pending = false // nothing to do is not being stuck
    await clock.advance(600)
    pending = true
    excused = true // a stall or a cut holds the loop from outside
    await clock.advance(600)
    expect(fired).toEqual([])
    excused = false
    await clock.advance(550)
    expect(fired).toEqual([500])
    await clock.advance(2000)
    expect(fired).toEqual([500])
    expect(clock.pendingTimers).toBe(0)
    dog.stop()
  })
})
