// Which server answers on this address? An unauthenticated look at a PostgreSQL server, to tell two servers
// listening on the addresses of one name apart (a local PostgreSQL on 127.0.0.1, a container's on ::1).
// One connection: SSLRequest; TLS when offered (the certificate is not verified: nothing secret is sent);
// a StartupMessage with the app's user and database names (no password); then
// - SCRAM: a SASLInitialResponse carrying only a client nonce (no proof, no password), to read the
//   server-first-message: the salt and iteration count of this role's SCRAM secret (or, for a role
//   without one, the mock salt the server derives from the role name and its own cluster nonce). The
//   same server gives the same salt for the same role on every address; two servers almost never do.
//   The connection is closed there: PostgreSQL logs nothing for a client that leaves mid-exchange (the
//   same EOF psql causes when it asks for a password).
// - trust: the ParameterStatus server_version, then Terminate before any query;
// - MD5 / cleartext / anything else: its kind only, nothing is answered;
// - an ErrorResponse: its SQLSTATE, message and source fields (file, line, routine: they differ
//   between PostgreSQL versions).
// Reads are bounded (message size, total bytes, one deadline). Never rejects.
import net from 'node:net'
import tls from 'node:tls'
import {randomBytes} from 'node:crypto'
import {closeAfterPeer, probeConnectionsClosed} from './close.js'
import {sslRequestPacket} from './ssl-request.js'

export interface ServerIdentity {
  address: string
  family: 4 | 6
  port: number
  /** The one-byte SSLRequest answer, or null when the peer did not give one. */
  ssl: 'S' | 'N' | null
  /** What the server asked for after the StartupMessage. */
  auth: 'scram' | 'sasl-other' | 'md5' | 'cleartext' | 'ok' | 'other' | 'error' | 'none'
  /** SCRAM: the server-first-message's salt (base64) and iteration count for the role sent. */
  scram?: {salt: string; iterations: number}
  /** trust: the server_version parameter. */
  serverVersion?: string
  /** The ErrorResponse the startup got (fields S/V, C, M, F, L, R). */
  error?: {severity?: string; code?: string; message: string; file?: string; line?: string; routine?: string}
  /**
   * Why the look stopped short, a token: timeout, closed, too-much-data, bad-length, trailing-bytes,
   * not-postgres, tls-<code>, or the socket's errno (ECONNREFUSED…).
   */
  failure?: string
  ms: number
}

/** Larger messages end the look (an auth request or an error is far smaller). */
const MAX_MESSAGE = 16 * 1024
const MAX_TOTAL = 256 * 1024

function startupPacket(params: Record<string, string>): Buffer {
  const body = Buffer.concat([
    ...Object.entries(params).flatMap(([k, v]) => [Buffer.from(k + '\0'), Buffer.from(v + '\0')]),
    Buffer.from([0]),
  ])
  const head = Buffer.alloc(8)
  head.writeUInt32BE(8 + body.length, 0)
  head.writeUInt32BE(196608, 4)
  return Buffer.concat([head, body])
}

function saslInitial(mechanism: string, clientFirst: string): Buffer {
  const mech = Buffer.from(mechanism + '\0')
  const data = Buffer.from(clientFirst)
  const b = Buffer.alloc(1 + 4 + mech.length + 4 + data.length)
  b.write('p', 0)
  b.writeUInt32BE(4 + mech.length + 4 + data.length, 1)
  mech.copy(b, 5)
  b.writeInt32BE(data.length, 5 + mech.length)
  data.copy(b, 9 + mech.length)
  return b
}

function fields(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {}
  let i = 0
  while (i < body.length && body[i] !== 0) {
    const z = body.indexOf(0, i + 1)
    const stop = z < 0 ? body.length : z
    out[String.fromCharCode(body[i]!)] = body.toString('utf8', i + 1, stop).slice(0, 500)
    i = stop + 1
  }
  return out
}

/** The salt and iteration count of a server-first-message (RFC 5802: r=…,s=…,i=…). */
function parseServerFirst(text: string): {salt: string; iterations: number} | null {
  const attrs = new Map(text.split(',').map((p) => [p.slice(0, 1), p.slice(2)] as const))
  const salt = attrs.get('s')
  const iterations = Number(attrs.get('i'))
  if (!salt || !/^[A-Za-z0-9+/=]{1,200}$/.test(salt) || !Number.isInteger(iterations) || iterations < 1) return null
  return {salt, iterations}
}

/** The fields of an ErrorResponse the look keeps (S/V, C, M, F, L, R). */
function errorOf(f: Record<string, string>): NonNullable<ServerIdentity['error']> {
  return {
    ...(f.V || f.S ? {severity: f.V ?? f.S} : {}),
    ...(f.C ? {code: f.C} : {}),
    message: f.M ?? '',
    ...(f.F ? {file: f.F} : {}),
    ...(f.L ? {line: f.L} : {}),
    ...(f.R ? {routine: f.R} : {}),
  }
}

/**
 * One message the server sent after the StartupMessage, read into `r`; `send` answers it (the SASL
 * initial response, Terminate). True when the look is over.
 */
function readStartupAnswer(r: ServerIdentity, type: string, body: Buffer, send: (b: Buffer) => void): boolean {
  if (type === 'E') {
    r.auth = r.auth === 'ok' ? 'ok' : 'error'
    r.error = errorOf(fields(body))
    return true
  }
  if (type === 'S' && r.auth === 'ok') {
    const [name, value] = body.toString('utf8').split('\0')
    if (name === 'server_version' && value !== undefined) r.serverVersion = value.slice(0, 200)
    return false
  }
  if (type === 'Z') {
    send(Buffer.from([0x58, 0, 0, 0, 4])) // Terminate: no query is ever sent
    return true
  }
  if (type !== 'R' || body.length < 4) return type !== 'N' && type !== 'S' && type !== 'K'
  return readAuthRequest(r, body, send)
}

