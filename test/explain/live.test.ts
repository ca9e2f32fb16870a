// The explain-only codes and hints produced live, from real state: the shared test PostgreSQL
// (sessions ended by pg_terminate_backend and by the idle timeouts, a role without CREATE on a
// database), the real knex CLI running migrations that need no transaction, postgres.js 4.2 and
// 3.4 (the postgres-3 alias) against the test server and against loopback peers that never answer
// or hang up, psql with channel_binding=require, node-postgres to a missing Cloud SQL socket, and
// knex, TypeORM 0.3, Sequelize and drizzle-kit run in an app folder without pg. Each text is pasted into
// explain (the library, then a batch through the CLI) and must give its code.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {explainText} from '../../src/explain/index.js'
import {crashText, pgConnectError} from '../helpers/app-errors.js'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD, MD5_USER} from '../helpers/constants.js'
import {runCli} from '../helpers/cli.js'
import {
  appPackageJson,
  createScenarioDatabase,
  makeApp,
  runTool,
  type App,
  type ScenarioDatabase,
} from '../helpers/migration-tools.js'

const info = inject('pg')
const TLS = {ca: info.caPem, servername: 'localhost'}

/** Every text produced here, with the code (or "hint:<first candidate>") explain must give. */
const produced: [string, string, string][] = []

function expectExplained(what: string, text: string, want: string): void {
  expect(text, what).not.toContain(CANARY_PASSWORD)
  const found = explainText(text, 'test').matches.map((m) => m.code ?? `hint:${m.candidates?.[0]}`)
  expect(found, `${what}\n${text}`).toContain(want)
  produced.push([what, text, want])
}

function client(user = APP_USER, database = APP_DATABASE): pg.Client {
  return new pg.Client({host: info.host, port: info.port, user, password: CANARY_PASSWORD, database, ssl: TLS})
}

function superClient(database = 'postgres'): pg.Client {
  return new pg.Client({
    host: info.host,
    port: info.port,
    user: info.superuser.user,
    password: info.superuser.password,
    database,
    ssl: TLS,
  })
}

