/** channel-capacity's options, as the command line gives them after parsing and defaults. */
import type { FaultName } from '../../loadgen/channel/messages.ts'
import type { PolicyName } from '../../loadgen/channel/policies.ts'
import type { CommonOptions, LinkOptions } from '../options.ts'

/** The caller link shapes the publisher's connection; the gateway link the subscriber's (the receiving side). */
export interface ChannelCapacityOptions extends Pick<CommonOptions, 'seed' | 'broker' | 'username' | 'password' | 'out' | 'qos'>, LinkOptions {
  capacities: number[]
  policies: PolicyName[]
  faults: FaultName[]
  ring: number
  producers: number
  rate: number
  duration: number
  faultFor: number
  faultEvery: number
  cutFor: number
  linkBandwidth: number
  linkLatency: number
  maxInFlight: number
  payload: number
  deadlockCell: 'on' | 'off'
  watchdog: number
  drainTimeout: number
  repeat: number
}

/** The send-in-poll cell's fixed shape: a channel that is not a rendezvous, filled by a stall. */
export const SEND_IN_POLL = { capacity: 10, policy: 'block', fault: 'stall' } as const
