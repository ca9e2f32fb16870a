import {X509Certificate} from 'node:crypto'
import tls from 'node:tls'
import {beforeAll, describe, expect, it} from 'vitest'
import {
  TrustStore,
  describeChain,
  parsePemBundle,
  signatureAlgorithmName,
  signatureAlgorithmOid,
  validNames,
  verifyChain,
} from '../../src/tls/x509.js'
import {createCa, createLeaf} from '../helpers/certs.js'
import {makeChains, type Chains} from '../helpers/chains.js'

let c: Chains
const x = (pem: string) => new X509Certificate(pem)

beforeAll(async () => {
  c = await makeChains()
})

describe('describeChain', () => {
  it('describes every certificate as a flat row', async () => {
    const rsaRoot = await createCa({commonName: 'RSA Root', keyType: 'rsa'})
    const rows = describeChain(
      [x(c.leaf.certPem), x(c.intermediate.certPem), x(c.root.certPem), x(rsaRoot.certPem)],
      (cert) => (cert.subject.includes('Root CA') ? 'trust anchor' : 'no'),
    )
    expect(rows[0]).toMatchObject({
      depth: 0,
      subject: 'CN=localhost',
      issuer: 'CN=db-doctor Test Intermediate CA',
      sans: 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
      key: 'EC P-256',
      signature: 'ecdsa-with-SHA256',
      selfSigned: false,
      ca: false,
      trusted: 'no',
    })
    expect(rows[0]!.sha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/)
    expect(rows[2]).toMatchObject({
      subject: 'CN=db-doctor Test Root CA',
      selfSigned: true,
      ca: true,
      trusted: 'trust anchor',
    })
    expect(rows[3]).toMatchObject({key: 'RSA 2048', signature: 'sha256WithRSAEncryption'})
    for (const r of rows) for (const v of Object.values(r)) expect(typeof v === 'object').toBe(false)
  })

  it('reads the signature algorithm OID from DER, and survives junk', () => {
    expect(signatureAlgorithmOid(x(c.leaf.certPem).raw)).toBe('1.2.840.10045.4.3.2')
    expect(signatureAlgorithmOid(new Uint8Array([0x30, 0x82, 0xff]))).toBeNull()
    expect(signatureAlgorithmName(new Uint8Array([]))).toBe('unknown')
    // a public root from Node's bundle
    const bundled = new X509Certificate(tls.rootCertificates[0]!)
    expect(signatureAlgorithmName(bundled.raw)).toMatch(/With|ecdsa|Ed/)
  })

  it('lists the names a certificate is valid for', () => {
    expect(validNames(x(c.wrongName.certPem))).toEqual(['db.internal.example', 'replica.internal.example'])
    expect(validNames(x(c.root.certPem))).toEqual(['db-doctor Test Root CA'])
  })
})