/** An authentication request (R): its kind; for SCRAM, the salt and iterations of the server-first-message. */
function readAuthRequest(r: ServerIdentity, body: Buffer, send: (b: Buffer) => void): boolean {
  const kind = body.readUInt32BE(0)
  if (kind === 0) {
    r.auth = 'ok'
    return false
  }
  if (kind === 3) r.auth = 'cleartext'
  else if (kind === 5) r.auth = 'md5'
  else if (kind === 10) {
    const mechanisms = body.toString('utf8', 4).split('\0').filter(Boolean)
    if (!mechanisms.includes('SCRAM-SHA-256')) {
      r.auth = 'sasl-other'
      return true
    }
    r.auth = 'scram'
    // gs2 header "n,,": no channel binding; the user name in the message is ignored by PostgreSQL
    send(saslInitial('SCRAM-SHA-256', `n,,n=,r=${randomBytes(18).toString('base64')}`))
    return false
  } else if (kind === 11 && r.auth === 'scram') {
    const first = parseServerFirst(body.toString('utf8', 4))
    if (first) r.scram = first
    return true
  } else r.auth = 'other'
  return true
}

/**
 * The 'data' listener that cuts the stream into backend messages (type, body) within the size limits:
 * `onMessage` returns true when the look is over; `finish` ends it (with a failure token, or none).
 */
function messageReader(
  onMessage: (type: string, body: Buffer) => boolean,
  finish: (failure?: string) => void,
): (chunk: Buffer) => void {
  let buf: Buffer = Buffer.alloc(0)
  let total = 0
  return (chunk) => {
    total += chunk.length
    if (total > MAX_TOTAL) return finish('too-much-data')
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk
    while (buf.length >= 5) {
      const len = buf.readUInt32BE(1)
      if (len < 4 || len > MAX_MESSAGE) return finish('bad-length')
      if (buf.length < 1 + len) return
      const type = String.fromCharCode(buf[0]!)
      const body = buf.subarray(5, 1 + len)
      buf = buf.subarray(1 + len)
      if (onMessage(type, body)) return finish()
    }
  }
}

/**
 * The answer to SSLRequest, read into `r`: go on in plaintext ('N'), start TLS ('S'), or end the look
 * ('done': an ErrorResponse, e.g. from a server too old for SSLRequest; else a failure token).
 */
function readSslAnswer(r: ServerIdentity, chunk: Buffer): 'N' | 'S' | 'done' | 'trailing-bytes' | 'not-postgres' {
  const a = chunk[0]
  if (a === 0x4e) {
    r.ssl = 'N'
    return chunk.length > 1 ? 'trailing-bytes' : 'N'
  }
  if (a === 0x53 && chunk.length === 1) {
    r.ssl = 'S'
    return 'S'
  }
  if (a !== 0x45) return 'not-postgres'
  r.auth = 'error'
  const f = fields(chunk.subarray(5))
  r.error = {...(f.C ? {code: f.C} : {}), message: f.M ?? ''}
  return 'done'
}

export async function probeServerIdentity(
  target: {address: string; family: 4 | 6},
  port: number,
  who: {user: string; database: string},
  timeoutMs: number,
): Promise<ServerIdentity> {
  await probeConnectionsClosed(port)
  return new Promise((resolve) => {
    const started = performance.now()
    const r: ServerIdentity = {...target, port, ssl: null, auth: 'none', ms: 0}
    let done = false
    const raw = new net.Socket()
    let stream: net.Socket | tls.TLSSocket | undefined
    let phase: 'ssl' | 'startup' = 'ssl'
    const finish = (failure?: string) => {
      if (done) return
      done = true
      clearTimeout(timer)
      if (failure && !r.failure) r.failure = failure
      r.ms = Math.round(performance.now() - started)
      closeAfterPeer(raw, stream)
      resolve(r)
    }
    const timer = setTimeout(() => finish('timeout'), timeoutMs)

    const startup = (s: net.Socket | tls.TLSSocket) => {
      stream = s
      phase = 'startup'
      s.on(
        'data',
        messageReader((type, body) => readStartupAnswer(r, type, body, (b) => s.write(b)), finish),
      )
      s.once('close', () => finish('closed'))
      s.write(startupPacket({user: who.user, database: who.database, application_name: 'db-doctor'}))
    }

    raw.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? 'socket-error'))
    raw.once('close', () => phase === 'ssl' && finish('closed'))
    raw.once('connect', () => raw.write(sslRequestPacket()))
    const onSsl = (chunk: Buffer) => {
      raw.removeListener('data', onSsl)
      const answer = readSslAnswer(r, chunk)
      if (answer === 'N') return startup(raw)
      if (answer !== 'S') return finish(answer === 'done' ? undefined : answer)
      raw.pause()
      const t = tls.connect({socket: raw, rejectUnauthorized: false})
      t.on('error', (e: NodeJS.ErrnoException) => finish(`tls-${e.code ?? 'handshake'}`))
      t.once('secureConnect', () => startup(t))
      stream = t
    }
    raw.on('data', onSsl)
    try {
      raw.connect({host: target.address, port, family: target.family, autoSelectFamily: false})
    } catch (e) {
      finish((e as NodeJS.ErrnoException).code ?? 'EINVAL')
    }
  })
}
