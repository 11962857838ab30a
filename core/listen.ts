/** Binding a TCP server, the one way every server fleetbench starts does it. */
import type net from 'node:net'

export interface Listening {
  /** mqtt://host:port (IPv6 hosts in brackets). */
  url: string
  host: string
  port: number
}

/** Listens on `host:port` (port 0 = any free port); rejects with the bind error (EADDRINUSE, EADDRNOTAVAIL…). */
export async function listen(server: net.Server, host: string, port = 0): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const bound = (server.address() as net.AddressInfo).port
  return { url: `mqtt://${host.includes(':') ? `[${host}]` : host}:${bound}`, host, port: bound }
}
