// A hostile PostgreSQL peer on loopback (issue 17): it speaks just enough of the wire protocol
// (SSLRequest / GSSENCRequest answered 'N', the startup message read) and then misbehaves the way
// a broken proxy can. Plain JS so that lab scripts can use it too.
//
//   const peer = await hostilePg('huge-error-stream')   // {host, port, url, close}
//
// Scenarios:
//   huge-error-stream      'E' declaring ~2 GB, then bytes as fast as the client reads them
//   ssl-answer-stream      the same as the answer to SSLRequest (and to the startup message)
//   huge-error-drip        'E' declaring 1 GB, then 1 KB every 20 ms
//   huge-parameter-status  AuthenticationOk, then a ParameterStatus of 1 MB
//   notice-flood           AuthenticationOk, then small NoticeResponses as fast as the client reads
//   huge-datarow           a complete login, then a DataRow declaring ~2 GB (and bytes) for any query
//   login-drip             AuthenticationOk, then an ErrorResponse within limits, one byte every 100 ms
//   query-drip             a complete login, then for any query a DataRow within limits, one byte every 100 ms
//   tls-handshake-drip     'S' to SSLRequest, then a TLS record header declaring 16 KB, one byte every 100 ms
//   tls-huge-error         'S' to SSLRequest, a real TLS handshake (opts.tls: {key, cert}), then over TLS
//                          'E' declaring ~2 GB and bytes as fast as the client reads them
//   tls-login-drip         the same TLS, then AuthenticationOk and an ErrorResponse one byte every 100 ms
import net from 'node:net'
import tls from 'node:tls'

const SSL_REQUEST = 80877103
const GSSENC_REQUEST = 80877104
const CANCEL_REQUEST = 80877102

function msg(type, body) {
  const b = Buffer.alloc(5 + body.length)
  b.write(type, 0, 'latin1')
  b.writeUInt32BE(4 + body.length, 1)
  body.copy(b, 5)
  return b
}
const cstr = (s) => Buffer.from(`${s}\0`, 'utf8')
const authOk = () => msg('R', Buffer.from([0, 0, 0, 0]))
const param = (k, v) => msg('S', Buffer.concat([cstr(k), cstr(v)]))
const ready = () => msg('Z', Buffer.from('I'))
const login = () =>
  Buffer.concat([
    authOk(),
    param('server_version', '16.0'),
    msg('K', Buffer.alloc(8)),
    param('is_superuser', 'off'),
    ready(),
  ])
function header(type, length) {
  const b = Buffer.alloc(5)
  b.write(type, 0, 'latin1')
  b.writeUInt32BE(length, 1)
  return b
}
const notice = (i) =>
  msg('N', Buffer.concat([cstr('SNOTICE'), cstr('VNOTICE'), cstr('C00000'), cstr(`M flood ${i}`), Buffer.from([0])]))

/** Writes `next()` chunks while the socket drains, until it closes. */
function pump(socket, next) {
  let stopped = false
  socket.once('close', () => (stopped = true))
  const go = () => {
    while (!stopped && !socket.destroyed) {
      if (!socket.write(next())) return void socket.once('drain', go)
    }
  }
  go()
}

function drip(socket, chunk, everyMs) {
  const t = setInterval(() => {
    if (socket.destroyed) return clearInterval(t)
    socket.write(chunk)
  }, everyMs)
  socket.once('close', () => clearInterval(t))
}

const FILL = Buffer.alloc(64 * 1024, 0x41)

/** Scenarios that answer 'S' to SSLRequest and then do TLS (the scenario runs on the TLS socket). */
const OVER_TLS = new Set(['tls-huge-error', 'tls-login-drip'])

