// The migrations check against state left by the real tools: the knex and node-pg-migrate CLIs
// (test/helpers/migration-tools.ts) run in temp apps against one database each; Prisma's table is
// made with Prisma's own DDL (its engines cannot be downloaded here). After db-doctor's verdict the
// real tool is run again where it matters, to show it fails the way the report predicted.
import {spawn, type ChildProcess} from 'node:child_process'
import {rmSync} from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import {afterAll, describe, expect, inject, it} from 'vitest'
import {checkOf, reportOf} from '../helpers/cli.js'
import {CANARY_PASSWORD} from '../helpers/constants.js'
import {PRISMA_MIGRATIONS_DDL} from '../helpers/round-trips.js'
import {adminClient} from '../helpers/postgres.js'
import {
  appEnv,
  createScenarioDatabase,
  makeApp,
  runDoctor,
  runTool,
  type App,
  type ScenarioDatabase,
} from '../helpers/migration-tools.js'

const info = inject('pg')
const apps: App[] = []
const dbs: ScenarioDatabase[] = []
const outputs: string[] = []
const TLS = () => `sslmode=verify-full&sslrootcert=${encodeURIComponent(info.caFile)}`

afterAll(async () => {
  for (const a of apps) a.cleanup()
  for (const d of dbs) await d.drop().catch(() => {})
  const all = outputs.join('\n')
  expect(all).not.toContain(CANARY_PASSWORD)
})

async function scenario(label: string, files: Record<string, string>, packages: string[]) {
  const db = await createScenarioDatabase(info, label)
  dbs.push(db)
  const app = makeApp({files, packages})
  apps.push(app)
  const env = {DATABASE_URL: db.url(CANARY_PASSWORD, TLS())}
  return {db, app, env}
}

async function doctor(app: App, env: Record<string, string>, args: string[] = []) {
  const res = await runDoctor(app, ['check', '--json', '--only', 'config,auth,migrations', ...args], {env})
  outputs.push(res.stdout, res.stderr)
  const report = reportOf(res)
  expect(checkOf(report, 'auth').status, res.stdout).toBe('pass')
  return {res, migrations: checkOf(report, 'migrations')}
}

async function asApp(db: ScenarioDatabase, text: string, values?: unknown[]): Promise<void> {
  const c = new pg.Client({connectionString: db.url(CANARY_PASSWORD), ssl: {ca: info.caPem, servername: 'localhost'}})
  await c.connect()
  try {
    await c.query(text, values)
  } finally {
    await c.end()
  }
}

async function queryAsApp(db: ScenarioDatabase, text: string): Promise<Record<string, unknown>[]> {
  const c = new pg.Client({connectionString: db.url(CANARY_PASSWORD), ssl: {ca: info.caPem, servername: 'localhost'}})
  await c.connect()
  try {
    return (await c.query(text)).rows
  } finally {
    await c.end()
  }
}

const KNEXFILE = `module.exports = {client: 'pg', connection: process.env.DATABASE_URL}\n`
const knexMigration = (table: string) =>
  `exports.up = (knex) => knex.schema.createTable('${table}', (t) => { t.increments() })\nexports.down = (knex) => knex.schema.dropTable('${table}')\n`

