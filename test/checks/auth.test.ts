import {once} from 'node:events'
import {chmodSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {authCheck, classifyAuthError} from '../../src/checks/auth.js'
import {loadEnv} from '../../src/config/env.js'
import {resolveConfig} from '../../src/config/resolve.js'
import type {CheckOutcome} from '../../src/core/types.js'
import type {CheckContext} from '../../src/checks/types.js'
import {
  APP_DATABASE,
  APP_USER,
  BLOCKED_USER,
  CANARY_PASSWORD,
  CLEARTEXT_USER,
  LIMITED_USER,
  MD5_USER,
  MISSING_DATABASE,
  MISSING_USER,
  NOLOGIN_USER,
  ONLYAPP_DATABASE,
  PG_HOST,
  SCRAM_MISSING_USER,
} from '../helpers/constants.js'
import {adminClient, startPostgres, startStandbyPostgres, type PgServer} from '../helpers/postgres.js'
import {AZURE_SSL_REQUIRED, sslRequiredPeer} from '../lab/peers.mjs'
import {sourceWords} from '../../src/catalogue/app-files.js'

const info = inject('pg')
const dirs: string[] = []
const outcomes: CheckOutcome[] = []

/** A project folder with this .env, resolved the way the CLI resolves it. */
async function contextFor(
  dotenv: Record<string, string>,
  timeoutMs = 5000,
  pgpass?: {text: string; mode: number},
): Promise<CheckContext> {
  const cwd = mkdtempSync(join(tmpdir(), 'dbd-auth-'))
  dirs.push(cwd)
  writeFileSync(
    join(cwd, '.env'),
    Object.entries(dotenv)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
  )
  if (pgpass) writeFileSync(join(cwd, 'pgpass'), pgpass.text, {mode: pgpass.mode})
  if (pgpass) chmodSync(join(cwd, 'pgpass'), pgpass.mode) // whatever the umask
  const pgpassFile = join(cwd, pgpass ? 'pgpass' : 'no-pgpass')
  const {env, envFileOf} = loadEnv({cwd, processEnv: {PGPASSFILE: pgpassFile, HOME: cwd, USER: 'nobody_at_all'}})
  const config = await resolveConfig({words: sourceWords, cwd, env, envFileOf})
  return {config, env, cwd, options: {timeoutMs, verbose: false, dnsServers: []}, facts: {}, results: new Map()}
}

function url(opts: {
  user?: string
  password?: string | null
  port?: number
  database?: string
  query?: string
}): string {
  const user = opts.user ?? APP_USER
  const pw = opts.password === null ? '' : `:${encodeURIComponent(opts.password ?? CANARY_PASSWORD)}`
  const query = opts.query ?? `sslmode=verify-full&sslrootcert=${info.caFile}`
  return `postgres://${user}${pw}@${PG_HOST}:${opts.port ?? info.port}/${opts.database ?? APP_DATABASE}?${query}`
}

async function run(dotenv: Record<string, string>): Promise<CheckOutcome> {
  const outcome = await authCheck.run(await contextFor(dotenv))
  outcomes.push(outcome)
  return outcome
}

beforeAll(() => {
  delete process.env.PGPASSWORD // pg itself reads it when no password is configured
})

afterAll(() => {
  dirs.forEach((d) => rmSync(d, {recursive: true, force: true}))
  const all = JSON.stringify(outcomes)
  expect(outcomes.length).toBeGreaterThan(10)
  expect(all).not.toContain(CANARY_PASSWORD)
  expect(all).not.toContain(encodeURIComponent(CANARY_PASSWORD))
})

describe('auth check against the shared server', () => {
  it('passes with a verified TLS session and reports version, user, address, TLS and timing', async () => {
    const o = await run({DATABASE_URL: url({})})
    expect(o).toMatchObject({status: 'pass', code: null, fix: null})
    expect(o.evidence).toMatchObject({
      user: 'app',
      database: 'appdb',
      serverAddress: '127.0.0.1',
      port: info.port,
      readOnlySession: true,
    })
    expect(o.evidence.serverVersion).toMatch(/^PostgreSQL \d+/)
    expect(o.evidence.tlsProtocol).toMatch(/^TLSv1\.[23]$/)
    expect(typeof o.evidence.roundTripMs).toBe('number')
    expect(o.summary).toMatch(/Logged in as "app" to "appdb" on PostgreSQL [\d.]+ over TLSv1\.[23]/)
  })

  it('AUTH_PASSWORD_FAILED names the variable the password came from', async () => {
    const o = await run({
      DB_HOST: PG_HOST,
      DB_PORT: String(info.port),
      DB_USER: APP_USER,
      DB_NAME: APP_DATABASE,
      DB_PASSWORD: 'not-' + CANARY_PASSWORD,
      PGSSLMODE: 'no-verify',
    })
    expect(o).toMatchObject({status: 'fail', code: 'AUTH_PASSWORD_FAILED'})
    expect(o.evidence).toMatchObject({code: '28P01', passwordFrom: 'DB_PASSWORD in .env'})
    expect(o.fix?.summary).toContain('DB_PASSWORD in .env')
    expect(o.fix?.steps.join('\n')).toMatch(/role that does not exist gets the same 28P01/)
    expect(JSON.stringify(o)).not.toContain('not-' + CANARY_PASSWORD)
  })

  it('AUTH_PASSWORD_FAILED for a role that does not exist (SCRAM hides it)', async () => {
    const o = await run({DATABASE_URL: url({user: SCRAM_MISSING_USER})})
    expect(o).toMatchObject({status: 'fail', code: 'AUTH_PASSWORD_FAILED'})
    expect(o.fix?.summary).toContain('DATABASE_URL in .env')
  })

  it('AUTH_PASSWORD_MISSING when the server asks for a password and none is set', async () => {
    const o = await run({DATABASE_URL: url({password: null})})
    expect(o).toMatchObject({status: 'fail', code: 'AUTH_PASSWORD_MISSING'})
    expect(o.evidence.message).toMatch(/client password must be a string/)
    expect(o.fix?.summary).toContain('DATABASE_URL in .env')
    expect(o.fix?.snippet?.code).toMatch(
      new RegExp(`^DATABASE_URL="postgres://app:\\*\\*\\*\\*@127\\.0\\.0\\.1:${info.port}/appdb\\?sslmode=verify-full`),
    )
  })

  it('AUTH_PASSWORD_MISSING says why a password file gave nothing: group/other access', async () => {
    const line = `${PG_HOST}:${info.port}:${APP_DATABASE}:${APP_USER}:${CANARY_PASSWORD}\n`
    const o = await authCheck.run(
      await contextFor({DATABASE_URL: url({password: null})}, 5000, {text: line, mode: 0o644}),
    )
    outcomes.push(o)
    expect(o).toMatchObject({
      status: 'fail',
      code: 'AUTH_PASSWORD_MISSING',
      evidence: {pgpass: 'ignored: mode 0644', pgpassFile: 'pgpass'},
    })
    expect(o.summary).toContain(
      'pgpass (chosen by PGPASSFILE) is ignored because its mode 0644 gives group or other users access',
    )
    expect(o.fix).toMatchObject({
      summary: 'Make pgpass readable by its owner only: chmod 600 pgpass.',
      snippet: {language: 'sh', code: 'chmod 600 pgpass'},
    })
    expect(o.fix?.steps.at(-1)).toMatch(/^Or: Put the password in the connection string in DATABASE_URL in \.env/)
  })

  it('AUTH_PASSWORD_MISSING says why a password file gave nothing: no matching line', async () => {
    const line = `${PG_HOST}:${info.port}:${APP_DATABASE}:someone_else:${CANARY_PASSWORD}\n`
    const o = await authCheck.run(
      await contextFor({DATABASE_URL: url({password: null})}, 5000, {text: line, mode: 0o600}),
    )
    outcomes.push(o)
    const wanted = `${PG_HOST}:${info.port}:${APP_DATABASE}:${APP_USER}`
    expect(o).toMatchObject({
      status: 'fail',
      code: 'AUTH_PASSWORD_MISSING',
      evidence: {pgpass: `no line matches ${wanted}`},
    })
    expect(o.summary).toContain(`pgpass (chosen by PGPASSFILE) has no line for ${wanted}`)
    expect(o.fix?.snippet).toEqual({language: 'text', code: `${wanted}:your-password`})
  })

  it('a password file with the right line and mode 0600 logs in', async () => {
    const line = `${PG_HOST}:${info.port}:${APP_DATABASE}:${APP_USER}:${CANARY_PASSWORD}\n`
    const ctx = await contextFor({DATABASE_URL: url({password: null})}, 5000, {text: line, mode: 0o600})
    expect(ctx.config.fields.password?.source.label).toBe('pgpass line 1 (PGPASSFILE)')
    const o = await authCheck.run(ctx)
    outcomes.push(o)
    expect(o).toMatchObject({status: 'pass'})
  })

  it('AUTH_PASSWORD_MISSING names DB_PASSWORD for a DB_* family', async () => {
    const o = await run({
      DB_HOST: PG_HOST,
      DB_PORT: String(info.port),
      DB_USER: APP_USER,
      DB_NAME: APP_DATABASE,
      PGSSLMODE: 'no-verify',
    })
    expect(o).toMatchObject({status: 'fail', code: 'AUTH_PASSWORD_MISSING'})
    expect(o.fix?.summary).toBe('Add the password for "app" to DB_PASSWORD in .env.')
    expect(o.fix?.snippet?.code).toBe('DB_PASSWORD=your-password')
  })

  it('AUTH_PASSWORD_MISSING with md5 (pg hashes a null password: the server says 28P01)', async () => {
    const o = await run({DATABASE_URL: url({user: MD5_USER, password: null})})
    expect(o).toMatchObject({status: 'fail', code: 'AUTH_PASSWORD_MISSING', evidence: {code: '28P01'}})
  })

  it('AUTH_PASSWORD_MISSING with cleartext password auth (empty password returned by client)', async () => {
    const o = await run({DATABASE_URL: url({user: CLEARTEXT_USER, password: null})})
    expect(o).toMatchObject({
      status: 'fail',
      code: 'AUTH_PASSWORD_MISSING',
      evidence: {code: '28P01', message: 'empty password returned by client'},
    })
  })

  it('md5 and cleartext roles log in with their password', async () => {
    expect(await run({DATABASE_URL: url({user: MD5_USER})})).toMatchObject({status: 'pass'})
    expect(await run({DATABASE_URL: url({user: CLEARTEXT_USER})})).toMatchObject({status: 'pass'})
  })

  it('AUTH_SSL_REQUIRED points at the sslmode in the URL it came from', async () => {
    const o = await run({DATABASE_URL: url({query: 'sslmode=disable'})})
    expect(o).toMatchObject({status: 'fail', code: 'AUTH_SSL_REQUIRED'})
    expect(o.evidence).toMatchObject({
      code: '28000',
      tls: 'not used',
      sslFrom: 'sslmode=disable ← DATABASE_URL in .env',
    })
    expect(o.fix?.summary).toContain('DATABASE_URL in .env')
    expect(o.fix?.snippet?.code).toBe(
      `DATABASE_URL="postgres://app:****@127.0.0.1:${info.port}/appdb?sslmode=verify-full"`,
    )
  })

  it('AUTH_SSL_REQUIRED when nothing turns TLS on', async () => {
    const o = await run({
      PGHOST: PG_HOST,
      PGPORT: String(info.port),
      PGUSER: APP_USER,
      PGDATABASE: APP_DATABASE,
      PGPASSWORD: CANARY_PASSWORD,
    })
    expect(o).toMatchObject({status: 'fail', code: 'AUTH_SSL_REQUIRED'})
    expect(o.summary).toMatch(/nothing turns TLS on/)
  })

  it('AUTH_HBA_REJECTED (no entry) shows the pg_hba.conf line that would admit the login', async () => {
    const o = await run({DATABASE_URL: url({user: LIMITED_USER, database: ONLYAPP_DATABASE})})
    expect(o).toMatchObject({status: 'fail', code: 'AUTH_HBA_REJECTED'})
    expect(o.evidence).toMatchObject({hbaRule: 'no matching line', clientAddressSeenByServer: '127.0.0.1'})
    expect(o.fix?.snippet).toEqual({
      language: 'pg_hba.conf',
      code: 'hostssl onlyapp limited 127.0.0.1/32 scram-sha-256',
    })
    expect(o.fix?.steps[0]).toContain('user ← DATABASE_URL in .env')
  })

  it('AUTH_HBA_REJECTED (explicit reject line)', async () => {
    const o = await run({DATABASE_URL: url({user: BLOCKED_USER})})
    expect(o).toMatchObject({status: 'fail', code: 'AUTH_HBA_REJECTED', evidence: {hbaRule: 'reject line'}})
    expect(o.summary).toMatch(/explicitly rejects user "blocked"/)
  })

  it('AUTH_ROLE_NOT_FOUND', async () => {
    const o = await run({DATABASE_URL: url({user: MISSING_USER})})
    expect(o).toMatchObject({status: 'fail', code: 'AUTH_ROLE_NOT_FOUND'})
    expect(o.summary).toContain(`"${MISSING_USER}" does not exist`)
    expect(o.fix?.snippet?.code).toBe(`CREATE ROLE "${MISSING_USER}" LOGIN PASSWORD 'new-password';`)
  })

  it('AUTH_ROLE_NOLOGIN', async () => {
    const o = await run({DATABASE_URL: url({user: NOLOGIN_USER})})
    expect(o).toMatchObject({status: 'fail', code: 'AUTH_ROLE_NOLOGIN'})
    expect(o.fix?.snippet?.code).toBe(`ALTER ROLE "${NOLOGIN_USER}" LOGIN;`)
  })

  it('AUTH_NO_CONNECT_PRIVILEGE: CONNECT revoked from PUBLIC; the GRANT it gives lets the same URL in', async () => {
    const db = 'no_connect_db'
    const admin = await adminClient(info)
    try {
      await admin.query(`create database ${db}`)
      await admin.query(`revoke connect on database ${db} from public`)
      const o = await run({DATABASE_URL: url({database: db})})
      expect(o).toMatchObject({
        status: 'fail',
        code: 'AUTH_NO_CONNECT_PRIVILEGE',
        evidence: {code: '42501', user: APP_USER, database: db},
      })
      expect(o.summary).toContain('CONNECT privilege')
      const grant = o.fix!.snippet!.code
      expect(grant).toBe(`GRANT CONNECT ON DATABASE "${db}" TO "${APP_USER}";`)
      await admin.query(grant)
      expect(await run({DATABASE_URL: url({database: db})})).toMatchObject({status: 'pass'})
    } finally {
      await admin.query(`drop database if exists ${db} with (force)`).catch(() => {})
      await admin.end()
    }
  })

  it('AUTH_DATABASE_NOT_FOUND', async () => {
    const o = await run({DATABASE_URL: url({database: MISSING_DATABASE})})
    expect(o).toMatchObject({status: 'fail', code: 'AUTH_DATABASE_NOT_FOUND', evidence: {code: '3D000'}})
    expect(o.fix?.snippet?.code).toBe(`CREATE DATABASE "${MISSING_DATABASE}" OWNER "app";`)
  })

  it('AUTH_TOO_MANY_CONNECTIONS (role connection limit)', async () => {
    const o = await run({DATABASE_URL: url({user: LIMITED_USER})})
    expect(o).toMatchObject({
      status: 'fail',
      code: 'AUTH_TOO_MANY_CONNECTIONS',
      evidence: {code: '53300', limit: 'role'},
    })
  })
})

describe('auth check against other peers', () => {
  let standby: PgServer | undefined
  afterAll(async () => {
    await standby?.stop()
  })

  it('AUTH_SERVER_STARTING from a server that is not accepting connections', async () => {
    standby = await startStandbyPostgres()
    const o = await run({
      DATABASE_URL: url({port: standby.port, query: 'sslmode=disable', user: 'postgres', database: 'postgres'}),
    })
    expect(o).toMatchObject({status: 'fail', code: 'AUTH_SERVER_STARTING', evidence: {code: '57P03'}})
  })

  it('AUTH_CONNECTION_FAILED from a closed loopback port', async () => {
    const s = net.createServer().listen(0, PG_HOST)
    await once(s, 'listening')
    const {port} = s.address() as net.AddressInfo
    await new Promise((r) => s.close(r))
    const o = await run({DATABASE_URL: url({port})})
    expect(o).toMatchObject({status: 'fail', code: 'AUTH_CONNECTION_FAILED', evidence: {code: 'ECONNREFUSED'}})
    expect(o.fix?.steps[0]).toContain('host ← DATABASE_URL in .env')
  })
})

describe('auth check: more peers', () => {
  it('AUTH_CONNECTION_FAILED (timed out) from a peer that accepts and never answers', async () => {
    const sockets: net.Socket[] = []
    const s = net.createServer((sock) => sockets.push(sock)).listen(0, PG_HOST)
    await once(s, 'listening')
    const {port} = s.address() as net.AddressInfo
    try {
      const ctx = await contextFor({DATABASE_URL: url({port, query: 'sslmode=disable'})}, 300)
      const o = await authCheck.run(ctx)
      outcomes.push(o)
      expect(o).toMatchObject({status: 'fail', code: 'AUTH_CONNECTION_FAILED', evidence: {code: 'ETIMEDOUT'}})
      expect(o.summary).toBe('node-postgres got no ready session within 300 ms (ETIMEDOUT).')
    } finally {
      sockets.forEach((x) => x.destroy())
      s.close()
    }
  })

  it('passes over IPv6 loopback when the machine has it', async () => {
    if (!info.hostV6) return
    const o = await run({
      DATABASE_URL: `postgres://app:${CANARY_PASSWORD}@[::1]:${info.port}/appdb?sslmode=verify-full&sslrootcert=${info.caFile}`,
    })
    expect(o).toMatchObject({status: 'pass', evidence: {serverAddress: '::1'}})
  })
})

describe('auth check: servers that force TLS, in every wording', () => {
  let hostnossl: PgServer | undefined
  let hostReject: PgServer | undefined
  beforeAll(async () => {
    ;[hostnossl, hostReject] = await Promise.all([
      // the usual way to force TLS: plaintext is rejected by an explicit line
      startPostgres({hba: ['hostnossl all all all reject', 'hostssl all all all scram-sha-256']}),
      // a reject line for one user that matches with or without TLS (`host`)
      startPostgres({hba: [`host all ${BLOCKED_USER} all reject`, 'hostssl all all all scram-sha-256']}),
    ])
  })
  afterAll(async () => {
    await Promise.all([hostnossl?.stop(), hostReject?.stop()])
  })

  it('a `hostnossl all all all reject` line: AUTH_SSL_REQUIRED (confirmed over TLS without a password), fix turns TLS on', async () => {
    const o = await run({DATABASE_URL: url({port: hostnossl!.port, query: 'sslmode=disable'})})
    expect(o).toMatchObject({
      status: 'fail',
      code: 'AUTH_SSL_REQUIRED',
      evidence: {hbaRule: 'reject line (plaintext)', overTls: 'admitted', code: '28000'},
    })
    expect(o.evidence.message).toBe(
      'pg_hba.conf rejects connection for host "127.0.0.1", user "app", database "appdb", no encryption',
    )
    expect(o.summary).toContain('a pg_hba.conf reject line matches plaintext connections only')
    expect(o.fix?.snippet?.code).toBe(
      `DATABASE_URL="postgres://app:****@127.0.0.1:${hostnossl!.port}/appdb?sslmode=verify-full"`,
    )
    // never a pg_hba line weaker than the one that rejected
    expect(JSON.stringify(o.fix)).not.toMatch(/\bhost (all|appdb)\b/)
    expect(o.fix?.steps.join('\n')).toMatch(/do not add a plaintext `host` line/)
    // what the app itself gets with TLS on: in
    const ok = await run({
      DATABASE_URL: url({port: hostnossl!.port, query: `sslmode=verify-full&sslrootcert=${hostnossl!.caFile}`}),
    })
    expect(ok.status).toBe('pass')
  })

  it('a `host … reject` line that also matches TLS stays AUTH_HBA_REJECTED, with no line to add', async () => {
    const o = await run({DATABASE_URL: url({port: hostReject!.port, user: BLOCKED_USER, query: 'sslmode=disable'})})
    expect(o).toMatchObject({
      status: 'fail',
      code: 'AUTH_HBA_REJECTED',
      evidence: {hbaRule: 'reject line', overTls: 'rejected'},
    })
    expect(o.summary).toMatch(
      /explicitly rejects user "blocked" on database "appdb" from 127\.0\.0\.1, with or without TLS/,
    )
    expect(o.fix?.snippet).toBeUndefined()
    // the same server admits app over TLS only: plaintext app is AUTH_SSL_REQUIRED (no line for plaintext)
    const app = await run({DATABASE_URL: url({port: hostReject!.port, query: 'sslmode=disable'})})
    expect(app).toMatchObject({code: 'AUTH_SSL_REQUIRED', evidence: {hbaRule: 'no line for plaintext'}})
  })

  it('Azure\'s wording (28000 "SSL connection is required…") from a fake front: AUTH_SSL_REQUIRED', async () => {
    const peer = await sslRequiredPeer()
    try {
      const o = await run({DATABASE_URL: url({port: peer.port, query: 'sslmode=disable'})})
      expect(o).toMatchObject({
        status: 'fail',
        code: 'AUTH_SSL_REQUIRED',
        evidence: {code: '28000', message: AZURE_SSL_REQUIRED, hbaRule: 'service requires TLS'},
      })
      expect(o.fix?.steps.join('\n')).toMatch(/turn the service's TLS enforcement off/)
      expect(o.fix?.snippet?.code).toContain('sslmode=verify-full')
    } finally {
      await peer.close()
    }
  })
})

describe('classifyAuthError (pure)', () => {
  const c = (code: string | null, message: string) => classifyAuthError({code, message})
  it('reads pg_hba messages', () => {
    expect(
      c('28000', 'no pg_hba.conf entry for host "203.0.113.7", user "app", database "appdb", no encryption'),
    ).toEqual({
      code: 'AUTH_SSL_REQUIRED',
      host: '203.0.113.7',
      user: 'app',
      database: 'appdb',
      encryption: 'none',
      hbaRule: 'no-entry',
    })
    expect(c('28000', 'no pg_hba.conf entry for host "::1", user "u", database "d", SSL encryption')).toMatchObject({
      code: 'AUTH_HBA_REJECTED',
      host: '::1',
      encryption: 'ssl',
    })
    expect(
      c('28000', 'pg_hba.conf rejects connection for host "10.0.0.1", user "u", database "d", SSL encryption'),
    ).toMatchObject({code: 'AUTH_HBA_REJECTED', hbaRule: 'reject-line'})
    expect(
      c('28000', 'pg_hba.conf rejects connection for host "10.0.0.1", user "u", database "d", no encryption'),
    ).toMatchObject({code: 'AUTH_SSL_REQUIRED', hbaRule: 'reject-line', encryption: 'none'})
    expect(c('28000', 'no pg_hba.conf entry for host "10.0.3.7", user "app", database "appdb", SSL off')).toMatchObject(
      {code: 'AUTH_SSL_REQUIRED', hbaRule: 'no-entry'},
    )
    expect(c('28000', 'SSL connection is required. Please specify SSL options and retry.')).toEqual({
      code: 'AUTH_SSL_REQUIRED',
      encryption: 'none',
      hbaRule: 'service',
    })
    expect(c('XX000', 'connection is insecure (try using `sslmode=require`)')).toEqual({
      code: 'AUTH_SSL_REQUIRED',
      encryption: 'none',
      hbaRule: 'service',
    })
    expect(c('28000', 'keine pg_hba.conf-Eintrag')).toEqual({code: 'AUTH_HBA_REJECTED', hbaRule: 'unknown'})
  })
  it('reads roles, databases, limits and states', () => {
    expect(c('28P01', 'password authentication failed for user "app"')).toEqual({
      code: 'AUTH_PASSWORD_FAILED',
      user: 'app',
    })
    expect(
      classifyAuthError(
        {code: '28P01', message: 'password authentication failed for user "app"'},
        {passwordConfigured: false},
      ),
    ).toEqual({code: 'AUTH_PASSWORD_MISSING', user: 'app'})
    expect(c('28P01', 'empty password returned by client')).toEqual({code: 'AUTH_PASSWORD_MISSING'})
    expect(c('28000', 'role "x" does not exist')).toEqual({code: 'AUTH_ROLE_NOT_FOUND', user: 'x'})
    expect(c('28000', 'role "x" is not permitted to log in')).toEqual({code: 'AUTH_ROLE_NOLOGIN', user: 'x'})
    expect(c('3D000', 'database "x" does not exist')).toEqual({code: 'AUTH_DATABASE_NOT_FOUND', database: 'x'})
    expect(c('53300', 'sorry, too many clients already')).toEqual({code: 'AUTH_TOO_MANY_CONNECTIONS', limit: 'server'})
    expect(c('53300', 'remaining connection slots are reserved for roles with the SUPERUSER attribute')).toMatchObject({
      limit: 'reserved',
    })
    expect(c('53300', 'too many connections for database "d"')).toMatchObject({limit: 'database', database: 'd'})
    expect(c('57P03', 'the database system is starting up')).toEqual({code: 'AUTH_SERVER_STARTING', state: 'starting'})
    expect(c('57P03', 'the database system is shutting down')).toMatchObject({state: 'shutting-down'})
    expect(c('57P03', 'the database system is not accepting connections')).toMatchObject({state: 'not-accepting'})
  })
  it('reads client-side failures', () => {
    expect(c(null, 'SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string')).toEqual({
      code: 'AUTH_PASSWORD_MISSING',
    })
    expect(c('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1')).toEqual({code: 'AUTH_CONNECTION_FAILED'})
    expect(c(null, 'The server does not support SSL connections')).toEqual({code: 'AUTH_CONNECTION_FAILED'})
  })
})
