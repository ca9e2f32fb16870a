// Differential suite, config discovery (issue 19): which config file each migration CLI really reads,
// and in which order, with real files in temp app folders — the real drizzle-kit 0.31, TypeORM 0.3.31 and
// 1.1, sequelize-cli 6.6 — and db-doctor beside each (same folder, same environment). A file the CLI
// would not read must not be modelled as if it were: where a decoy file would make the connection fail,
// both succeed; where the CLI reads nothing, both fail and db-doctor says which file the CLI skips.
import {describe, expect, inject, it} from 'vitest'
import {explainText} from '../../src/explain/index.js'
import {CANARY_PASSWORD} from '../helpers/constants.js'
import {checkOf} from '../helpers/cli.js'
import {
  appPackageJson,
  makeApp,
  runTool,
  type App,
  type ScenarioDatabase,
  type ToolResult,
} from '../helpers/migration-tools.js'
import {agree, doctorCheck as doctor, toolOutput as out} from '../helpers/differential.js'
import {scenarioCleanup} from '../helpers/scenario-cleanup.js'

const pg = inject('pg')
const {apps, scenario} = scenarioCleanup(pg)

function app(files: Record<string, string>, packages: string[]): App {
  const a = makeApp({files, packages})
  apps.push(a)
  return a
}

const verified = (db: ScenarioDatabase) => db.url(CANARY_PASSWORD, `sslmode=verify-full&sslrootcert=${pg.caFile}`)
/** A URL to a database that does not exist: the run fails if the file that names it is the one read. */
const DECOY = `postgres://app:${CANARY_PASSWORD}@${pg.host}:${pg.port}/no_such_db?sslmode=verify-full&sslrootcert=${pg.caFile}`

const DRIZZLE_MIGRATIONS = {
  'drizzle/meta/_journal.json': JSON.stringify({
    version: '7',
    dialect: 'postgresql',
    entries: [{idx: 0, version: '7', when: 1700000000000, tag: '0000_init', breakpoints: true}],
  }),
  'drizzle/0000_init.sql': 'CREATE TABLE "items" ("id" integer PRIMARY KEY);\n',
}
const drizzleConfig = (urlVar: string, esm = true) =>
  `${esm ? 'export default' : 'module.exports ='} {dialect: 'postgresql', out: './drizzle', dbCredentials: {url: process.env.${urlVar}}}\n`

