/** Every scenario by name. One folder per scenario; this is the only list. */
import { channelCapacity } from './channel-capacity/index.ts'
import { parallelBle } from './parallel-ble/index.ts'
import { telemetryVsRpc } from './telemetry-vs-rpc/index.ts'
import { reconnectStorm } from './reconnect-storm/index.ts'
import type { ScenarioDefinition } from './types.ts'

/** A scenario with its option type erased: the runner only hands it options its own specs parsed. */
export type AnyScenario = ScenarioDefinition<object>
const erased = <O extends object>(def: ScenarioDefinition<O>): AnyScenario => def as unknown as AnyScenario

export const SCENARIOS: readonly AnyScenario[] = [erased(parallelBle), erased(channelCapacity), erased(telemetryVsRpc), erased(reconnectStorm)]

export function getScenario(name: string): AnyScenario | undefined {
  return SCENARIOS.find((s) => s.name === name)
}
