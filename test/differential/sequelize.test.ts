// Differential suite, sequelize-cli (issue 19): the real sequelize-cli 6.6 (with sequelize 6.37 and
// pg) runs `sequelize-cli db:migrate` against the test server in a temp app folder, and db-doctor
// runs beside it with the same folder and environment. Exit 0 exactly when the real CLI migrates,
// and the failing code names the cause the CLI's own error shows.
import {writeFileSync} from 'node:fs'
import {describe, expect, inject, it} from 'vitest'
import {CANARY_PASSWORD} from '../helpers/constants.js'
import {checkOf, reportOf} from '../helpers/cli.js'
import {
  appPackageJson,
  createScenarioDatabase,
  makeApp,
  runDoctor,
  runTool,
  type App,
} from '../helpers/migration-tools.js'
import {agree, doctorCheck as doctor, toolOutput as out} from '../helpers/differential.js'
import {scenarioCleanup} from '../helpers/scenario-cleanup.js'

const pg = inject('pg')
const {apps, dbs, scenario} = scenarioCleanup(pg)

function app(files: Record<string, string>): App {
  const a = makeApp({
    files: {'package.json': appPackageJson({migrate: 'sequelize-cli db:migrate'}), ...files},
    packages: ['sequelize-cli', 'sequelize', 'pg', 'pg-hstore'],
  })
  apps.push(a)
  return a
}

const CA = `require('fs').readFileSync(${JSON.stringify(pg.caFile)}, 'utf8')`

