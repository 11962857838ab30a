/**
 * Test support: a TCP link between an RPC client and the broker whose broker → client direction can
 * be held. While held, everything the broker sends is queued, then delivered in order, as over a
 * congested link or from a busy broker that answers each client's packets in order (Mosquitto does).
 *
 * Holding a SUBACK inside an Aedes hook is not enough for that: Aedes keeps handling the client's
 * later packets while an async hook waits, so a call's UNSUBSCRIBE would overtake its own SUBSCRIBE.
 */
import net from 'node:net'

export interface SlowLink {
  /** mqtt://127.0.0.1:PORT — connect clients here instead of to the broker. */
  url: string
  /** Holds broker → client traffic for `ms` (overlapping holds last until the last one ends). */
  hold(ms: number): void
  close(): Promise<void>
}

export async function startSlowLink(brokerPort: number, host = '127.0.0.1'): Promise<SlowLink> {
  const sockets = new Set<net.Socket>()
  const flushes = new Set<() => void>()
  const timers = new Set<NodeJS.Timeout>()
  let holds = 0
  const server = net.createServer({ noDelay: true }, (down) => {
    const up = net.createConnection({ host, port: brokerPort, noDelay: true })
    const queue: Buffer[] = []
    const flush = (): void => {
      for (const chunk of queue.splice(0)) if (!down.destroyed) down.write(chunk)
    }
    flushes.add(flush)
    for (const s of [down, up]) {
      sockets.add(s)
      s.on('error', () => {})
      s.on('close', () => {
        down.destroy()
        up.destroy()
        sockets.delete(s)
        flushes.delete(flush)
      })
    }
    down.pipe(up)
    up.on('data', (chunk: Buffer) => (holds > 0 ? queue.push(chunk) : down.write(chunk)))
  })
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  return {
    url: `mqtt://${host}:${(server.address() as net.AddressInfo).port}`,
    hold(ms) {
      holds++
      const t = setTimeout(() => {
        timers.delete(t)
        if (--holds === 0) for (const flush of flushes) flush()
      }, ms)
      timers.add(t)
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t)
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
