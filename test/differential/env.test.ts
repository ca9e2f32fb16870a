// Differential suite, the migration tool's own environment (issue 8 item 5): for each way an app
// gives its settings to the migration tool, run the REAL tool (knex 3.3 CLI, node-pg-migrate 9)
// against an empty database of the test server, then db-doctor in the same folder with the same
// environment, and assert they agree: exit 0 exactly when the tool connected, and when it did
// not, the failing code names the cause (CONFIG_ENV_FILE_NOT_LOADED).
import {afterAll, describe, expect, inject, it} from 'vitest'
import {checkOf, reportOf} from '../helpers/cli.js'
import {createCa, createLeaf} from '../helpers/certs.js'
import {chainPem} from '../helpers/chains.js'
import {CANARY_PASSWORD} from '../helpers/constants.js'
import {startPostgres, type PgServer} from '../helpers/postgres.js'
import {
  appPackageJson,
  createScenarioDatabase,
  makeApp,
  runDoctor,
  runTool,
  type ScenarioDatabase,
  type ToolResult,
} from '../helpers/migration-tools.js'
import {scenarioCleanup} from '../helpers/scenario-cleanup.js'

const pg = inject('pg')
const {apps, dbs} = scenarioCleanup()

const KNEX_URL = `module.exports = {client: 'pg', connection: process.env.DATABASE_URL}\n`
const KNEX_FIELDS = `module.exports = {
  client: 'pg',
  connection: {
    host: process.env.DB_HOST,
    port: Number(process.env.DB_PORT),
    user: process.env.DB_USER,
    database: process.env.DB_NAME,
    password: process.env.DB_PASSWORD,
    ssl: {ca: require('fs').readFileSync(process.env.DB_CA, 'utf8')},
  },
}\n`
const pkg = appPackageJson

interface Scenario {
  name: string
  files: (db: ScenarioDatabase) => Record<string, string>
  packages: string[]
  run: string[] | {script: string}
  /** The process environment of the shell/CI job (beyond cleanEnv). */
  env?: (db: ScenarioDatabase) => Record<string, string>
  connects: boolean
  /** The config check's code db-doctor must give (null: pass). */
  code: string | null
  status?: 'pass' | 'warn' | 'fail'
  /** The tool's own error, and the same words in db-doctor's config summary. */
  says?: string
}

const url = (db: ScenarioDatabase) => db.url(CANARY_PASSWORD, `sslmode=verify-full&sslrootcert=${pg.caFile}`)
const dotenvUrl = (db: ScenarioDatabase) => `DATABASE_URL=${url(db)}\n`
const fieldsEnv = (db: ScenarioDatabase) => ({
  DB_HOST: pg.host,
  DB_PORT: String(pg.port),
  DB_USER: 'app',
  DB_NAME: db.name,
  DB_CA: pg.caFile,
})