/** The error a connected client gets when the server ends its session (the 'error' event or the next query). */
function sessionEnd(c: pg.Client, after: () => Promise<unknown>): Promise<string> {
  return new Promise<string>((resolve) => {
    // every later 'error' event too (the hang-up after the server's FATAL): resolve keeps the first
    c.on('error', (e) => resolve(crashText(e)))
    after().then(
      () => setTimeout(() => c.query('select 1').catch((e: unknown) => resolve(crashText(e))), 50),
      (e: unknown) => resolve(crashText(e)),
    )
  })
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('explain-only codes, produced from the shared test server', () => {
  it('57P01: pg_terminate_backend ends a live session (SERVER_ADMIN_TERMINATED, transient)', async () => {
    const c = client()
    await c.connect()
    const pid = (await c.query<{pid: number}>('select pg_backend_pid() as pid')).rows[0]!.pid
    const admin = superClient()
    await admin.connect()
    try {
      const text = await sessionEnd(c, () => admin.query('select pg_terminate_backend($1)', [pid]))
      expectExplained('57P01', text, 'SERVER_ADMIN_TERMINATED')
      expect(text).toContain('57P01')
      expect(explainText(text, 't').matches.find((m) => m.code === 'SERVER_ADMIN_TERMINATED')!.transient).toBe(true)
    } finally {
      await admin.end()
      await c.end().catch(() => {})
    }
  })

  it('57P05 and 25P03: idle_session_timeout and idle_in_transaction_session_timeout end the session', async () => {
    const idle = client()
    await idle.connect()
    await idle.query(`set idle_session_timeout = '200ms'`)
    const t1 = await sessionEnd(idle, () => sleep(600))
    expectExplained('57P05', t1, 'SERVER_IDLE_SESSION_TIMEOUT')
    await idle.end().catch(() => {})

    const tx = client()
    await tx.connect()
    await tx.query(`set idle_in_transaction_session_timeout = '200ms'`)
    await tx.query('begin')
    const t2 = await sessionEnd(tx, () => sleep(600))
    expectExplained('25P03', t2, 'SERVER_IDLE_IN_TRANSACTION_TIMEOUT')
    await tx.end().catch(() => {})
  })

  it('CREATE EXTENSION by a role without CREATE on the database, and an untrusted one (PRIV_NO_CREATE_EXTENSION)', async () => {
    const db = await createScenarioDatabase(info, 'explain_ext', info.superuser.user)
    const c = client(APP_USER, db.name)
    await c.connect()
    try {
      for (const ext of ['citext', 'dblink']) {
        const text = await c.query(`create extension ${ext}`).then(
          () => 'created',
          (e: unknown) => `${crashText(e)}\nHINT:  ${(e as {hint?: string}).hint ?? ''}`,
        )
        expectExplained(`create extension ${ext}`, text, 'PRIV_NO_CREATE_EXTENSION')
      }
    } finally {
      await c.end()
      await db.drop()
    }
  })
})

describe('explain-only codes, produced by the real knex CLI (migrations in its transaction)', () => {
  let db: ScenarioDatabase
  let app: App
  beforeAll(async () => {
    db = await createScenarioDatabase(info, 'explain_knex_tx')
  })
  afterAll(async () => {
    app?.cleanup()
    await db?.drop()
  })

  it('CREATE INDEX CONCURRENTLY (25001) and a new enum value used in the same batch (55P04)', async () => {
    const knexfile = `module.exports = {client: 'pg', connection: {connectionString: process.env.DATABASE_URL, ssl: {ca: process.env.CA, servername: 'localhost'}}}`
    const migration = (sql: string[]) =>
      `exports.up = async (knex) => {\n${sql.map((s) => `  await knex.raw(${JSON.stringify(s)})`).join('\n')}\n}\nexports.down = async () => {}\n`
    app = makeApp({
      files: {
        'knexfile.cjs': knexfile,
        'one/migrations/20240101000000_index.cjs': migration([
          'create table items (id int)',
          'create index concurrently items_id on items (id)',
        ]),
        'two/migrations/20240101000000_enum.cjs': migration([
          "create type status as enum ('open')",
          'create table tickets (s status)',
        ]),
      },
      packages: ['knex', 'pg'],
    })
    const env = {DATABASE_URL: db.url(CANARY_PASSWORD), CA: info.caPem}
    const index = await runTool(
      app,
      ['knex', '--knexfile', 'knexfile.cjs', '--migrations-directory', 'one/migrations', 'migrate:latest'],
      {env},
    )
    expect(index.code, index.stdout + index.stderr).not.toBe(0)
    expectExplained('knex: create index concurrently', index.stdout + index.stderr, 'MIGRATION_NEEDS_NO_TRANSACTION')
    // the type must exist before the batch: a value added to a type created in the same transaction is safe
    const created = await runTool(
      app,
      ['knex', '--knexfile', 'knexfile.cjs', '--migrations-directory', 'two/migrations', 'migrate:latest'],
      {env},
    )
    expect(created.code, created.stdout + created.stderr).toBe(0)
    writeFileSync(
      path.join(app.dir, 'two/migrations/20240102000000_add.cjs'),
      migration(["alter type status add value 'archived'", "insert into tickets values ('archived')"]),
    )
    const enumBatch = await runTool(
      app,
      ['knex', '--knexfile', 'knexfile.cjs', '--migrations-directory', 'two/migrations', 'migrate:latest'],
      {env},
    )
    expect(enumBatch.code, enumBatch.stderr).not.toBe(0)
    expectExplained(
      'knex: enum value in the batch',
      enumBatch.stdout + enumBatch.stderr,
      'MIGRATION_ENUM_VALUE_UNCOMMITTED',
    )
  })
})

describe("25P03 from a real migration tool: the only window is the migration's own code (knex CLI)", () => {
  let db: ScenarioDatabase
  let app: App
  beforeAll(async () => {
    db = await createScenarioDatabase(info, 'explain_knex_idle_tx')
  })
  afterAll(async () => {
    app?.cleanup()
    await db?.drop()
  })

  it("knex runs the batch in one transaction: a migration that awaits non-database work past idle_in_transaction_session_timeout fails (SERVER_IDLE_IN_TRANSACTION_TIMEOUT); the pool's idle connections never do", async () => {
    // the timeout is sent by the client (options), so the shared role stays untouched
    const knexfile = `module.exports = {client: 'pg', connection: {connectionString: process.env.DATABASE_URL, options: '-c idle_in_transaction_session_timeout=500', ssl: {ca: process.env.CA, servername: 'localhost'}}, pool: {min: 1, max: 2}}`
    app = makeApp({
      files: {
        'knexfile.cjs': knexfile,
        'migrations/20240101000000_backfill.cjs':
          "exports.up = async (knex) => {\n  await knex.raw('create table backfill (id int)')\n  // non-database work inside the migration: an HTTP call, a file, a computation\n  await new Promise((r) => setTimeout(r, 1500))\n  await knex.raw('insert into backfill values (1)')\n}\nexports.down = async () => {}\n",
        'idle.cjs':
          "const knex = require('knex')(require('./knexfile.cjs'))\nconst warn = []\nknex.client.logger.warn = (m) => warn.push(m)\nknex.raw('select 1').then(() => new Promise((r) => setTimeout(r, 1500))).then(() => knex.raw('select 2 as n')).then((r) => console.log('SECOND', r.rows[0].n, JSON.stringify(warn)), (e) => console.log('FAILED', e.message)).finally(() => knex.destroy())\n",
        'package.json': appPackageJson({idle: 'node idle.cjs'}),
      },
      packages: ['knex', 'pg'],
    })
    const env = {DATABASE_URL: db.url(CANARY_PASSWORD), CA: info.caPem}
    const [migrate, pooled] = await Promise.all([
      runTool(app, ['knex', '--knexfile', 'knexfile.cjs', 'migrate:latest'], {env}),
      runTool(app, {script: 'idle'}, {env}),
    ])
    const out = migrate.stdout + migrate.stderr
    expect(migrate.code, out).not.toBe(0)
    // knex prints only what pg answers the next query: the 25P03 came earlier, as the client's 'error' event
    expect(out).toContain('Client has encountered a connection error and is not queryable')
    expectExplained('knex: a migration waiting inside its transaction', out, 'hint:SERVER_IDLE_IN_TRANSACTION_TIMEOUT')
    // the same timeout, a pooled connection idle three times as long outside any transaction: untouched
    expect(pooled.stdout.trim(), pooled.stderr).toBe('SECOND 2 []')
  })
})

/** A loopback peer that accepts and then never answers ('silent') or hangs up at once ('close'). */
function peer(mode: 'silent' | 'close'): Promise<{port: number; close: () => Promise<void>}> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((s) => {
    sockets.add(s)
    s.on('error', () => {})
    if (mode === 'close') s.destroy()
  })
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy()
            server.close(() => r())
          }),
      }),
    ),
  )
}

