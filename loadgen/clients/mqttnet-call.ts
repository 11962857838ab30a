/** One MQTTnet-style ExecuteAsync in flight: its topics, its phase, and the one thing it waits for. */
import type { AckType, AckWaiter } from './ack-dispatcher.ts'
import type { DeadlineEntry } from '../../core/deadline-queue.ts'
import type { CallResult } from './types.ts'

export type Phase = 'start' | 'subscribe' | 'publish' | 'response' | 'unsubscribe' | 'done'
/** Why a wait ended. */
export type Wake = 'ack' | 'response' | 'deadline' | 'comm-timeout' | 'aborted' | 'fatal'
/** The ack each phase waits for. */
export const ACK_OF: Partial<Record<Phase, AckType>> = { subscribe: 'SubAck', publish: 'PubAck', unsubscribe: 'UnsubAck' }

export interface CallOwner {
  /** The call's AbortSignal fired. */
  abort(call: Call): void
}

/** Waits one thing at a time; it is its own AbortSignal listener, so no closure is needed for it. */
export class Call implements DeadlineEntry {
  heapIndex = -1
  queueSeq = 0
  /** Deadline of the current wait (the key in the owner's guard queue and the ack waiter's deadline). */
  deadline = 0
  expiry: 'deadline' | 'comm-timeout' = 'deadline'
  phase: Phase = 'start'
  waiter: AckWaiter<Call> | undefined = undefined
  response: Buffer | undefined = undefined
  /** Set when the connection is gone (teardown, loss, close); every later step returns it. */
  fatal: CallResult | undefined = undefined
  private wakeFn: ((w: Wake) => void) | undefined = undefined

  constructor(
    readonly owner: CallOwner,
    readonly requestTopic: string,
    readonly responseTopic: string,
    readonly callDeadline: number,
    readonly signal: AbortSignal | undefined,
  ) {}

  /** Resolves at the next wake(); at once with 'fatal' when the connection is already gone. */
  wait(): Promise<Wake> {
    if (this.fatal !== undefined) return Promise.resolve('fatal')
    return new Promise((resolve) => (this.wakeFn = resolve))
  }

  /** Ends the current wait; a wake with nobody waiting is dropped (the state it reports is kept on the call). */
  wake(w: Wake): void {
    const fn = this.wakeFn
    this.wakeFn = undefined
    fn?.(w)
  }

  handleEvent(): void {
    this.owner.abort(this)
  }
}
