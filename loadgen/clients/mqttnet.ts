/**
 * MQTTnet.Extensions.Rpc, reproduced call for call on MQTT.js. Per call: request topic
 * `MQTTnet.RPC/{guid:N}/{deviceId}.{verb}`, response topic `{request}/response`; SUBSCRIBE and wait
 * for SUBACK; PUBLISH the bare JSON params (QoS 1: wait for PUBACK); wait for the response or the
 * deadline; finally UNSUBSCRIBE and wait for UNSUBACK — bounded only by the communication timeout,
 * never by the call's deadline or signal (MQTTnet passes CancellationToken.None there). An error in
 * `finally` replaces the call's result, as an exception thrown from a C# finally block does.
 *
 * Acks are matched by our own AckDispatcher fed from MQTT.js packet events. `ackMode: 'strict'`
 * emulates MQTTnet < 5.2: an ack whose waiter was removed (deadline, abort) is a protocol violation
 * that tears the connection down and fails every pending call. `'lenient'` ignores it, as MQTT.js does.
 */
import { randomUUID } from 'node:crypto'
import type { IClientPublishOptions, IClientSubscribeOptions, MqttClient, Packet } from 'mqtt'
import { endClient } from '../../core/mqtt-connect.ts'
import { mqttnetRequestTopic, mqttnetResponseTopic, type Verb } from '../../core/protocol.ts'
import { AckDispatcher, ackTypeOf, type AckDispatcherStats } from './ack-dispatcher.ts'
import { DeadlineQueue } from '../../core/deadline-queue.ts'
import { ACK_OF, Call, type CallOwner, type Phase, type Wake } from './mqttnet-call.ts'
import * as R from './results.ts'
import type { CallOptions, CallResult, ClientOptions, RpcClient } from './types.ts'
import { ClientConnection } from './connection.ts'

export interface MqttnetOptions extends ClientOptions {
  /** MQTTnet's communication timeout: bounds every ack wait, including the UNSUBSCRIBE in `finally`. Default 10 000 ms. */
  communicationTimeoutMs?: number
}

export class MqttnetRpcClient extends ClientConnection<MqttnetOptions> implements RpcClient, CallOwner {
  readonly kind = 'mqttnet'
  readonly ackMode: 'lenient' | 'strict'
  /** Message of the last emulated teardown, for reports. */
  lastViolation: string | undefined
  private readonly commTimeoutMs: number
  private readonly subscribeOpts: IClientSubscribeOptions
  private readonly publishOpts: IClientPublishOptions
  /** Every call between start and its return, by response topic. */
  private readonly calls = new Map<string, Call>()
  private readonly dispatcher: AckDispatcher<Call>
  /** Response waits, and ack waits whose packet MQTT.js has not written yet. */
  private readonly guards: DeadlineQueue<Call>

  constructor(opts: MqttnetOptions) {
    super(opts, 'MqttnetRpcClient')
    this.ackMode = opts.ackMode ?? 'lenient'
    this.commTimeoutMs = opts.communicationTimeoutMs ?? 10_000
    this.subscribeOpts = { qos: this.qos }
    this.publishOpts = { qos: this.qos }
    this.dispatcher = new AckDispatcher<Call>({ strict: this.ackMode === 'strict', clock: this.clock, onExpire: (w) => this.expire(w.owner) })
    this.guards = new DeadlineQueue<Call>(this.clock, (call) => call.wake(call.expiry))
  }

  protected beforeOpen(): void {
    void this.drop(R.CONNECTION_LOST, true)
  }

  protected async attach(client: MqttClient): Promise<void> {
    client.on('packetsend', this.onPacketSend)
    client.on('packetreceive', this.onPacketReceive)
    client.on('message', this.onMessage)
    client.on('close', this.onClose)
    client.on('error', noop)
  }

