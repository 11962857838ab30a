/**
 * An open-loop caller for reconnect storms: one `info` every 1/rate s on a device drawn from a
 * seeded rng, each with its own deadline, never waiting for the previous one (so a broker outage
 * shows as failed calls, not as a caller that stopped asking). Every call is recorded (sent, then
 * exactly one result); the start times of failed calls are kept so a scenario can count the
 * failures inside any window.
 */
import { sleep, type Clock } from '../../core/clock.ts'
import type { Rng } from '../../core/rng.ts'
import type { RpcClient } from '../clients/types.ts'
import type { CallRecorder } from '../engine/recorder.ts'

export interface RandomCallerOptions {
  client: RpcClient
  deviceIds: readonly string[]
  /** Calls started per second. */
  rate: number
  timeoutMs: number
  clock: Clock
  rng: Rng
  rec: CallRecorder
}

export class RandomCaller {
  /** Start times (clock ms) of every call, and of the failed ones, in order. */
  readonly started: number[] = []
  readonly failedAt: number[] = []
  private stopped = false
  private readonly inFlight = new Set<Promise<void>>()
  private loop: Promise<void> | undefined

  constructor(private readonly o: RandomCallerOptions) {
    if (!(o.rate > 0)) throw new Error(`rate must be a positive number of calls per second, got ${o.rate}`)
    if (o.deviceIds.length === 0) throw new Error('a random caller needs at least one device')
  }

  start(): void {
    this.loop ??= this.run()
  }

  /** Calls started in [from, to) and how many of them failed. */
  between(from: number, to: number): { calls: number; failed: number } {
    const count = (xs: readonly number[]): number => xs.filter((t) => t >= from && t < to).length
    return { calls: count(this.started), failed: count(this.failedAt) }
  }

  /** Starts no new call and waits for the calls in flight (each ends by its deadline). */
  async stop(): Promise<void> {
    this.stopped = true
    await this.loop
    await Promise.all(this.inFlight)
  }

  private async run(): Promise<void> {
    const { clock } = this.o
    const interval = 1000 / this.o.rate
    const first = clock.now()
    for (let k = 0; !this.stopped; k++) {
      const due = first + k * interval
      const now = clock.now()
      if (due > now) await sleep(clock, due - now)
      if (this.stopped) break
      this.fire()
    }
  }

  private fire(): void {
    const { client, clock, rec, rng, deviceIds, timeoutMs } = this.o
    const deviceId = deviceIds[Math.floor(rng.next() * deviceIds.length)]!
    const start = clock.now()
    this.started.push(start)
    rec.recordSent(1)
    // `info` needs no open BLE connection: it asks only whether the device's gateway answers.
    const call = client.call(deviceId, 'info', undefined, { deadline: start + timeoutMs }).then((r) => {
      rec.recordResult(r, (clock.now() - start) * 1000)
      if (!r.ok) this.failedAt.push(start)
    })
    this.inFlight.add(call)
    void call.finally(() => this.inFlight.delete(call))
  }
}
