/**
 * Strategy names → strategies. Add a strategy by writing its file, naming it in STRATEGY_NAMES and
 * its options here; the types keep the three in step.
 */
import { batch } from './batch.ts'
import { multiplexed } from './multiplexed.ts'
import { naiveParallel } from './naive-parallel.ts'
import type { NoOptions } from './options.ts'
import { pool, type PoolOptions } from './pool.ts'
import { serial } from './serial.ts'
import { configure, isStrategyName, STRATEGY_NAMES, type ConfiguredStrategy, type Strategy, type StrategyName } from './types.ts'

export interface StrategyOptionsMap {
  'naive-parallel': NoOptions
  serial: NoOptions
  pool: PoolOptions
  batch: NoOptions
  multiplexed: NoOptions
}

export type StrategyOf<K extends StrategyName> = Strategy<StrategyOptionsMap[K], K>

export const STRATEGIES: { readonly [K in StrategyName]: StrategyOf<K> } = {
  'naive-parallel': naiveParallel,
  serial,
  pool,
  batch,
  multiplexed,
}



/** Checks a name from outside (command line, scenario file, worker message). */
export function parseStrategyName(name: string): StrategyName {
  if (isStrategyName(name)) return name
  throw new Error(`unknown strategy ${JSON.stringify(name)}; expected one of ${STRATEGY_NAMES.join(', ')}`)
}


/** Looks the strategy up and validates its options (defaults filled in); throws on either. */
export function configureStrategy(name: string, raw: Readonly<Record<string, unknown>> = {}): ConfiguredStrategy {
  return configureNamed(parseStrategyName(name), raw)
}

function configureNamed<K extends StrategyName>(name: K, raw: Readonly<Record<string, unknown>>): ConfiguredStrategy {
  return configure(STRATEGIES[name], raw)
}
