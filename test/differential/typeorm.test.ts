// Differential suite, TypeORM (issue 19): the real TypeORM CLI — 1.1 and 0.3.31 (typeorm-03,
// installed in the app as `typeorm`) — runs `typeorm migration:run -d <data source>` against the
// test server in a temp app folder (JS data sources directly, a TS one through tsx), and db-doctor
// runs beside it with the same folder and environment. Exit 0 exactly when the real CLI migrates,
// and the failing code names the cause the CLI's own error shows.
import {writeFileSync} from 'node:fs'
import {describe, expect, inject, it} from 'vitest'
import {CANARY_PASSWORD} from '../helpers/constants.js'
import {checkOf} from '../helpers/cli.js'
import {
  appPackageJson,
  createScenarioDatabase,
  makeApp,
  runTool,
  type App,
  type ScenarioDatabase,
} from '../helpers/migration-tools.js'
import {agree, doctorCheck as doctor, toolOutput as out} from '../helpers/differential.js'
import {scenarioCleanup} from '../helpers/scenario-cleanup.js'

const pg = inject('pg')
const {apps, dbs} = scenarioCleanup()

async function scenario(label: string, owner?: string): Promise<ScenarioDatabase> {
  const db = await createScenarioDatabase(pg, label, owner)
  dbs.push(db)
  return db
}

const V1 = 'typeorm'
const V03 = 'typeorm-03 as typeorm'

function app(files: Record<string, string>, typeorm: string, extra: string[] = []): App {
  const a = makeApp({files, packages: [typeorm, 'pg', ...extra]})
  apps.push(a)
  return a
}

const CA = `require('fs').readFileSync(${JSON.stringify(pg.caFile)}, 'utf8')`
/** A CommonJS data source with these options (url from DATABASE_URL). */
const dataSource = (opts: string) =>
  `const {DataSource} = require('typeorm')\nmodule.exports = {AppDataSource: new DataSource({type: 'postgres', url: process.env.DATABASE_URL, migrations: ['migrations/*.js'], ${opts}})}\n`
const SCRIPT = appPackageJson({migrate: 'typeorm migration:run -d data-source.js'})

