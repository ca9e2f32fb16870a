// The pooler check against a real PgBouncer (1.18, which refuses the startup parameter `options`).
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import pg from 'pg'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {classifyAuthError} from '../../src/checks/auth.js'
import {authCheck} from '../../src/checks/auth.js'
import {poolerCheck, poolerHostHint, refusedStartupParameter} from '../../src/checks/pooler.js'
import {loadEnv} from '../../src/config/env.js'
import {diagnose} from '../../src/core/diagnose.js'
import type {Report} from '../../src/core/types.js'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD, PG_HOST} from '../helpers/constants.js'
import {pgbouncerSupport, startPgBouncer, type PgBouncer} from '../helpers/pgbouncer.js'

describe('refusedStartupParameter (pure)', () => {
  it("reads PgBouncer's wording, and nothing else", () => {
    expect(refusedStartupParameter({code: '08P01', message: 'unsupported startup parameter: options'})).toBe('options')
    expect(refusedStartupParameter({code: '08P01', message: 'unsupported startup parameter: search_path'})).toBe('search_path')
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
    ;[bouncer, sessionBouncer] = await Promise.all([startPgBouncer({pg: info, poolMode: 'transaction'}), startPgBouncer({pg: info, poolMode: 'session'})])
  })
  afterAll(async () => {
    await Promise.all([bouncer?.stop(), sessionBouncer?.stop()])
    dirs.forEach((d) => rmSync(d, {recursive: true, force: true}))
    expect(JSON.stringify(reports)).not.toContain(CANARY_PASSWORD)
  })

  async function run(env: Record<string, string>, tool?: 'knex' | 'prisma' | 'node-pg-migrate', strictFacts = true) {
    const cwd = mkdtempSync(join(tmpdir(), 'dbd-pooler-'))
    dirs.push(cwd)
    const {env: appEnv, envFileOf} = loadEnv({cwd, processEnv: {PGPASSFILE: join(cwd, 'none'), HOME: cwd, ...env}})
    const report = await diagnose({
      cwd,
      env: appEnv,
      envFileOf,
      options: {timeoutMs: 5000, verbose: false, dnsServers: [], ...(tool ? {tool} : {})},
      tool: 'db-doctor@test',
      checks: [authCheck, poolerCheck],
      strictFacts,
    })
    reports.push(report)
    return {auth: report.checks[0]!, pooler: report.checks[1]!}
  }
  const url = (query = '') => `postgres://${APP_USER}:${CANARY_PASSWORD}@${PG_HOST}:${bouncer.port}/${APP_DATABASE}${query}`

  it('URL options=: POOLER_STARTUP_PARAMETER names `options` and the URL it comes from', async () => {
    const {auth, pooler} = await run({DATABASE_URL: url(`?options=${encodeURIComponent('-c search_path=public')}`)})
    expect(auth.status).toBe('fail')
    expect(pooler, bouncer.log()).toMatchObject({status: 'fail', code: 'POOLER_STARTUP_PARAMETER', evidence: {parameter: 'options', sqlstate: '08P01'}})
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
    expect(classifyAuthError({code: '08P01', message: 'no more connections allowed (max_client_conn)'})).toEqual({code: 'AUTH_TOO_MANY_CONNECTIONS', limit: 'pooler'})
    const small = await startPgBouncer({pg: info, poolMode: 'transaction', settings: {max_client_conn: 1}})
    const holder = new pg.Client({host: PG_HOST, port: small.port, user: APP_USER, password: CANARY_PASSWORD, database: APP_DATABASE})
    holder.on('error', () => {})
    try {
      await holder.connect()
      const u = `postgres://${APP_USER}:${CANARY_PASSWORD}@${PG_HOST}:${small.port}/${APP_DATABASE}`
      const {auth, pooler} = await run({DATABASE_URL: u})
      expect(auth, small.log()).toMatchObject({status: 'fail', code: 'AUTH_TOO_MANY_CONNECTIONS', evidence: {limit: 'pooler'}})
      expect(auth.summary).toContain('max_client_conn')
      expect(auth.fix!.summary).toContain('max_client_conn')
      expect(pooler.status).toBe('skip')
    } finally {
      await holder.end().catch(() => {})
      await small.stop()
    }
  })

  it('transaction mode: POOLER_TRANSACTION_MODE (warn without a tool or with knex, fail with Prisma migrate and no directUrl)', async () => {
    const plain = await run({DATABASE_URL: url()})
    expect(plain.auth.status).toBe('pass')
    expect(plain.pooler, bouncer.log()).toMatchObject({status: 'warn', code: 'POOLER_TRANSACTION_MODE', evidence: {port: bouncer.port, serverPort: info.port}})
    expect(plain.pooler.evidence.secondLoginBackendPid).toBe(plain.pooler.evidence.backendPid)
    const knex = await run({DATABASE_URL: url()}, 'knex')
    // the real knex CLI migrates through it (test/differential/pooler.test.ts): a warning
    expect(knex.pooler).toMatchObject({status: 'warn', code: 'POOLER_TRANSACTION_MODE', evidence: {migrationTool: 'knex'}})
    expect(knex.pooler.summary).toContain('searchPath')
    expect(knex.pooler.fix!.summary).toContain('session connection')
    const prisma = await run({DATABASE_URL: url()}, 'prisma')
    expect(prisma.pooler).toMatchObject({status: 'fail', code: 'POOLER_TRANSACTION_MODE', evidence: {migrationTool: 'prisma', directUrl: null}})
    expect(prisma.pooler.summary).toContain('P1002')
    expect(prisma.pooler.fix!.steps[0]).toContain('directUrl')
  })

  it('session mode: a pooler in between, but no finding', async () => {
    const u = `postgres://${APP_USER}:${CANARY_PASSWORD}@${PG_HOST}:${sessionBouncer.port}/${APP_DATABASE}`
    const r = await run({DATABASE_URL: u}, 'knex')
    expect(r.auth.status).toBe('pass')
    expect(r.pooler, sessionBouncer.log()).toMatchObject({status: 'pass', code: null, evidence: {port: sessionBouncer.port, serverPort: info.port}})
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
