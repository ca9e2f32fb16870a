// The pending migration files against real state: a role without CREATE on its database (a trusted and an
// untrusted extension), CONCURRENTLY inside each tool's transaction (and the tools' no-transaction markers),
// and a real session left idle in transaction on a table a pending migration alters. The real knex CLI is
// run once to show the failure the report predicted; the real drizzle-kit, sequelize-cli and TypeORM CLIs
// fail on their own files exactly as the report says.
import {mkdtempSync, mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import pg from 'pg'
import {afterAll, describe, expect, inject, it} from 'vitest'
import {authCheck} from '../../src/checks/auth.js'
import {configCheck} from '../../src/checks/config.js'
import {migrationsCheck} from '../../src/checks/migrations.js'
import {loadEnv} from '../../src/config/env.js'
import {diagnose} from '../../src/app/diagnose.js'
import type {CheckResult} from '../../src/core/types.js'
import {APP_USER, CANARY_PASSWORD} from '../helpers/constants.js'
import {createScenarioDatabase, makeApp, runTool, type App, type ScenarioDatabase} from '../helpers/migration-tools.js'

const info = inject('pg')
const apps: App[] = []
const dirs: string[] = []
const dbs: ScenarioDatabase[] = []
const TLS = () => `sslmode=verify-full&sslrootcert=${encodeURIComponent(info.caFile)}`
afterAll(async () => {
  for (const a of apps) a.cleanup()
  for (const d of dirs) rmSync(d, {recursive: true, force: true})
  for (const d of dbs) await d.drop().catch(() => {})
})

async function client(db: ScenarioDatabase, superuser = false): Promise<pg.Client> {
  const c = new pg.Client({
    host: info.host,
    port: info.port,
    database: db.name,
    user: superuser ? info.superuser.user : APP_USER,
    password: superuser ? info.superuser.password : CANARY_PASSWORD,
    ssl: {ca: info.caPem, servername: 'localhost'},
    application_name: 'left-open',
  })
  await c.connect()
  return c
}

async function migrations(
  cwd: string,
  db: ScenarioDatabase,
  tool?: 'knex' | 'prisma' | 'node-pg-migrate',
  extraEnv: Record<string, string> = {},
): Promise<CheckResult> {
  const {env, envFileOf} = loadEnv({
    cwd,
    processEnv: {DATABASE_URL: db.url(CANARY_PASSWORD, TLS()), PGPASSFILE: join(cwd, 'none'), HOME: cwd, ...extraEnv},
  })
  const report = await diagnose({
    cwd,
    env,
    envFileOf,
    options: {timeoutMs: 5000, verbose: false, dnsServers: [], ...(tool ? {tool} : {})},
    tool: 'db-doctor@test',
    checks: [configCheck, authCheck, migrationsCheck],
    strictFacts: true,
  })
  expect(report.checks[1]!.status, JSON.stringify(report.checks[1])).toBe('pass')
  return report.checks[2]!
}

const codes = (c: CheckResult) => (c.findings ?? []).map((f) => f.code)

describe('pending migration files against the role and the server', () => {
  it('knex: extensions the role may not create, CONCURRENTLY without {transaction: false}, a session idle in transaction on the altered table', async () => {
    const db = await createScenarioDatabase(info, 'mf_knex')
    dbs.push(db)
    const su = await client(db, true)
    await su.query(`revoke create on database "${db.name}" from ${APP_USER}`)
    await su.end()
    const appc = await client(db)
    await appc.query('create table accounts (id int)')
    // a real session left idle in transaction, holding AccessShareLock on accounts
    const holder = await client(db)
    await holder.query('begin')
    await holder.query('select * from accounts')
    const holderPid = (await holder.query('select pg_backend_pid() as pid')).rows[0]?.pid
    await appc.end()
    const app = makeApp({
      files: {
        'knexfile.js': "module.exports = {client: 'pg', connection: process.env.DATABASE_URL}\n",
        'migrations/001_ext.js':
          "exports.up = (knex) => knex.raw('CREATE EXTENSION IF NOT EXISTS pgcrypto; CREATE EXTENSION pg_stat_statements')\nexports.down = () => {}\n",
        'migrations/002_idx.js':
          "exports.up = (knex) => knex.raw('CREATE INDEX CONCURRENTLY accounts_id ON accounts (id)')\nexports.down = () => {}\n",
        'migrations/003_idx_ok.js':
          "exports.config = {transaction: false}\nexports.up = (knex) => knex.raw('CREATE INDEX CONCURRENTLY accounts_id2 ON accounts (id)')\nexports.down = () => {}\n",
        'migrations/004_alter.js':
          "exports.up = (knex) => knex.schema.alterTable('accounts', (t) => { t.string('email') })\nexports.down = () => {}\n",
      },
      packages: ['knex', 'pg'],
    })
    apps.push(app)
    try {
      const check = await migrations(app.dir, db)
      expect(check.status, JSON.stringify(check)).toBe('fail')
      expect(codes(check).sort()).toEqual([
        'MIGRATION_BLOCKED_BY_SESSION',
        'MIGRATION_NEEDS_NO_TRANSACTION',
        'PRIV_NO_CREATE_EXTENSION',
        'PRIV_NO_CREATE_EXTENSION',
      ])
      const all = JSON.stringify(check)
      expect(all).toContain('a trusted extension needs CREATE on the database')
      expect(all).toContain('pg_stat_statements, which is not installed')
      expect(all).toContain('only a superuser may create it')
      expect(all).toContain('002_idx.js runs CREATE INDEX CONCURRENTLY')
      expect(all).not.toContain('003_idx_ok.js runs')
      const blocked = check.findings!.find((f) => f.code === 'MIGRATION_BLOCKED_BY_SESSION')!.summary
      expect(blocked).toMatch(
        new RegExp(
          `^Session ${holderPid} \\(app, "left-open"\\) is idle in transaction, transaction open \\d+ s, holding AccessShareLock on accounts`,
        ),
      )
      expect(all).toContain('lock_timeout 0')
      expect(check.fix?.steps.join('\n')).toContain('exports.config = {transaction: false}')
      expect(check.fix?.steps.join('\n')).toContain(`GRANT CREATE ON DATABASE ${db.name} TO app`)
      // the real knex CLI stops on the first one, as predicted
      const real = await runTool(app, ['knex', 'migrate:latest'], {
        env: {DATABASE_URL: db.url(CANARY_PASSWORD, TLS())},
        timeoutMs: 30_000,
      })
      expect(real.code).not.toBe(0)
      expect(real.stdout + real.stderr).toContain('permission denied to create extension "pgcrypto"')
    } finally {
      await holder.end()
    }
    // once the holder is gone and the role may create trusted extensions, only the untrusted one and CONCURRENTLY stay
    const su2 = await client(db, true)
    await su2.query(`grant create on database "${db.name}" to ${APP_USER}`)
    await su2.end()
    const again = await migrations(app.dir, db)
    expect(codes(again).sort()).toEqual(['MIGRATION_NEEDS_NO_TRANSACTION', 'PRIV_NO_CREATE_EXTENSION'])
  }, 90_000)

  it('node-pg-migrate and Prisma: concurrently without pgm.noTransaction(), a multi-statement migration.sql', async () => {
    const db = await createScenarioDatabase(info, 'mf_tools')
    dbs.push(db)
    const cwd = mkdtempSync(join(tmpdir(), 'dbd-mf-'))
    dirs.push(cwd)
    const files: Record<string, string> = {
      'migrations/1700000000000_idx.js':
        "exports.up = (pgm) => { pgm.createIndex('accounts', 'id', {concurrently: true}) }\n",
      'migrations/1700000000001_idx_ok.js':
        "exports.up = (pgm) => { pgm.noTransaction(); pgm.createIndex('accounts', 'email', {concurrently: true}) }\n",
      'prisma/migrations/20240101000000_idx/migration.sql':
        'ALTER TABLE "User" ADD COLUMN "x" TEXT;\nCREATE INDEX CONCURRENTLY "User_x_idx" ON "User"("x");\n',
      'prisma/migrations/20240102000000_idx_alone/migration.sql':
        '-- only this statement\nCREATE INDEX CONCURRENTLY "User_y_idx" ON "User"("y");\n',
    }
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(dirname(join(cwd, rel)), {recursive: true})
      writeFileSync(join(cwd, rel), text)
    }
    const npm = await migrations(cwd, db, 'node-pg-migrate')
    expect(codes(npm), JSON.stringify(npm)).toEqual(['MIGRATION_NEEDS_NO_TRANSACTION'])
    expect(npm.summary).toContain('1700000000000_idx.js runs CREATE INDEX CONCURRENTLY')
    expect(npm.fix?.snippet?.code).toContain('pgm.noTransaction()')
    const prisma = await migrations(cwd, db, 'prisma')
    expect(codes(prisma), JSON.stringify(prisma)).toEqual(['MIGRATION_NEEDS_NO_TRANSACTION'])
    expect(prisma.summary).toContain('20240101000000_idx/migration.sql runs CREATE INDEX CONCURRENTLY')
  }, 60_000)

  it('drizzle-kit, sequelize-cli and TypeORM files: the real CLIs fail where the report says, and pass where it says nothing', async () => {
    const [dz, sq, to] = await Promise.all([
      createScenarioDatabase(info, 'mf_drizzle'),
      createScenarioDatabase(info, 'mf_sequelize'),
      createScenarioDatabase(info, 'mf_typeorm'),
    ])
    dbs.push(dz, sq, to)
    for (const db of [dz, sq, to]) {
      const c = await client(db)
      await c.query('create table accounts (id int, email text)')
      await c.end()
    }
    const su = await client(sq, true)
    await su.query(`revoke create on database "${sq.name}" from ${APP_USER}`)
    await su.end()
    const env = (db: ScenarioDatabase) => ({DATABASE_URL: db.url(CANARY_PASSWORD, TLS())})

    // drizzle-kit: every pending file in one transaction, no opt-out
    const drizzle = makeApp({
      files: {
        'drizzle.config.ts':
          "import {defineConfig} from 'drizzle-kit'\nexport default defineConfig({dialect: 'postgresql', out: './drizzle', dbCredentials: {url: process.env.DATABASE_URL!}})\n",
        'package.json': JSON.stringify({name: 'app', private: true, scripts: {'db:migrate': 'drizzle-kit migrate'}}),
        'drizzle/meta/_journal.json': JSON.stringify({
          version: '7',
          dialect: 'postgresql',
          entries: [{idx: 0, version: '7', when: 1700000000000, tag: '0000_idx', breakpoints: true}],
        }),
        'drizzle/0000_idx.sql': 'CREATE INDEX CONCURRENTLY "accounts_email_idx" ON "accounts" ("email");\n',
      },
      packages: ['drizzle-kit', 'drizzle-orm', 'pg'],
    })
    // sequelize-cli: no transaction of its own; a file that opens one, and an extension the role may not create
    const sequelize = makeApp({
      files: {
        'package.json': JSON.stringify({name: 'app', private: true, scripts: {migrate: 'sequelize-cli db:migrate'}}),
        'config/config.js': `module.exports = {development: {use_env_variable: 'DATABASE_URL', dialect: 'postgres', dialectOptions: {ssl: {ca: require('fs').readFileSync(${JSON.stringify(info.caFile)}, 'utf8')}}}}\n`,
        'migrations/20240101000000-ext.js':
          "module.exports = {up: (q) => q.sequelize.query('CREATE EXTENSION IF NOT EXISTS pgcrypto'), down: () => {}}\n",
        'migrations/20240102000000-idx.js':
          "module.exports = {up: (q) => q.sequelize.transaction(async (t) => { await q.sequelize.query('CREATE INDEX CONCURRENTLY accounts_id ON accounts (id)', {transaction: t}) }), down: () => {}}\n",
        'migrations/20240103000000-idx-ok.js':
          "module.exports = {up: (q) => q.sequelize.query('CREATE INDEX CONCURRENTLY accounts_id2 ON accounts (id)'), down: () => {}}\n",
      },
      packages: ['sequelize-cli', 'sequelize', 'pg', 'pg-hstore'],
    })
    // TypeORM: the default "all" mode refuses `transaction = false`; "each" honours it
    const typeormClass = (name: string, marker: boolean, sql: string) =>
      `class ${name} {\n${marker ? '  constructor() { this.transaction = false }\n' : ''}  async up(queryRunner) { await queryRunner.query(${JSON.stringify(sql)}) }\n  async down() {}\n}\nmodule.exports = {${name}}\n`
    const typeormPkg = (flag: string) =>
      JSON.stringify({name: 'app', private: true, scripts: {migrate: `typeorm migration:run -d data-source.js${flag}`}})
    const typeorm = makeApp({
      files: {
        'package.json': typeormPkg(''),
        'data-source.js': `const {DataSource} = require('typeorm')\nmodule.exports = {AppDataSource: new DataSource({type: 'postgres', url: process.env.DATABASE_URL, ssl: {ca: require('fs').readFileSync(${JSON.stringify(info.caFile)}, 'utf8')}, migrations: ['migrations/*.js']})}\n`,
        'migrations/1700000000000-Idx.js': typeormClass(
          'Idx1700000000000',
          false,
          'CREATE INDEX CONCURRENTLY accounts_id ON accounts (id)',
        ),
        'migrations/1700000000001-IdxOk.js': typeormClass(
          'IdxOk1700000000001',
          true,
          'CREATE INDEX CONCURRENTLY accounts_email ON accounts (email)',
        ),
      },
      packages: ['typeorm', 'pg'],
    })
    apps.push(drizzle, sequelize, typeorm)

    // the predictions first, then the real CLIs (a tool running beside db-doctor would hold locks it reads)
    const [dzCheck, sqCheck, toCheck] = await Promise.all([
      migrations(drizzle.dir, dz),
      migrations(sequelize.dir, sq),
      migrations(typeorm.dir, to),
    ])
    const [dzReal, sqReal, toReal] = await Promise.all([
      runTool(drizzle, {script: 'db:migrate'}, {env: env(dz), timeoutMs: 60_000}),
      runTool(sequelize, {script: 'migrate'}, {env: env(sq), timeoutMs: 60_000}),
      runTool(typeorm, {script: 'migrate'}, {env: env(to), timeoutMs: 60_000}),
    ])
    const out = (t: {stdout: string; stderr: string}) => `${t.stdout}\n${t.stderr}`

    expect(codes(dzCheck), JSON.stringify(dzCheck)).toEqual(['MIGRATION_NEEDS_NO_TRANSACTION'])
    expect(dzCheck.summary).toContain(
      'drizzle/0000_idx.sql runs CREATE INDEX CONCURRENTLY inside the one transaction drizzle-kit migrate runs',
    )
    expect(dzReal.code, out(dzReal)).toBe(1)
    // drizzle-kit prints only its spinner: the server shows what happened (no index, nothing recorded)
    const dzc = await client(dz)
    expect((await dzc.query("select to_regclass('accounts_email_idx') as idx")).rows[0].idx).toBeNull()
    expect((await dzc.query('select count(*)::int as n from drizzle.__drizzle_migrations')).rows[0].n).toBe(0)
    await dzc.end()

    expect(codes(sqCheck).sort(), JSON.stringify(sqCheck)).toEqual([
      'MIGRATION_NEEDS_NO_TRANSACTION',
      'PRIV_NO_CREATE_EXTENSION',
    ])
    expect(JSON.stringify(sqCheck)).toContain(
      'migrations/20240102000000-idx.js runs CREATE INDEX CONCURRENTLY inside the transaction the migration opens itself',
    )
    expect(JSON.stringify(sqCheck)).not.toContain('20240103000000-idx-ok.js runs')
    expect(sqReal.code, out(sqReal)).not.toBe(0)
    expect(out(sqReal)).toContain('permission denied to create extension "pgcrypto"')

    expect(codes(toCheck), JSON.stringify(toCheck)).toEqual([
      'MIGRATION_NEEDS_NO_TRANSACTION',
      'MIGRATION_NEEDS_NO_TRANSACTION',
    ])
    expect(JSON.stringify(toCheck)).toContain('ForbiddenTransactionModeOverrideError')
    expect(toReal.code, out(toReal)).not.toBe(0)
    // the catalogue's example, word for word
    expect(out(toReal)).toContain('Error during migration run:')
    expect(out(toReal)).toContain(
      'ForbiddenTransactionModeOverrideError: Migrations "IdxOk1700000000001" override the transaction mode, but the global transaction mode is "all"',
    )

    // the sequelize file that opens no transaction, and TypeORM with -t each: only the migration without its marker stays
    const sqSu = await client(sq, true)
    await sqSu.query(`grant create on database "${sq.name}" to ${APP_USER}`)
    await sqSu.end()
    writeFileSync(
      join(sequelize.dir, 'migrations/20240102000000-idx.js'),
      'module.exports = {up: async () => {}, down: async () => {}}\n',
    )
    writeFileSync(join(typeorm.dir, 'package.json'), typeormPkg(' -t each'))
    const [sqAgain, toEach] = await Promise.all([migrations(sequelize.dir, sq), migrations(typeorm.dir, to)])
    const [sqReal2, toReal2] = await Promise.all([
      runTool(sequelize, {script: 'migrate'}, {env: env(sq), timeoutMs: 60_000}),
      runTool(typeorm, {script: 'migrate'}, {env: env(to), timeoutMs: 60_000}),
    ])
    expect(sqAgain.status, JSON.stringify(sqAgain)).toBe('pass')
    expect(sqReal2.code, out(sqReal2)).toBe(0)
    expect(codes(toEach), JSON.stringify(toEach)).toEqual(['MIGRATION_NEEDS_NO_TRANSACTION'])
    expect(toEach.summary).toContain(
      "migrations/1700000000000-Idx.js runs CREATE INDEX CONCURRENTLY inside TypeORM's transaction for this migration (-t each in the migrate script",
    )
    expect(toReal2.code, out(toReal2)).not.toBe(0)
    expect(out(toReal2)).toContain('CREATE INDEX CONCURRENTLY cannot run inside a transaction block')
  }, 120_000)
})
