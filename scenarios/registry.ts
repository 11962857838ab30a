/** Every scenario by name. One file per scenario; this is the only list. */
import { channelCapacity } from './channel-capacity/index.ts'
import { parallelBle } from './parallel-ble/index.ts'
import type { ScenarioDefinition } from './types.ts'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const SCENARIOS: ReadonlyArray<ScenarioDefinition<any>> = [parallelBle, channelCapacity]

export function getScenario(name: string): ScenarioDefinition<object> | undefined {
  return SCENARIOS.find((s) => s.name === name)
}
