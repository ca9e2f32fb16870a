import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {isTransient} from '../../src/checks/catalogue.js'
import {sslConfigCheck} from '../../src/checks/ssl-config.js'
import {tlsCheck} from '../../src/checks/tls.js'
import {resolveConfig} from '../../src/config/resolve.js'
import type {Facts} from '../../src/core/facts.js'
import type {CheckOutcome} from '../../src/core/types.js'
import type {CheckContext} from '../../src/checks/types.js'
import {createLeaf, writeTlsFiles} from '../helpers/certs.js'
import {chainPem, makeChains, startTlsPeer, type Chains, type Peer} from '../helpers/chains.js'
import {CANARY_PASSWORD} from '../helpers/constants.js'
import {startPostgres, type PgServer} from '../helpers/postgres.js'
import {sourceWords} from '../../src/catalogue/app-files.js'

let c: Chains
let dir: string
let files: Record<string, string>
const peers: Peer[] = []

beforeAll(async () => {
  c = await makeChains()
  dir = mkdtempSync(join(tmpdir(), 'dbd-tls-check-'))
  files = writeTlsFiles(dir, {
    'root.pem': c.root.certPem,
    'other.pem': c.otherRoot.certPem,
    'selfsigned.pem': c.selfSignedLeaf.certPem,
  })
})
afterAll(async () => {
  await Promise.all(peers.map((p) => p.close()))
  rmSync(dir, {recursive: true, force: true})
})

interface CtxOpts {
  host?: string
  port: number
  /** query string of DATABASE_URL, without '?' */
  query?: string
  env?: Record<string, string>
  answer?: 'S' | 'N'
  appSsl?: unknown
  noPostgresFacts?: boolean
  timeoutMs?: number
}

async function ctxFor(o: CtxOpts): Promise<CheckContext> {
  const host = o.host ?? '127.0.0.1'
  const url = `postgres://app:${CANARY_PASSWORD}@${host}:${o.port}/appdb${o.query ? `?${o.query}` : ''}`
  const env: Record<string, string> = {DATABASE_URL: url, ...o.env}
  const config = await resolveConfig({
    words: sourceWords,
    cwd: dir,
    env,
    envFileOf: (n) => (n === 'DATABASE_URL' ? '.env' : undefined),
  })
  if (o.appSsl !== undefined) {
    config.appSsl = {
      value: o.appSsl,
      source: {
        kind: 'knexfile',
        name: 'connection.ssl',
        file: 'knexfile.cjs',
        environment: 'development',
        label: 'connection.ssl in knexfile.cjs (development)',
      },
    }
  }
  const facts: Facts = o.noPostgresFacts
    ? {}
    : {postgres: {address: '127.0.0.1', port: o.port, answer: o.answer ?? 'S', offersTls: (o.answer ?? 'S') === 'S'}}
  return {
    config,
    env,
    cwd: dir,
    options: {timeoutMs: o.timeoutMs ?? 3000, verbose: false, dnsServers: []},
    facts,
    results: new Map(),
  }
}

async function runTls(o: CtxOpts): Promise<{out: CheckOutcome; ctx: CheckContext}> {
  const ctx = await ctxFor(o)
  const out = await tlsCheck.run(ctx)
  if (process.env.DUMP_TLS) console.log(JSON.stringify(out, null, 1))
  const json = JSON.stringify(out)
  expect(json).not.toContain(CANARY_PASSWORD)
  expect(json).not.toContain(encodeURIComponent(CANARY_PASSWORD))
  expect(JSON.stringify(ctx.facts)).not.toContain(CANARY_PASSWORD)
  if (out.status === 'warn' || out.status === 'fail') {
    expect(out.code).toMatch(/^[A-Z][A-Z_]+$/)
    expect(out.fix?.summary).toBeTruthy()
    expect(out.fix?.steps.length).toBeGreaterThan(0)
  }
  return {out, ctx}
}

async function peer(opts: Parameters<typeof startTlsPeer>[0]): Promise<Peer> {
  const p = await startTlsPeer(opts)
  peers.push(p)
  return p
}

