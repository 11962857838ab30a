/** The embedded broker's side of recording: who connects, subscribes, and sends each RPC request. */
import type { Aedes } from 'aedes'
import { isRequestTopic } from '../../core/protocol.ts'
import type { FleetRecorder } from './recorder.ts'

/** Gateways are the fleet, not callers: their own connections and publishes are not recorded. */
export const isGatewayClient = (clientId: string): boolean => clientId.startsWith('fleetbench-gw-')

export function attachRecorder(aedes: Aedes, rec: FleetRecorder): void {
  rec.brokerAttached = true
  // One disconnect per connection, from its own socket: Aedes skips 'clientDisconnect' for the last
  // of two connections with one client id when the old one closes after the new one registered.
  aedes.on('client', (client) => {
    if (isGatewayClient(client.id)) return
    const id = client.id
    rec.connect(id)
    client.conn.once('close', () => rec.disconnect(id))
  })
  aedes.on('subscribe', (subscriptions, client) => {
    if (!isGatewayClient(client.id)) rec.subscribe(client.id, subscriptions.map((s) => s.topic))
  })
  aedes.on('unsubscribe', (topics, client) => {
    // Aedes also emits this when it drops a closing client's subscriptions; that is no packet.
    if (!client.closed && !isGatewayClient(client.id)) rec.unsubscribe(client.id, topics)
  })
  // A request is recorded when the broker accepts the PUBLISH, before it stores or forwards it (its
  // 'publish' event comes later, and without the client when that has closed meanwhile).
  const authorize = aedes.authorizePublish
  aedes.authorizePublish = (client, packet, done) =>
    authorize.call(aedes, client, packet, (err) => {
      if (!err && client && !isGatewayClient(client.id) && isRequestTopic(packet.topic)) rec.request(client.id, packet.topic)
      done(err)
    })
}
