// TCP peers for tests: each starts on an ephemeral port of the given address
// (127.0.0.1 by default, or a lab address inside a namespace) and returns
// {host, port, close}. Plain JS so that lab scripts can import it too.
import net from 'node:net'
import tls from 'node:tls'

function listen(server, host) {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => {
      server.off('error', reject)
      const sockets = new Set()
      server.on('connection', (s) => {
        sockets.add(s)
        s.on('close', () => sockets.delete(s))
        s.on('error', () => {})
      })
      resolve({
        host,
        port: server.address().port,
        /** Bytes each connection sent us, in order of connection. */
        received: server.received,
        close: () =>
          new Promise((r) => {
            for (const s of sockets) s.destroy()
            server.close(() => r())
          }),
      })
    })
  })
}

/** A port nobody listens on: bind, note the port, close. */
export async function refusingPort(host = '127.0.0.1') {
  const server = net.createServer()
  const peer = await listen(server, host)
  await peer.close()
  return {host, port: peer.port, close: async () => {}}
}

/** Accepts and never writes (a half-dead proxy, a load balancer without backends). */
export function silentPeer(host = '127.0.0.1') {
  const server = net.createServer()
  server.received = []
  server.on('connection', (s) => {
    const chunks = []
    server.received.push(chunks)
    s.on('data', (d) => chunks.push(d))
  })
  return listen(server, host)
}

/** Accepts, reads, then closes without a byte. */
export function closingPeer(host = '127.0.0.1') {
  const server = net.createServer((s) => s.once('data', () => s.end()))
  return listen(server, host)
}

/** Writes `bytes` as soon as a client connects or after its first packet (when `afterData`), then closes. */
export function bannerPeer(bytes, {host = '127.0.0.1', afterData = false, keepOpen = false} = {}) {
  const server = net.createServer((s) => {
    const send = () => (keepOpen ? s.write(bytes) : s.end(bytes))
    if (afterData) s.once('data', send)
    else send()
  })
  return listen(server, host)
}

/** An HTTP server's answer to anything (what a web port says to an SSLRequest). */
export function httpPeer(host = '127.0.0.1') {
  return bannerPeer(
    'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nConnection: close\r\n\r\nBad Request',
    {host, afterData: true},
  )
}

/** Sends garbage forever, as fast as the socket takes it; counts what it managed to write. */
export function endlessPeer(host = '127.0.0.1') {
  const server = net.createServer((s) => {
    const chunk = Buffer.alloc(64 * 1024, 0x41)
    const pump = () => {
      while (!s.destroyed && s.write(chunk)) server.sent += chunk.length
    }
    server.sent = 0
    s.on('drain', pump)
    pump()
  })
  return listen(server, host).then((p) => Object.assign(p, {sent: () => server.sent}))
}

/**
 * Postgres-like: answers an 8-byte SSLRequest with `answer` ('S' or 'N'), or
 * with the bytes given; records what it received.
 */
export function postgresPeer(answer = 'S', host = '127.0.0.1') {
  const server = net.createServer()
  server.received = []
  server.on('connection', (s) => {
    const chunks = []
    server.received.push(chunks)
    s.on('data', (d) => {
      chunks.push(d)
      const all = Buffer.concat(chunks)
      if (all.length >= 8 && all.readUInt32BE(0) === 8 && all.readUInt32BE(4) === 80877103 && chunks.length === 1) {
        s.write(answer)
      }
    })
  })
  return listen(server, host)
}

/** An 'E' ErrorResponse like a pre-7.0 server or a pooler that rejects SSLRequest. */
export function errorPacket(message, code = '08P01', severity = 'FATAL') {
  const fields = Buffer.concat([
    Buffer.from(`S${severity}\0`),
    Buffer.from(`V${severity}\0`),
    Buffer.from(`C${code}\0`),
    Buffer.from(`M${message}\0`),
    Buffer.from([0]),
  ])
  const head = Buffer.alloc(5)
  head.write('E', 0)
  head.writeUInt32BE(fields.length + 4, 1)
  return Buffer.concat([head, fields])
}

/**
 * An ErrorResponse with any fields: {S, V, C, M, D, H, …} (one-letter PostgreSQL field codes).
 * Values may hold any bytes but NUL (terminal escapes, markup, newlines: hostile servers).
 */
export function errorResponse(fields) {
  const body = Buffer.concat([...Object.entries(fields).map(([k, v]) => Buffer.from(`${k}${v}\0`)), Buffer.from([0])])
  const head = Buffer.alloc(5)
  head.write('E', 0)
  head.writeUInt32BE(body.length + 4, 1)
  return Buffer.concat([head, body])
}

/**
 * A PostgreSQL front that answers SSLRequest with 'N' and the StartupMessage that follows with
 * `reply` (an ErrorResponse), then closes: what a pooler or proxy refusing a login looks like.
 */
export function startupErrorPeer(reply, host = '127.0.0.1') {
  const server = net.createServer((s) => {
    let buf = Buffer.alloc(0)
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d])
      while (buf.length >= 8) {
        const len = buf.readUInt32BE(0)
        if (buf.length < len) return
        const code = buf.readUInt32BE(4)
        buf = buf.subarray(len)
        if (code === 80877103) s.write('N')
        else return s.end(reply)
      }
    })
  })
  return listen(server, host)
}

/** Azure Database for PostgreSQL's answer to a plaintext login when TLS is enforced (28000). */
export const AZURE_SSL_REQUIRED = 'SSL connection is required. Please specify SSL options and retry.'

/**
 * A front that refuses plaintext logins the way a managed service does (Azure by default): a
 * StartupMessage in the clear gets ErrorResponse FATAL `code` `message`. An SSLRequest gets 'S' and a
 * TLS handshake with `tls` ({certPem, keyPem}); over TLS it answers 08P01 "fake front: no login here".
 * Without `tls`, SSLRequest gets 'N'.
 */
export function sslRequiredPeer(opts = {}) {
  const {message = AZURE_SSL_REQUIRED, code = '28000', host = '127.0.0.1'} = opts
  const server = net.createServer()
  server.received = []
  server.on('connection', (s) => {
    const chunks = []
    server.received.push(chunks)
    let buf = Buffer.alloc(0)
    const onData = (d) => {
      chunks.push(d)
      buf = Buffer.concat([buf, d])
      if (buf.length < 8) return
      const len = buf.readUInt32BE(0)
      const proto = buf.readUInt32BE(4)
      if (len === 8 && proto === 80877103) {
        s.off('data', onData)
        if (!opts.tls) {
          s.write('N')
          buf = buf.subarray(8)
          s.on('data', onData)
          return
        }
        s.write('S')
        const t = new tls.TLSSocket(s, {isServer: true, cert: opts.tls.certPem, key: opts.tls.keyPem})
        t.on('error', () => {})
        t.once('data', () => {
          t.end(errorPacket('fake front: no login here', '08P01'))
        })
        return
      }
      if (buf.length < len) return
      s.off('data', onData)
      s.end(errorPacket(message, code))
    }
    s.on('data', onData)
  })
  return listen(server, host)
}
