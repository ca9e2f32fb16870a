// SSLRequest probe: the 8 bytes every libpq/node-postgres TLS connection
// starts with (Int32 length 8, Int32 code 80877103), no credentials. A
// PostgreSQL server (or PgBouncer, or most Postgres proxies) answers with one
// byte: 'S' (TLS on offer) or 'N'. Anything else identifies what is really
// listening. Reads are bounded: the socket is closed after the first chunk (close.ts).
import net from 'node:net'
import {closeAfterPeer, probeConnectionsClosed} from './close.js'

const SSL_REQUEST_CODE = 80877103
/** How many bytes of a foreign answer we keep and show. */
const SHOW_BYTES = 64
/** How many bytes of an 'E' packet we parse at most. */
const ERROR_PACKET_MAX = 1024

export function sslRequestPacket(): Buffer {
  const b = Buffer.alloc(8)
  b.writeUInt32BE(8, 0)
  b.writeUInt32BE(SSL_REQUEST_CODE, 4)
  return b
}

type Recognized = 'http' | 'ssh' | 'mysql' | 'redis' | 'tls' | 'smtp' | 'ftp' | null

interface ErrorPacket {
  /** 3: ErrorResponse with fields; 2: the pre-7.4 string form. */
  protocol: 2 | 3
  severity?: string
  code?: string
  message: string
}

export type SslRequestResult =
  | {kind: 'answer'; answer: 'S' | 'N'; ms: number}
  | {kind: 'error-packet'; error: ErrorPacket; bytes: string; ms: number}
  | {kind: 'foreign'; recognized: Recognized; bytes: string; length: number; ms: number}
  | {kind: 'timeout'; phase: 'connect' | 'answer'; ms: number}
  | {kind: 'closed'; ms: number; code?: string}
  | {kind: 'connect-error'; code: string; ms: number}

/** Printable ASCII as is (backslash doubled), every other byte as \xNN. */
export function escapeBytes(buf: Uint8Array, max = SHOW_BYTES): string {
  let out = ''
  const n = Math.min(buf.length, max)
  for (let i = 0; i < n; i++) {
    const c = buf[i]
    if (c === 0x5c) out += '\\\\'
    else if (c >= 0x20 && c <= 0x7e) out += String.fromCharCode(c)
    else out += `\\x${c.toString(16).padStart(2, '0')}`
  }
  if (buf.length > max) out += '…'
  return out
}

/** What kind of server sent these first bytes. */
export function recognize(buf: Uint8Array): Recognized {
  const text = Buffer.from(buf.subarray(0, 16)).toString('latin1')
  if (text.startsWith('HTTP/')) return 'http'
  if (text.startsWith('SSH-')) return 'ssh'
  if (text.startsWith('-ERR') || text.startsWith('-NOAUTH') || text.startsWith('-DENIED')) return 'redis'
  // TLS record: content type alert (21) or handshake (22), version 3.x
  if (buf.length >= 3 && (buf[0] === 0x15 || buf[0] === 0x16) && buf[1] === 0x03 && buf[2] <= 0x04) return 'tls'
  // MySQL/MariaDB: 3-byte length, sequence 0, then protocol 10 greeting or 0xff error
  if (buf.length >= 5 && buf[3] === 0 && (buf[4] === 0x0a || buf[4] === 0xff)) {
    const len = buf[0] | (buf[1] << 8) | (buf[2] << 16)
    if (len > 0 && len < 0x10000) return 'mysql'
  }
  if (/^220[ -]/.test(text)) return /ftp/i.test(Buffer.from(buf).toString('latin1')) ? 'ftp' : 'smtp'
  return null
}

/** Parse an 'E' answer: v3 ErrorResponse (length + typed fields) or the v2 string form. */
export function parseErrorPacket(buf: Uint8Array): ErrorPacket | null {
  if (buf.length < 2 || buf[0] !== 0x45) return null
  const b = Buffer.from(buf.subarray(0, ERROR_PACKET_MAX))
  if (b.length >= 5) {
    const len = b.readUInt32BE(1)
    if (len >= 4 && len < 0x10000) {
      const fields: Record<string, string> = {}
      let i = 5
      const end = Math.min(b.length, 1 + len)
      while (i < end && b[i] !== 0) {
        const type = String.fromCharCode(b[i])
        const z = b.indexOf(0, i + 1)
        const stop = z < 0 || z > end ? end : z
        fields[type] = b.toString('utf8', i + 1, stop)
        i = stop + 1
      }
      if (fields.M !== undefined) return {protocol: 3, severity: fields.S, code: fields.C, message: fields.M}
    }
  }
  // protocol 2: 'E' then a NUL-terminated message
  const z = b.indexOf(0, 1)
  const message = b.toString('utf8', 1, z < 0 ? b.length : z).trim()
  if (message && /^[\x20-\x7e\t\r\n]+$/.test(message)) return {protocol: 2, message}
  return null
}

