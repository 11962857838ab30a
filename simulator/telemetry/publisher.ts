/**
 * A gateway's telemetry: its devices sample their sensors at F Hz (each device at its own phase in
 * the period, from a hash of its id and the seed) and the gateway publishes for them on
 * `fleet/{deviceId}/telemetry/{characteristic}`: every sample, or only a changed value
 * (report-by-exception). Each timer turn's samples are published with the socket held, so they
 * leave in one write (the write coalescer), as a gateway forwarding a burst of notifications would.
 *
 * A sample is taken, and stamped, when the gateway's timer gets to it (like an RPC read, which
 * samples when the device serves it), so both patterns' freshness covers the same path: from the
 * gateway's hands to the caller's. A late timer fires every sample that came due (none is skipped).
 * Time comes from the injected clock; every count is exact on a ManualClock.
 */
import type { Clock } from '../../core/clock.ts'
import { hashedPhase, PhasedSchedule } from '../../core/phased-schedule.ts'
import { encodeTelemetry, telemetryTopic, type TelemetryCharacteristic } from '../../core/protocol.ts'
import { hash32 } from '../../core/rng.ts'
import type { PublishMode, StreamTotals } from '../../core/telemetry.ts'
import type { DeviceSensors } from './sensors.ts'

export interface TelemetryPlan {
  hz: number
  mode: PublishMode
  characteristics: readonly TelemetryCharacteristic[]
  qos: 0 | 1
  /** Written in every message, so a caller tells this run's messages from an earlier run's. */
  run: number
  /** Clock times: the first period starts at startMs; nothing is sampled from endMs on. */
  startMs: number
  endMs: number
  /** Spreads the devices' phases (the same seed, the same phases). */
  seed: number
}

export interface TelemetryIo {
  clock: Clock
  publish(topic: string, payload: string, qos: 0 | 1): void
  /** Holds this turn's writes, so one timer turn's messages leave in one socket write. */
  hold(): void
}

export interface TelemetrySource {
  readonly id: string
  readonly sensors: DeviceSensors
}

interface Stream {
  topic: string
  samples: number
  published: number
  last: number
  changesAt: Int32Array | undefined
}

export class TelemetryPublisher {
  private schedule: PhasedSchedule | undefined

  constructor(
    /** Read when a run starts (a gateway's devices are made then, not before: device-table.ts). */
    private readonly sources: Iterable<TelemetrySource>,
    private readonly io: TelemetryIo,
  ) {}

  get running(): boolean {
    return this.schedule?.running === true
  }

  /**
   * Publishes from plan.startMs until plan.endMs (or stop()); resolves with every stream's totals,
   * device by device in the gateway's order, each device's characteristics in the plan's order.
   */
  run(plan: TelemetryPlan): Promise<StreamTotals[]> {
    if (this.running) throw new Error('telemetry is already running on this gateway')
    if (!(plan.hz > 0)) throw new Error(`hz must be positive, got ${plan.hz}`)
    const periodMs = 1000 / plan.hz
    const chars = plan.characteristics
    const sources = [...this.sources]
    const expected = Math.ceil(((plan.endMs - plan.startMs) / periodMs) + 1)
    const streams: Stream[] = sources.flatMap((d) =>
      chars.map((c) => ({ topic: telemetryTopic(d.id, c), samples: 0, published: 0, last: Number.NaN, changesAt: plan.mode === 'on-change' ? new Int32Array(Math.min(expected, 1024)) : undefined })),
    )
    const sensors = sources.map((d) => chars.map((c) => d.sensors.of(c)))
    const epochOffset = sources[0]?.sensors.epochOffset ?? performance.timeOrigin
    const seedHash = hash32(String(plan.seed))
    return new Promise((resolve) => {
      this.schedule = new PhasedSchedule({
        clock: this.io.clock,
        periodMs,
        phasesMs: sources.map((d) => hashedPhase(periodMs, hash32(d.id, seedHash))),
        startMs: plan.startMs,
        endMs: plan.endMs,
        beforeBatch: () => this.io.hold(),
        fire: (device) => {
          const now = this.io.clock.now()
          const at = epochOffset + now
          for (let c = 0; c < chars.length; c++) {
            const s = streams[device * chars.length + c]!
            const value = sensors[device]![c]!.sample(now)
            const n = s.samples++
            if (s.changesAt !== undefined) {
              if (n > 0 && value === s.last) continue
              if (s.published === s.changesAt.length) s.changesAt = grow(s.changesAt)
              s.changesAt[s.published] = n
            }
            s.last = value
            this.io.publish(s.topic, encodeTelemetry({ run: plan.run, seq: ++s.published, n, at, value }), plan.qos)
          }
        },
        done: () => resolve(streams.map(({ samples, published, changesAt }) => (changesAt === undefined ? { samples, published } : { samples, published, changesAt: changesAt.slice(0, published) }))),
      })
      this.schedule.start()
    })
  }

  /** Stops sampling now; the run's promise resolves with what was published. */
  stop(): void {
    this.schedule?.stop()
  }
}

function grow(a: Int32Array): Int32Array {
  const next = new Int32Array(a.length * 2)
  next.set(a)
  return next
}
