/** One simulated BLE device: a small state machine driven by its gateway's clock, radio and profile. */
import { sleep, type Clock } from '../core/clock.ts'
import { drawFailure, sample, type DeviceProfile } from './profiles.ts'
import { rpcError, type ErrorCode, type RpcOutcome, type VerbParams } from '../core/protocol.ts'
import type { Radio } from './radio.ts'
import { deriveRng, hash32, type Rng } from '../core/rng.ts'
import { DeviceSensors } from './telemetry/sensors.ts'

export type DeviceState = 'disconnected' | 'connecting' | 'connected'

/** Shared by every device of a gateway, so a device itself stays a few small fields. */
export interface DeviceContext {
  gatewayId: string
  clock: Clock
  radio: Radio
  profile: DeviceProfile
}

const aborted = (id: string): RpcOutcome => rpcError('connect_aborted', `${id}: closed while connecting`)

const MODELS = ['thermo-tag', 'door-sensor', 'smart-lock', 'beacon'] as const

export class Device {
  state: DeviceState = 'disconnected'
  /** Derived from (seed, id) at the first draw: until then a device holds no generator. */
  private generator: Rng | undefined
  private opening: Promise<RpcOutcome> | undefined
  /** Bumped by close(); an open that started under an older epoch was aborted. */
  private epoch = 0
  private written: Map<string, Buffer> | undefined
  private sensorSet: DeviceSensors | undefined

  constructor(
    readonly id: string,
    private readonly ctx: DeviceContext,
    private readonly seed: number,
  ) {}

  private get rng(): Rng {
    return (this.generator ??= deriveRng(this.seed, this.id))
  }

  /** Derives the generator now instead of at the first draw (what every device did when made); decisions are the same either way. */
  prepare(): void {
    void this.rng
  }

  /** Battery and temperature (telemetry/sensor.ts): what `read` answers for them unless written, and what telemetry publishes. */
  get sensors(): DeviceSensors {
    return (this.sensorSet ??= new DeviceSensors(this.id, this.seed))
  }

  call(params: VerbParams): Promise<RpcOutcome> {
    switch (params.verb) {
      case 'info':
        return this.info()
      case 'open':
        return this.open()
      case 'read':
        return this.read(params.characteristic)
      case 'write':
        return this.write(params.characteristic, params.value ?? Buffer.alloc(0))
      case 'close':
        return this.close()
    }
  }

  async info(): Promise<RpcOutcome> {
    await this.wait(sample(this.ctx.profile.latency.info, this.rng))
    const h = hash32(this.id)
    return {
      ok: true,
      result: {
        deviceId: this.id,
        gatewayId: this.ctx.gatewayId,
        model: MODELS[h % MODELS.length],
        firmware: `1.${(h >>> 4) % 10}.${(h >>> 8) % 20}`,
        rssi: -40 - ((h >>> 12) % 50),
        state: this.state,
      },
    }
  }

  open(): Promise<RpcOutcome> {
    if (this.state === 'connected') return Promise.resolve({ ok: true, result: { state: 'connected', connectMs: 0 } })
    if (this.opening !== undefined) return this.opening
    this.state = 'connecting'
    const opening = this.connect(this.epoch)
    this.opening = opening
    return opening
  }

  private async connect(epoch: number): Promise<RpcOutcome> {
    const { clock, radio, profile } = this.ctx
    const started = clock.now()
    await radio.acquire()
    let failure: ErrorCode | undefined
    try {
      if (epoch !== this.epoch) return aborted(this.id)
      // Draw order is fixed (failure, then latency) so a seed replays exactly.
      failure = drawFailure(profile.failures.open, this.rng)
      const latency = sample(profile.latency.open, this.rng)
      await this.wait(failure === 'connect_timeout' ? profile.connectTimeoutMs : latency)
    } finally {
      radio.release()
    }
    if (epoch !== this.epoch) return aborted(this.id)
    this.opening = undefined
    if (failure !== undefined) {
      this.state = 'disconnected'
      return rpcError(failure, failure === 'connect_timeout' ? `${this.id}: no answer to connection request` : `${this.id}: device out of range`)
    }
    this.state = 'connected'
    return { ok: true, result: { state: 'connected', connectMs: Math.round(clock.now() - started) } }
  }

  async read(characteristic: string): Promise<RpcOutcome> {
    if (this.state !== 'connected') return rpcError('not_connected', `${this.id}: read needs an open connection (call open first)`)
    const failure = drawFailure(this.ctx.profile.failures.read, this.rng)
    await this.wait(sample(this.ctx.profile.latency.read, this.rng))
    if (this.state !== 'connected') return rpcError('not_connected', `${this.id}: connection closed during read`)
    if (failure !== undefined) return rpcError(failure, `${this.id}: GATT read of ${characteristic} failed`)
    const stored = this.written?.get(characteristic)
    // A sensor is sampled as the read completes: its value, when it was taken, and the read's number.
    const sensed = stored === undefined ? this.sensors.read(characteristic, this.ctx.clock.now()) : undefined
    if (sensed !== undefined) return { ok: true, result: { characteristic, ...sensed } }
    return { ok: true, result: { characteristic, value: (stored ?? this.defaultValue(characteristic)).toString('hex') } }
  }

  async write(characteristic: string, value: Buffer): Promise<RpcOutcome> {
    if (this.state !== 'connected') return rpcError('not_connected', `${this.id}: write needs an open connection (call open first)`)
    const failure = drawFailure(this.ctx.profile.failures.write, this.rng)
    await this.wait(sample(this.ctx.profile.latency.write, this.rng))
    if (this.state !== 'connected') return rpcError('not_connected', `${this.id}: connection closed during write`)
    if (failure !== undefined) return rpcError(failure, `${this.id}: GATT write of ${characteristic} failed`)
    ;(this.written ??= new Map()).set(characteristic, value)
    return { ok: true, result: { characteristic, written: value.length } }
  }

  async close(): Promise<RpcOutcome> {
    if (this.state === 'disconnected') return { ok: true, result: { state: 'disconnected' } }
    if (this.state === 'connecting') {
      this.epoch++
      this.opening = undefined
      this.state = 'disconnected'
      return { ok: true, result: { state: 'disconnected', aborted: true } }
    }
    await this.wait(sample(this.ctx.profile.latency.close, this.rng))
    this.state = 'disconnected'
    return { ok: true, result: { state: 'disconnected' } }
  }

  /** Characteristics without a sensor (battery and temperature have one) read a constant of the device. */
  private defaultValue(characteristic: string): Buffer {
    const h = hash32(characteristic, hash32(this.id))
    const b = Buffer.alloc(4)
    b.writeUInt32BE(h)
    return b
  }

  private wait(ms: number): Promise<void> {
    return ms <= 0 ? Promise.resolve() : sleep(this.ctx.clock, ms)
  }
}
