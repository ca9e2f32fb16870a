import {X509Certificate} from 'node:crypto'
import net from 'node:net'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {inspectTls, type TlsProbeResult} from '../../src/probes/tls.js'
import {verifyChain} from '../../src/tls/x509.js'
import {chainPem, makeChains, startTlsPeer, type Chains, type Peer} from '../helpers/chains.js'

let c: Chains
const peers: Peer[] = []
beforeAll(async () => {
  c = await makeChains()
})
afterAll(async () => {
  await Promise.all(peers.map((p) => p.close()))
})

async function peer(opts: Parameters<typeof startTlsPeer>[0]): Promise<Peer> {
  const p = await startTlsPeer(opts)
  peers.push(p)
  return p
}

function handshake(r: TlsProbeResult) {
  if (r.outcome !== 'handshake') throw new Error(`expected a handshake, got ${JSON.stringify(r)}`)
  return r
}

describe('inspectTls against a Postgres-like peer', () => {
  it('captures the whole presented chain, protocol and cipher, and sends nothing after the handshake', async () => {
    const p = await peer({certPem: chainPem(c.leaf, c.intermediate, c.root), keyPem: c.leaf.keyPem})
    const r = handshake(
      await inspectTls({address: '127.0.0.1', port: p.port, servername: 'localhost', timeoutMs: 2000}),
    )
    expect(r.protocol).toMatch(/^TLSv1\.[23]$/)
    expect(r.cipher?.standardName).toBeTruthy()
    const subjects = r.chain.map((d) => new X509Certificate(Buffer.from(d.derBase64, 'base64')).subject)
    expect(subjects).toEqual(['CN=localhost', 'CN=db-doctor Test Intermediate CA', 'CN=db-doctor Test Root CA'])
    expect(r.authorizationError).toBe('SELF_SIGNED_CERT_IN_CHAIN')
    await new Promise((res) => setTimeout(res, 50))
    expect(p.appBytes()).toBe(0)
  })

  it("reports the server's 'N'", async () => {
    const p = await peer({certPem: c.leaf.certPem, keyPem: c.leaf.keyPem, answer: 'N'})
    expect(await inspectTls({address: '127.0.0.1', port: p.port, timeoutMs: 2000})).toMatchObject({
      outcome: 'not-supported',
      answer: 'N',
    })
  })

  it('a peer that is not TLS after accepting → handshake-failed with the reason', async () => {
    const p = await peer({certPem: c.leaf.certPem, keyPem: c.leaf.keyPem, garbage: true})
    const r = await inspectTls({address: '127.0.0.1', port: p.port, timeoutMs: 2000})
    expect(r).toMatchObject({outcome: 'handshake-failed'})
    expect(r.outcome === 'handshake-failed' && r.errorCode).toMatch(/ERR_SSL_|ECONNRESET/)
  })

  it('protocol mismatch (peer TLSv1.2 only, client minVersion TLSv1.3) → handshake-failed', async () => {
    const p = await peer({certPem: c.leaf.certPem, keyPem: c.leaf.keyPem, maxVersion: 'TLSv1.2'})
    const r = await inspectTls({address: '127.0.0.1', port: p.port, timeoutMs: 2000, minVersion: 'TLSv1.3'})
    expect(r.outcome).toBe('handshake-failed')
    expect(r.outcome === 'handshake-failed' && r.errorCode).toMatch(
      /PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|NO_PROTOCOLS/,
    )
  })

  it('direct negotiation: TLS at once with ALPN postgresql', async () => {
    const p = await peer({certPem: chainPem(c.leaf, c.intermediate), keyPem: c.leaf.keyPem, direct: true})
    const r = handshake(
      await inspectTls({address: '127.0.0.1', port: p.port, servername: 'localhost', timeoutMs: 2000, direct: true}),
    )
    expect(r.alpn).toBe('postgresql')
    expect(r.chain).toHaveLength(2)
  })

  it('times out within the budget on a silent server', async () => {
    const silent = net.createServer(() => {})
    await new Promise<void>((res) => silent.listen(0, '127.0.0.1', res))
    const port = (silent.address() as net.AddressInfo).port
    const t0 = Date.now()
    const r = await inspectTls({address: '127.0.0.1', port, timeoutMs: 300})
    expect(r).toMatchObject({outcome: 'timeout', stage: 'sslrequest'})
    expect(Date.now() - t0).toBeLessThan(1500)
    silent.close()
  })

  it('a refused port → connect-failed', async () => {
    const s = net.createServer()
    await new Promise<void>((res) => s.listen(0, '127.0.0.1', res))
    const port = (s.address() as net.AddressInfo).port
    await new Promise((res) => s.close(res))
    expect(await inspectTls({address: '127.0.0.1', port, timeoutMs: 1000})).toMatchObject({
      outcome: 'connect-failed',
      errorCode: 'ECONNREFUSED',
    })
  })

  it("the pure verdict names the same error Node does (Node's default store, no CA)", async () => {
    const cases: [string, string][] = [
      [chainPem(c.leaf, c.intermediate, c.root), 'SELF_SIGNED_CERT_IN_CHAIN'],
      [chainPem(c.leaf, c.intermediate), 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'],
      [chainPem(c.leaf), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
      [chainPem(c.selfSignedLeaf), 'DEPTH_ZERO_SELF_SIGNED_CERT'],
      [chainPem(c.expired, c.intermediate, c.root), 'CERT_HAS_EXPIRED'],
      [chainPem(c.notYetValid, c.intermediate), 'CERT_NOT_YET_VALID'],
    ]
    const keys: Record<string, string> = {}
    for (const k of Object.keys(c) as (keyof Chains)[]) keys[c[k].certPem.trim()] = c[k].keyPem
    for (const [pem, nodeError] of cases) {
      const key = keys[pem.split(/(?<=-----END CERTIFICATE-----)/)[0]!.trim()]!
      const p = await peer({certPem: pem, keyPem: key})
      const r = handshake(
        await inspectTls({address: '127.0.0.1', port: p.port, servername: 'localhost', timeoutMs: 2000}),
      )
      expect(r.authorizationError).toBe(nodeError)
      const chain = r.chain.map((d) => new X509Certificate(Buffer.from(d.derBase64, 'base64')))
      expect(verifyChain({chain, anchors: [], identity: 'localhost'}).problems[0]?.nodeError).toBe(nodeError)
    }
  })
})

describe('inspectTls against the real PostgreSQL', () => {
  it('reads the shared server chain without sending a startup message', async () => {
    const pg = inject('pg')
    const r = handshake(await inspectTls({address: pg.host, port: pg.port, servername: 'localhost', timeoutMs: 5000}))
    const chain = r.chain.map((d) => new X509Certificate(Buffer.from(d.derBase64, 'base64')))
    expect(verifyChain({chain, anchors: [new X509Certificate(pg.caPem)], identity: 'localhost'}).ok).toBe(true)
    expect(r.protocol).toMatch(/^TLSv1\.[23]$/)
  })
})
