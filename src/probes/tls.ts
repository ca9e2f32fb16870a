// TLS probe: the only code of the tls check that touches a socket. It asks the server
// for TLS the way node-postgres does (SSLRequest, or TLS at once with ALPN "postgresql"
// for sslnegotiation=direct), captures the presented chain WITHOUT verifying it, and
// closes before anything else is sent: no startup message, no credential, ever.
import type {Socket} from 'node:net'
import type {ConnectionOptions, TLSSocket} from 'node:tls'
import {closeAfterPeer, probeConnectionsClosed} from './close.js'

interface TlsProbeInput {
  /** IP literal to connect to (the resolved address). */
  address: string
  port: number
  /** SNI name (never an IP literal: RFC 6066). */
  servername?: string
  /** Budget per network step (connect, SSLRequest answer, handshake). */
  timeoutMs: number
  /** sslnegotiation=direct: TLS right away with ALPN "postgresql". */
  direct?: boolean
  /** Protocol/cipher limits from the app's ssl options, to reproduce its handshake. */
  minVersion?: ConnectionOptions['minVersion']
  maxVersion?: ConnectionOptions['maxVersion']
  ciphers?: string
  /**
   * The CA the app's config supplies (ssl.ca), when it has one. Verification stays off; this
   * only spares loading Node's whole default CA store, and makes authorizationError the app's.
   */
  ca?: ConnectionOptions['ca']
}

interface PresentedCert {
  /** DER bytes, as base64 (plain JSON). */
  derBase64: string
}

/** How the peer ended a failed attempt when it gave no error of its own (the catalogue words it: tlsSays.peerEnded). */
export type TlsPeerEnd = 'closed-during-handshake' | 'data-after-sslrequest' | 'closed-after-sslrequest'

/** Why an attempt failed: the socket's own error message, or how the peer ended it. */
type TlsFailure = {reason: string} | {ended: TlsPeerEnd}

export type TlsProbeResult =
  | {
      outcome: 'handshake'
      protocol: string | null
      cipher: {name: string; standardName: string; version: string} | null
      alpn: string | null
      /** The chain as Node reports it, leaf first. */
      chain: PresentedCert[]
      /** Node's own verdict against its default store (informational only). */
      authorizationError: string | null
      ms: number
    }
  | {outcome: 'not-supported'; answer: string; ms: number}
  | ({outcome: 'handshake-failed'; errorCode: string | null; ms: number} & TlsFailure)
  | ({outcome: 'connect-failed'; errorCode: string | null; ms: number} & TlsFailure)
  | {outcome: 'timeout'; stage: 'connect' | 'sslrequest' | 'handshake'; ms: number}

/** The 8-byte SSLRequest: length 8, code 80877103. */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])

export async function inspectTls(input: TlsProbeInput): Promise<TlsProbeResult> {
  const net = await import('node:net')
  const tls = await import('node:tls')
  await probeConnectionsClosed(input.port)
  const started = performance.now()
  const ms = () => Math.round(performance.now() - started)

  return new Promise<TlsProbeResult>((resolve) => {
    let done = false
    let timer: NodeJS.Timeout | undefined
    let tlsSocket: TLSSocket | undefined
    const raw = new net.Socket()
    const finish = (r: TlsProbeResult) => {
      if (done) return
      done = true
      if (timer) clearTimeout(timer)
      closeAfterPeer(raw, tlsSocket)
      resolve(r)
    }
    const arm = (stage: 'connect' | 'sslrequest' | 'handshake') => {
      if (timer) clearTimeout(timer)
      timer = setTimeout(() => finish({outcome: 'timeout', stage, ms: ms()}), input.timeoutMs)
    }

    const startTls = () => {
      arm('handshake')
      let s: TLSSocket
      try {
        s = tls.connect(tlsOptions(input, raw, net.isIP))
      } catch (e) {
        const err = e as NodeJS.ErrnoException
        finish({outcome: 'handshake-failed', errorCode: err.code ?? null, reason: err.message, ms: ms()})
        return
      }
      tlsSocket = s
      s.once('secureConnect', () => finish(presented(s, ms())))
      s.once('error', (e: NodeJS.ErrnoException) => {
        finish({outcome: 'handshake-failed', errorCode: e.code ?? null, reason: e.message, ms: ms()})
      })
      s.once('close', () =>
        finish({outcome: 'handshake-failed', errorCode: 'ECONNRESET', ended: 'closed-during-handshake', ms: ms()}),
      )
    }

    raw.once('error', (e: NodeJS.ErrnoException) => {
      if (tlsSocket) return // the TLS socket reports it
      finish({outcome: 'connect-failed', errorCode: e.code ?? null, reason: e.message, ms: ms()})
    })
    arm('connect')
    raw.connect({host: input.address, port: input.port}, () => {
      if (input.direct) return startTls()
      arm('sslrequest')
      raw.once('data', (buf: Buffer) => {
        const refused = sslRequestRefused(buf, ms())
        if (refused) finish(refused)
        else startTls()
      })
      raw.once('close', () => {
        if (!tlsSocket)
          finish({outcome: 'connect-failed', errorCode: 'ECONNRESET', ended: 'closed-after-sslrequest', ms: ms()})
      })
      raw.write(SSL_REQUEST)
    })
  })
}