describe('knex', () => {
  it('a healthy project: pending count in the evidence, table and folder from the knexfile', async () => {
    const {app, env} = await scenario('knex_ok', {'knexfile.js': KNEXFILE, 'migrations/001_a.js': knexMigration('a')}, [
      'knex',
      'pg',
    ])
    expect((await runTool(app, ['knex', 'migrate:latest'], {env})).code).toBe(0)
    const {writeFileSync} = await import('node:fs')
    writeFileSync(path.join(app.dir, 'migrations', '002_b.js'), knexMigration('b'))
    const {migrations} = await doctor(app, env)
    expect(migrations).toMatchObject({status: 'pass', code: null})
    expect(migrations.evidence.tools[0]).toMatchObject({
      tool: 'knex',
      table: 'knex_migrations',
      tableExists: true,
      applied: 1,
      pending: 1,
      nextPending: '002_b.js',
    })
  })

  it('MIGRATION_LOCKED from a knex run killed while migrating (a CI timeout); knex itself then says "Migration table is already locked"', async () => {
    const {app, env, db} = await scenario(
      'knex_locked',
      {
        'knexfile.js': KNEXFILE,
        'migrations/001_a.js': knexMigration('a'),
        // a migration that opts out of knex's wrapping transaction (CREATE INDEX CONCURRENTLY needs it):
        // knex then commits its lock row before running the batch
        'migrations/002_slow.js': `exports.config = {transaction: false}\nexports.up = async () => { await new Promise((r) => setTimeout(r, 60000)) }\nexports.down = async () => {}\n`,
      },
      ['knex', 'pg'],
    )
    // the real knex CLI takes its lock and hangs in 002; kill it (a CI job's timeout)
    const child = spawn(process.execPath, [path.join(app.dir, 'node_modules', '.bin', 'knex'), 'migrate:latest'], {
      cwd: app.dir,
      env: appEnv(app, env),
      stdio: 'ignore',
      detached: true,
    })
    try {
      let locked = false
      for (let i = 0; i < 300 && !locked; i++) {
        locked = await queryAsApp(db, 'select is_locked from knex_migrations_lock')
          .then((rows) => rows.some((r) => r.is_locked === 1))
          .catch(() => false)
        if (!locked) await new Promise((r) => setTimeout(r, 100))
      }
      expect(locked).toBe(true)
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL')
      } catch {}
    }
    const {migrations, res} = await doctor(app, env)
    expect(migrations, res.stdout).toMatchObject({status: 'fail', code: 'MIGRATION_LOCKED'})
    expect(migrations.evidence).toMatchObject({lockTable: 'knex_migrations_lock', is_locked: 1})
    expect(migrations.fix.snippet.code).toBe('npx knex migrate:unlock')
    const again = await runTool(app, ['knex', 'migrate:latest'], {env})
    expect(again.code).not.toBe(0)
    expect(again.stdout + again.stderr).toContain('Migration table is already locked')
  })

  it('MIGRATION_FILES_MISSING when an applied migration file is gone; knex says "The migration directory is corrupt"', async () => {
    const {app, env} = await scenario(
      'knex_missing',
      {'knexfile.js': KNEXFILE, 'migrations/001_a.js': knexMigration('a'), 'migrations/002_b.js': knexMigration('b')},
      ['knex', 'pg'],
    )
    expect((await runTool(app, ['knex', 'migrate:latest'], {env})).code).toBe(0)
    rmSync(path.join(app.dir, 'migrations', '001_a.js'))
    const {migrations} = await doctor(app, env)
    expect(migrations).toMatchObject({status: 'fail', code: 'MIGRATION_FILES_MISSING'})
    expect(migrations.evidence).toMatchObject({table: 'knex_migrations', missing: ['001_a.js'], pending: 0})
    const again = await runTool(app, ['knex', 'migrate:latest'], {env})
    expect(again.stdout + again.stderr).toContain(
      'The migration directory is corrupt, the following files are missing: 001_a.js',
    )
  })

  it('reads tableName and schemaName from the knexfile', async () => {
    const knexfile = `module.exports = {client: 'pg', connection: process.env.DATABASE_URL, migrations: {tableName: 'schema_history', schemaName: 'ops'}}\n`
    const {app, env, db} = await scenario(
      'knex_custom',
      {'knexfile.js': knexfile, 'migrations/001_a.js': knexMigration('a')},
      ['knex', 'pg'],
    )
    await asApp(db, 'create schema ops')
    expect((await runTool(app, ['knex', 'migrate:latest'], {env})).code).toBe(0)
    await asApp(db, 'update ops.schema_history_lock set is_locked = 1')
    const {migrations} = await doctor(app, env)
    expect(migrations).toMatchObject({status: 'fail', code: 'MIGRATION_LOCKED'})
    expect(migrations.evidence).toMatchObject({lockTable: 'ops.schema_history_lock'})
  })
})

