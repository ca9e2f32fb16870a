// Chain fixtures and a small Postgres-like TLS peer for the tls probe and check tests.
// The peer answers the 8-byte SSLRequest with 'S' (or 'N'), then upgrades the same socket
// to TLS as a server, like PostgreSQL does. It never reads a startup message.
import net from 'node:net'
import tls from 'node:tls'
import {createCa, createLeaf, createSelfSignedLeaf, type Issued} from './certs.js'

const DAY = 24 * 60 * 60 * 1000

export interface Chains {
  root: Issued
  intermediate: Issued
  /** Leaf for localhost / 127.0.0.1 / ::1 issued by the intermediate. */
  leaf: Issued
  /** Leaf for db.internal.example only (wrong name for 127.0.0.1 / localhost). */
  wrongName: Issued
  expired: Issued
  notYetValid: Issued
  expiringSoon: Issued
  selfSignedLeaf: Issued
  /** A different, unrelated root. */
  otherRoot: Issued
}

export async function makeChains(): Promise<Chains> {
  const root = await createCa({commonName: 'db-doctor Test Root CA'})
  const intermediate = await createCa({commonName: 'db-doctor Test Intermediate CA', issuer: root})
  const names = {dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1']}
  const now = Date.now()
  const [leaf, wrongName, expired, notYetValid, expiringSoon, selfSignedLeaf, otherRoot] = await Promise.all([
    createLeaf({commonName: 'localhost', ...names, issuer: intermediate}),
    createLeaf({
      commonName: 'db.internal.example',
      dnsNames: ['db.internal.example', 'replica.internal.example'],
      issuer: intermediate,
    }),
    createLeaf({
      commonName: 'localhost',
      ...names,
      issuer: intermediate,
      notBefore: new Date(now - 400 * DAY),
      notAfter: new Date(now - 2 * DAY),
    }),
    createLeaf({
      commonName: 'localhost',
      ...names,
      issuer: intermediate,
      notBefore: new Date(now + 5 * DAY),
      notAfter: new Date(now + 400 * DAY),
    }),
    createLeaf({
      commonName: 'localhost',
      ...names,
      issuer: intermediate,
      notBefore: new Date(now - 300 * DAY),
      notAfter: new Date(now + 10 * DAY),
    }),
    createSelfSignedLeaf({commonName: 'localhost', ...names}),
    createCa({commonName: 'Unrelated Root CA'}),
  ])
  return {root, intermediate, leaf, wrongName, expired, notYetValid, expiringSoon, selfSignedLeaf, otherRoot}
}

/** leaf + intermediates (+ root) as one PEM, the way ssl_cert_file holds a chain. */
export function chainPem(...certs: Issued[]): string {
  return certs.map((c) => c.certPem.trim() + '\n').join('')
}

export interface PeerOptions {
  certPem: string
  keyPem: string
  /** Answer to SSLRequest. Default 'S'. */
  answer?: 'S' | 'N'
  /** After 'S', send bytes that are not TLS instead of handshaking. */
  garbage?: boolean
  /** After 'S', read the ClientHello and answer nothing (a stalled server or proxy). */
  stall?: boolean
  /** Expect TLS at once (sslnegotiation=direct), ALPN "postgresql". */
  direct?: boolean
  minVersion?: tls.SecureVersion
  maxVersion?: tls.SecureVersion
}

export interface Peer {
  port: number
  /** Bytes received after the TLS handshake (must stay 0: the probe sends nothing). */
  appBytes(): number
  close(): Promise<void>
}

export async function startTlsPeer(opts: PeerOptions): Promise<Peer> {
  const context = tls.createSecureContext({
    cert: opts.certPem,
    key: opts.keyPem,
    minVersion: opts.minVersion,
    maxVersion: opts.maxVersion,
  })
  let appBytes = 0
  const sockets = new Set<net.Socket>()
  const upgrade = (socket: net.Socket, head?: Buffer) => {
    const secure = new tls.TLSSocket(socket, {
      isServer: true,
      secureContext: context,
      ALPNProtocols: opts.direct ? ['postgresql'] : undefined,
    })
    if (head?.length) socket.unshift(head)
    secure.on('data', (d: Buffer) => (appBytes += d.length))
    secure.on('error', () => secure.destroy())
  }
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => socket.destroy())
    if (opts.direct) return upgrade(socket)
    socket.once('data', (buf) => {
      if (buf.length < 8 || buf.readUInt32BE(4) !== 80877103) return socket.destroy()
      if (opts.answer === 'N') {
        socket.write('N')
        return
      }
      socket.write('S')
      if (opts.stall) return
      if (opts.garbage) {
        setTimeout(() => socket.write(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')), 20)
        return
      }
      upgrade(socket, buf.subarray(8))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    appBytes: () => appBytes,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
