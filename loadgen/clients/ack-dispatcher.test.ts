import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../test/support/manual-clock.ts'
import { AckDispatcher, ackTypeOf, unexpectedAckMessage, type AckWaiter } from './ack-dispatcher.ts'

function setup(strict: boolean) {
  const clock = new ManualClock(1000)
  const expired: Array<AckWaiter<string>> = []
  const d = new AckDispatcher<string>({ strict, clock, onExpire: (w) => expired.push(w) })
  return { clock, d, expired }
}

describe('AckDispatcher (MQTTnet < 5.2 emulation)', () => {
  it('delivers an ack to the waiter with the same packet type and id', () => {
    const { d } = setup(true)
    const sub = d.wait('SubAck', 7, 2000, 'call-a')
    const unsub = d.wait('UnsubAck', 7, 2000, 'call-b') // same id, other type: another key
    expect(d.size).toBe(2)
    const r = d.dispatch('UnsubAck', 7)
    expect(r).toEqual({ kind: 'delivered', waiter: unsub })
    expect(unsub.state).toBe('acked')
    expect(d.dispatch('SubAck', 7)).toMatchObject({ kind: 'delivered', waiter: { owner: 'call-a' } })
    expect(sub.state).toBe('acked')
    expect(d.size).toBe(0)
    expect(d.stats()).toMatchObject({ delivered: 2, violations: 0 })
  })

  it('strict: an ack whose waiter timed out is a protocol violation with MQTTnet’s message', async () => {
    const { clock, d, expired } = setup(true)
    const w = d.wait('SubAck', 1, 1050, 'slow')
    await clock.advance(49)
    expect(expired).toEqual([])
    await clock.advance(1)
    expect(expired).toEqual([w])
    expect(w.state).toBe('expired')
    expect(d.dispatch('SubAck', 1)).toEqual({ kind: 'violation', message: "Received packet 'SubAck' at an unexpected time" })
    expect(d.dispatch('UnsubAck', 9)).toEqual({ kind: 'violation', message: unexpectedAckMessage('UnsubAck') })
    expect(d.stats()).toMatchObject({ expired: 1, violations: 2, ignored: 0 })
  })

  it('strict: an ack whose waiter was removed by cancellation is a violation too', () => {
    const { d, expired } = setup(true)
    const w = d.wait('PubAck', 3, 5000, 'aborted')
    expect(d.remove(w)).toBe(true)
    expect(d.remove(w)).toBe(false)
    expect(w.state).toBe('removed')
    expect(expired).toEqual([])
    expect(d.dispatch('PubAck', 3)).toEqual({ kind: 'violation', message: "Received packet 'PubAck' at an unexpected time" })
  })

  it('lenient: acks without a waiter are counted and ignored (MQTT.js, MQTTnet >= 5.2)', async () => {
    const { clock, d } = setup(false)
    d.wait('SubAck', 1, 1010, 'x')
    await clock.advance(10)
    expect(d.dispatch('SubAck', 1)).toEqual({ kind: 'ignored' })
    expect(d.dispatch('SubAck', 2)).toEqual({ kind: 'ignored' })
    expect(d.stats()).toMatchObject({ ignored: 2, violations: 0, expired: 1 })
  })

  it('expires many waiters sharing one deadline in one timer tick, in deadline order', async () => {
    const { clock, d, expired } = setup(true)
    const late = d.wait('SubAck', 100, 1100, 'late')
    const shared = Array.from({ length: 50 }, (_, i) => d.wait('SubAck', i + 1, 1050, `call-${i}`))
    expect(clock.pendingTimers).toBe(1)
    await clock.advance(50)
    expect(expired).toEqual(shared)
    expect(d.size).toBe(1)
    expect(clock.pendingTimers).toBe(1)
    await clock.advance(50)
    expect(expired.at(-1)).toBe(late)
    expect(clock.pendingTimers).toBe(0)
  })

  it('an acked waiter never expires, and a waiter for a reused key replaces the old one', async () => {
    const { clock, d, expired } = setup(true)
    const a = d.wait('SubAck', 5, 1020, 'a')
    d.dispatch('SubAck', 5)
    const b = d.wait('SubAck', 5, 1030, 'b')
    const c = d.wait('SubAck', 5, 1040, 'c')
    expect(b.state).toBe('removed')
    await clock.runAll()
    expect(expired).toEqual([c])
    expect(a.state).toBe('acked')
  })

  it('clear() drops every waiter and frees the timer', () => {
    const { clock, d, expired } = setup(true)
    const ws = [d.wait('SubAck', 1, 2000, 'a'), d.wait('UnsubAck', 2, 3000, 'b')]
    expect(d.clear()).toEqual(ws)
    expect(ws.every((w) => w.state === 'removed')).toBe(true)
    expect(d.size).toBe(0)
    expect(clock.pendingTimers).toBe(0)
    expect(expired).toEqual([])
  })

  it('maps MQTT.js packet commands to MQTTnet packet type names', () => {
    expect(ackTypeOf('suback')).toBe('SubAck')
    expect(ackTypeOf('unsuback')).toBe('UnsubAck')
    expect(ackTypeOf('puback')).toBe('PubAck')
    expect(ackTypeOf('publish')).toBeUndefined()
    expect(ackTypeOf('constructor')).toBeUndefined()
  })
})
