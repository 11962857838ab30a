// Floor (a), the server side: a TCP echo server in its own Node process on 127.0.0.1, port 0.
// Plain JavaScript (no tsx), so nothing but the echo runs here. It tells the parent its port over
// IPC and exits when the parent disconnects.
import net from 'node:net'

const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on('data', (chunk) => socket.write(chunk))
  socket.on('error', () => {})
})
server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }))
process.on('disconnect', () => process.exit(0))