/** Classify the first chunk a peer sent back. */
export function classifyAnswer(first: Uint8Array, ms: number): SslRequestResult {
  if (first.length === 1 && (first[0] === 0x53 || first[0] === 0x4e)) {
    return {kind: 'answer', answer: first[0] === 0x53 ? 'S' : 'N', ms}
  }
  const recognized = recognize(first)
  if (!recognized && first[0] === 0x45) {
    const error = parseErrorPacket(first)
    if (error) return {kind: 'error-packet', error, bytes: escapeBytes(first), ms}
  }
  return {kind: 'foreign', recognized, bytes: escapeBytes(first), length: first.length, ms}
}

/**
 * Connect to a numeric address, send SSLRequest, read the first chunk.
 * connectTimeoutMs bounds the connect, answerTimeoutMs the wait for the answer.
 * Never rejects. Never sends anything but the 8 bytes.
 */
export async function probeSslRequest(
  address: string,
  port: number,
  opts: {connectTimeoutMs: number; answerTimeoutMs: number},
): Promise<SslRequestResult> {
  await probeConnectionsClosed(port)
  return new Promise((resolve) => {
    const started = performance.now()
    const ms = () => Math.round(performance.now() - started)
    let done = false
    let connected = false
    const socket = new net.Socket()
    let timer: NodeJS.Timeout = setTimeout(
      () => finish({kind: 'timeout', phase: 'connect', ms: ms()}),
      opts.connectTimeoutMs,
    )
    const finish = (r: SslRequestResult) => {
      if (done) return
      done = true
      clearTimeout(timer)
      closeAfterPeer(socket)
      resolve(r)
    }
    socket.once('connect', () => {
      connected = true
      clearTimeout(timer)
      timer = setTimeout(() => finish({kind: 'timeout', phase: 'answer', ms: ms()}), opts.answerTimeoutMs)
      socket.write(sslRequestPacket())
    })
    socket.on('data', (chunk: Buffer) => {
      socket.pause()
      finish(classifyAnswer(chunk.subarray(0, ERROR_PACKET_MAX), ms()))
    })
    socket.once('end', () => finish({kind: 'closed', ms: ms()}))
    socket.once('close', () => finish({kind: 'closed', ms: ms()}))
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (!connected) finish({kind: 'connect-error', code: err.code ?? 'ERROR', ms: ms()})
      else finish({kind: 'closed', ms: ms(), code: err.code})
    })
    try {
      socket.connect({host: address, port, family: net.isIP(address) || undefined, autoSelectFamily: false})
    } catch (error) {
      finish({kind: 'connect-error', code: (error as NodeJS.ErrnoException).code ?? 'EINVAL', ms: ms()})
    }
  })
}

/** A PostgreSQL-protocol server (PostgreSQL, PgBouncer) that answered SSLRequest on another port of the same host. */
interface NearbyServer {
  address: string
  family: 4 | 6
  port: number
  answer: 'S' | 'N'
}

/** The ports a mistyped or misremembered one is most often meant to be: the usual ones, then its neighbours. */
function nearbyPorts(port: number): number[] {
  const out: number[] = []
  for (const p of [5432, 5433, 5434, 6432, port - 1, port + 1, port - 2, port + 2, port - 10, port + 10])
    if (p !== port && p >= 1 && p <= 65535 && !out.includes(p)) out.push(p)
  return out
}

/**
 * Ask the ports near `port` on each address (only the 8 bytes of SSLRequest, no credentials) and return those
 * a PostgreSQL-protocol server answers on, nearest port first. Takes about 2 × min(timeoutMs, 1000) at most.
 */
export async function findPostgresNearby(
  addresses: readonly {address: string; family: 4 | 6}[],
  port: number,
  timeoutMs: number,
): Promise<NearbyServer[]> {
  const t = Math.min(timeoutMs, 1000)
  const asks = addresses.slice(0, 2).flatMap((a) => nearbyPorts(port).map((p) => ({...a, port: p})))
  const answers = await Promise.all(
    asks.map(async (a) => ({
      a,
      r: await probeSslRequest(a.address, a.port, {connectTimeoutMs: t, answerTimeoutMs: t}),
    })),
  )
  const found: NearbyServer[] = []
  for (const {a, r} of answers)
    if (r.kind === 'answer') found.push({address: a.address, family: a.family, port: a.port, answer: r.answer})
  return found.sort((x, y) => Math.abs(x.port - port) - Math.abs(y.port - port) || x.port - y.port)
}