describe('verifyChain', () => {
  const chainOf = (...pems: string[]) => pems.map(x)

  it('verifies leaf + intermediate against the root', () => {
    const r = verifyChain({
      chain: chainOf(c.leaf.certPem, c.intermediate.certPem),
      anchors: [x(c.root.certPem)],
      identity: 'localhost',
    })
    expect(r).toMatchObject({ok: true, problems: [], warnings: [], anchor: {subject: 'CN=db-doctor Test Root CA'}})
    expect(
      verifyChain({
        chain: chainOf(c.leaf.certPem, c.intermediate.certPem),
        anchors: [x(c.root.certPem)],
        identity: '127.0.0.1',
      }).ok,
    ).toBe(true)
  })

  it('a presented self-signed root nobody trusts → TLS_SELF_SIGNED_CHAIN', () => {
    const r = verifyChain({
      chain: chainOf(c.leaf.certPem, c.intermediate.certPem, c.root.certPem),
      anchors: [x(c.otherRoot.certPem)],
      identity: 'localhost',
    })
    expect(r.problems.map((p) => [p.code, p.nodeError])).toEqual([
      ['TLS_SELF_SIGNED_CHAIN', 'SELF_SIGNED_CERT_IN_CHAIN'],
    ])
    expect(r.problems[0]!.subject).toBe('CN=db-doctor Test Root CA')
  })

  it('a missing intermediate → TLS_UNTRUSTED_ISSUER (unable to verify the first certificate)', () => {
    const r = verifyChain({chain: chainOf(c.leaf.certPem), anchors: [x(c.root.certPem)], identity: 'localhost'})
    expect(r.problems.map((p) => [p.code, p.nodeError])).toEqual([
      ['TLS_UNTRUSTED_ISSUER', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
    ])
    const r2 = verifyChain({chain: chainOf(c.leaf.certPem, c.intermediate.certPem), anchors: [], identity: 'localhost'})
    expect(r2.problems.map((p) => p.nodeError)).toEqual(['UNABLE_TO_GET_ISSUER_CERT_LOCALLY'])
  })

  it('a pinned intermediate is not enough without partial chains', () => {
    const chain = chainOf(c.leaf.certPem, c.intermediate.certPem)
    expect(verifyChain({chain, anchors: [x(c.intermediate.certPem)], identity: 'localhost'}).problems[0]?.code).toBe(
      'TLS_UNTRUSTED_ISSUER',
    )
    expect(
      verifyChain({chain, anchors: [x(c.intermediate.certPem)], identity: 'localhost', partialChain: true}).ok,
    ).toBe(true)
  })

  it('a self-signed server certificate: TLS_SELF_SIGNED_CERT, and fine when pinned', () => {
    const leaf = chainOf(c.selfSignedLeaf.certPem)
    expect(verifyChain({chain: leaf, anchors: [], identity: 'localhost'}).problems[0]).toMatchObject({
      code: 'TLS_SELF_SIGNED_CERT',
      nodeError: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    })
    expect(verifyChain({chain: leaf, anchors: [x(c.selfSignedLeaf.certPem)], identity: 'localhost'}).ok).toBe(true)
  })

  it('time problems come first (OpenSSL reports them last), then trust; identity only when verified', () => {
    const chain = chainOf(c.expired.certPem, c.intermediate.certPem)
    expect(
      verifyChain({chain, anchors: [x(c.root.certPem)], identity: 'localhost'}).problems.map((p) => p.code),
    ).toEqual(['TLS_EXPIRED'])
    expect(verifyChain({chain, anchors: [], identity: 'nope'}).problems.map((p) => p.code)).toEqual([
      'TLS_EXPIRED',
      'TLS_UNTRUSTED_ISSUER',
    ])
    const nyv = verifyChain({
      chain: chainOf(c.notYetValid.certPem, c.intermediate.certPem),
      anchors: [x(c.root.certPem)],
      identity: 'localhost',
    })
    expect(nyv.problems.map((p) => [p.code, p.nodeError])).toEqual([['TLS_NOT_YET_VALID', 'CERT_NOT_YET_VALID']])
  })

  it('expiring within 30 days is a warning', () => {
    const r = verifyChain({
      chain: chainOf(c.expiringSoon.certPem, c.intermediate.certPem),
      anchors: [x(c.root.certPem)],
      identity: 'localhost',
    })
    expect(r.ok).toBe(true)
    expect(r.warnings.map((w) => w.code)).toEqual(['TLS_EXPIRING_SOON'])
    expect(
      verifyChain({
        chain: chainOf(c.expiringSoon.certPem, c.intermediate.certPem),
        anchors: [x(c.root.certPem)],
        identity: 'localhost',
        soonDays: 5,
      }).warnings,
    ).toEqual([])
  })

  it('hostname mismatch, and a custom checkServerIdentity replaces it', () => {
    const chain = chainOf(c.wrongName.certPem, c.intermediate.certPem)
    const r = verifyChain({chain, anchors: [x(c.root.certPem)], identity: '127.0.0.1'})
    expect(r.problems.map((p) => [p.code, p.nodeError])).toEqual([
      ['TLS_HOSTNAME_MISMATCH', 'ERR_TLS_CERT_ALTNAME_INVALID'],
    ])
    expect(r.validNames).toEqual(['db.internal.example', 'replica.internal.example'])
    expect(verifyChain({chain, anchors: [x(c.root.certPem)], identity: 'replica.internal.example'}).ok).toBe(true)
    expect(
      verifyChain({chain, anchors: [x(c.root.certPem)], identity: '127.0.0.1', checkServerIdentity: () => undefined})
        .ok,
    ).toBe(true)
    expect(verifyChain({chain, anchors: [x(c.root.certPem)], identity: null}).ok).toBe(true)
  })

  it('agrees with Node on a bundle of trust anchors', async () => {
    const other = await createCa({commonName: 'Other'})
    const leaf = await createLeaf({commonName: 'x', dnsNames: ['x.test'], issuer: other})
    const store = new TrustStore(parsePemBundle([c.root.certPem + other.certPem, Buffer.from(c.otherRoot.certPem)]))
    expect(store.size).toBe(3)
    expect(verifyChain({chain: [x(leaf.certPem)], anchors: store.anchors, identity: 'x.test'}, store).ok).toBe(true)
  })

  it('parsePemBundle ignores junk', () => {
    expect(parsePemBundle('nothing here')).toEqual([])
    expect(parsePemBundle('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----')).toEqual([])
    expect(parsePemBundle(undefined)).toEqual([])
  })
})