  async call(deviceId: string, verb: Verb, params: unknown, opts: CallOptions): Promise<CallResult> {
    if (!this.connected) {
      this.counters.disconnectedCalls++
      return R.NOT_CONNECTED
    }
    const request = mqttnetRequestTopic(randomUUID().replaceAll('-', ''), deviceId, verb) // Guid.ToString("N")
    const call = new Call(this, request, mqttnetResponseTopic(request), opts.deadline, opts.signal)
    this.calls.set(call.responseTopic, call)
    if (this.calls.size > this.counters.peakInFlight) this.counters.peakInFlight = this.calls.size
    call.signal?.addEventListener('abort', call)
    let result = await this.execute(call, JSON.stringify(params) ?? '')
    call.signal?.removeEventListener('abort', call)
    result = (await this.unsubscribe(call)) ?? result // finally { UnsubscribeAsync(…, CancellationToken.None) }
    call.phase = 'done'
    this.calls.delete(call.responseTopic)
    return result
  }

  ackStats(): AckDispatcherStats {
    return this.dispatcher.stats()
  }

  async close(): Promise<void> {
    this.closed = true
    await this.drop(R.CLIENT_CLOSED, true)
  }

  /** @internal The caller's signal fired. Ignored in `finally` (UNSUBSCRIBE runs with CancellationToken.None). */
  abort(call: Call): void {
    if (call.phase !== 'subscribe' && call.phase !== 'publish' && call.phase !== 'response') return
    if (call.waiter !== undefined) this.dispatcher.remove(call.waiter)
    call.waiter = undefined
    this.guards.remove(call)
    call.wake('aborted')
  }

  private async execute(call: Call, payload: string): Promise<CallResult> {
    let stop = this.check(call)
    if (stop !== undefined) return stop
    call.phase = 'subscribe'
    this.setDeadline(call, true)
    this.client!.subscribe(call.responseTopic, this.subscribeOpts, noop)
    let w = await this.ackWait(call)
    if (w !== 'ack') return this.failure(call, w)
    if ((stop = this.check(call)) !== undefined) return stop
    call.phase = 'publish'
    this.setDeadline(call, true)
    const opts = this.protocolVersion === 5 ? { qos: this.qos, properties: { responseTopic: call.responseTopic } } : this.publishOpts
    this.client!.publish(call.requestTopic, payload, opts, noop)
    if (this.qos === 1) {
      w = await this.ackWait(call)
      if (w !== 'ack') return this.failure(call, w)
      if ((stop = this.check(call)) !== undefined) return stop
    }
    call.phase = 'response'
    if (call.response === undefined) {
      call.deadline = call.callDeadline
      call.expiry = 'deadline'
      this.guards.add(call)
      w = await call.wait()
      this.guards.remove(call)
      if (w !== 'response') return this.failure(call, w)
    }
    return R.bareOutcome(call.response!, false) as CallResult
  }

  private async unsubscribe(call: Call): Promise<CallResult | undefined> {
    if (call.fatal !== undefined) return call.fatal
    if (this.client === undefined) return R.CONNECTION_LOST
    call.phase = 'unsubscribe'
    this.setDeadline(call, false)
    this.client.unsubscribe(call.responseTopic, noop)
    const w = await this.ackWait(call)
    return w === 'ack' ? undefined : this.failure(call, w)
  }

  /** Before each step, as MQTTnet's ThrowIfCancellationRequested and "not connected" checks. */
  private check(call: Call): CallResult | undefined {
    if (call.fatal !== undefined) return call.fatal
    if (call.signal?.aborted === true) return R.CANCELLED
    if (call.callDeadline <= this.clock.now()) return R.TIMEOUT
    if (this.client === undefined) return R.CONNECTION_LOST
    return undefined
  }

  /** An ack wait ends at now + communication timeout, or earlier at the call's deadline when bound by it. */
  private setDeadline(call: Call, boundByCall: boolean): void {
    const comm = this.clock.now() + this.commTimeoutMs
    const byCall = boundByCall && call.callDeadline <= comm
    call.deadline = byCall ? call.callDeadline : comm
    call.expiry = byCall ? 'deadline' : 'comm-timeout'
  }