describe('node-pg-migrate', () => {
  const PKG = JSON.stringify({
    name: 'app',
    private: true,
    dependencies: {'node-pg-migrate': '9', pg: '8'},
    scripts: {migrate: 'node-pg-migrate up'},
  })
  const npmMigration = `exports.up = (pgm) => { pgm.sql('select 1') }\nexports.down = () => {}\n`

  it('MIGRATION_LOCKED while a real node-pg-migrate run holds its advisory lock; a second run says "Another migration is already running"', async () => {
    const {app, env, db} = await scenario(
      'npm_locked',
      {
        'package.json': PKG,
        'migrations/1700000000000_slow.js': `exports.up = async () => { await new Promise((r) => setTimeout(r, 60000)) }\nexports.down = () => {}\n`,
      },
      ['node-pg-migrate', 'pg'],
    )
    let child: ChildProcess | undefined
    const spawned = Date.now()
    try {
      child = spawn(process.execPath, [path.join(app.dir, 'node_modules', '.bin', 'node-pg-migrate'), 'up'], {
        cwd: app.dir,
        env: appEnv(app, env),
        stdio: 'ignore',
        detached: true,
      })
      // wait until the real run holds its lock (seen from a superuser session)
      const admin = await adminClient(info, db.name)
      let holder = 0
      try {
        for (let i = 0; i < 200 && !holder; i++) {
          const r = await admin.query(
            `select pid from pg_locks where locktype = 'advisory' and objid::bigint = (7241865325823964 & 4294967295) and granted`,
          )
          holder = r.rows[0]?.pid ?? 0
          if (!holder) await new Promise((r) => setTimeout(r, 100))
        }
      } finally {
        await admin.end()
      }
      expect(holder).toBeGreaterThan(0)
      await new Promise((r) => setTimeout(r, 2000)) // the lock's age grows past a second
      const {migrations} = await doctor(app, env)
      expect(migrations).toMatchObject({status: 'fail', code: 'MIGRATION_LOCKED'})
      expect(migrations.evidence.holders[0]).toMatchObject({pid: holder, user: 'app'})
      // its age, bounded on the server's clock: not before the run started, at least since its BEGIN
      // (node-pg-migrate locks right after connecting, then BEGINs its single transaction)
      const {atMostSeconds, atLeastSeconds} = migrations.evidence.lockAge
      expect(atLeastSeconds).toBeGreaterThanOrEqual(1)
      expect(atMostSeconds).toBeGreaterThanOrEqual(atLeastSeconds)
      expect(atMostSeconds).toBeLessThanOrEqual(Math.ceil((Date.now() - spawned) / 1000))
      expect(migrations.fix.snippet.code).toBe(`SELECT pg_terminate_backend(${holder});`)
      const second = await runTool(app, ['node-pg-migrate', 'up'], {env})
      expect(second.stdout + second.stderr).toContain('Another migration is already running')
    } finally {
      if (child?.pid) {
        try {
          process.kill(-child.pid, 'SIGKILL')
        } catch {}
      }
    }
  })

  it("MIGRATION_FILES_MISSING (fail) when the first applied file is gone, predicting node-pg-migrate's own error", async () => {
    const {app, env} = await scenario(
      'npm_missing',
      {
        'package.json': PKG,
        'migrations/1700000000000_a.js': npmMigration,
        'migrations/1700000000001_b.js': npmMigration,
      },
      ['node-pg-migrate', 'pg'],
    )
    expect((await runTool(app, ['node-pg-migrate', 'up'], {env})).code).toBe(0)
    rmSync(path.join(app.dir, 'migrations', '1700000000000_a.js'))
    const {migrations} = await doctor(app, env)
    expect(migrations).toMatchObject({status: 'fail', code: 'MIGRATION_FILES_MISSING'})
    expect(migrations.evidence).toMatchObject({table: 'public.pgmigrations', missing: ['1700000000000_a']})
    const again = await runTool(app, ['node-pg-migrate', 'up'], {env})
    expect(again.code).not.toBe(0)
    expect(again.stdout + again.stderr).toContain(migrations.evidence.predictedError)
  })

  it('MIGRATION_OUT_OF_ORDER when a new file sorts before an applied one', async () => {
    const {app, env} = await scenario(
      'npm_order',
      {'package.json': PKG, 'migrations/1700000000005_a.js': npmMigration},
      ['node-pg-migrate', 'pg'],
    )
    expect((await runTool(app, ['node-pg-migrate', 'up'], {env})).code).toBe(0)
    const {writeFileSync} = await import('node:fs')
    writeFileSync(path.join(app.dir, 'migrations', '1700000000001_early.js'), npmMigration)
    const {migrations} = await doctor(app, env)
    expect(migrations).toMatchObject({status: 'fail', code: 'MIGRATION_OUT_OF_ORDER'})
    const again = await runTool(app, ['node-pg-migrate', 'up'], {env})
    expect(again.stdout + again.stderr).toContain(
      'Not run migration 1700000000001_early is preceding already run migration 1700000000005_a',
    )
  })
})

