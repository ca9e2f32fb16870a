// The server check against real state: role / database settings on the shared server, a real
// hot standby (pg_is_in_recovery), a role whose connection slots are taken.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import pg from 'pg'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {authCheck} from '../../src/checks/auth.js'
import {serverCheck} from '../../src/checks/server.js'
import {loadEnv} from '../../src/config/env.js'
import {diagnose} from '../../src/app/diagnose.js'
import type {CheckResult, Report} from '../../src/core/types.js'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD, PG_HOST} from '../helpers/constants.js'
import {adminClient, startStandbyPostgres, type PgServer} from '../helpers/postgres.js'

const info = inject('pg')
const dirs: string[] = []
const reports: Report[] = []
let admin: pg.Client

async function sql(text: string, database = 'postgres'): Promise<void> {
  if (database === 'postgres') {
    await admin.query(text)
    return
  }
  const c = await adminClient(info, database)
  try {
    await c.query(text)
  } finally {
    await c.end()
  }
}

function url(
  user: string,
  database = APP_DATABASE,
  port = info.port,
  query = `sslmode=verify-full&sslrootcert=${info.caFile}`,
): string {
  return `postgres://${user}:${CANARY_PASSWORD}@${PG_HOST}:${port}/${database}${query ? `?${query}` : ''}`
}

async function run(
  dbUrl: string,
  opts: {tool?: 'knex' | 'prisma' | 'node-pg-migrate'; files?: Record<string, string>} = {},
): Promise<CheckResult> {
  const cwd = mkdtempSync(join(tmpdir(), 'dbd-server-'))
  dirs.push(cwd)
  for (const [name, text] of Object.entries(opts.files ?? {})) writeFileSync(join(cwd, name), text)
  const {env, envFileOf} = loadEnv({cwd, processEnv: {DATABASE_URL: dbUrl, PGPASSFILE: join(cwd, 'none'), HOME: cwd}})
  const report = await diagnose({
    cwd,
    env,
    envFileOf,
    options: {timeoutMs: 5000, verbose: false, dnsServers: [], ...(opts.tool ? {tool: opts.tool} : {})},
    tool: 'db-doctor@test',
    checks: [authCheck, serverCheck],
    strictFacts: true,
  })
  reports.push(report)
  expect(report.checks[0], JSON.stringify(report.checks[0])).toMatchObject({id: 'auth', status: 'pass'})
  return report.checks[1]!
}

const roles: string[] = []
async function role(name: string, extra = ''): Promise<string> {
  await sql(`drop role if exists ${name}`)
  await sql(`create role ${name} login password '${CANARY_PASSWORD}' ${extra}`)
  await sql(`grant connect on database ${APP_DATABASE} to ${name}`)
  roles.push(name)
  return name
}

beforeAll(async () => {
  delete process.env.PGPASSWORD
  admin = await adminClient(info)
})

afterAll(async () => {
  for (const r of roles) await sql(`drop role if exists ${r}`).catch(() => {})
  await admin.end()
  dirs.forEach((d) => rmSync(d, {recursive: true, force: true}))
  const all = JSON.stringify(reports)
  expect(all).not.toContain(CANARY_PASSWORD)
})