describe('postgres.js 4.2 and 3.4 (postgres-3), live', () => {
  const drivers: [string, string][] = [
    ['postgres', 'postgres.js 4.2'],
    ['postgres-3', 'postgres.js 3.4'],
  ]

  it('write CONNECT_TIMEOUT (a peer that never answers) and write CONNECTION_CLOSED (a peer that hangs up)', async () => {
    const silent = await peer('silent')
    const closing = await peer('close')
    try {
      for (const [pkg, name] of drivers) {
        const postgres = ((await import(pkg)) as {default: (o: object) => any}).default
        // postgres.js 3.4 reconnects to a peer that hangs up without end: CONNECTION_CLOSED from 4.2 only
        const cases = [
          [silent, 'hint:TCP_TIMEOUT', 'CONNECT_TIMEOUT'],
          ...(pkg === 'postgres' ? [[closing, 'hint:SERVER_ADMIN_TERMINATED', 'CONNECTION_CLOSED'] as const] : []),
        ] as const
        for (const [p, want, what] of cases) {
          const sql = postgres({
            host: '127.0.0.1',
            port: p.port,
            user: 'app',
            database: 'appdb',
            connect_timeout: 1,
            max: 1,
            onnotice: () => {},
          })
          const text = await sql`select 1`.then(
            () => 'connected',
            (e: unknown) => crashText(e),
          )
          await sql.end({timeout: 0}).catch(() => {})
          expect(text, `${name} ${what}`).toContain(what)
          expectExplained(`${name}: ${what}`, text, want)
        }
      }
    } finally {
      await silent.close()
      await closing.close()
    }
  })

  it('a Prisma-style ?schema= in the URL (unrecognized configuration parameter) and channel_binding=require with an MD5 role', async () => {
    for (const [pkg, name] of drivers) {
      const postgres = ((await import(pkg)) as {default: (u: string, o: object) => any}).default
      const url = `postgres://${APP_USER}:${CANARY_PASSWORD}@${info.host}:${info.port}/${APP_DATABASE}?schema=public`
      const sql = postgres(url, {ssl: TLS, max: 1, connect_timeout: 10, onnotice: () => {}})
      const text = await sql`select 1`.then(
        () => 'connected',
        (e: unknown) => crashText(e),
      )
      await sql.end({timeout: 0}).catch(() => {})
      expectExplained(`${name}: ?schema=public`, text, 'CONFIG_UNKNOWN_SERVER_PARAMETER')
    }
    const postgres = ((await import('postgres')) as {default: (o: object) => any}).default
    const sql = postgres({
      host: info.host,
      port: info.port,
      user: MD5_USER,
      pass: CANARY_PASSWORD,
      database: APP_DATABASE,
      ssl: TLS,
      channel_binding: 'require',
      max: 1,
      connect_timeout: 10,
    })
    const text = await sql`select 1`.then(
      () => 'connected',
      (e: unknown) => crashText(e),
    )
    await sql.end({timeout: 0}).catch(() => {})
    expectExplained('postgres.js 4.2: channel_binding=require, md5 role', text, 'AUTH_CHANNEL_BINDING')
  })
})

