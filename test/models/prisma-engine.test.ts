// Prisma 2–6's own query engine, read from prisma-engines' quaint (url.rs parse_query_params): sslmode
// disable|prefer|require (anything else read as prefer), sslaccept=strict the only way to verify,
// sslcert the CA, connect_timeout in seconds (5), no PG* variables. Pure: the model's reading of URLs.
// The engine itself cannot be downloaded here; the check's use of this reading against a real server is
// in test/checks/prisma-engine.test.ts.
import {describe, expect, it} from 'vitest'
import {prismaEngine} from '../../src/models/drivers/prisma-engine.js'

const read = (query: string, env: Record<string, string> = {}) =>
  prismaEngine.read(
    {url: `postgresql://app:pw@db.example.com:5432/appdb${query}`, urlSource: 'DATABASE_URL', env},
    '6.19.0',
  )

describe('Prisma engine (quaint) reading of the URL', () => {
  it('sslmode=require encrypts and verifies nothing unless sslaccept=strict', () => {
    expect(read('?sslmode=require').tls).toMatchObject({
      encrypt: 'yes',
      verifyChain: false,
      verifyHostname: false,
      tlsOptions: {rejectUnauthorized: false, servernameCheck: false},
    })
    // quaint reads an sslaccept it does not know as strict
    expect(read('?sslmode=require&sslaccept=yes').tls.verifyChain).toBe(true)
    expect(read('?sslmode=require&sslaccept=accept_invalid_certs').tls.verifyChain).toBe(false)
    expect(read('?sslmode=require&sslaccept=strict&sslcert=../ca.pem').tls).toMatchObject({
      encrypt: 'yes',
      verifyChain: true,
      verifyHostname: true,
      tlsOptions: {rejectUnauthorized: true, servernameCheck: true, caFile: '../ca.pem'},
    })
  })

  it('no sslmode, and modes quaint does not know (verify-full, no-verify): prefer, with plaintext after an N', () => {
    for (const q of ['', '?sslmode=verify-full', '?sslmode=no-verify', '?sslmode=verify-ca']) {
      const t = read(q).tls
      expect(t, q).toMatchObject({encrypt: 'try', verifyChain: false})
      expect(t.fallback, q).toBeDefined()
    }
    expect(read('?sslmode=verify-full').tls.setting).toBe('sslmode=verify-full (read as prefer)')
  })

  it('sslmode=disable: no TLS; PGSSLMODE is not read', () => {
    expect(read('?sslmode=disable').tls).toMatchObject({encrypt: 'no', tlsOptions: false})
    expect(read('', {PGSSLMODE: 'disable'}).tls.encrypt).toBe('try')
    expect(prismaEngine.sslEnv('6.19.0')).toEqual([])
  })

  it('connect_timeout in seconds, 5 by default; no parameter is sent to the server', () => {
    expect(read('').connectTimeoutS).toBe(5)
    expect(read('?connect_timeout=12&schema=app&pgbouncer=true').connectTimeoutS).toBe(12)
    expect(read('?schema=app&pgbouncer=true').startupParams).toEqual({})
  })
})
