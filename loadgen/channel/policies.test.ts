import { describe, expect, it } from 'vitest'
import { BoundedChannel } from './bounded-channel.ts'
import { createPolicy, POLICY_NAMES, settledAtOnce } from './policies.ts'
import { policyContract } from '../../test/support/policy-contract.ts'

for (const name of POLICY_NAMES) policyContract(name)

describe('send policies beyond the contract', () => {
  it('answer outcomes known at once with shared promises (nothing allocated per call)', () => {
    const ch = new BoundedChannel<number>(1)
    const p = createPolicy('drop-newest', ch)
    const a = p.submit(1)
    const b = p.submit(2)
    expect(settledAtOnce(a) && settledAtOnce(b)).toBe(true)
    expect(p.submit(3)).toBe(b)
    expect(settledAtOnce(createPolicy('block', ch).submit(4))).toBe(false)
  })

  it('refuse with closed once the channel is closed; drop-oldest hands what its ring still holds to onDiscarded', async () => {
    for (const name of POLICY_NAMES) {
      const ch = new BoundedChannel<number>(0)
      const discarded: number[] = []
      const p = createPolicy(name, ch, { ring: 3, onDiscarded: (i) => discarded.push(i) })
      const before = name === 'drop-oldest' ? [p.submit(1), p.submit(2)] : []
      await new Promise((r) => setImmediate(r))
      ch.close()
      expect(await p.submit(9)).toBe('closed')
      await new Promise((r) => setImmediate(r))
      expect(p.failedClosed).toBe(1)
      expect(await Promise.all(before)).toEqual(before.map(() => 'accepted'))
      expect(discarded).toEqual(name === 'drop-oldest' ? [1, 2] : [])
      expect(p.depth).toBe(0)
    }
  })

  it('drop-oldest needs a ring of at least 1', () => {
    expect(() => createPolicy('drop-oldest', new BoundedChannel<number>(1), { ring: 0 })).toThrow(/ring of at least 1/)
  })
})
