// A server that forces TLS is AUTH_SSL_REQUIRED in every wording, end to end through the CLI, and the
// fix adds sslrootcert exactly when the tls check found the chain needs a CA (discrepancy D8: never
// verify-full without the CA the chain needs).
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {checkInAllFormats, checkOf, reportOf, runCli} from '../helpers/cli.js'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD, PG_HOST} from '../helpers/constants.js'
import {defaultTlsMaterial, startPostgres, type PgServer} from '../helpers/postgres.js'
import {AZURE_SSL_REQUIRED, sslRequiredPeer} from '../lab/peers.mjs'

let server: PgServer

beforeAll(async () => {
  server = await startPostgres({hba: ['hostnossl all all all reject', 'hostssl all all all scram-sha-256']})
}, 120_000)

afterAll(async () => {
  await server?.stop()
})

const url = (port: number, query: string) =>
  `postgres://${APP_USER}:${CANARY_PASSWORD}@${PG_HOST}:${port}/${APP_DATABASE}?${query}`

async function inAllFormats(args: string[], env: Record<string, string> = {}) {
  // one run: JSON on stdout, text and Markdown through --output
  const {json, text, md} = await checkInAllFormats(args, (a) => runCli(a, {env}))
  for (const r of [json, text, md]) {
    expect(r.stdout).not.toContain(CANARY_PASSWORD)
    expect(r.stderr).not.toContain(CANARY_PASSWORD)
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1)
  }
  const report = reportOf(json)
  expect(text.stdout).toContain('AUTH_SSL_REQUIRED')
  expect(md.stdout).toContain('`AUTH_SSL_REQUIRED`')
  return {report, auth: checkOf(report, 'auth'), text, md}
}

describe('AUTH_SSL_REQUIRED through the CLI', () => {
  it('hostnossl reject + a private CA: the fix sets verify-full AND sslrootcert (the tls check found the chain needs it)', async () => {
    const {auth, text, md} = await inAllFormats([url(server.port, 'sslmode=disable')])
    expect(auth).toMatchObject({status: 'fail', code: 'AUTH_SSL_REQUIRED', evidence: {overTls: 'admitted'}})
    expect(auth.evidence.caNeeded).toMatch(/^yes: the tls check found TLS_/)
    expect(auth.fix.snippet.code).toBe(
      `db-doctor check 'postgres://app:****@127.0.0.1:${server.port}/appdb?sslmode=verify-full&sslrootcert=/path/to/ca.pem'`,
    )
    expect(auth.fix.summary).toContain('sslrootcert')
    for (const out of [text.stdout, md.stdout]) {
      expect(out).toContain('sslrootcert=/path/to/ca.pem')
      expect(out).not.toMatch(/\bhost appdb app\b/)
    }
    // and the suggested settings are what the app needs: with the real CA file, node-postgres gets in
    const ok = await runCli(['check', url(server.port, `sslmode=verify-full&sslrootcert=${server.caFile}`), '--json'])
    expect(checkOf(reportOf(ok), 'auth').status).toBe('pass')
  })

  it('hostnossl reject + a chain Node already trusts (NODE_EXTRA_CA_CERTS): verify-full without sslrootcert', async () => {
    const {auth} = await inAllFormats([url(server.port, 'sslmode=disable')], {NODE_EXTRA_CA_CERTS: server.caFile})
    expect(auth.evidence.caNeeded).toBe("no: the chain verifies against Node's default CAs")
    expect(auth.fix.snippet.code).toBe(
      `db-doctor check 'postgres://app:****@127.0.0.1:${server.port}/appdb?sslmode=verify-full'`,
    )
  })

  it('PG* variables: PGSSLMODE=verify-full, and the CA in code or the URL (node-postgres ignores PGSSLROOTCERT)', async () => {
    const {auth} = await inAllFormats([], {
      PGHOST: PG_HOST,
      PGPORT: String(server.port),
      PGUSER: APP_USER,
      PGPASSWORD: CANARY_PASSWORD,
      PGDATABASE: APP_DATABASE,
      PGSSLMODE: 'disable',
    })
    expect(auth.code).toBe('AUTH_SSL_REQUIRED')
    expect(auth.fix.snippet).toEqual({language: 'dotenv', code: 'PGSSLMODE=verify-full'})
    expect(auth.fix.steps.join('\n')).toMatch(/ignores PGSSLROOTCERT/)
  })

  it("Azure's wording from a fake front that offers TLS with a private CA", async () => {
    const {leaf} = await defaultTlsMaterial()
    const peer = await sslRequiredPeer({tls: {certPem: leaf.certPem, keyPem: leaf.keyPem}})
    try {
      const {auth} = await inAllFormats([url(peer.port, 'sslmode=disable')])
      expect(auth).toMatchObject({
        code: 'AUTH_SSL_REQUIRED',
        evidence: {message: AZURE_SSL_REQUIRED, hbaRule: 'service requires TLS'},
      })
      expect(auth.fix.snippet.code).toContain('sslmode=verify-full&sslrootcert=/path/to/ca.pem')
    } finally {
      await peer.close()
    }
  })
})
