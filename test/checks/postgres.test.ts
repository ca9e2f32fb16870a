// postgres check (SSLRequest) against real peers on loopback.
import tls from 'node:tls'
import {afterAll, describe, expect, it} from 'vitest'
import {postgresCheck} from '../../src/checks/postgres.js'
import type {TcpFacts} from '../../src/core/facts.js'
import {createSelfSignedLeaf} from '../helpers/certs.js'
import {makeCtx} from '../lab/context.js'
import {type Peer, bannerPeer, closingPeer, errorPacket, httpPeer, postgresPeer, silentPeer} from '../lab/peers.mjs'

const peers: Peer[] = []
async function start<T extends Peer>(p: Promise<T>): Promise<T> {
  const x = await p
  peers.push(x)
  return x
}
afterAll(async () => {
  await Promise.all(peers.map((p) => p.close()))
})

function ctxFor(port: number, extra: Record<string, string> = {}, timeoutMs = 1000) {
  const tcp: TcpFacts = {port, attempts: [], reachable: [{address: '127.0.0.1', family: 4}]}
  return makeCtx({
    fields: {host: 'db.local.test', port: String(port), ...extra},
    labels: {port: 'DB_PORT in .env'},
    facts: {tcp},
    timeoutMs,
  })
}

describe('postgres check', () => {
  it("passes on 'S' and records that TLS is offered", async () => {
    const pg = await start(postgresPeer('S'))
    const ctx = ctxFor(pg.port)
    const r = await postgresCheck.run(ctx)
    expect(r).toMatchObject({status: 'pass', code: null})
    expect(r.summary).toContain('offers TLS')
    expect(ctx.facts.postgres).toEqual({address: '127.0.0.1', port: pg.port, answer: 'S', offersTls: true})
  })

  it("passes on 'N' and notes sslnegotiation=direct", async () => {
    const pg = await start(postgresPeer('N'))
    const ctx = ctxFor(pg.port, {sslnegotiation: 'direct'})
    const r = await postgresCheck.run(ctx)
    expect(r.status).toBe('pass')
    expect(r.summary).toContain('does not offer TLS')
    expect(r.summary).toContain('sslnegotiation=direct')
    expect(ctx.facts.postgres).toMatchObject({answer: 'N', offersTls: false})
  })

  it('PG_NOT_POSTGRES for an HTTP server, with the first bytes escaped', async () => {
    const p = await start(httpPeer())
    const r = await postgresCheck.run(ctxFor(p.port))
    expect(r).toMatchObject({status: 'fail', code: 'PG_NOT_POSTGRES'})
    expect(r.summary).toContain('an HTTP server')
    expect(r.evidence.firstBytes).toMatch(/^HTTP\/1\.1 400 Bad Request\\x0d\\x0a/)
    expect((r.evidence.firstBytes as string).length).toBeLessThanOrEqual(64 * 4 + 1)
    expect(r.fix!.summary).toContain('port ← DB_PORT in .env')
  })

  it('PG_NOT_POSTGRES for an SSH banner', async () => {
    const p = await start(bannerPeer('SSH-2.0-OpenSSH_9.6\r\n', {keepOpen: true}))
    const r = await postgresCheck.run(ctxFor(p.port))
    expect(r).toMatchObject({code: 'PG_NOT_POSTGRES'})
    expect(r.fix!.steps.join('\n')).toContain('ssh -L')
  })

  it('PG_NOT_POSTGRES for a MySQL greeting', async () => {
    const greeting = Buffer.concat([Buffer.from([0x0f, 0, 0, 0, 0x0a]), Buffer.from('8.0.36\0abcdefgh')])
    const p = await start(bannerPeer(greeting, {keepOpen: true}))
    const r = await postgresCheck.run(ctxFor(p.port))
    expect(r).toMatchObject({code: 'PG_NOT_POSTGRES'})
    expect(r.evidence.looksLike).toContain('MySQL')
  })

  it('PG_SSLREQUEST_REJECTED for an E packet, with the message', async () => {
    const p = await start(
      bannerPeer(errorPacket('unsupported frontend protocol 1234.5679', '08P01'), {afterData: true}),
    )
    const r = await postgresCheck.run(ctxFor(p.port))
    expect(r).toMatchObject({status: 'fail', code: 'PG_SSLREQUEST_REJECTED'})
    expect(r.summary).toContain('unsupported frontend protocol 1234.5679')
  })

  it('PG_NO_RESPONSE for a silent listener, within the budget', async () => {
    const p = await start(silentPeer())
    const t = performance.now()
    const r = await postgresCheck.run(ctxFor(p.port, {}, 500))
    expect(performance.now() - t).toBeLessThan(1500)
    expect(r).toMatchObject({status: 'fail', code: 'PG_NO_RESPONSE'})
    expect(r.summary).toContain('sent nothing back')
  })

  it('PG_NO_RESPONSE for a peer that closes the connection', async () => {
    const p = await start(closingPeer())
    const r = await postgresCheck.run(ctxFor(p.port))
    expect(r).toMatchObject({status: 'fail', code: 'PG_NO_RESPONSE'})
    expect(r.summary).toContain('closed the connection')
  })

  it('skips without reachable addresses', async () => {
    const r = await postgresCheck.run(
      makeCtx({fields: {host: 'x'}, facts: {tcp: {port: 5432, attempts: [], reachable: []}}}),
    )
    expect(r.status).toBe('skip')
  })

  it('a direct-TLS port (a real TLS server) closes: PG_NO_RESPONSE, or a skip when the app uses sslnegotiation=direct', async () => {
    const leaf = await createSelfSignedLeaf({commonName: 'localhost', dnsNames: ['localhost']})
    const server = tls.createServer({cert: leaf.certPem, key: leaf.keyPem}, (s) => s.end())
    server.on('tlsClientError', () => {})
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as {port: number}).port
    try {
      // OpenSSL closes on a non-TLS record without an alert
      const plain = await postgresCheck.run(ctxFor(port))
      expect(plain).toMatchObject({status: 'fail', code: 'PG_NO_RESPONSE'})
      expect(plain.summary).toContain('closed the connection')
      expect(plain.fix!.steps.join('\n')).toContain('sslnegotiation=direct')
      const direct = await postgresCheck.run(ctxFor(port, {sslnegotiation: 'direct'}))
      expect(direct).toMatchObject({status: 'skip'})
      expect(direct.summary).toContain('direct-TLS-only endpoint')
    } finally {
      server.close()
    }
  })

  it('a TLS alert in answer to SSLRequest is PG_NOT_POSTGRES, or consistent with sslnegotiation=direct', async () => {
    const alert = Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46])
    const p = await start(bannerPeer(alert, {afterData: true}))
    const plain = await postgresCheck.run(ctxFor(p.port))
    expect(plain).toMatchObject({status: 'fail', code: 'PG_NOT_POSTGRES'})
    expect(plain.evidence.looksLike).toContain('TLS')
    const direct = await postgresCheck.run(ctxFor(p.port, {sslnegotiation: 'direct'}))
    expect(direct).toMatchObject({status: 'pass'})
    expect(direct.summary).toContain('expects direct TLS')
  })
})