describe('libpq and node-postgres, live', () => {
  it('psql with channel_binding=require against an MD5 role (AUTH_CHANNEL_BINDING)', () => {
    const r = spawnSync(
      'psql',
      ['-h', info.host, '-p', String(info.port), '-U', MD5_USER, '-d', APP_DATABASE, '-c', 'select 1'],
      {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          PGPASSWORD: CANARY_PASSWORD,
          PGSSLMODE: 'verify-full',
          PGSSLROOTCERT: info.caFile,
          PGHOST: info.host,
          PGCHANNELBINDING: 'require',
          PGCONNECT_TIMEOUT: '5',
        },
        encoding: 'utf8',
        timeout: 20_000,
      },
    )
    expectExplained('psql channel_binding=require', r.stderr, 'AUTH_CHANNEL_BINDING')
  })

  it('a Cloud SQL socket path that does not exist (TCP_SOCKET_NOT_FOUND)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dbd-sock-'))
    try {
      const host = path.join(dir, 'cloudsql', 'my-project:europe-west1:db')
      const text = await pgConnectError({host, user: APP_USER, password: CANARY_PASSWORD, database: APP_DATABASE})
      expect(text).toContain('ENOENT')
      expectExplained('pg to a missing /cloudsql socket', text, 'TCP_SOCKET_NOT_FOUND')
      const r = spawnSync('psql', ['-h', host, '-U', APP_USER, '-d', APP_DATABASE, '-c', 'select 1'], {
        env: {PATH: process.env.PATH ?? '/usr/bin:/bin', PGCONNECT_TIMEOUT: '5'},
        encoding: 'utf8',
        timeout: 20_000,
      })
      expectExplained('psql to a missing /cloudsql socket', r.stderr, 'TCP_SOCKET_NOT_FOUND')
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})