const SCENARIOS = {
  'tls-handshake-drip': (s) => {
    // 'S' on its own (a client reads it alone), then a handshake record header (type 22, TLS 1.2,
    // 16 KB) that never completes
    s.write('S')
    const t = setTimeout(() => {
      if (s.destroyed) return
      s.write(Buffer.from([0x16, 0x03, 0x03, 0x40, 0x00]))
      drip(s, Buffer.from([0x02]), 100)
    }, 200)
    s.once('close', () => clearTimeout(t))
  },
  'tls-huge-error': (s) => {
    s.write(header('E', 0x7ffffff0))
    pump(s, () => FILL)
  },
  'tls-login-drip': (s) => {
    s.write(Buffer.concat([authOk(), header('E', 16000)]))
    drip(s, Buffer.from('A'), 100)
  },
  'ssl-answer-stream': (s) => {
    s.write(header('E', 0x7ffffff0))
    pump(s, () => FILL)
  },
  'huge-error-stream': (s) => {
    s.write(header('E', 0x7ffffff0))
    pump(s, () => FILL)
  },
  'huge-error-drip': (s) => {
    s.write(header('E', 1024 * 1024 * 1024))
    drip(s, FILL.subarray(0, 1024), 20)
  },
  'huge-parameter-status': (s) => {
    s.write(Buffer.concat([authOk(), param('application_name', 'x'.repeat(1024 * 1024))]))
  },
  'notice-flood': (s) => {
    s.write(authOk())
    let i = 0
    const batch = () => Buffer.concat(Array.from({length: 256}, () => notice(i++)))
    pump(s, batch)
  },
  'huge-datarow': (s, onMessage) => {
    s.write(login())
    onMessage((type) => {
      if (type !== 'Q') return
      s.write(header('D', 0x7ffffff0))
      pump(s, () => FILL)
    })
  },
  'login-drip': (s) => {
    s.write(Buffer.concat([authOk(), header('E', 16000)]))
    drip(s, Buffer.from('A'), 100)
  },
  'query-drip': (s, onMessage) => {
    s.write(login())
    onMessage((type) => {
      if (type !== 'Q') return
      s.write(header('D', 1000))
      drip(s, Buffer.from('A'), 100)
    })
  },
}

export const HOSTILE_SCENARIOS = Object.keys(SCENARIOS)

export function hostilePg(scenario, host = '127.0.0.1', opts = {}) {
  const run = SCENARIOS[scenario]
  if (!run) throw new Error(`unknown scenario ${scenario}`)
  if (OVER_TLS.has(scenario) && !opts.tls) throw new Error(`${scenario} needs opts.tls ({key, cert})`)
  const sockets = new Set()
  const server = net.createServer((socket) => speak(socket))
  /** The protocol on a socket (plain, or the TLS socket after 'S'). */
  function speak(socket, overTls = false) {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    let buf = Buffer.alloc(0)
    let started = false
    let listener
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d])
      for (;;) {
        if (!started) {
          if (buf.length < 8) return
          const len = buf.readUInt32BE(0)
          if (buf.length < len) return
          const code = buf.readUInt32BE(4)
          buf = buf.subarray(len)
          if (code === SSL_REQUEST && scenario === 'ssl-answer-stream') {
            started = true
            run(socket, (fn) => (listener = fn))
            return
          }
          if (code === SSL_REQUEST && scenario === 'tls-handshake-drip') {
            started = true
            run(socket, (fn) => (listener = fn))
            return
          }
          if (code === SSL_REQUEST && OVER_TLS.has(scenario) && !overTls) {
            socket.removeAllListeners('data')
            socket.write('S')
            const secure = new tls.TLSSocket(socket, {isServer: true, key: opts.tls.key, cert: opts.tls.cert})
            speak(secure, true)
            return
          }
          if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
            socket.write('N')
            continue
          }
          if (code === CANCEL_REQUEST) return void socket.end()
          started = true
          run(socket, (fn) => (listener = fn))
          continue
        }
        if (buf.length < 5) return
        const len = buf.readUInt32BE(1)
        if (buf.length < 1 + len) return
        const type = String.fromCharCode(buf[0])
        buf = buf.subarray(1 + len)
        listener?.(type)
      }
    })
  }
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => {
      const port = server.address().port
      resolve({
        host,
        port,
        url: `postgres://app:secret@${host}:${port}/appdb`,
        close: () =>
          new Promise((r) => {
            for (const s of sockets) s.destroy()
            server.close(() => r())
          }),
      })
    })
  })
}