const scenarios: Scenario[] = [
  {
    name: 'knex script, DATABASE_URL only in .env: the knex CLI never reads it',
    files: (db) => ({
      'knexfile.js': KNEX_URL,
      '.env': dotenvUrl(db),
      'package.json': pkg({migrate: 'knex migrate:latest'}),
    }),
    packages: ['knex', 'pg'],
    run: {script: 'migrate'},
    connects: false,
    code: 'CONFIG_ENV_FILE_NOT_LOADED',
    // connection: undefined → knex makes no pool (lib/client.js), not the SASL error of a missing password
    says: 'Unable to acquire a connection',
  },
  {
    name: 'knex script, only DB_PASSWORD in .env (host, user… exported): SASL "client password must be a string"',
    files: () => ({
      'knexfile.js': KNEX_FIELDS,
      '.env': `DB_PASSWORD=${CANARY_PASSWORD}\n`,
      'package.json': pkg({'db:migrate': 'npx knex migrate:latest'}),
    }),
    packages: ['knex', 'pg'],
    env: fieldsEnv,
    run: {script: 'db:migrate'},
    connects: false,
    code: 'CONFIG_ENV_FILE_NOT_LOADED',
  },
  {
    name: 'knex script with node --env-file=.env',
    files: (db) => ({
      'knexfile.js': KNEX_URL,
      '.env': dotenvUrl(db),
      'package.json': pkg({migrate: 'node --env-file=.env node_modules/.bin/knex migrate:latest'}),
    }),
    packages: ['knex', 'pg'],
    run: {script: 'migrate'},
    connects: true,
    code: null,
  },
  {
    name: 'knex script with node -r dotenv/config (dotenv installed)',
    files: (db) => ({
      'knexfile.js': KNEX_URL,
      '.env': dotenvUrl(db),
      'package.json': pkg({migrate: 'node -r dotenv/config node_modules/.bin/knex migrate:latest'}),
    }),
    packages: ['knex', 'pg', 'dotenv'],
    run: {script: 'migrate'},
    connects: true,
    code: null,
  },
  {
    name: 'knex script with node -r dotenv/config but dotenv not installed',
    files: (db) => ({
      'knexfile.js': KNEX_URL,
      '.env': dotenvUrl(db),
      'package.json': pkg({migrate: 'node -r dotenv/config node_modules/.bin/knex migrate:latest'}),
    }),
    packages: ['knex', 'pg'],
    run: {script: 'migrate'},
    connects: false,
    code: 'CONFIG_ENV_FILE_NOT_LOADED',
  },
  {
    name: 'knex script loading .env.production while the settings are in .env',
    files: (db) => ({
      'knexfile.js': KNEX_URL,
      '.env': dotenvUrl(db),
      '.env.production': 'LOG_LEVEL=info\n',
      'package.json': pkg({migrate: 'node --env-file=.env.production node_modules/.bin/knex migrate:latest'}),
    }),
    packages: ['knex', 'pg'],
    run: {script: 'migrate'},
    connects: false,
    code: 'CONFIG_ENV_FILE_NOT_LOADED',
  },
  {
    name: 'knexfile that loads dotenv itself (dotenv 17, not quiet: it prints on stdout)',
    files: (db) => ({
      'knexfile.js': `require('dotenv').config()\n${KNEX_URL}`,
      '.env': dotenvUrl(db),
      'package.json': pkg({migrate: 'knex migrate:latest'}),
    }),
    packages: ['knex', 'pg', 'dotenv'],
    run: {script: 'migrate'},
    connects: true,
    code: null,
  },
  {
    name: 'knexfile requiring a local config module that loads dotenv',
    files: (db) => ({
      'knexfile.js': `const {url} = require('./config/db')\nmodule.exports = {client: 'pg', connection: url}\n`,
      'config/db.js': `require('dotenv').config({quiet: true})\nmodule.exports = {url: process.env.DATABASE_URL}\n`,
      '.env': dotenvUrl(db),
      'package.json': pkg({migrate: 'knex migrate:latest'}),
    }),
    packages: ['knex', 'pg', 'dotenv'],
    run: {script: 'migrate'},
    connects: true,
    code: null,
  },
  {
    name: 'knex with the URL exported by the shell / CI job (no .env)',
    files: () => ({'knexfile.js': KNEX_URL, 'package.json': pkg({migrate: 'knex migrate:latest'})}),
    packages: ['knex', 'pg'],
    env: (db) => ({DATABASE_URL: url(db)}),
    run: {script: 'migrate'},
    connects: true,
    code: null,
  },
  {
    name: 'node-pg-migrate without dotenv installed: .env is not read',
    files: (db) => ({'.env': dotenvUrl(db), 'package.json': pkg({migrate: 'node-pg-migrate up'})}),
    packages: ['node-pg-migrate', 'pg'],
    run: {script: 'migrate'},
    connects: false,
    code: 'CONFIG_ENV_FILE_NOT_LOADED',
  },
  {
    name: 'node-pg-migrate with dotenv installed: it loads .env itself',
    files: (db) => ({'.env': dotenvUrl(db), 'package.json': pkg({migrate: 'node-pg-migrate up'})}),
    packages: ['node-pg-migrate', 'pg', 'dotenv'],
    run: {script: 'migrate'},
    connects: true,
    code: null,
  },
  {
    name: 'node-pg-migrate without dotenv, script with node --env-file',
    files: (db) => ({
      '.env': dotenvUrl(db),
      'package.json': pkg({migrate: 'node --env-file=.env node_modules/.bin/node-pg-migrate up'}),
    }),
    packages: ['node-pg-migrate', 'pg'],
    run: {script: 'migrate'},
    connects: true,
    code: null,
  },
]