describe.concurrent('differential: the config file each CLI reads', () => {
  it('drizzle-kit: drizzle.config.ts before drizzle.config.js (a decoy there), and a drizzle.config.mjs alone is never read ("…/drizzle.config.json file does not exist"): CONFIG_TOOL_CONFIG_NOT_READ', async () => {
    const db = await scenario('disc_dz_order')
    const script = appPackageJson({'db:migrate': 'drizzle-kit migrate'})
    const packages = ['drizzle-kit', 'drizzle-orm', 'pg']
    const both = app(
      {
        'drizzle.config.ts': drizzleConfig('DATABASE_URL'),
        'drizzle.config.js': drizzleConfig('DECOY_URL', false),
        'package.json': script,
        ...DRIZZLE_MIGRATIONS,
      },
      packages,
    )
    const mjs = app(
      {'drizzle.config.mjs': drizzleConfig('DATABASE_URL'), 'package.json': script, ...DRIZZLE_MIGRATIONS},
      packages,
    )
    const env = {DATABASE_URL: verified(db), DECOY_URL: DECOY}
    const [tBoth, dBoth, tMjs, dMjs] = await Promise.all([
      runTool(both, {script: 'db:migrate'}, {env, database: db}),
      doctor(both, env),
      runTool(mjs, {script: 'db:migrate'}, {env}),
      doctor(mjs, env),
    ])
    agree(tBoth, dBoth)
    expect(tBoth.connected, out(tBoth)).toBe(true)
    expect(checkOf(dBoth.report, 'config').evidence.configuredBy).toContain('drizzle.config.ts')
    agree(tMjs, dMjs)
    const cliError = `${mjs.dir}/drizzle.config.json file does not exist`
    expect(out(tMjs)).toContain(cliError)
    const config = checkOf(dMjs.report, 'config')
    expect(config.code).toBe('CONFIG_TOOL_CONFIG_NOT_READ')
    expect(config.summary).toContain(`"${cliError}"`)
    expect(config.summary).toContain('drizzle.config.mjs')
    expect(explainText(out(tMjs), 'drizzle-kit').matches.map((m) => m.code)).toContain('CONFIG_TOOL_CONFIG_NOT_READ')
  })

  it('TypeORM 0.3 and 1.1: ormconfig.json alone is never read by the CLI, and a `migration:run` script without -d stops too ("Missing required argument: dataSource"); db-doctor fails CONFIG_TOOL_CONFIG_NOT_READ instead of reading them', async () => {
    const ormconfig = JSON.stringify({type: 'postgres', url: DECOY, migrations: ['migrations/*.js']})
    const script = appPackageJson({migrate: 'typeorm migration:run'})
    const dataSource = `const {DataSource} = require('typeorm')\nmodule.exports = {AppDataSource: new DataSource({type: 'postgres', url: process.env.DATABASE_URL, migrations: ['migrations/*.js']})}\n`
    const orm03 = app({'ormconfig.json': ormconfig, 'package.json': script}, ['typeorm-03 as typeorm', 'pg'])
    const orm11 = app({'ormconfig.json': ormconfig, 'package.json': script}, ['typeorm', 'pg'])
    const noFlag = app({'data-source.js': dataSource, 'package.json': script}, ['typeorm', 'pg'])
    const env = {DATABASE_URL: DECOY}
    const runs = await Promise.all(
      [orm03, orm11, noFlag].flatMap((a) => [runTool(a, {script: 'migrate'}, {env}), doctor(a, env)] as const),
    )
    for (let i = 0; i < runs.length; i += 2) {
      const tool = runs[i] as ToolResult
      const d = runs[i + 1] as {code: number | null; report: any}
      agree(tool, d)
      expect(out(tool)).toContain('Missing required argument: dataSource')
      const config = checkOf(d.report, 'config')
      expect(config.code).toBe('CONFIG_TOOL_CONFIG_NOT_READ')
      expect(config.summary).toContain('"Missing required argument: dataSource"')
      expect(explainText(out(tool), 'typeorm').matches.map((m) => m.code)).toContain('CONFIG_TOOL_CONFIG_NOT_READ')
    }
    const [, d03, , d11, , dNoFlag] = runs as any[]
    expect(checkOf(d03.report, 'config').summary).toContain('The TypeORM 0.3.31 CLI never reads ormconfig.json')
    expect(checkOf(d11.report, 'config').summary).toMatch(/The TypeORM 1\.1\.\d+ CLI never reads ormconfig\.json/)
    expect(JSON.stringify(checkOf(dNoFlag.report, 'config').fix)).toContain('typeorm migration:run -d data-source.js')
  })

  it('sequelize-cli: config/config.js before config/config.json (a decoy there), and .sequelizerc `config` before both', async () => {
    const [dbJs, dbRc] = await Promise.all([scenario('disc_sq_js'), scenario('disc_sq_rc')])
    const section = (urlVar: string) =>
      `{development: {use_env_variable: '${urlVar}', dialect: 'postgres', dialectOptions: {ssl: {ca: require('fs').readFileSync(${JSON.stringify(pg.caFile)}, 'utf8')}}}}`
    const packages = ['sequelize-cli', 'sequelize', 'pg', 'pg-hstore']
    const script = appPackageJson({migrate: 'sequelize-cli db:migrate'})
    const decoyJson = JSON.stringify({development: {use_env_variable: 'DECOY_URL', dialect: 'postgres'}})
    const jsFirst = app(
      {
        'config/config.js': `module.exports = ${section('DATABASE_URL')}\n`,
        'config/config.json': decoyJson,
        'package.json': script,
      },
      packages,
    )
    const rcFirst = app(
      {
        '.sequelizerc': `const path = require('path')\nmodule.exports = {config: path.resolve('db', 'config.js')}\n`,
        'db/config.js': `module.exports = ${section('DATABASE_URL')}\n`,
        'config/config.js': `module.exports = ${section('DECOY_URL')}\n`,
        'package.json': script,
      },
      packages,
    )
    const envJs = {DATABASE_URL: dbJs.url(CANARY_PASSWORD), DECOY_URL: DECOY}
    const envRc = {DATABASE_URL: dbRc.url(CANARY_PASSWORD), DECOY_URL: DECOY}
    const [tJs, dJs, tRc, dRc] = await Promise.all([
      runTool(jsFirst, {script: 'migrate'}, {env: envJs, database: dbJs}),
      doctor(jsFirst, envJs),
      runTool(rcFirst, {script: 'migrate'}, {env: envRc, database: dbRc}),
      doctor(rcFirst, envRc),
    ])
    agree(tJs, dJs)
    expect(tJs.connected, out(tJs)).toBe(true)
    expect(checkOf(dJs.report, 'config').evidence.configuredBy).toContain('config/config.js')
    agree(tRc, dRc)
    expect(tRc.connected, out(tRc)).toBe(true)
    expect(checkOf(dRc.report, 'config').evidence.configuredBy).toContain('db/config.js')
  })
})
