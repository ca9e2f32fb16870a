// The pooler check against a real PgBouncer (1.18, which refuses the startup parameter `options`).
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import pg from 'pg'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {classifyAuthError} from '../../src/checks/auth.js'
import {authCheck} from '../../src/checks/auth.js'
import {dnsCheck} from '../../src/checks/dns.js'
import {postgresCheck} from '../../src/checks/postgres.js'
import {tcpCheck} from '../../src/checks/tcp.js'
import {poolerCheck, poolerHostHint, refusedStartupParameter} from '../../src/checks/pooler.js'
import {serverCheck} from '../../src/checks/server.js'
import {loadEnv} from '../../src/config/env.js'
import {diagnose} from '../../src/app/diagnose.js'
import type {Report} from '../../src/core/types.js'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD, PG_HOST} from '../helpers/constants.js'
import {pgbouncerSupport, startPgBouncer, type PgBouncer} from '../helpers/pgbouncer.js'

describe('refusedStartupParameter (pure)', () => {
  it("reads PgBouncer's wording, and nothing else", () => {
    expect(refusedStartupParameter({code: '08P01', message: 'unsupported startup parameter: options'})).toBe('options')
    expect(refusedStartupParameter({code: '08P01', message: 'unsupported startup parameter: search_path'})).toBe(
      'search_path',
    )
    expect(refusedStartupParameter({code: '28P01', message: 'unsupported startup parameter: options'})).toBeNull()
    expect(refusedStartupParameter({code: '08P01', message: 'unsupported frontend protocol 1234.5679'})).toBeNull()
  })
})

const support = pgbouncerSupport()