function explain(tool: ToolResult, doctor: {code: number | null; stdout: string; stderr: string}): string {
  return `tool (${tool.command}) exit ${tool.code}: ${tool.errorLine ?? 'connected'}\n${tool.stdout}\n${tool.stderr}\n--- db-doctor exit ${doctor.code}\n${doctor.stdout}\n${doctor.stderr}`
}

describe('differential: the migration tool’s own environment', () => {
  for (const s of scenarios) {
    it(s.name, async () => {
      const db = await createScenarioDatabase(pg, s.name.slice(0, 20))
      dbs.push(db)
      const app = makeApp({files: s.files(db), packages: s.packages})
      apps.push(app)
      const env = s.env?.(db) ?? {}
      const tool = await runTool(app, s.run, {env, database: db})
      const doctor = await runDoctor(app, ['check', '--json'], {env})
      const why = explain(tool, doctor)
      expect(tool.connected, why).toBe(s.connects)
      expect(doctor.code === 0, why).toBe(s.connects)
      const report = reportOf(doctor)
      const config = checkOf(report, 'config')
      expect(config.code, why).toBe(s.code)
      if (s.says) {
        expect(tool.stdout + tool.stderr).toContain(s.says)
        expect(config.summary).toContain(s.says)
        expect(config.summary).not.toContain('client password must be a string')
      }
      if (!s.connects) expect(report.summary.verdict).toBe('failing')
      for (const out of [doctor.stdout, doctor.stderr]) expect(out).not.toContain(CANARY_PASSWORD)
    })
  }

  it('CONFIG_ENV_FILE_NOT_LOADED names the variable, the file, the script, what was modelled, and the script line that works', async () => {
    const db = await createScenarioDatabase(pg, 'evidence')
    dbs.push(db)
    const app = makeApp({
      files: {
        'knexfile.js': KNEX_FIELDS,
        '.env': `DB_PASSWORD=${CANARY_PASSWORD}\n`,
        'package.json': pkg({migrate: 'knex migrate:latest'}),
      },
      packages: ['knex', 'pg'],
    })
    apps.push(app)
    const env = fieldsEnv(db)
    const tool = await runTool(app, {script: 'migrate'}, {env, database: db})
    expect(tool.connected).toBe(false)
    expect(tool.stdout + tool.stderr).toContain('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string')

    const r = await runDoctor(app, ['check', '--json'], {env})
    const config = checkOf(reportOf(r), 'config')
    expect(config.status).toBe('fail')
    expect(config.summary).toContain('DB_PASSWORD comes only from .env')
    expect(config.summary).toContain('npm run migrate (knex migrate:latest)')
    expect(config.summary).toContain('client password must be a string')
    expect(config.evidence.problem).toMatchObject({
      tool: 'knex',
      version: '3.3.0',
      envFile: '.env',
      variables: ['DB_PASSWORD'],
      fields: ['password'],
      script: 'migrate',
    })
    expect(config.evidence.problem.modelled).toContain('the knex CLI never reads .env itself')
    expect(config.evidence.problem.modelled).toContain('knex 3.3.0')
    expect(config.fix.snippet.code).toContain('"migrate": "node --env-file=.env node_modules/.bin/knex migrate:latest"')

    // The fix, applied, makes the real tool connect, and db-doctor agree.
    const fixed = makeApp({
      files: {
        'knexfile.js': KNEX_FIELDS,
        '.env': `DB_PASSWORD=${CANARY_PASSWORD}\n`,
        'package.json': pkg({migrate: 'node --env-file=.env node_modules/.bin/knex migrate:latest'}),
      },
      packages: ['knex', 'pg'],
    })
    apps.push(fixed)
    expect((await runTool(fixed, {script: 'migrate'}, {env, database: db})).connected).toBe(true)
    expect((await runDoctor(fixed, ['check', '--json'], {env})).code).toBe(0)

    // Same verdict in text and Markdown, no password anywhere.
    for (const format of ['text', 'markdown']) {
      const out = await runDoctor(app, ['check', '--format', format], {env})
      expect(out.code).toBe(1)
      expect(out.stdout).toContain('CONFIG_ENV_FILE_NOT_LOADED')
      expect(out.stdout).toContain('node --env-file=.env node_modules/.bin/knex migrate:latest')
      expect(out.stdout + out.stderr).not.toContain(CANARY_PASSWORD)
    }
  })

  it('node-pg-migrate without dotenv: the fix names the script line and installing dotenv', async () => {
    const db = await createScenarioDatabase(pg, 'npm_fix')
    dbs.push(db)
    const app = makeApp({
      files: {'.env': dotenvUrl(db), 'package.json': pkg({'migrate:up': 'node-pg-migrate up -m migrations'})},
      packages: ['node-pg-migrate', 'pg'],
    })
    apps.push(app)
    const tool = await runTool(app, {script: 'migrate:up'}, {database: db})
    expect(tool.connected).toBe(false)
    expect(tool.stderr).toContain('The DATABASE_URL environment variable is not set')
    const config = checkOf(reportOf(await runDoctor(app, ['check', '--json'])), 'config')
    expect(config.code).toBe('CONFIG_ENV_FILE_NOT_LOADED')
    expect(config.summary).toContain('DATABASE_URL comes only from .env')
    expect(config.evidence.problem.modelled).toContain(
      'dotenv is not installed in the app, so node-pg-migrate does not read .env',
    )
    expect(config.fix.snippet.code).toContain(
      '"migrate:up": "node --env-file=.env node_modules/.bin/node-pg-migrate up -m migrations"',
    )
    expect(config.fix.steps.join('\n')).toContain('npm install --save-dev dotenv')
  })

  it('nothing but a person runs knex (no script, Makefile, CI workflow…): `npx knex migrate:latest` certainly cannot see .env, a failure (CONFIG_ENV_FILE_NOT_LOADED) like the real CLI', async () => {
    const db = await createScenarioDatabase(pg, 'byhand')
    dbs.push(db)
    const app = makeApp({files: {'knexfile.js': KNEX_URL, '.env': dotenvUrl(db)}, packages: ['knex', 'pg']})
    apps.push(app)
    const tool = await runTool(app, ['knex', 'migrate:latest'], {database: db})
    expect(tool.connected).toBe(false)
    expect(tool.stderr + tool.stdout).toContain('Unable to acquire a connection')
    const r = await runDoctor(app, ['check', '--json'])
    const report = reportOf(r)
    const config = checkOf(report, 'config')
    expect(config).toMatchObject({status: 'fail', code: 'CONFIG_ENV_FILE_NOT_LOADED'})
    expect(config.summary).toContain('runs by hand (`npx knex migrate:latest`)')
    expect(config.summary).toContain('Unable to acquire a connection')
    expect(config.evidence.problem.modelled).toContain('no package.json script, Makefile, CI workflow')
    expect(r.code).toBe(1)
    // a Makefile that runs knex may load .env in ways db-doctor does not model: only a warning
    const withMake = makeApp({
      files: {
        'knexfile.js': KNEX_URL,
        '.env': dotenvUrl(db),
        Makefile: 'include .env\nexport\nmigrate:\n\tnpx knex migrate:latest\n',
      },
      packages: ['knex', 'pg'],
    })
    apps.push(withMake)
    const m = await runDoctor(withMake, ['check', '--json'])
    const mConfig = checkOf(reportOf(m), 'config')
    expect(mConfig).toMatchObject({status: 'warn', code: 'CONFIG_ENV_FILE_LOADER_UNKNOWN'})
    expect(mConfig.summary).toContain('does not model what Makefile loads')
    expect(m.code).toBe(0)
  })
})