describe("prisma (the table made with Prisma's own DDL)", () => {
  // prisma-engines, schema-engine/connectors/sql-schema-connector, postgres flavour: create_migrations_table
  const PRISMA_DDL = PRISMA_MIGRATIONS_DDL
  const files = {
    'prisma/schema.prisma': 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n',
    'prisma/migrations/20240101000000_init/migration.sql': 'CREATE TABLE users (id int);\n',
    'prisma/migrations/20240201000000_add_email/migration.sql': 'ALTER TABLE users ADD email text;\n',
  }

  it('MIGRATION_FAILED from an unfinished, unresolved row, with its name, start and redacted logs', async () => {
    const {app, env, db} = await scenario('prisma_failed', files, [])
    await asApp(db, PRISMA_DDL)
    await asApp(
      db,
      `insert into _prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count) values ('a', 'x', now(), '20240101000000_init', 1)`,
    )
    await asApp(
      db,
      `insert into _prisma_migrations (id, checksum, migration_name, logs) values ('b', 'y', '20240201000000_add_email', $1)`,
      [
        `Database error code: 42701 column "email" of relation "users" already exists; url postgres://app:${CANARY_PASSWORD}@db/appdb`,
      ],
    )
    const {migrations} = await doctor(app, env)
    expect(migrations).toMatchObject({status: 'fail', code: 'MIGRATION_FAILED'})
    expect(migrations.evidence.failed[0]).toMatchObject({migration: '20240201000000_add_email', applied_steps_count: 0})
    expect(migrations.evidence.failed[0].logs).toContain('already exists')
    expect(migrations.fix.snippet.code).toBe('npx prisma migrate resolve --rolled-back 20240201000000_add_email')
  })

  it('MIGRATION_LOCKED while another session holds advisory lock 72707369 (as prisma migrate does)', async () => {
    const {app, env, db} = await scenario('prisma_locked', files, [])
    await asApp(db, PRISMA_DDL)
    const holder = new pg.Client({
      connectionString: db.url(CANARY_PASSWORD),
      ssl: {ca: info.caPem, servername: 'localhost'},
      application_name: 'prisma-migrate',
    })
    await holder.connect()
    try {
      const pid = (await holder.query('select pg_backend_pid() as pid')).rows[0].pid
      await holder.query('select pg_advisory_lock(72707369)')
      const {migrations} = await doctor(app, env)
      expect(migrations).toMatchObject({status: 'fail', code: 'MIGRATION_LOCKED'})
      expect(migrations.evidence.holders[0]).toMatchObject({
        pid,
        application_name: 'prisma-migrate',
        user: 'app',
        state: 'idle',
      })
      // idle since it took the lock: held at least since its last query, at most since it connected
      const {atMostSeconds, atLeastSeconds} = migrations.evidence.lockAge
      expect(atLeastSeconds).toBeGreaterThanOrEqual(0)
      expect(atMostSeconds).toBeGreaterThanOrEqual(atLeastSeconds)
    } finally {
      await holder.end()
    }
  })

  it('MIGRATION_TABLE_NO_ACCESS when _prisma_migrations was made by another role: the exact GRANT, as its owner', async () => {
    // Prisma's schema engine inserts a row per migration, then updates finished_at and applied_steps_count
    for (const [grant, missing] of [
      ['select', 'INSERT, UPDATE'],
      ['', 'SELECT, INSERT, UPDATE'],
    ] as const) {
      const {app, env, db} = await scenario('prisma_access', files, [])
      const admin = await adminClient(info, db.name)
      try {
        await admin.query(`${PRISMA_DDL}; ${grant ? `grant ${grant} on _prisma_migrations to app` : ''}`)
        const {migrations} = await doctor(app, env)
        expect(migrations, grant).toMatchObject({status: 'fail', code: 'MIGRATION_TABLE_NO_ACCESS'})
        expect(migrations.evidence).toMatchObject({
          role: 'app',
          table: 'public._prisma_migrations',
          owner: info.superuser.user,
          missing: [`public._prisma_migrations: ${missing} (owner ${info.superuser.user})`],
        })
        expect(migrations.fix.snippet.code).toBe(`GRANT ${missing} ON public._prisma_migrations TO app;`)
        // the GRANT, run as the owner, is the fix
        await admin.query(migrations.fix.snippet.code)
        expect((await doctor(app, env)).migrations.status).toBe('pass')
      } finally {
        await admin.end()
      }
    }
  })

  it('MIGRATION_NOT_BASELINED (warn) when the schema has tables and no _prisma_migrations', async () => {
    const {app, env, db} = await scenario('prisma_baseline', files, [])
    await asApp(db, 'create table users (id int)')
    const {migrations} = await doctor(app, env)
    expect(migrations).toMatchObject({status: 'warn', code: 'MIGRATION_NOT_BASELINED'})
    expect(migrations.evidence).toMatchObject({schema: 'public', tables: 1, migrations: 2})
  })
})

describe('no migration tool', () => {
  it('a URL-only run skips migrations and says why', async () => {
    const {app, env} = await scenario('no_tool', {}, [])
    const {migrations} = await doctor(app, env)
    expect(migrations.status).toBe('skip')
    expect(migrations.summary).toContain('no migration tool found')
  })
})