describe.concurrent('differential: the TypeORM CLI vs db-doctor', () => {
  it('1.1: url with sslmode=require replaces the ssl object (private CA): the CLI fails verifying; db-doctor names the chain and the conflict', async () => {
    const db = await scenario('to_require')
    const env = {DATABASE_URL: db.url(CANARY_PASSWORD, 'sslmode=require')}
    const a = app({'data-source.js': dataSource(`ssl: {ca: ${CA}}`), 'package.json': SCRIPT}, V1)
    const [tool, d] = await Promise.all([runTool(a, {script: 'migrate'}, {env, database: db}), doctor(a, env)])
    agree(tool, d)
    expect(out(tool)).toMatch(/unable to verify the first certificate/)
    expect(out(tool)).toContain('Error during migration run:')
    expect(checkOf(d.report, 'tls').code).toBe('TLS_UNTRUSTED_ISSUER')
    expect(checkOf(d.report, 'ssl-config').code).toBe('SSL_CONFIG_CONFLICT')
    expect(checkOf(d.report, 'ssl-config').summary).toContain(
      'The ssl object { ca: <set> } in data-source.js is ignored',
    )
    expect(d.report.target.sources.host).toContain('DATABASE_URL')
  })

  it("1.1: url without ssl parameters + ssl {ca}: the CLI connects and migrates; db-doctor exits 0 with TypeORM's table", async () => {
    const db = await scenario('to_sslobj')
    const env = {DATABASE_URL: db.url(CANARY_PASSWORD)}
    const a = app({'data-source.js': dataSource(`ssl: {ca: ${CA}}`), 'package.json': SCRIPT}, V1)
    const d = await doctor(a, env)
    const tool = await runTool(a, {script: 'migrate'}, {env, database: db})
    agree(tool, d)
    expect(tool.connected, out(tool)).toBe(true)
    expect(JSON.stringify(checkOf(d.report, 'migrations').evidence)).toContain('migrations')
    expect(d.report.modelled.text).toMatch(/^typeorm 1\.1 → node-postgres 8\.\d+$/)
  })

  it("1.1: migrationsTableName: one migration run, one added — `typeorm migration:show` and db-doctor's migrations check agree on TypeORM's own table (1 applied, 1 pending)", async () => {
    const db = await scenario('to_state')
    const env = {DATABASE_URL: db.url(CANARY_PASSWORD)}
    const migration = (cls: string, table: string) =>
      `module.exports = class ${cls} { async up(q) { await q.query('create table ${table} (id int)') } async down(q) { await q.query('drop table ${table}') } }\n`
    const a = app(
      {
        'data-source.js': dataSource(`ssl: {ca: ${CA}}, migrationsTableName: 'schema_history'`),
        'package.json': SCRIPT,
        'migrations/1700000000000-First.js': migration('First1700000000000', 't_first'),
      },
      V1,
    )
    const run = await runTool(a, {script: 'migrate'}, {env, database: db})
    expect(run.code, out(run)).toBe(0)
    writeFileSync(`${a.dir}/migrations/1700000000001-Second.js`, migration('Second1700000000001', 't_second'))
    const [show, d] = await Promise.all([
      runTool(a, ['typeorm', 'migration:show', '-d', 'data-source.js'], {env}),
      doctor(a, env),
    ])
    expect(out(show)).toMatch(/\[X\] \d* ?First1700000000000/)
    expect(out(show)).toMatch(/\[ \] Second1700000000001/)
    const m = checkOf(d.report, 'migrations')
    expect(m.status).toBe('pass')
    expect(m.evidence.tools[0]).toMatchObject({
      tool: 'typeorm',
      table: 'schema_history',
      tableExists: true,
      applied: 1,
      pending: 1,
      nextPending: 'Second1700000000001',
    })
  })

  it('0.3: extra.ssl wins over ssl (Object.assign over the pool options): {ca} in extra connects although ssl says nothing of the CA', async () => {
    const db = await scenario('to03_extra')
    const env = {DATABASE_URL: db.url(CANARY_PASSWORD)}
    const a = app(
      {
        'data-source.js': dataSource(`ssl: {rejectUnauthorized: true}, extra: {ssl: {ca: ${CA}}}`),
        'package.json': SCRIPT,
      },
      V03,
    )
    const [tool, d] = await Promise.all([runTool(a, {script: 'migrate'}, {env, database: db}), doctor(a, env)])
    agree(tool, d)
    expect(tool.connected, out(tool)).toBe(true)
  })

  it('1.1: extra.ssl false beats ssl {ca}: plaintext, the server refuses; db-doctor fails on the same pg_hba refusal', async () => {
    const db = await scenario('to_extra_off')
    const env = {DATABASE_URL: db.url(CANARY_PASSWORD)}
    const a = app({'data-source.js': dataSource(`ssl: {ca: ${CA}}, extra: {ssl: false}`), 'package.json': SCRIPT}, V1)
    const [tool, d] = await Promise.all([runTool(a, {script: 'migrate'}, {env, database: db}), doctor(a, env)])
    agree(tool, d)
    expect(out(tool)).toMatch(/no pg_hba\.conf entry .* no encryption/)
    const failing = d.report.checks.filter((c: any) => c.status === 'fail').map((c: any) => c.code)
    expect(failing.join(' ')).toMatch(/HBA|SSL_REQUIRED|NO_ENCRYPTION/)
  })

  it('0.3: DATABASE_URL only in .env and `npm run migrate` runs the CLI without a loader: the CLI never reads .env (ECONNREFUSED 127.0.0.1:5432); db-doctor fails CONFIG_ENV_FILE_NOT_LOADED', async () => {
    const db = await scenario('to03_envfile')
    const a = app(
      {
        'data-source.js': dataSource(`ssl: {ca: ${CA}}`),
        '.env': `DATABASE_URL=${db.url(CANARY_PASSWORD)}\n`,
        'package.json': SCRIPT,
      },
      V03,
    )
    const [tool, d] = await Promise.all([runTool(a, {script: 'migrate'}, {database: db}), doctor(a, {})])
    agree(tool, d)
    expect(out(tool)).toMatch(/ECONNREFUSED/)
    const config = checkOf(d.report, 'config')
    expect(config.code).toBe('CONFIG_ENV_FILE_NOT_LOADED')
    expect(JSON.stringify(config.fix)).toContain(
      'node --env-file=.env node_modules/.bin/typeorm migration:run -d data-source.js',
    )
  })

  it("1.1: wrong password and a database the role may not create in: the CLI fails with the server's words; db-doctor blames the same", async () => {
    const bad = await scenario('to_pw')
    const envBad = {DATABASE_URL: bad.url('not-the-password')}
    const a = app({'data-source.js': dataSource(`ssl: {ca: ${CA}}`), 'package.json': SCRIPT}, V1)
    const noCreate = await scenario('to_priv', pg.superuser.user)
    const envPriv = {DATABASE_URL: noCreate.url(CANARY_PASSWORD).replace(`//${pg.superuser.user}:`, '//app:')}
    const [t1, d1, t2, d2] = await Promise.all([
      runTool(a, {script: 'migrate'}, {env: envBad, database: bad}),
      doctor(a, envBad),
      runTool(a, {script: 'migrate'}, {env: envPriv, database: noCreate}),
      doctor(a, envPriv),
    ])
    agree(t1, d1)
    expect(out(t1)).toMatch(/password authentication failed for user "app"/)
    expect(checkOf(d1.report, 'auth').code).toBe('AUTH_PASSWORD_FAILED')
    agree(t2, d2)
    expect(out(t2)).toMatch(/permission denied for schema public/)
    expect(checkOf(d2.report, 'privileges').code).toBe('PRIV_NO_CREATE_ON_SCHEMA')
  })

  it("1.1: a TypeScript data source run through tsx (`tsx ./node_modules/typeorm/cli.js migration:run -d src/data-source.ts`): found by the script's -d, both connect", async () => {
    const db = await scenario('to_tsx')
    const env = {DATABASE_URL: db.url(CANARY_PASSWORD)}
    const ts = `import {DataSource} from 'typeorm'\nimport {readFileSync} from 'node:fs'\nexport const AppDataSource = new DataSource({type: 'postgres', url: process.env.DATABASE_URL as string, ssl: {ca: readFileSync(${JSON.stringify(pg.caFile)}, 'utf8')}, migrations: ['src/migrations/*.ts'], migrationsTableName: 'typeorm_migrations'})\n`
    const a = app(
      {
        'src/data-source.ts': ts,
        'package.json': appPackageJson({
          'migration:run': 'tsx ./node_modules/typeorm/cli.js migration:run -d src/data-source.ts',
        }),
      },
      V1,
      ['tsx'],
    )
    const [tool, d] = await Promise.all([runTool(a, {script: 'migration:run'}, {env, database: db}), doctor(a, env)])
    expect(tool.code, out(tool)).toBe(0)
    expect(d.code).toBe(0)
    expect(JSON.stringify(checkOf(d.report, 'migrations').evidence)).toContain('typeorm_migrations')
  })
})