describe('tls check against the shared real PostgreSQL', () => {
  it('passes a trusted chain (sslrootcert in DATABASE_URL), with the chain table and the CA store named', async () => {
    const pg = inject('pg')
    const {out, ctx} = await runTls({port: pg.port, query: `sslmode=verify-full&sslrootcert=${pg.caFile}`})
    expect(out.status).toBe('pass')
    expect(out.summary).toMatch(/^TLSv1\.[23] with /)
    expect(out.summary).toContain('sslrootcert=')
    const chain = out.evidence.chain as Record<string, unknown>[]
    expect(chain[0]).toMatchObject({depth: 0, trusted: 'verified', selfSigned: false})
    expect(chain.at(-1)).toMatchObject({trusted: expect.stringMatching(/trust anchor|verified/)})
    expect(Object.keys(chain[0]!)).toEqual([
      'depth',
      'subject',
      'issuer',
      'sans',
      'notBefore',
      'notAfter',
      'key',
      'signature',
      'sha256',
      'selfSigned',
      'ca',
      'trusted',
    ])
    expect(out.evidence.trustStore).toContain('DATABASE_URL in .env')
    expect(ctx.facts.tls).toMatchObject({used: true, offered: true, verifies: true, verifiedAsApp: true, problems: []})
    expect(ctx.facts.tls?.failureCode).toBeUndefined()
  })

  it('config without ssl: skip, unencrypted, with what verification would say', async () => {
    const pg = inject('pg')
    const {out, ctx} = await runTls({port: pg.port})
    expect(out.status).toBe('skip')
    expect(out.summary).toMatch(/does not use TLS/)
    expect(out.summary).toMatch(/would fail with TLS_SELF_SIGNED_CHAIN|would fail with TLS_UNTRUSTED_ISSUER/)
    expect(ctx.facts.tls).toMatchObject({used: false, verifiedAsApp: false})
    expect(ctx.facts.tls?.failureCode).toBeUndefined()
  })
})