describe('server check on the shared server', () => {
  it('passes on a writable primary with no risky timeout, in one extra round trip', async () => {
    const r = await run(url(APP_USER))
    expect(r).toMatchObject({status: 'pass', code: null})
    expect(r.evidence).toMatchObject({inRecovery: false, defaultTransactionReadOnly: 'off'})
  })

  it('SERVER_READ_ONLY (warn without a tool) from ALTER ROLE … SET default_transaction_read_only = on, with the RESET', async () => {
    const name = await role('srv_ro_role')
    await sql(`alter role ${name} set default_transaction_read_only = on`)
    const r = await run(url(name))
    expect(r).toMatchObject({status: 'warn', code: 'SERVER_READ_ONLY'})
    expect(r.evidence).toMatchObject({setBy: 'role', pgSettingsSource: 'user'})
    expect(r.fix!.steps.join(' ')).toContain(`ALTER ROLE ${name} RESET default_transaction_read_only;`)
  })

  it('SERVER_READ_ONLY fails when a migration tool is named (--tool), set on the database', async () => {
    await sql(`create database srv_ro_db owner ${APP_USER}`)
    try {
      await sql(`alter database srv_ro_db set default_transaction_read_only = on`)
      const r = await run(url(APP_USER, 'srv_ro_db'), {tool: 'knex'})
      expect(r).toMatchObject({status: 'fail', code: 'SERVER_READ_ONLY'})
      expect(r.evidence).toMatchObject({setBy: 'database'})
      expect(r.fix!.steps.join(' ')).toContain('ALTER DATABASE srv_ro_db RESET default_transaction_read_only;')
    } finally {
      await sql('drop database if exists srv_ro_db with (force)')
    }
  })

  it('SERVER_STATEMENT_TIMEOUT from a role-in-database statement_timeout, with where it is set', async () => {
    const name = await role('srv_timeout')
    await sql(`alter role ${name} in database ${APP_DATABASE} set statement_timeout = '5s'`)
    await sql(`alter role ${name} set lock_timeout = '1s'`)
    const r = await run(url(name))
    expect(r).toMatchObject({status: 'warn', code: 'SERVER_STATEMENT_TIMEOUT'})
    const settings = r.evidence.settings as {setting: string; value: string; setBy: string}[]
    expect(settings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({setting: 'statement_timeout', value: '5 s', setBy: 'role-in-database'}),
        expect.objectContaining({setting: 'lock_timeout', value: '1 s', setBy: 'role'}),
      ]),
    )
    expect(r.fix!.snippet!.code).toContain("PGOPTIONS='-c statement_timeout=0 -c lock_timeout=0'")
  })

  it("SERVER_IDLE_SESSION_TIMEOUT from ALTER ROLE … SET idle_session_timeout, only for node-postgres' Pool in the app's code", async () => {
    // what each pool does when the server ends an idle connection is measured in server-idle-drivers.test.ts
    const name = await role('srv_idle')
    await sql(`alter role ${name} set idle_session_timeout = '5s'`)
    // no tool, pg: the app's own Pool keeps idle clients 10 s, emits 'error' when the server ends one first
    const r = await run(url(name))
    expect(r).toMatchObject({status: 'warn', code: 'SERVER_IDLE_SESSION_TIMEOUT'})
    expect(r.summary).toContain(
      "idle_session_timeout is 5 s (set by the role (ALTER ROLE … SET)), and node-postgres' Pool in the app's code keeps an idle client 10 s",
    )
    expect(r.summary).toContain("a Pool without pool.on('error') ends the process")
    expect(r.evidence).toMatchObject({idle_session_timeout: '5 s', setBy: 'role', pgSettingsSource: 'user'})
    expect(r.fix!.snippet!.code).toContain('idleTimeoutMillis: 2500')
    expect(r.fix!.snippet!.code).toContain("pool.on('error'")
    expect(r.fix!.steps.at(-1)).toBe(
      `Only if the timeout is not meant for this app: ALTER ROLE ${name} RESET idle_session_timeout;`,
    )
    // knex (tarn drops the ended connection, pool.min or not): it reconnects, nothing to warn; the evidence says so
    const knexfile = (pool: string) => ({
      'knexfile.js': `module.exports = {client: 'pg', connection: process.env.DATABASE_URL, pool: ${pool}}\n`,
    })
    const knex = await run(url(name), {tool: 'knex', files: knexfile('{min: 2, max: 4, idleTimeoutMillis: 60000}')})
    expect(knex.status, JSON.stringify(knex)).toBe('pass')
    expect(knex.evidence.idleSessionTimeout).toMatchObject({
      value: '5 s',
      setBy: 'role',
      pool: 'knex',
      whenEnded: 'reconnects',
      poolSettings: {min: 2, idleTimeoutMillis: 60000, from: 'knexfile.js pool'},
    })
    expect((knex.evidence.idleSessionTimeout as {modelled: string}).modelled).toContain(
      'knex logs "Connection Error: Connection ended unexpectedly"',
    )
    // sequelize (pool.idle, pool.min) and TypeORM (extra: pg.Pool's options) reconnect too; their settings as read
    const sequelize = await run(url(name), {
      files: {
        'package.json': JSON.stringify({scripts: {migrate: 'sequelize-cli db:migrate'}}),
        'config.json': JSON.stringify({
          development: {
            use_env_variable: 'DATABASE_URL',
            dialect: 'postgres',
            dialectOptions: {ssl: {ca: info.caPem}},
            pool: {min: 1, idle: 60000},
          },
        }),
        '.sequelizerc': "module.exports = {config: require('path').resolve('config.json')}\n",
      },
    })
    expect(sequelize.status, JSON.stringify(sequelize)).toBe('pass')
    expect(sequelize.evidence.idleSessionTimeout).toMatchObject({
      pool: 'sequelize',
      whenEnded: 'reconnects',
      poolSettings: {min: 1, idleTimeoutMillis: 60000, from: 'config.json development.pool'},
    })
    const typeorm = await run(url(name), {
      files: {
        'package.json': JSON.stringify({scripts: {migrate: 'typeorm migration:run -d data-source.js'}}),
        'data-source.js': `const {DataSource} = require('typeorm')\nmodule.exports = {AppDataSource: new DataSource({type: 'postgres', url: process.env.DATABASE_URL, ssl: {ca: require('fs').readFileSync(${JSON.stringify(info.caFile)}, 'utf8')}, extra: {idleTimeoutMillis: 60000}})}\n`,
      },
    })
    expect(typeorm.status, JSON.stringify(typeorm)).toBe('pass')
    expect(typeorm.evidence.idleSessionTimeout).toMatchObject({
      pool: 'typeorm',
      whenEnded: 'reconnects',
      poolSettings: {idleTimeoutMillis: 60000, from: 'data-source.js extra'},
    })
    // postgres.js keeps idle connections forever (idle_timeout null) and reconnects on the next query
    // (postgres.js reads no sslrootcert from the URL: sslmode=require, the chain unverified, for this case only)
    const pjs = await run(url(name, APP_DATABASE, info.port, 'sslmode=require'), {
      files: {'package.json': '{"dependencies": {"postgres": "^3.4.0"}}\n'},
    })
    expect(pjs.status, JSON.stringify(pjs)).toBe('pass')
    expect(pjs.evidence.idleSessionTimeout).toMatchObject({pool: 'postgres', whenEnded: 'reconnects'})
    // 30 s: node-postgres' Pool lets idle clients go after 10 s, before the server does
    await sql(`alter role ${name} set idle_session_timeout = '30s'`)
    const long = await run(url(name))
    expect(long.status, JSON.stringify(long)).toBe('pass')
    expect(long.evidence.idleSessionTimeout).toMatchObject({value: '30 s', pool: 'pg', whenEnded: 'error-event'})
  })

  it("a statement_timeout sent by the app itself (URL options) is reported as the client's", async () => {
    const r = await run(
      url(
        APP_USER,
        APP_DATABASE,
        info.port,
        `sslmode=verify-full&sslrootcert=${info.caFile}&options=${encodeURIComponent('-c statement_timeout=3000')}`,
      ),
    )
    expect(r).toMatchObject({status: 'warn', code: 'SERVER_STATEMENT_TIMEOUT'})
    expect((r.evidence.settings as {setBy: string}[])[0]).toMatchObject({setBy: 'client'})
  })

  it('SERVER_CONNECTIONS_EXHAUSTED when the role has one slot left besides db-doctor', async () => {
    const name = await role('srv_limited', 'connection limit 2')
    const holder = new pg.Client({
      connectionString: url(name).replace(/\?.*$/, ''),
      ssl: {ca: info.caPem, servername: 'localhost'},
    })
    await holder.connect()
    try {
      const r = await run(url(name))
      expect(r).toMatchObject({status: 'warn', code: 'SERVER_CONNECTIONS_EXHAUSTED'})
      expect(r.evidence).toMatchObject({limitedBy: 'role', freeSlots: 1, roleConnectionLimit: 2, roleSessions: 1})
      expect(r.fix!.steps.join(' ')).toContain(`ALTER ROLE ${name} CONNECTION LIMIT`)
    } finally {
      await holder.end()
    }
  })
})

describe('server check on a real hot standby', () => {
  let standby: PgServer
  beforeAll(async () => {
    standby = await startStandbyPostgres({hotStandby: true})
  }, 60_000)
  afterAll(async () => {
    await standby?.stop()
  })

  it('SERVER_READ_ONLY from pg_is_in_recovery(), failing with a tool', async () => {
    const u = `postgres://${standby.superuser.user}:${encodeURIComponent(standby.superuser.password)}@${PG_HOST}:${standby.port}/postgres?sslmode=disable`
    const warn = await run(u)
    expect(warn).toMatchObject({status: 'warn', code: 'SERVER_READ_ONLY'})
    expect(warn.evidence).toMatchObject({pg_is_in_recovery: true})
    const fail = await run(u, {tool: 'prisma'})
    expect(fail).toMatchObject({status: 'fail', code: 'SERVER_READ_ONLY'})
    expect(fail.fix!.summary).toMatch(/primary \(writer\) endpoint/)
    expect(JSON.stringify(reports)).not.toContain(standby.superuser.password)
  })
})
