/** The grid channel-capacity sweeps: fault × policy × capacity, plus the rumqtt #1025 cell. */
import type { FaultName } from '../../loadgen/channel/messages.ts'
import type { PolicyName } from '../../loadgen/channel/policies.ts'
import type { CellIdentity } from '../cell-runner.ts'
import { SEND_IN_POLL, type ChannelCapacityOptions } from './options.ts'

export interface ChannelCellSpec extends CellIdentity {
  capacity: number
  policy: PolicyName
  fault: FaultName
  /** The rumqtt #1025 pattern cell. */
  sendInPoll: boolean
}

export function channelCells(o: ChannelCapacityOptions): ChannelCellSpec[] {
  const cells: ChannelCellSpec[] = []
  for (const fault of o.faults)
    for (const policy of o.policies)
      for (const capacity of o.capacities)
        cells.push({
          id: `${policy}-c${capacity}-${fault}`,
          labels: { capacity, policy, fault, ...(policy === 'drop-oldest' ? { ring: o.ring } : {}) },
          capacity,
          policy,
          fault,
          sendInPoll: false,
        })
  if (o.deadlockCell === 'on') {
    const { capacity, policy, fault } = SEND_IN_POLL
    cells.push({ id: `send-in-poll-c${capacity}-${fault}`, labels: { capacity, policy, fault, pattern: 'send-in-poll' }, capacity, policy, fault, sendInPoll: true })
  }
  return cells
}