describe.concurrent('differential: sequelize-cli vs db-doctor', () => {
  it('use_env_variable with sslmode=require in the URL: sequelize-cli throws sslmode away and connects in plaintext (refused); db-doctor says the URL sslmode is dropped and fails', async () => {
    const db = await scenario('sq_require')
    const env = {DATABASE_URL: db.url(CANARY_PASSWORD, 'sslmode=require')}
    const a = app({
      'config/config.json': JSON.stringify({development: {use_env_variable: 'DATABASE_URL', dialect: 'postgres'}}),
    })
    const [tool, d] = await Promise.all([runTool(a, {script: 'migrate'}, {env, database: db}), doctor(a, env)])
    agree(tool, d)
    expect(out(tool)).toMatch(/ERROR: no pg_hba\.conf entry .* no encryption/)
    const ssl = checkOf(d.report, 'ssl-config')
    expect(ssl.evidence.findings).toContainEqual(
      expect.objectContaining({code: 'SSL_SETTING_DROPPED', setting: 'sslmode=require'}),
    )
    expect(ssl.summary).toContain('sequelize-cli keeps only host, port, database, user and password of the URL')
    expect(ssl.fix.snippet.code).toContain(
      "dialectOptions: {ssl: {ca: fs.readFileSync('ca.pem', 'utf8'), rejectUnauthorized: true}}",
    )
  })

  it('config.js with use_env_variable and dialectOptions.ssl {ca}: sequelize-cli migrates; db-doctor exits 0 and reads SequelizeMeta', async () => {
    const db = await scenario('sq_dialect_ssl')
    const env = {DATABASE_URL: db.url(CANARY_PASSWORD, 'sslmode=require')}
    const a = app({
      'config/config.js': `module.exports = {development: {use_env_variable: 'DATABASE_URL', dialect: 'postgres', dialectOptions: {ssl: {ca: ${CA}}}}}\n`,
    })
    const d = await doctor(a, env)
    const tool = await runTool(a, {script: 'migrate'}, {env, database: db})
    agree(tool, d)
    expect(tool.connected, out(tool)).toBe(true)
    expect(JSON.stringify(checkOf(d.report, 'migrations').evidence)).toContain('SequelizeMeta')
    expect(d.report.modelled.text).toMatch(/^sequelize-cli 6\.6 → node-postgres 8\.\d+$/)
  })

  it('SequelizeMeta: one migration run, one added — `sequelize-cli db:migrate:status` and db-doctor agree (1 applied, 1 pending); a role without CREATE on public fails both the same way', async () => {
    const db = await scenario('sq_state')
    const env = {DATABASE_URL: db.url(CANARY_PASSWORD)}
    const migration = (table: string) =>
      `module.exports = {up: (q) => q.sequelize.query('create table ${table} (id int)'), down: (q) => q.sequelize.query('drop table ${table}')}\n`
    const config = `module.exports = {development: {use_env_variable: 'DATABASE_URL', dialect: 'postgres', dialectOptions: {ssl: {ca: ${CA}}}}}\n`
    const a = app({'config/config.js': config, 'migrations/20240101000000-first.js': migration('t_first')})
    const run = await runTool(a, {script: 'migrate'}, {env, database: db})
    expect(run.code, out(run)).toBe(0)
    writeFileSync(`${a.dir}/migrations/20240102000000-second.js`, migration('t_second'))
    const [status, d] = await Promise.all([runTool(a, ['sequelize-cli', 'db:migrate:status'], {env}), doctor(a, env)])
    expect(out(status)).toMatch(/up\s+20240101000000-first\.js/)
    expect(out(status)).toMatch(/down\s+20240102000000-second\.js/)
    const m = checkOf(d.report, 'migrations')
    expect(m.status).toBe('pass')
    expect(m.evidence.tools[0]).toMatchObject({
      tool: 'sequelize-cli',
      table: 'SequelizeMeta',
      tableExists: true,
      applied: 1,
      pending: 1,
      nextPending: '20240102000000-second.js',
    })

    const noCreate = await createScenarioDatabase(pg, 'sq_priv', pg.superuser.user)
    dbs.push(noCreate)
    const envPriv = {DATABASE_URL: noCreate.url(CANARY_PASSWORD).replace(`//${pg.superuser.user}:`, '//app:')}
    const b = app({'config/config.js': config, 'migrations/20240101000000-first.js': migration('t_first')})
    const [t2, d2] = await Promise.all([
      runTool(b, {script: 'migrate'}, {env: envPriv, database: noCreate}),
      doctor(b, envPriv),
    ])
    agree(t2, d2)
    expect(out(t2)).toMatch(/permission denied for schema public/)
    expect(checkOf(d2.report, 'privileges').code).toBe('PRIV_NO_CREATE_ON_SCHEMA')
  })

  it('DATABASE_URL only in .env: sequelize-cli never reads it ("Error parsing url: undefined"); db-doctor fails CONFIG_ENV_FILE_NOT_LOADED with the script line that loads it', async () => {
    const db = await scenario('sq_envfile')
    const a = app({
      'config/config.js': `module.exports = {development: {use_env_variable: 'DATABASE_URL', dialect: 'postgres', dialectOptions: {ssl: {ca: ${CA}}}}}\n`,
      '.env': `DATABASE_URL=${db.url(CANARY_PASSWORD)}\n`,
    })
    const [tool, d] = await Promise.all([runTool(a, {script: 'migrate'}, {database: db}), doctor(a, {})])
    agree(tool, d)
    expect(out(tool)).toContain('ERROR: Error parsing url: undefined')
    const config = checkOf(d.report, 'config')
    expect(config.code).toBe('CONFIG_ENV_FILE_NOT_LOADED')
    expect(JSON.stringify(config.fix)).toContain('node --env-file=.env node_modules/.bin/sequelize-cli db:migrate')
  })

  it('--all-envs over config.json environments (NODE_ENV picks one for the CLI): the good one passes, the one without TLS fails like the CLI run with NODE_ENV=test', async () => {
    const db = await scenario('sq_envs')
    const url = db.url(CANARY_PASSWORD)
    const a = app({
      '.sequelizerc': `const path = require('path')\nmodule.exports = {config: path.resolve('db', 'config.js'), 'migrations-path': path.resolve('db', 'migrations')}\n`,
      'db/config.js': `module.exports = {development: {url: process.env.DATABASE_URL, dialect: 'postgres', dialectOptions: {ssl: {ca: ${CA}}}}, test: {url: process.env.DATABASE_URL, dialect: 'postgres', ssl: true}}\n`,
      'db/migrations/.keep': '',
    })
    const env = {DATABASE_URL: url}
    const [tool, fleet] = await Promise.all([
      runTool(a, {script: 'migrate'}, {env: {...env, NODE_ENV: 'test'}, database: db}),
      runDoctor(a, ['check', '--all-envs', '--json'], {env}),
    ])
    expect(tool.connected).toBe(false)
    expect(out(tool)).toContain('Using environment "test"')
    expect(out(tool)).toMatch(/no pg_hba\.conf entry .* no encryption/)
    const r = reportOf(fleet)
    const byName = Object.fromEntries(r.reports.map((x: any) => [x.name, x]))
    expect(Object.keys(byName).sort()).toEqual(['development', 'test'])
    expect(byName.development.summary.verdict).not.toBe('failing')
    expect(byName.test.summary.verdict).toBe('failing')
    expect(JSON.stringify(checkOf(byName.test, 'ssl-config'))).toContain('db/config.js test.ssl')
    expect(fleet.code).toBe(1)
  })
})