  /** Waits for the ack of the packet just issued; onPacketSend normally registered its waiter synchronously. */
  private async ackWait(call: Call): Promise<Wake> {
    if (call.waiter === undefined && call.fatal === undefined) this.guards.add(call) // MQTT.js deferred the packet
    const w = await call.wait()
    this.guards.remove(call)
    return w
  }

  private failure(call: Call, w: Wake): CallResult {
    switch (w) {
      case 'deadline':
        return R.TIMEOUT
      case 'comm-timeout':
        return { ok: false, kind: 'timeout', message: `no ${ACK_OF[call.phase] ?? 'reply'} within the ${this.commTimeoutMs} ms communication timeout` }
      case 'aborted':
        return R.CANCELLED
      case 'fatal':
        return call.fatal ?? R.CONNECTION_LOST
      default:
        return R.badReply(`unexpected wake-up ${w} in phase ${call.phase}`)
    }
  }

  private expire(call: Call): void {
    call.waiter = undefined
    call.wake(call.expiry)
  }

  private readonly onPacketSend = (packet: Packet): void => {
    if (packet.cmd === 'subscribe') {
      this.counters.subscribes++
      this.register(packet.subscriptions[0]?.topic, 'subscribe', packet.messageId)
    } else if (packet.cmd === 'unsubscribe') {
      this.counters.unsubscribes++
      this.register(packet.unsubscriptions[0], 'unsubscribe', packet.messageId)
    } else if (packet.cmd === 'publish' && packet.qos > 0) {
      this.register(mqttnetResponseTopic(packet.topic.toString()), 'publish', packet.messageId)
    }
  }

  /** Maps a written SUBSCRIBE / PUBLISH / UNSUBSCRIBE to the call that issued it and adds its ack waiter. */
  private register(responseTopic: string | undefined, phase: Phase, packetId: number | undefined): void {
    const call = responseTopic === undefined ? undefined : this.calls.get(responseTopic)
    if (call === undefined || call.phase !== phase || call.waiter !== undefined || packetId === undefined) return
    this.guards.remove(call)
    call.waiter = this.dispatcher.wait(ACK_OF[phase]!, packetId, call.deadline, call)
  }

  private readonly onPacketReceive = (packet: Packet): void => {
    const type = ackTypeOf(packet.cmd)
    if (type === undefined) return
    const r = this.dispatcher.dispatch(type, (packet as { messageId?: number }).messageId ?? 0)
    if (r.kind === 'delivered') {
      r.waiter.owner.waiter = undefined
      r.waiter.owner.wake('ack')
    } else if (r.kind === 'violation') {
      this.counters.protocolViolations++
      this.lastViolation = r.message
      void this.drop({ ok: false, kind: 'protocol-violation', message: r.message }, false)
    }
  }

  private readonly onMessage = (topic: string, payload: Buffer): void => {
    const call = this.calls.get(topic)
    if (call === undefined) this.counters.unknownReplies++
    else if (call.response !== undefined || (call.phase !== 'publish' && call.phase !== 'response')) this.counters.lateReplies++
    else {
      call.response = payload
      if (call.phase === 'response') call.wake('response')
    }
  }

  private readonly onClose = (): void => {
    void this.drop(R.CONNECTION_LOST, true)
  }

  /** Ends the connection forcibly and fails every pending call with `fatal`. */
  private drop(fatal: CallResult, countDisconnected: boolean): Promise<void> {
    const client = this.client
    this.client = undefined
    this.dispatcher.clear()
    this.guards.clear()
    for (const call of this.calls.values()) {
      if (call.fatal !== undefined || call.phase === 'done') continue
      call.fatal = fatal
      call.waiter = undefined
      if (countDisconnected) this.counters.disconnectedCalls++
      call.wake('fatal')
    }
    if (client === undefined) return Promise.resolve()
    client.off('packetsend', this.onPacketSend)
    client.off('packetreceive', this.onPacketReceive)
    client.off('message', this.onMessage)
    client.off('close', this.onClose)
    return endClient(client, true)
  }
}

function noop(): void {}