describe('stdout is exactly the report (issue 8 item 6)', () => {
  it('a knexfile that logs its config and loads dotenv 17 (not quiet): stdout is one JSON document, the output goes to stderr, redacted', async () => {
    const db = await createScenarioDatabase(pg, 'stdout')
    dbs.push(db)
    const app = makeApp({
      files: {
        'knexfile.js': `require('dotenv').config()\nconst config = {client: 'pg', connection: process.env.DATABASE_URL}\nconsole.log('knexfile config:', config)\nprocess.stdout.write('raw write ' + process.env.DATABASE_URL + '\\n')\nmodule.exports = config\n`,
        '.env': dotenvUrl(db),
        'package.json': pkg({migrate: 'knex migrate:latest'}),
      },
      packages: ['knex', 'pg', 'dotenv'],
    })
    apps.push(app)
    // The real tool: dotenv prints on stdout, the knexfile too (so knex's own stdout is not clean).
    const tool = await runTool(app, {script: 'migrate'}, {database: db})
    expect(tool.connected).toBe(true)
    expect(tool.stdout).toMatch(/injected env/)

    const json = await runDoctor(app, ['check', '--json'])
    expect(json.code).toBe(0)
    expect(() => JSON.parse(json.stdout)).not.toThrow()
    expect(json.stdout).not.toMatch(/injected env|knexfile config|raw write/)
    expect(json.stderr).toMatch(/\[knexfile\.js\] .*injected env/)
    expect(json.stderr).toContain('[knexfile.js] knexfile config:')
    expect(json.stderr).toContain('[knexfile.js] raw write postgres://app:****@')
    for (const format of ['text', 'markdown', 'json']) {
      const out = format === 'json' ? json : await runDoctor(app, ['check', '--format', format])
      expect(out.stdout).not.toMatch(/injected env|knexfile config|raw write/)
      expect(out.stdout + out.stderr).not.toContain(CANARY_PASSWORD)
    }
  })
})

