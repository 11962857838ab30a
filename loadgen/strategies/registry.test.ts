import { describe, expect, it } from 'vitest'
import { configureStrategy, parseStrategyName, STRATEGIES } from './registry.ts'
import { STRATEGY_NAMES } from './types.ts'

describe('registry', () => {
  it('lists every strategy under its own name, with a one-line summary and valid defaults', () => {
    expect(STRATEGY_NAMES).toEqual(['naive-parallel', 'serial', 'pool', 'batch', 'multiplexed'])
    for (const name of STRATEGY_NAMES) {
      const s = STRATEGIES[parseStrategyName(name)]
      expect(s.type).toBe(name)
      expect(s.summary).toMatch(/^[^\n]{10,120}$/)
      expect(s.validate({})).toEqual(s.defaults)
    }
  })

  it('rejects an unknown name with the list of names', () => {
    const msg = 'unknown strategy "parallel"; expected one of naive-parallel, serial, pool, batch, multiplexed'
    expect(() => parseStrategyName('parallel')).toThrow(msg)
    expect(() => configureStrategy('parallel', {})).toThrow(msg)
  })

  it('reports clients per user', () => {
    expect(STRATEGY_NAMES.map((n) => configureStrategy(n).clientsPerUser(20))).toEqual([1, 1, 8, 1, 1])
    expect(configureStrategy('pool', { poolSize: 8 }).clientsPerUser(5)).toBe(5)
  })
})

describe('pool options', () => {
  const pool = STRATEGIES.pool

  it('defaults to 8 and accepts either spelling, and whole-number strings', () => {
    expect(pool.validate({})).toEqual({ poolSize: 8 })
    expect(pool.validate({ poolSize: 1 })).toEqual({ poolSize: 1 })
    expect(pool.validate({ 'pool-size': 1000 })).toEqual({ poolSize: 1000 })
    expect(pool.validate({ poolSize: '16' })).toEqual({ poolSize: 16 })
    expect(pool.validate({ poolSize: 4, 'pool-size': 4 })).toEqual({ poolSize: 4 })
    expect(pool.validate({ poolSize: undefined })).toEqual({ poolSize: 8 })
  })

  it.each([
    [0, 'got 0'],
    [-1, 'got -1'],
    ['x', 'got "x"'],
    [1001, 'got 1001'],
    [2.5, 'got 2.5'],
    [Number.NaN, 'got NaN'],
    [null, 'got null'],
    [[4], 'got an array'],
  ])('rejects pool-size %s', (value, got) => {
    expect(() => pool.validate({ poolSize: value })).toThrow(`pool-size must be a whole number from 1 to 1000, ${got}`)
  })

  it('rejects unknown options and conflicting spellings', () => {
    expect(() => pool.validate({ poolsize: 4 })).toThrow('strategy pool has no option poolsize; allowed: pool-size')
    expect(() => pool.validate({ poolSize: 4, 'pool-size': 5 })).toThrow('pool-size given twice with different values (4 and 5)')
  })
})

describe.each(['naive-parallel', 'serial', 'batch', 'multiplexed'] as const)('%s options', (name) => {
  it('takes none', () => {
    expect(STRATEGIES[name].validate({})).toEqual({})
    expect(() => STRATEGIES[name].validate({ poolSize: 4 })).toThrow(`strategy ${name} takes no options, got poolSize`)
  })
})