describe('tls check against its own real PostgreSQL (chain swapped by reload)', () => {
  let server: PgServer
  beforeAll(async () => {
    // the Aiven shape: leaf + intermediate + the private root, all sent by the server;
    // TLSv1.3 only, for a real protocol mismatch
    server = await startPostgres({
      tls: {certPem: chainPem(c.leaf, c.intermediate, c.root), keyPem: c.leaf.keyPem, caPem: c.root.certPem},
      fixtures: false,
      settings: {ssl_min_protocol_version: 'TLSv1.3'},
    })
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('a chain carrying its own self-signed root, no CA configured → TLS_SELF_SIGNED_CHAIN naming the root', async () => {
    const {out, ctx} = await runTls({port: server.port, query: 'sslmode=require'})
    expect(out).toMatchObject({status: 'fail', code: 'TLS_SELF_SIGNED_CHAIN'})
    expect(out.summary).toContain('CN=db-doctor Test Root CA')
    expect(out.summary).toContain('self-signed certificate in certificate chain')
    expect(out.evidence.trustStore).toBe("Node's bundled CAs")
    expect(out.fix?.snippet?.language).toBe('dotenv')
    expect(out.fix?.snippet?.code).toMatch(
      /^DATABASE_URL="postgres:\/\/app:\*\*\*\*@127\.0\.0\.1:\d+\/appdb\?sslmode=require&sslrootcert=\/path\/to\/ca\.pem"$/,
    )
    expect(ctx.facts.tls).toMatchObject({verifiedAsApp: false, failureCode: 'TLS_SELF_SIGNED_CHAIN'})
  })

  it('the same chain with a config that does not verify → warn, same code, explained', async () => {
    const {out, ctx} = await runTls({port: server.port, query: 'sslmode=no-verify'})
    expect(out).toMatchObject({status: 'warn', code: 'TLS_SELF_SIGNED_CHAIN'})
    expect(out.summary).toMatch(/connects anyway — unverified/)
    expect(ctx.facts.tls).toMatchObject({verifies: false, verifiedAsApp: false})
    expect(ctx.facts.tls?.failureCode).toBeUndefined()
  })

  it('PGSSLROOTCERT holding the right CA: said to be ignored by node-postgres', async () => {
    const {out} = await runTls({port: server.port, query: 'sslmode=require', env: {PGSSLROOTCERT: files['root.pem']!}})
    expect(out.code).toBe('TLS_SELF_SIGNED_CHAIN')
    expect(out.fix?.steps.join('\n')).toContain(
      `PGSSLROOTCERT=${files['root.pem']} holds the right CA, but node-postgres ignores PGSSLROOTCERT`,
    )
  })

  it('NODE_EXTRA_CA_CERTS with the root → pass, and the store says so', async () => {
    const {out} = await runTls({
      port: server.port,
      query: 'sslmode=verify-full',
      env: {NODE_EXTRA_CA_CERTS: files['root.pem']!},
    })
    expect(out.status).toBe('pass')
    expect(out.evidence.trustStore).toContain('NODE_EXTRA_CA_CERTS')
  })

  it('an explicit CA replaces NODE_EXTRA_CA_CERTS (the wrong CA in sslrootcert fails)', async () => {
    const {out} = await runTls({
      port: server.port,
      query: `sslmode=verify-full&sslrootcert=${files['other.pem']}`,
      env: {NODE_EXTRA_CA_CERTS: files['root.pem']!},
    })
    expect(out).toMatchObject({status: 'fail', code: 'TLS_SELF_SIGNED_CHAIN'})
    expect((out.evidence.notes as string[]).join(' ')).toContain('NODE_EXTRA_CA_CERTS is not used')
  })

  it('a client limited to TLSv1.2 against ssl_min_protocol_version=TLSv1.3 → TLS_HANDSHAKE_FAILED', async () => {
    const {out, ctx} = await runTls({port: server.port, appSsl: {ca: c.root.certPem, maxVersion: 'TLSv1.2'}})
    expect(out).toMatchObject({status: 'fail', code: 'TLS_HANDSHAKE_FAILED'})
    expect(out.summary).toMatch(/no TLS protocol version both sides accept/)
    expect(out.fix?.steps[0]).toContain("maxVersion: 'TLSv1.2' (connection.ssl in knexfile.cjs (development))")
    expect(ctx.facts.tls?.failureCode).toBe('TLS_HANDSHAKE_FAILED')
  })

  it('direct negotiation (sslnegotiation=direct, PostgreSQL 17+) passes with ALPN postgresql', async () => {
    const {out} = await runTls({
      port: server.port,
      query: `sslmode=verify-full&sslrootcert=${files['root.pem']}&sslnegotiation=direct`,
      noPostgresFacts: false,
    })
    expect(out.status).toBe('pass')
    expect(out.evidence.alpn).toBe('postgresql')
  })

  describe('after reloads (sequential)', () => {
    it('wrong host name → TLS_HOSTNAME_MISMATCH listing the names; ssl.servername fixes an IP host', async () => {
      await server.reloadTls(chainPem(c.wrongName, c.intermediate), c.wrongName.keyPem, c.root.certPem)
      const {out, ctx} = await runTls({
        port: server.port,
        query: `sslmode=verify-full&sslrootcert=${files['root.pem']}`,
      })
      expect(out).toMatchObject({status: 'fail', code: 'TLS_HOSTNAME_MISMATCH'})
      expect(out.fix?.summary).toContain('db.internal.example, replica.internal.example')
      expect(out.fix?.steps.join('\n')).toContain('ssl.servername')
      expect(out.fix?.snippet?.code).toContain("servername: 'db.internal.example'")
      expect(ctx.facts.tls?.validNames).toEqual(['db.internal.example', 'replica.internal.example'])

      const ok = await runTls({port: server.port, appSsl: {ca: c.root.certPem, servername: 'replica.internal.example'}})
      expect(ok.out.status).toBe('pass')
      expect(ok.out.evidence.servername).toBe('replica.internal.example')

      // verify-ca semantics: pg's libpq compatibility replaces the identity check
      const ca = await runTls({
        port: server.port,
        query: `uselibpqcompat=true&sslmode=verify-ca&sslrootcert=${files['root.pem']}`,
      })
      expect(ca.out.status).toBe('pass')
      expect(ca.out.evidence.identityChecked).toBe('custom checkServerIdentity')
    })

    it('an expired server certificate → TLS_EXPIRED', async () => {
      await server.reloadTls(chainPem(c.expired, c.intermediate), c.expired.keyPem, c.root.certPem)
      const {out} = await runTls({port: server.port, query: `sslmode=verify-full&sslrootcert=${files['root.pem']}`})
      expect(out).toMatchObject({status: 'fail', code: 'TLS_EXPIRED'})
      expect(out.summary).toContain('certificate has expired')
      expect(out.fix?.summary).toBe('Renew the server certificate.')
    })
  })
})

describe('tls check against a Postgres-like TLS peer', () => {
  it('server answers N while the config requires TLS → TLS_NOT_SUPPORTED', async () => {
    const p = await peer({certPem: c.leaf.certPem, keyPem: c.leaf.keyPem, answer: 'N'})
    const {out, ctx} = await runTls({port: p.port, query: 'sslmode=require', answer: 'N'})
    expect(out).toMatchObject({status: 'fail', code: 'TLS_NOT_SUPPORTED'})
    expect(out.summary).toContain('DATABASE_URL in .env')
    expect(ctx.facts.tls).toMatchObject({offered: false, failureCode: 'TLS_NOT_SUPPORTED'})
    // the ssl-config check after it does not also ask for verify-full: on a server without TLS that advice
    // contradicts TLS_NOT_SUPPORTED's fix (the audit found both side by side)
    const settings = await sslConfigCheck.run(ctx)
    expect(settings.code).not.toBe('SSLMODE_VERIFY_SEMANTICS')
    expect(JSON.stringify(settings.findings ?? [])).not.toContain('SSLMODE_VERIFY_SEMANTICS')
    const off = await runTls({port: p.port, answer: 'N'})
    expect(off.out.status).toBe('skip')
  })

  it('not yet valid → TLS_NOT_YET_VALID', async () => {
    const p = await peer({certPem: chainPem(c.notYetValid, c.intermediate), keyPem: c.notYetValid.keyPem})
    const {out} = await runTls({port: p.port, query: `sslmode=verify-full&sslrootcert=${files['root.pem']}`})
    expect(out).toMatchObject({status: 'fail', code: 'TLS_NOT_YET_VALID'})
  })

  it('expiring within 30 days → warn TLS_EXPIRING_SOON', async () => {
    const p = await peer({certPem: chainPem(c.expiringSoon, c.intermediate), keyPem: c.expiringSoon.keyPem})
    const {out} = await runTls({port: p.port, query: `sslmode=verify-full&sslrootcert=${files['root.pem']}`})
    expect(out).toMatchObject({status: 'warn', code: 'TLS_EXPIRING_SOON'})
    expect(out.summary).toMatch(/in (9|10) days/)
  })

  it('intermediate missing, issuer unknown → TLS_UNTRUSTED_ISSUER', async () => {
    const p = await peer({certPem: chainPem(c.leaf), keyPem: c.leaf.keyPem})
    const {out} = await runTls({port: p.port, query: `sslmode=verify-full&sslrootcert=${files['root.pem']}`})
    expect(out).toMatchObject({status: 'fail', code: 'TLS_UNTRUSTED_ISSUER'})
    expect(out.summary).toContain('unable to verify the first certificate')
    expect(out.fix?.steps.join('\n')).toMatch(/intermediate/)
  })

  it('a self-signed server certificate → TLS_SELF_SIGNED_CERT; pinning it passes', async () => {
    const p = await peer({certPem: c.selfSignedLeaf.certPem, keyPem: c.selfSignedLeaf.keyPem})
    const {out} = await runTls({port: p.port, host: 'localhost', query: 'sslmode=verify-full'})
    expect(out).toMatchObject({status: 'fail', code: 'TLS_SELF_SIGNED_CERT'})
    expect(out.summary).toContain('"self-signed certificate"')
    const pinned = await runTls({
      port: p.port,
      host: 'localhost',
      query: `sslmode=verify-full&sslrootcert=${files['selfsigned.pem']}`,
    })
    expect(pinned.out.status).toBe('pass')
  })

  it('recognizes a provider from the chain and names its CA bundle in the fix', async () => {
    const {createCa, createLeaf} = await import('../helpers/certs.js')
    const rdsRoot = await createCa({commonName: 'Amazon RDS eu-west-1 Root CA RSA2048 G1'})
    const leaf = await createLeaf({
      commonName: 'mydb',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
      issuer: rdsRoot,
    })
    const p = await peer({certPem: chainPem(leaf, rdsRoot), keyPem: leaf.keyPem})
    const {out, ctx} = await runTls({port: p.port, query: 'sslmode=verify-full'})
    expect(out).toMatchObject({status: 'fail', code: 'TLS_SELF_SIGNED_CHAIN'})
    expect(out.evidence.provider).toBe('Amazon RDS / Aurora')
    expect(out.fix?.summary).toBe('Give node-postgres the Amazon RDS / Aurora CA (global-bundle.pem).')
    expect(out.fix?.steps.join('\n')).toContain('https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem')
    expect(out.fix?.snippet?.code).toContain('sslmode=verify-full&sslrootcert=/path/to/global-bundle.pem')
    expect(ctx.facts.tls?.provider).toBe('aws-rds')
  })

  it('an untrusted chain that also has the wrong name says both', async () => {
    const p = await peer({certPem: chainPem(c.wrongName, c.intermediate), keyPem: c.wrongName.keyPem})
    const {out} = await runTls({port: p.port, query: 'sslmode=require'})
    expect(out).toMatchObject({status: 'fail', code: 'TLS_UNTRUSTED_ISSUER'})
    expect(out.summary).toContain('unable to get local issuer certificate')
    expect(out.evidence.alsoHostnameMismatch).toBeTruthy()
    expect(out.fix?.steps.join('\n')).toContain('Next problem in line: the certificate is not valid for "127.0.0.1"')
  })

  it('direct negotiation against a server that does not do it → TLS_HANDSHAKE_FAILED naming PostgreSQL 17', async () => {
    const p = await peer({certPem: c.leaf.certPem, keyPem: c.leaf.keyPem, garbage: true})
    const {out} = await runTls({port: p.port, query: 'sslmode=require&sslnegotiation=direct', noPostgresFacts: true})
    // no postgres facts and no tcp facts: nothing to inspect
    expect(out.status).toBe('skip')
    const ctx = await ctxFor({port: p.port, query: 'sslmode=require&sslnegotiation=direct', noPostgresFacts: true})
    ctx.facts.tcp = {port: p.port, attempts: [], reachable: [{address: '127.0.0.1', family: 4}]}
    const r = await tlsCheck.run(ctx)
    expect(r).toMatchObject({status: 'fail', code: 'TLS_HANDSHAKE_FAILED'})
    expect(r.summary).toContain('PostgreSQL 17')
  })

  it('NODE_OPTIONS=--use-openssl-ca: the system store (SSL_CERT_FILE) replaces the bundled CAs', async () => {
    const p = await peer({certPem: chainPem(c.leaf, c.intermediate), keyPem: c.leaf.keyPem})
    const sys = await runTls({
      port: p.port,
      query: 'sslmode=verify-full',
      env: {NODE_OPTIONS: '--use-openssl-ca', SSL_CERT_FILE: files['root.pem']!},
    })
    expect(sys.out.status).toBe('pass')
    expect(sys.out.evidence.trustStore).toBe(
      `the system CA store (${files['root.pem']}, because NODE_OPTIONS has --use-openssl-ca)`,
    )
    const bundled = await runTls({
      port: p.port,
      query: 'sslmode=verify-full',
      env: {NODE_OPTIONS: '--use-openssl-ca --use-bundled-ca', SSL_CERT_FILE: files['root.pem']!},
    })
    expect(bundled.out).toMatchObject({status: 'fail', code: 'TLS_UNTRUSTED_ISSUER'})
  })

  it('NODE_OPTIONS=--use-openssl-ca with SSL_CERT_FILE a device or a folder: no crash; Node verifies against no CA, and so does db-doctor', async () => {
    const p = await peer({certPem: chainPem(c.leaf, c.intermediate), keyPem: c.leaf.keyPem})
    for (const file of ['/dev/zero', tmpdir()]) {
      const env = {NODE_OPTIONS: '--use-openssl-ca', SSL_CERT_FILE: file}
      const {out} = await runTls({port: p.port, query: 'sslmode=verify-full', env})
      expect(out.code, out.summary).toBe('TLS_UNTRUSTED_ISSUER')
      expect(JSON.stringify(out.evidence.notes)).toContain(`The system CA bundle ${file} cannot be used (`)
      // the real Node, started with the same environment, cannot verify the chain either
      const real = await nodeVerifies(p.port, env)
      expect(real).toMatch(/^UNABLE_TO_GET_ISSUER_CERT|^SELF_SIGNED|^UNABLE_TO_VERIFY/)
    }
  })

  it('a peer that answers S and then stalls → TLS_HANDSHAKE_TIMEOUT (transient: wait retries it), not a version or cipher fix', async () => {
    const p = await peer({certPem: c.leaf.certPem, keyPem: c.leaf.keyPem, stall: true})
    const {out, ctx} = await runTls({port: p.port, query: 'sslmode=require', timeoutMs: 500})
    expect(out).toMatchObject({status: 'fail', code: 'TLS_HANDSHAKE_TIMEOUT', evidence: {stage: 'handshake'}})
    expect(out.summary).toMatch(/did not finish: no answer within 500 ms \(handshake\)/)
    expect(JSON.stringify(out.fix)).not.toMatch(/minVersion|ssl_ciphers|rejectUnauthorized/)
    expect(ctx.facts.tls?.failureCode).toBe('TLS_HANDSHAKE_TIMEOUT')
    expect(isTransient('TLS_HANDSHAKE_TIMEOUT')).toBe(true)
  })

  it('a peer that stops speaking TLS after S → TLS_HANDSHAKE_FAILED', async () => {
    const p = await peer({certPem: c.leaf.certPem, keyPem: c.leaf.keyPem, garbage: true})
    const {out} = await runTls({port: p.port, query: 'sslmode=require'})
    expect(out).toMatchObject({status: 'fail', code: 'TLS_HANDSHAKE_FAILED'})
  })

  describe('intermediate CAs, as Node really verifies them (D6, D7)', () => {
    /** What node-postgres gets from this peer with this CA: SSLRequest, then tls.connect as pg does. */
    async function nodeOutcome(port: number, ca: string): Promise<string> {
      const net = await import('node:net')
      const tls = await import('node:tls')
      return new Promise((resolve) => {
        const raw = net.connect(port, '127.0.0.1', () => raw.write(Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])))
        raw.once('data', () => {
          const s = tls.connect({socket: raw, ca}, () => {
            resolve('OK')
            s.destroy()
          })
          s.on('error', (e) => {
            resolve(e.message)
            raw.destroy()
          })
        })
        raw.on('error', (e) => resolve(e.message))
      })
    }

    it('db-doctor predicts, for every server chain × CA file, what Node says; the fix says which bundle works', async () => {
      const bundles: Record<string, string> = {
        intermediate: c.intermediate.certPem,
        root: c.root.certPem,
        'intermediate+root': chainPem(c.intermediate, c.root),
      }
      const cafiles = writeTlsFiles(dir, {
        'int.pem': bundles.intermediate!,
        'int-root.pem': bundles['intermediate+root']!,
      })
      const fileOf: Record<string, string> = {
        intermediate: cafiles['int.pem']!,
        root: files['root.pem']!,
        'intermediate+root': cafiles['int-root.pem']!,
      }
      const servers: Record<string, string> = {
        leaf: chainPem(c.leaf),
        'leaf+intermediate': chainPem(c.leaf, c.intermediate),
        'leaf+intermediate+root': chainPem(c.leaf, c.intermediate, c.root),
      }
      const seen: Record<string, string> = {}
      for (const [sname, cert] of Object.entries(servers)) {
        const p = await peer({certPem: cert, keyPem: c.leaf.keyPem})
        for (const [cname, pem] of Object.entries(bundles)) {
          const real = await nodeOutcome(p.port, pem)
          const {out} = await runTls({port: p.port, query: `sslmode=verify-full&sslrootcert=${fileOf[cname]}`})
          seen[`${sname} / ${cname}`] = real
          if (real === 'OK') expect(out.status, `${sname} / ${cname}: ${out.summary}`).toBe('pass')
          else {
            expect(out.status, `${sname} / ${cname}`).toBe('fail')
            expect(out.summary, `${sname} / ${cname}`).toContain(`"${real}"`)
          }
          if (cname === 'intermediate') {
            expect(out.code).toBe('TLS_UNTRUSTED_ISSUER')
            expect(out.fix!.summary).toBe('Give node-postgres the root CA too: the CA it has is an intermediate.')
            expect(out.fix!.steps[0]).toContain(
              'Add the root "CN=db-doctor Test Root CA" to the same PEM file (the intermediate, then the root)',
            )
          }
          if (sname === 'leaf' && cname === 'root') {
            // the issuer the server does not send may be a root as well as an intermediate: the fix names it and says both
            expect(out.fix!.summary).toMatch(
              /^Give node-postgres the CA "CN=[^"]+" that issued the server certificate \(with its root, when it is an intermediate\), or make the server send its intermediate\.$/,
            )
            expect(out.fix!.steps[0]).toContain('When "CN=')
            expect(out.fix!.steps[0]).toContain(
              'is a root CA (a private CA that signs server certificates directly), trust it',
            )
            expect(out.fix!.steps[0]).toContain(
              'the intermediate alone fails ("unable to get issuer certificate") and the root alone fails ("unable to verify the first certificate")',
            )
          }
        }
      }
      // the facts (Node 20 / OpenSSL 3): an intermediate as the only CA never verifies
      expect(seen['leaf+intermediate+root / intermediate']).toBe('unable to get issuer certificate')
      expect(seen['leaf / root']).toBe('unable to verify the first certificate')
      expect(seen['leaf / intermediate+root']).toBe('OK')
    })

    it('a private root that signs the server certificate directly: the fix says to trust that root, and doing so passes', async () => {
      const leaf = await createLeaf({
        commonName: 'localhost',
        dnsNames: ['localhost'],
        ipAddresses: ['127.0.0.1', '::1'],
        issuer: c.root,
      })
      const p = await peer({certPem: chainPem(leaf), keyPem: leaf.keyPem})
      const {out} = await runTls({port: p.port, query: 'sslmode=verify-full'})
      expect(out).toMatchObject({status: 'fail', code: 'TLS_UNTRUSTED_ISSUER'})
      expect(out.fix!.summary).toContain('the CA "CN=db-doctor Test Root CA" that issued the server certificate')
      expect(out.fix!.steps[0]).toContain('When "CN=db-doctor Test Root CA" is a root CA')
      const trusted = await runTls({port: p.port, query: `sslmode=verify-full&sslrootcert=${files['root.pem']}`})
      expect(trusted.out.status).toBe('pass')
    })

    it('NODE_EXTRA_CA_CERTS with the intermediate + root bundle verifies a server that does not send its intermediate', async () => {
      const p = await peer({certPem: chainPem(c.leaf), keyPem: c.leaf.keyPem})
      const bundle = writeTlsFiles(dir, {'extra.pem': chainPem(c.intermediate, c.root)})['extra.pem']!
      const {out} = await runTls({port: p.port, query: 'sslmode=verify-full', env: {NODE_EXTRA_CA_CERTS: bundle}})
      expect(out.status).toBe('pass')
      const only = writeTlsFiles(dir, {'extra-int.pem': c.intermediate.certPem})['extra-int.pem']!
      const bad = await runTls({port: p.port, query: 'sslmode=verify-full', env: {NODE_EXTRA_CA_CERTS: only}})
      expect(bad.out).toMatchObject({status: 'fail', code: 'TLS_UNTRUSTED_ISSUER'})
      expect(bad.out.summary).toContain('"unable to get issuer certificate"')
    })
  })
})

/**
 * What a real Node, started with `env`, says when it verifies the peer's chain (its error code, or 'ok'): an
 * SSLRequest, the peer's 'S', then tls.connect on the socket, as node-postgres does.
 */
async function nodeVerifies(port: number, env: Record<string, string>): Promise<string> {
  const {execFile} = await import('node:child_process')
  const script =
    "const net=require('net'),tls=require('tls');const r=Buffer.alloc(8);r.writeUInt32BE(8,0);r.writeUInt32BE(80877103,4);" +
    "const raw=net.connect(+process.argv[1],'127.0.0.1',()=>raw.write(r));raw.once('data',()=>{" +
    "const s=tls.connect({socket:raw,servername:'localhost'});" +
    "s.on('secureConnect',()=>{console.log('ok');process.exit(0)});s.on('error',e=>{console.log(e.code);process.exit(0)})})"
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ['-e', script, String(port)],
      {env: {PATH: process.env.PATH ?? '', ...env}, timeout: 20_000},
      (error, stdout) => (error ? reject(error) : resolve(stdout.trim())),
    ),
  )
}