describe('differential: the README seed story, run by the real knex CLI', () => {
  // knexfile `connection: {connectionString: process.env.DATABASE_URL, ssl: {rejectUnauthorized: false}}`,
  // .env DATABASE_URL=…?sslmode=require, a server that sends leaf + self-signed root.
  const KNEXFILE_SEED = `module.exports = {client: 'pg', connection: {connectionString: process.env.DATABASE_URL, ssl: {rejectUnauthorized: false}}}\n`
  let server: PgServer | undefined
  afterAll(async () => {
    await server?.stop()
  })

  it('with a script that loads .env: the tool fails on the chain, db-doctor fails with SSL_CONFIG_CONFLICT; without a loader: CONFIG_ENV_FILE_NOT_LOADED', async () => {
    const root = await createCa({commonName: 'Differential Seed Root CA'})
    const leaf = await createLeaf({
      commonName: 'localhost',
      dnsNames: ['localhost'],
      ipAddresses: [pg.host, '::1'],
      issuer: root,
    })
    server = await startPostgres({tls: {certPem: chainPem(leaf, root), keyPem: leaf.keyPem, caPem: root.certPem}})
    const db = await createScenarioDatabase(server.info(), 'seed')
    const files = (script: string) => ({
      'knexfile.js': KNEXFILE_SEED,
      '.env': `DATABASE_URL=${db.url(CANARY_PASSWORD, 'sslmode=require')}\n`,
      'package.json': pkg({migrate: script}),
    })

    const loaded = makeApp({
      files: files('node --env-file=.env node_modules/.bin/knex migrate:latest'),
      packages: ['knex', 'pg'],
    })
    apps.push(loaded)
    const tool = await runTool(loaded, {script: 'migrate'}, {database: db})
    expect(tool.connected).toBe(false)
    expect(tool.errorLine).toMatch(/self[- ]signed certificate in certificate chain/)
    const r = await runDoctor(loaded, ['check', '--json'])
    expect(r.code).toBe(1)
    const report = reportOf(r)
    expect(checkOf(report, 'config').status).toBe('pass')
    expect(checkOf(report, 'ssl-config').code).toBe('SSL_CONFIG_CONFLICT')

    const bare = makeApp({files: files('knex migrate:latest'), packages: ['knex', 'pg']})
    apps.push(bare)
    const bareTool = await runTool(bare, {script: 'migrate'}, {database: db})
    expect(bareTool.connected).toBe(false)
    const b = await runDoctor(bare, ['check', '--json'])
    expect(b.code).toBe(1)
    expect(checkOf(reportOf(b), 'config').code).toBe('CONFIG_ENV_FILE_NOT_LOADED')
    for (const out of [r.stdout, r.stderr, b.stdout, b.stderr]) expect(out).not.toContain(CANARY_PASSWORD)
    await db.drop()
  })
})
