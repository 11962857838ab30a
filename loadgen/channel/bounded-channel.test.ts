import { describe, expect, it } from 'vitest'
import { BoundedChannel, ChannelClosedError, type Present } from './bounded-channel.ts'
import { Ring } from '../../core/ring.ts'

const settle = (): Promise<void> => new Promise((r) => setImmediate(r))

/** Tracks a promise's state without awaiting it. */
function track<T>(p: Promise<T>): { done: boolean; value?: T; error?: unknown } {
  const s: { done: boolean; value?: T; error?: unknown } = { done: false }
  p.then(
    (value) => Object.assign(s, { done: true, value }),
    (error: unknown) => Object.assign(s, { done: true, error }),
  )
  return s
}

const drainAll = <T extends Present>(ch: BoundedChannel<T>): T[] => {
  const out: T[] = []
  for (let x = ch.tryRecv(); x !== undefined; x = ch.tryRecv()) out.push(x)
  return out
}

describe('Ring', () => {
  it('is a FIFO that wraps around, refuses when full unless growable, and clears its slots', () => {
    const r = new Ring<number>(3)
    expect([r.push(1), r.push(2), r.push(3), r.push(4)]).toEqual([true, true, true, false])
    expect(r.shift()).toBe(1)
    expect(r.push(4)).toBe(true)
    expect([r.at(0), r.at(1), r.at(2), r.at(3)]).toEqual([2, 3, 4, undefined])
    expect([r.shift(), r.shift(), r.shift(), r.shift()]).toEqual([2, 3, 4, undefined])
    const g = new Ring<number>(2, true)
    for (let i = 0; i < 9; i++) g.push(i)
    expect(g.length).toBe(9)
    g.shift()
    expect(g.peek()).toBe(1)
    g.clear()
    expect(g.length).toBe(0)
  })
})

describe('BoundedChannel', () => {
  it('buffers up to its capacity, then sends wait and are accepted in FIFO order', async () => {
    const ch = new BoundedChannel<number>(2)
    const sends = [1, 2, 3, 4, 5].map((i) => track(ch.send(i)))
    await settle()
    expect(sends.map((s) => s.done)).toEqual([true, true, false, false, false])
    expect([ch.length, ch.waitingSenders]).toEqual([2, 3])
    expect(ch.tryRecv()).toBe(1)
    await settle()
    // Taking one item moves the first waiting send into the buffer.
    expect(sends.map((s) => s.done)).toEqual([true, true, true, false, false])
    expect(drainAll(ch)).toEqual([2, 3, 4, 5])
    await settle()
    expect(sends.every((s) => s.done && s.error === undefined)).toBe(true)
    expect([ch.maxLength, ch.maxWaitingSenders, ch.accepted, ch.received]).toEqual([2, 3, 5, 5])
  })

  it('capacity 0 is a rendezvous: a send completes only when the receiver takes its item', async () => {
    const ch = new BoundedChannel<string>(0)
    const a = track(ch.send('a'))
    await settle()
    expect(a.done).toBe(false)
    expect(ch.length).toBe(0)
    expect(ch.trySend('b')).toBe('full')
    expect(ch.tryRecv()).toBe('a')
    await settle()
    expect(a.done).toBe(true)
    // A waiting receiver is a rendezvous partner: send and trySend complete at once.
    const got = ch.recv()
    expect(ch.trySend('c')).toBe('ok')
    expect(await got).toBe('c')
    const got2 = ch.recv()
    await ch.send('d')
    expect(await got2).toBe('d')
  })

  it('a cancelled send leaves no item behind and the next send takes its place', async () => {
    const ch = new BoundedChannel<number>(1)
    await ch.send(1)
    const ctrl = new AbortController()
    const cancelled = track(ch.send(2, { signal: ctrl.signal }))
    const kept = track(ch.send(3))
    ctrl.abort(new Error('stop'))
    await settle()
    expect(cancelled.done).toBe(true)
    expect((cancelled.error as Error).message).toBe('stop')
    expect(ch.waitingSenders).toBe(1)
    expect(drainAll(ch)).toEqual([1, 3])
    await settle()
    expect(kept.done).toBe(true)
    // Already aborted: refused without queueing; accepted sends cannot be cancelled afterwards.
    await expect(ch.send(4, { signal: AbortSignal.abort(new Error('early')) })).rejects.toThrow('early')
    const late = new AbortController()
    await ch.send(5, { signal: late.signal })
    late.abort()
    expect(drainAll(ch)).toEqual([5])
  })

  it('withdraw cancels the waiting send of an item the caller owns; an accepted item cannot be withdrawn', async () => {
    const ch = new BoundedChannel<string>(0)
    const a = track(ch.send('a'))
    const b = track(ch.send('b'))
    const reason = new Error('dropped')
    expect(ch.withdraw('a', reason)).toBe(true)
    expect(ch.withdraw('a', reason)).toBe(false)
    await settle()
    expect(a.error).toBe(reason)
    expect(ch.tryRecv()).toBe('b')
    expect(ch.withdraw('b', reason)).toBe(false)
    await settle()
    expect(b.done && b.error === undefined).toBe(true)
  })

  it('calls onAccepted synchronously at the instant of acceptance', async () => {
    const ch = new BoundedChannel<number>(0)
    const order: string[] = []
    const p = ch.send(1, { onAccepted: () => order.push('accepted') })
    order.push('sent')
    ch.tryRecv()
    order.push('taken')
    await p
    expect(order).toEqual(['sent', 'accepted', 'taken'])
  })

  it('trySend answers full or closed at once; close fails waiting sends and keeps buffered items', async () => {
    const ch = new BoundedChannel<number>(1)
    expect(ch.trySend(1)).toBe('ok')
    expect(ch.trySend(2)).toBe('full')
    const waiting = ch.send(3)
    ch.close()
    await expect(waiting).rejects.toBeInstanceOf(ChannelClosedError)
    await expect(ch.send(4)).rejects.toBeInstanceOf(ChannelClosedError)
    expect(ch.trySend(5)).toBe('closed')
    expect(await ch.recv()).toBe(1)
    expect(await ch.recv()).toBeUndefined()
  })

  it('recv can be interrupted or aborted without taking anything, and has one receiver', async () => {
    const ch = new BoundedChannel<number>(0)
    const r = ch.recv()
    await expect(ch.recv()).rejects.toThrow(/one receiver/)
    ch.interruptRecv()
    expect(await r).toBeUndefined()
    expect(ch.trySend(1)).toBe('full')
    const ctrl = new AbortController()
    const r2 = ch.recv({ signal: ctrl.signal })
    ctrl.abort(new Error('gone'))
    await expect(r2).rejects.toThrow('gone')
    expect(ch.receiverWaiting).toBe(false)
    const closedWhileWaiting = ch.recv()
    ch.close()
    expect(await closedWhileWaiting).toBeUndefined()
  })

  it('rejects a capacity that is not a whole number ≥ 0', () => {
    expect(() => new BoundedChannel(-1)).toThrow(/whole number ≥ 0/)
    expect(() => new BoundedChannel(1.5)).toThrow(/whole number ≥ 0/)
  })
})
