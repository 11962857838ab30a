import { describe, expect, it } from 'vitest'
import { mannWhitneyGreater, median } from './stats.ts'

describe('Mann–Whitney U (one-sided, B > A)', () => {
  it('gives the exact tail for complete separation: 1 / C(m+n, m)', () => {
    expect(mannWhitneyGreater([1, 2, 3], [4, 5, 6])).toMatchObject({ u: 9, p: 1 / 20, minP: 1 / 20, exact: true })
    expect(mannWhitneyGreater([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]).p).toBeCloseTo(1 / 252, 12)
  })

  it('matches the exact distribution for an overlap (m = n = 4, U = 13: 7 of the 70 arrangements reach it)', () => {
    // B beats A in 13 of 16 pairs.
    const r = mannWhitneyGreater([1, 2, 5, 7], [3, 6, 8, 9])
    expect(r.u).toBe(13)
    expect(r.p).toBeCloseTo(7 / 70, 10)
  })

  it('finds no evidence when B is smaller or the samples are identical in spread', () => {
    expect(mannWhitneyGreater([4, 5, 6], [1, 2, 3]).p).toBe(1)
    expect(mannWhitneyGreater([1, 3, 5], [2, 4, 6]).p).toBeGreaterThan(0.2)
  })

  it('handles ties with the normal approximation and single samples without claiming significance', () => {
    const tied = mannWhitneyGreater([1, 1, 2, 2, 3, 3], [3, 3, 4, 4, 5, 5])
    expect(tied.exact).toBe(false)
    expect(tied.p).toBeLessThan(0.02)
    expect(mannWhitneyGreater([1], [2])).toMatchObject({ p: 0.5, minP: 0.5 })
  })

  it('takes medians', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([])).toBe(0)
  })
})
