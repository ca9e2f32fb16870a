import {once} from 'node:events'
import {mkdtempSync, rmSync, statSync} from 'node:fs'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import tls from 'node:tls'
import {afterAll, describe, expect, it} from 'vitest'
import {createCa, createLeaf, createSelfSignedLeaf, writeTlsFiles, type Issued} from './certs.js'

/** Serves `chain` on 127.0.0.1 and connects with `ca`; resolves to the client's verdict. */
async function handshake(
  leaf: Issued,
  chainPem: string,
  ca: string,
  servername = 'localhost',
): Promise<{authorized: boolean; error?: string}> {
  const server = tls.createServer({cert: chainPem, key: leaf.keyPem}, (s) => s.end())
  server.on('tlsClientError', () => {})
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const {port} = server.address() as AddressInfo
  try {
    return await new Promise((resolve) => {
      const sock = tls.connect({host: '127.0.0.1', port, ca, servername, rejectUnauthorized: false}, () => {
        resolve({authorized: sock.authorized, error: sock.authorizationError?.toString()})
        sock.destroy()
      })
      sock.on('error', (e) => resolve({authorized: false, error: String(e)}))
    })
  } finally {
    server.close()
  }
}

describe('certs', () => {
  const dirs: string[] = []
  afterAll(() => dirs.forEach((d) => rmSync(d, {recursive: true, force: true})))

  it('root -> leaf verifies with the CA, SAN and basicConstraints are set', async () => {
    const ca = await createCa({commonName: 'Test Root'})
    const leaf = await createLeaf({
      commonName: 'localhost',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1', '::1'],
      issuer: ca,
    })
    expect(ca.cert.ca).toBe(true)
    expect(leaf.cert.ca).toBe(false)
    expect(leaf.cert.subjectAltName).toContain('DNS:localhost')
    expect(leaf.cert.subjectAltName).toContain('IP Address:127.0.0.1')
    expect(leaf.cert.checkIssued(ca.cert)).toBe(true)
    expect(leaf.cert.verify(ca.cert.publicKey)).toBe(true)
    expect(leaf.subject).toBe('CN=localhost')
    expect(ca.cert.serialNumber).not.toBe(leaf.cert.serialNumber)
    expect(await handshake(leaf, leaf.certPem, ca.certPem)).toEqual({authorized: true, error: undefined})
    // wrong CA
    const other = await createCa({commonName: 'Other Root'})
    expect((await handshake(leaf, leaf.certPem, other.certPem)).authorized).toBe(false)
  })

  it('root -> intermediate -> leaf (rsa) verifies when the server sends the chain', async () => {
    const root = await createCa({commonName: 'Test Root'})
    const inter = await createCa({commonName: 'Test Intermediate', issuer: root, keyType: 'rsa'})
    const leaf = await createLeaf({commonName: 'localhost', dnsNames: ['localhost'], issuer: inter, keyType: 'rsa'})
    expect(inter.cert.ca).toBe(true)
    expect(inter.cert.checkIssued(root.cert)).toBe(true)
    expect(leaf.cert.publicKey.asymmetricKeyType).toBe('rsa')
    expect(await handshake(leaf, leaf.certPem + inter.certPem, root.certPem)).toEqual({
      authorized: true,
      error: undefined,
    })
    const missing = await handshake(leaf, leaf.certPem, root.certPem)
    expect(missing.error).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/)
  })

  it('self-signed leaf verifies when trusted directly', async () => {
    const leaf = await createSelfSignedLeaf({commonName: 'localhost', dnsNames: ['localhost']})
    expect(leaf.cert.checkIssued(leaf.cert)).toBe(true)
    expect(await handshake(leaf, leaf.certPem, leaf.certPem)).toEqual({authorized: true, error: undefined})
    const other = await createCa({commonName: 'Other Root'})
    expect((await handshake(leaf, leaf.certPem, other.certPem)).error).toMatch(/SELF_SIGNED|self.signed/i)
  })

  it('honours validity dates', async () => {
    const ca = await createCa({commonName: 'Test Root'})
    const day = 24 * 3600 * 1000
    const expired = await createLeaf({
      commonName: 'localhost',
      dnsNames: ['localhost'],
      issuer: ca,
      notBefore: new Date(Date.now() - 10 * day),
      notAfter: new Date(Date.now() - day),
    })
    const future = await createLeaf({
      commonName: 'localhost',
      dnsNames: ['localhost'],
      issuer: ca,
      notBefore: new Date(Date.now() + day),
      notAfter: new Date(Date.now() + 10 * day),
    })
    expect(new Date(expired.cert.validTo).getTime()).toBeLessThan(Date.now())
    expect(new Date(future.cert.validFrom).getTime()).toBeGreaterThan(Date.now())
    expect((await handshake(expired, expired.certPem, ca.certPem)).error).toMatch(/CERT_HAS_EXPIRED|expired/i)
    expect((await handshake(future, future.certPem, ca.certPem)).error).toMatch(/CERT_NOT_YET_VALID|not yet valid/i)
  })

  it('writeTlsFiles writes keys 0600', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbd-certs-'))
    dirs.push(dir)
    const ca = await createCa({commonName: 'Test Root'})
    const paths = writeTlsFiles(dir, {'ca.crt': ca.certPem, 'ca.key': ca.keyPem})
    expect(statSync(paths['ca.key']!).mode & 0o777).toBe(0o600)
    expect(statSync(paths['ca.crt']!).mode & 0o777).toBe(0o644)
  })
})