/** The handshake node-postgres would make over `raw`, with the app's limits; never verified. */
function tlsOptions(input: TlsProbeInput, raw: Socket, isIP: (s: string) => number): ConnectionOptions {
  const opts: ConnectionOptions = {
    socket: raw,
    rejectUnauthorized: false,
    // no servername for IP literals, exactly as node-postgres
    servername: input.servername && isIP(input.servername) === 0 ? input.servername : undefined,
    ALPNProtocols: input.direct ? ['postgresql'] : undefined,
  }
  if (input.minVersion) opts.minVersion = input.minVersion
  if (input.maxVersion) opts.maxVersion = input.maxVersion
  if (input.ciphers) opts.ciphers = input.ciphers
  if (input.ca) opts.ca = input.ca
  return opts
}

/** What the server presented once the handshake is done: protocol, cipher, ALPN, the chain. */
function presented(s: TLSSocket, ms: number): TlsProbeResult {
  const cipher = s.getCipher()
  return {
    outcome: 'handshake',
    protocol: s.getProtocol() ?? null,
    cipher: cipher ? {name: cipher.name, standardName: cipher.standardName, version: cipher.version} : null,
    alpn: typeof s.alpnProtocol === 'string' ? s.alpnProtocol : null,
    chain: peerChain(s).map((der) => ({derBase64: der.toString('base64')})),
    authorizationError: s.authorizationError ? String(s.authorizationError) : null,
    ms,
  }
}

/** The answer to SSLRequest: undefined for a lone 'S' (go on with TLS), else the attempt's end. */
function sslRequestRefused(buf: Buffer, ms: number): TlsProbeResult | undefined {
  const answer = String.fromCharCode(buf[0] ?? 0)
  if (answer !== 'S')
    return {
      outcome: 'not-supported',
      answer: /^[\x20-\x7e]$/.test(answer) ? answer : `0x${(buf[0] ?? 0).toString(16)}`,
      ms,
    }
  // bytes after 'S' before the handshake: CVE-2021-23222 style injection; refuse as pg would misparse
  if (buf.length > 1)
    return {outcome: 'handshake-failed', errorCode: 'UNEXPECTED_DATA', ended: 'data-after-sslrequest', ms}
  return undefined
}

/**
 * The presented chain, leaf first. getPeerCertificate(true) links each certificate to its
 * issuer; the root links to itself (the self-loop ends the walk). Node may append an issuer
 * it found in its own store; callers mark store membership themselves.
 */
function peerChain(s: TLSSocket): Buffer[] {
  const out: Buffer[] = []
  const seen = new Set<string>()
  let cert = s.getPeerCertificate(true) as import('node:tls').DetailedPeerCertificate | undefined
  while (cert && cert.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256)
    out.push(cert.raw)
    const next = cert.issuerCertificate
    if (!next || next === cert) break
    cert = next
  }
  return out
}