describe.skipIf(!support.ok)('pooler check through a real PgBouncer', () => {
  const info = inject('pg')
  let bouncer: PgBouncer
  let sessionBouncer: PgBouncer
  const dirs: string[] = []
  const reports: Report[] = []
  beforeAll(async () => {
    delete process.env.PGPASSWORD
    ;[bouncer, sessionBouncer] = await Promise.all([
      startPgBouncer({pg: info, poolMode: 'transaction'}),
      startPgBouncer({pg: info, poolMode: 'session'}),
    ])
  })
  afterAll(async () => {
    await Promise.all([bouncer?.stop(), sessionBouncer?.stop()])
    dirs.forEach((d) => rmSync(d, {recursive: true, force: true}))
    expect(JSON.stringify(reports)).not.toContain(CANARY_PASSWORD)
  })

  async function run(
    env: Record<string, string>,
    tool?: 'knex' | 'prisma' | 'node-pg-migrate',
    strictFacts = true,
    files: Record<string, string> = {},
  ) {
    const cwd = mkdtempSync(join(tmpdir(), 'dbd-pooler-'))
    dirs.push(cwd)
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(cwd, name)), {recursive: true})
      writeFileSync(join(cwd, name), text)
    }
    const {env: appEnv, envFileOf} = loadEnv({cwd, processEnv: {PGPASSFILE: join(cwd, 'none'), HOME: cwd, ...env}})
    const report = await diagnose({
      cwd,
      env: appEnv,
      envFileOf,
      options: {timeoutMs: 5000, verbose: false, dnsServers: [], ...(tool ? {tool} : {})},
      tool: 'db-doctor@test',
      // the postgres check's SSLRequest answer (after dns and tcp), as in a full run: a driver that goes on in
      // plaintext when the server offers no TLS (Prisma's schema engine with sslmode prefer) logs in so
      checks: [dnsCheck, tcpCheck, postgresCheck, authCheck, poolerCheck],
      strictFacts,
    })
    reports.push(report)
    return {auth: report.checks[3]!, pooler: report.checks[4]!}
  }
  const url = (query = '') =>
    `postgres://${APP_USER}:${CANARY_PASSWORD}@${PG_HOST}:${bouncer.port}/${APP_DATABASE}${query}`

  it('URL options=: POOLER_STARTUP_PARAMETER names `options` and the URL it comes from', async () => {
    const {auth, pooler} = await run({DATABASE_URL: url(`?options=${encodeURIComponent('-c search_path=public')}`)})
    // refused before authentication: auth skips and points at the pooler check, whose code is the run's failure
    expect(auth).toMatchObject({status: 'skip', code: null, evidence: {refusedBy: 'pooler', sqlstate: '08P01'}})
    expect(auth.summary).toContain('See the pooler check')
    expect(pooler, bouncer.log()).toMatchObject({
      status: 'fail',
      code: 'POOLER_STARTUP_PARAMETER',
      evidence: {parameter: 'options', sqlstate: '08P01'},
    })
    expect(pooler.evidence.source).toContain('DATABASE_URL')
    expect(pooler.summary).toContain('unsupported startup parameter: options')
    expect(pooler.fix!.steps.join('\n')).toContain('ignore_startup_parameters')
  })

  it('PGOPTIONS: the source is the environment variable', async () => {
    const {pooler} = await run({DATABASE_URL: url(), PGOPTIONS: '-c statement_timeout=0'})
    expect(pooler).toMatchObject({status: 'fail', code: 'POOLER_STARTUP_PARAMETER', evidence: {parameter: 'options'}})
    expect(pooler.evidence.source).toContain('PGOPTIONS')
  })

  it('no refused parameter: no POOLER_STARTUP_PARAMETER, and the same PgBouncer with ignore_startup_parameters=options lets the login through', async () => {
    const {auth, pooler} = await run({DATABASE_URL: url()})
    expect(auth.status).toBe('pass')
    // a transaction pooler: the only finding is the pooling mode
    expect(pooler).toMatchObject({status: 'warn', code: 'POOLER_TRANSACTION_MODE'})
    const lenient = await startPgBouncer({pg: info, poolMode: 'transaction', ignoreStartupParameters: ['options']})
    try {
      const u = `postgres://${APP_USER}:${CANARY_PASSWORD}@${PG_HOST}:${lenient.port}/${APP_DATABASE}?options=${encodeURIComponent('-c search_path=public')}`
      const r = await run({DATABASE_URL: u})
      expect(r.auth.status, lenient.log()).toBe('pass')
      expect(r.pooler).toMatchObject({status: 'warn', code: 'POOLER_TRANSACTION_MODE'})
    } finally {
      await lenient.stop()
    }
  })

  it("PgBouncer's client limit (max_client_conn) is AUTH_TOO_MANY_CONNECTIONS with the pooler's fix", async () => {
    expect(classifyAuthError({code: '08P01', message: 'no more connections allowed (max_client_conn)'})).toEqual({
      code: 'AUTH_TOO_MANY_CONNECTIONS',
      limit: 'pooler',
      pooler: 'pgbouncer',
    })
    const small = await startPgBouncer({pg: info, poolMode: 'transaction', settings: {max_client_conn: 1}})
    const holder = new pg.Client({
      host: PG_HOST,
      port: small.port,
      user: APP_USER,
      password: CANARY_PASSWORD,
      database: APP_DATABASE,
    })
    holder.on('error', () => {})
    try {
      await holder.connect()
      const u = `postgres://${APP_USER}:${CANARY_PASSWORD}@${PG_HOST}:${small.port}/${APP_DATABASE}`
      const {auth, pooler} = await run({DATABASE_URL: u})
      expect(auth, small.log()).toMatchObject({
        status: 'fail',
        code: 'AUTH_TOO_MANY_CONNECTIONS',
        evidence: {limit: 'pooler', pooler: 'pgbouncer'},
      })
      expect(auth.summary).toContain('max_client_conn')
      expect(auth.fix!.summary).toContain('max_client_conn')
      expect(pooler.status).toBe('skip')
    } finally {
      await holder.end().catch(() => {})
      await small.stop()
    }
  })

  it('a second login fails while the first is open: POOLER_SECOND_LOGIN_FAILED (max_client_conn = 1: client-limit; a full session pool: timeout)', async () => {
    const [limit, full] = await Promise.all([
      startPgBouncer({pg: info, poolMode: 'transaction', settings: {max_client_conn: 1}}),
      startPgBouncer({pg: info, poolMode: 'session', settings: {default_pool_size: 1}}),
    ])
    try {
      const at = (port: number) => `postgres://${APP_USER}:${CANARY_PASSWORD}@${PG_HOST}:${port}/${APP_DATABASE}`
      const [a, b] = await Promise.all([run({DATABASE_URL: at(limit.port)}), run({DATABASE_URL: at(full.port)})])
      expect(a.auth.status, limit.log()).toBe('pass')
      expect(a.pooler, limit.log()).toMatchObject({
        status: 'warn',
        code: 'POOLER_SECOND_LOGIN_FAILED',
        evidence: {serverPort: info.port, secondLogin: {code: '08P01', stage: 'connect', timedOut: false}},
      })
      expect(a.pooler.summary).toContain('client limit (PgBouncer max_client_conn)')
      expect(a.pooler.fix!.snippet!.code).toContain('max_client_conn')
      // session mode with one server connection: PgBouncer completes the login, then queues the first query until the budget ends
      expect(b.auth.status, full.log()).toBe('pass')
      expect(b.pooler, full.log()).toMatchObject({
        status: 'warn',
        code: 'POOLER_SECOND_LOGIN_FAILED',
        evidence: {secondLogin: {stage: 'query'}},
      })
      expect(b.pooler.summary).toContain('no answer within 5000 ms')
      expect(b.pooler.fix!.snippet!.code).toContain('default_pool_size')
    } finally {
      await Promise.all([limit.stop(), full.stop()])
    }
  })

  it('transaction mode: POOLER_TRANSACTION_MODE (warn without a tool or with knex, fail with Prisma migrate and no directUrl)', async () => {
    const plain = await run({DATABASE_URL: url()})
    expect(plain.auth.status).toBe('pass')
    expect(plain.pooler, bouncer.log()).toMatchObject({
      status: 'warn',
      code: 'POOLER_TRANSACTION_MODE',
      evidence: {port: bouncer.port, serverPort: info.port},
    })
    expect(plain.pooler.evidence.secondLoginBackendPid).toBe(plain.pooler.evidence.backendPid)
    const knex = await run({DATABASE_URL: url()}, 'knex')
    // the real knex CLI migrates through it (test/differential/pooler.test.ts): a warning
    expect(knex.pooler).toMatchObject({
      status: 'warn',
      code: 'POOLER_TRANSACTION_MODE',
      evidence: {migrationTool: 'knex'},
    })
    expect(knex.pooler.summary).toContain('searchPath')
    expect(knex.pooler.fix!.summary).toContain('session connection')
    const prisma = await run({DATABASE_URL: url()}, 'prisma')
    expect(prisma.pooler).toMatchObject({
      status: 'fail',
      code: 'POOLER_TRANSACTION_MODE',
      evidence: {migrationTool: 'prisma', directUrl: null},
    })
    expect(prisma.pooler.summary).toContain('P1002')
    expect(prisma.pooler.fix!.steps[0]).toContain('directUrl')
    // and Prisma Client's named statements, measured through the same PgBouncer 1.18
    expect(prisma.pooler.evidence.alsoFound).toEqual([
      expect.objectContaining({code: 'POOLER_PREPARED_STATEMENTS', status: 'warn'}),
    ])
  })

  const schema = (directUrl = false) =>
    [
      'datasource db {',
      '  provider = "postgresql"',
      '  url      = env("DATABASE_URL")',
      ...(directUrl ? ['  directUrl = env("DIRECT_URL")'] : []),
      '}',
      '',
    ].join('\n')

  it('Prisma (prisma/schema.prisma, url = env("DATABASE_URL")) through PgBouncer 1.18 in transaction mode: POOLER_PREPARED_STATEMENTS measured, fix adds pgbouncer=true to the URL', async () => {
    const r = await run({DATABASE_URL: url()}, undefined, true, {'prisma/schema.prisma': schema()})
    expect(r.auth.status).toBe('pass')
    // migrate through the pooler fails first; the prepared statements are the second finding
    expect(r.pooler, bouncer.log()).toMatchObject({
      status: 'fail',
      code: 'POOLER_TRANSACTION_MODE',
      evidence: {migrationTool: 'prisma'},
    })
    expect(r.pooler.summary).toContain('+1 more: POOLER_PREPARED_STATEMENTS')
    const also = (r.pooler.evidence.alsoFound as any[])[0]
    expect(also).toMatchObject({code: 'POOLER_PREPARED_STATEMENTS', status: 'warn'})
    expect(also.summary).toContain('does not carry prepared statements')
    expect(also.summary).toMatch(/prepared statement "db_doctor_probe_[0-9a-f]+" does not exist" \(26000\)/)
    expect(also.summary).toContain('DATABASE_URL')
    const prepared = r.pooler.evidence.preparedStatements as any
    expect(prepared).toMatchObject({pgbouncerParameter: false})
    expect(prepared.measured).toMatch(
      /^named statement prepared on backend \d+, run again while another session held backend \d+: 26000/,
    )
    expect(prepared.modelled).toContain('pgbouncer=true')
    const steps = r.pooler.fix!.steps.join('\n')
    expect(steps).toContain('POOLER_PREPARED_STATEMENTS: Add `pgbouncer=true` to the URL Prisma reads')
    expect(steps).toContain('max_prepared_statements')
  })

  it("Prisma's fix is the user's own URL with pgbouncer=true, password masked, where it came from", async () => {
    const r = await run({DATABASE_URL: url('?connection_limit=5')}, undefined, true, {'prisma/schema.prisma': schema()})
    const steps = r.pooler.fix!.steps.join('\n')
    expect(steps).toContain(
      `export DATABASE_URL='postgres://${APP_USER}:****@${PG_HOST}:${bouncer.port}/${APP_DATABASE}?connection_limit=5&pgbouncer=true'`,
    )
    expect(JSON.stringify(r.pooler)).not.toContain(CANARY_PASSWORD)
  })

  it('Prisma with pgbouncer=true: no POOLER_PREPARED_STATEMENTS (migrate still needs a direct connection)', async () => {
    const r = await run({DATABASE_URL: url('?pgbouncer=true')}, undefined, true, {'prisma/schema.prisma': schema()})
    expect(r.pooler).toMatchObject({
      status: 'fail',
      code: 'POOLER_TRANSACTION_MODE',
      evidence: {preparedStatements: {pgbouncerParameter: true}},
    })
    expect(r.pooler.evidence.alsoFound).toBeUndefined()
    expect(JSON.stringify(r.pooler)).not.toContain('POOLER_PREPARED_STATEMENTS')
  })

  it('Prisma 7 (the URL in prisma.config.ts: the Client connects through a driver adapter): migrate fails through the pooler, no POOLER_PREPARED_STATEMENTS', async () => {
    const config = [
      "import {defineConfig, env} from 'prisma/config'",
      "export default defineConfig({schema: 'prisma/schema.prisma', datasource: {url: env('DATABASE_URL')}})",
      '',
    ].join('\n')
    const r = await run({DATABASE_URL: url()}, undefined, true, {
      'prisma.config.ts': config,
      'prisma/schema.prisma': 'datasource db {\n  provider = "postgresql"\n}\n',
    })
    expect(r.pooler).toMatchObject({
      status: 'fail',
      code: 'POOLER_TRANSACTION_MODE',
      evidence: {migrationTool: 'prisma'},
    })
    expect(r.pooler.evidence.alsoFound).toBeUndefined()
    expect(r.pooler.evidence.preparedStatements).toBeUndefined()
  })

  it('a pool of one server connection: the probe cannot measure (its second run waits for the held connection, bounded by --timeout) and says so', async () => {
    const one = await startPgBouncer({pg: info, poolMode: 'transaction', settings: {default_pool_size: 1}})
    try {
      const u = `postgres://${APP_USER}:${CANARY_PASSWORD}@${PG_HOST}:${one.port}/${APP_DATABASE}`
      const r = await run({DATABASE_URL: u}, undefined, true, {'prisma/schema.prisma': schema()})
      expect(r.pooler, one.log()).toMatchObject({status: 'fail', code: 'POOLER_TRANSACTION_MODE'})
      const also = (r.pooler.evidence.alsoFound as any[])[0]
      expect(also).toMatchObject({code: 'POOLER_PREPARED_STATEMENTS', status: 'warn'})
      expect(also.summary).toContain('could not be measured')
      expect((r.pooler.evidence.preparedStatements as any).measured).toMatch(/^inconclusive: /)
    } finally {
      await one.stop()
    }
  })

  it('Prisma in session mode: no finding at all', async () => {
    const u = `postgres://${APP_USER}:${CANARY_PASSWORD}@${PG_HOST}:${sessionBouncer.port}/${APP_DATABASE}`
    const r = await run({DATABASE_URL: u}, undefined, true, {'prisma/schema.prisma': schema()})
    expect(r.pooler).toMatchObject({status: 'pass', code: null})
  })

  it('Prisma with a directUrl that points at the transaction pooler too: migrate runs through it (fail), the fix points DIRECT_URL elsewhere', async () => {
    const r = await run({DATABASE_URL: url('?pgbouncer=true'), DIRECT_URL: url()}, undefined, true, {
      'prisma/schema.prisma': schema(true),
    })
    expect(r.pooler).toMatchObject({
      status: 'fail',
      code: 'POOLER_TRANSACTION_MODE',
      evidence: {migrationTool: 'prisma', directUrl: true},
    })
    expect(r.pooler.summary).toContain("Prisma migrate uses this URL (the datasource's directUrl")
    expect(r.pooler.fix!.steps[0]).toContain("Point the datasource's directUrl")
    // the URL checked is migrate's: Prisma Client's prepared statements are not this URL's concern
    expect(r.pooler.evidence.alsoFound).toBeUndefined()
  })

  it('connection budget through the pooler: a warning that says the server slots are what is measured, never a failure', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'dbd-pooler-'))
    dirs.push(cwd)
    writeFileSync(join(cwd, 'knexfile.js'), `module.exports = {client: 'pg', connection: process.env.DATABASE_URL}\n`)
    const {env, envFileOf} = loadEnv({cwd, processEnv: {PGPASSFILE: join(cwd, 'none'), HOME: cwd, DATABASE_URL: url()}})
    const report = await diagnose({
      cwd,
      env,
      envFileOf,
      options: {timeoutMs: 5000, verbose: false, dnsServers: [], instances: 40},
      tool: 'db-doctor@test',
      checks: [authCheck, serverCheck],
      strictFacts: true,
    })
    reports.push(report)
    const server = report.checks[1]!
    // knex's default pool (10) × 40 = 400, over the shared server's 98 slots for non-superusers: through a pooler, a warning
    expect(server, JSON.stringify(server)).toMatchObject({status: 'warn', code: 'SERVER_CONNECTION_BUDGET'})
    expect(server.evidence.connectionBudget).toMatchObject({budget: 400, pooler: 'proxied', hardLimitBy: 'server'})
    expect(server.summary).toContain("the pooler's own max_client_conn and pool sizes are not visible")
  })

  it('session mode: a pooler in between, but no finding', async () => {
    const u = `postgres://${APP_USER}:${CANARY_PASSWORD}@${PG_HOST}:${sessionBouncer.port}/${APP_DATABASE}`
    const r = await run({DATABASE_URL: u}, 'knex')
    expect(r.auth.status).toBe('pass')
    expect(r.pooler, sessionBouncer.log()).toMatchObject({
      status: 'pass',
      code: null,
      evidence: {port: sessionBouncer.port, serverPort: info.port},
    })
    expect(r.pooler.evidence.secondLoginBackendPid).not.toBe(r.pooler.evidence.backendPid)
  })

  it('directly on PostgreSQL: no pooler, no second login', async () => {
    const u = `postgres://${APP_USER}:${CANARY_PASSWORD}@${PG_HOST}:${info.port}/${APP_DATABASE}?sslmode=verify-full&sslrootcert=${info.caFile}`
    const r = await run({DATABASE_URL: u}, 'knex')
    expect(r.pooler).toMatchObject({status: 'pass', code: null, evidence: {serverPort: info.port}})
    expect(r.pooler.evidence.secondLoginBackendPid).toBeUndefined()
  })
})

describe('poolerHostHint (pure, names only)', () => {
  it('knows the managed poolers and the usual ports', () => {
    expect(poolerHostHint('aws-0-eu-central-1.pooler.supabase.com', 6543)).toMatch(/Supavisor/)
    expect(poolerHostHint('ep-cool-name-123-pooler.eu-central-1.aws.neon.tech', 5432)).toMatch(/Neon/)
    expect(poolerHostHint('app.proxy-abc123.eu-west-1.rds.amazonaws.com', 5432)).toMatch(/RDS Proxy/)
    expect(poolerHostHint('db.internal', 6432)).toMatch(/PgBouncer/)
    expect(poolerHostHint('db.internal', 5432)).toBeNull()
  })
})