describe('drivers missing from the app: knex, TypeORM 0.3, Sequelize, drizzle-kit in a folder without pg', () => {
  let app: App
  afterAll(() => app?.cleanup())

  it('each tool names the missing driver (CONFIG_DRIVER_NOT_INSTALLED)', async () => {
    app = makeApp({
      files: {
        'package.json': appPackageJson({
          typeorm: 'node typeorm.cjs',
          sequelize: 'node sequelize.cjs',
          drizzle: 'node node_modules/drizzle-kit/bin.cjs migrate --config drizzle.config.js',
        }),
        'drizzle.config.js': `module.exports = {dialect: 'postgresql', schema: './schema.js', out: './drizzle', dbCredentials: {url: 'postgres://app@127.0.0.1:1/appdb'}}`,
        'schema.js': 'module.exports = {}',
        'drizzle/meta/_journal.json': '{"version":"7","dialect":"postgresql","entries":[]}',
        'knexfile.cjs': `module.exports = {client: 'pg', connection: 'postgres://app@127.0.0.1:1/appdb'}`,
        'typeorm.cjs': `const {DataSource} = require('typeorm-03')\nnew DataSource({type: 'postgres', url: 'postgres://app@127.0.0.1:1/appdb'}).initialize().catch((e) => { console.error(e); process.exit(1) })`,
        'sequelize.cjs': `const {Sequelize} = require('sequelize')\ntry { new Sequelize('postgres://app@127.0.0.1:1/appdb', {logging: false}) } catch (e) { console.error(e); process.exit(1) }`,
      },
      packages: ['knex', 'typeorm-03', 'sequelize', 'drizzle-kit', 'drizzle-orm'],
    })
    expect(app.installed).not.toContain('pg')
    const knex = await runTool(app, ['knex', '--knexfile', 'knexfile.cjs', 'migrate:latest'])
    expect(knex.stderr + knex.stdout).toContain('npm install pg')
    expectExplained('knex without pg', knex.stdout + knex.stderr, 'CONFIG_DRIVER_NOT_INSTALLED')
    const typeorm = await runTool(app, {script: 'typeorm'})
    expect(typeorm.stderr).toContain('DriverPackageNotInstalledError')
    expectExplained('TypeORM 0.3 without pg', typeorm.stdout + typeorm.stderr, 'CONFIG_DRIVER_NOT_INSTALLED')
    const sequelize = await runTool(app, {script: 'sequelize'})
    expect(sequelize.stderr).toContain('Please install pg package manually')
    expectExplained('Sequelize without pg', sequelize.stdout + sequelize.stderr, 'CONFIG_DRIVER_NOT_INSTALLED')
    const drizzle = await runTool(app, {script: 'drizzle'})
    expect(drizzle.stdout + drizzle.stderr, drizzle.stdout + drizzle.stderr).toContain("please install either of 'pg'")
    expectExplained('drizzle-kit 0.31 without a driver', drizzle.stdout + drizzle.stderr, 'CONFIG_DRIVER_NOT_INSTALLED')
  })

  it('drizzle-kit without drizzle-orm stops before any driver (CONFIG_DRIZZLE_ORM_MISMATCH)', async () => {
    const bare = makeApp({
      files: {
        'package.json': appPackageJson({
          drizzle: 'node node_modules/drizzle-kit/bin.cjs migrate --config drizzle.config.js',
        }),
        'drizzle.config.js': `module.exports = {dialect: 'postgresql', schema: './schema.js', out: './drizzle', dbCredentials: {url: 'postgres://app@127.0.0.1:1/appdb'}}`,
        'schema.js': 'module.exports = {}',
      },
      packages: ['drizzle-kit', 'pg'],
    })
    try {
      expect(bare.installed).not.toContain('drizzle-orm')
      const r = await runTool(bare, {script: 'drizzle'})
      expect(r.code).toBe(1)
      expect(r.stdout + r.stderr).toContain('Please install latest version of drizzle-orm')
      expectExplained('drizzle-kit 0.31 without drizzle-orm', r.stdout + r.stderr, 'CONFIG_DRIZZLE_ORM_MISMATCH')
    } finally {
      bare.cleanup()
    }
  })
})

describe('the live texts through the CLI (one batch)', () => {
  it('db-doctor explain --json gives every code, with no password anywhere', async () => {
    expect(produced.length).toBeGreaterThanOrEqual(15)
    const r = await runCli(['explain', '--json'], {input: produced.map(([, text]) => text).join('\n')})
    expect(r.stdout + r.stderr).not.toContain(CANARY_PASSWORD)
    expect(r.code, r.stderr).toBe(0)
    const found = (JSON.parse(r.stdout) as {matches: {code: string | null; candidates?: string[]}[]}).matches.map(
      (m) => m.code ?? `hint:${m.candidates?.[0]}`,
    )
    for (const [what, , want] of produced) expect(found, what).toContain(want)
  })
})
