// Differential audit matrix (issue 19): 46 configurations the other differential suites do not cover, for
// drizzle-kit (pg, postgres.js 4.2 and 3.4), TypeORM 1.1, sequelize-cli 6.6 and plain postgres.js scripts —
// sslmode in the URL and PGSSLMODE/PGSSL/PG* in the environment, ssl objects and `ssl: false` in config files,
// .env loaded by the tool, by `node --env-file`, by the script file or not at all, [::1] and localhost, a wrong
// password, a raw '@' and '/' in the password, the real PgBouncer in transaction mode, a server without TLS and
// the private-CA TLS server.
// Each runs the real tool and `db-doctor check` side by side on the same app folder and environment: db-doctor
// exits 0 exactly when the tool migrates. Where db-doctor's fix is the point, the fix itself is applied and the
// real tool run again ("fix of …" scenarios): it must then migrate, and db-doctor pass.

import {readFileSync, writeFileSync} from 'node:fs'
import pgLib from 'pg'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {APP_USER, CANARY_PASSWORD} from '../helpers/constants.js'
import {checkOf} from '../helpers/cli.js'
import {
  appPackageJson,
  createScenarioDatabase,
  makeApp,
  runTool,
  type App,
  type ScenarioDatabase,
  type ToolResult,
  postgresJsScriptApp,
} from '../helpers/migration-tools.js'
import {agree, doctorCheck, toolOutput as out} from '../helpers/differential.js'
import {adminClient, createLoginRole, startPostgres, type PgServer} from '../helpers/postgres.js'
import {pgbouncerSupport, startPgBouncer, type PgBouncer} from '../helpers/pgbouncer.js'

const pg = inject('pg')
const apps: App[] = []
const dbs: ScenarioDatabase[] = []
let plain: PgServer
let bouncer: PgBouncer | undefined
const support = pgbouncerSupport()
/**
 * A role whose password has '@' and '/', written raw in URLs. Every parser here ends the authority at the '/':
 * the host they read is `localhost` (port 5432, where nothing listens), so no name leaves the machine.
 */
const RAW_ROLE = `aud_raw_${process.pid}`
const RAW_PW = 'au@localhost/pw-91c'

beforeAll(async () => {
  const admin = await adminClient(pg)
  try {
    await createLoginRole(admin, RAW_ROLE, RAW_PW, 'postgres')
  } finally {
    await admin.end()
  }
  ;[plain, bouncer] = await Promise.all([
    startPostgres({tls: false}),
    support.ok ? startPgBouncer({pg, poolMode: 'transaction'}) : Promise.resolve(undefined),
  ])
}, 120_000)
afterAll(async () => {
  for (const a of apps) a.cleanup()
  for (const d of dbs) await d.drop().catch(() => {})
  await bouncer?.stop()
  await plain?.stop()
  const admin = await adminClient(pg)
  try {
    await admin.query(`drop owned by ${RAW_ROLE}`)
    await admin.query(`drop role if exists ${RAW_ROLE}`)
  } finally {
    await admin.end()
  }
})

async function scenario(label: string, owner?: string): Promise<ScenarioDatabase> {
  const db = await createScenarioDatabase(pg, label, owner)
  dbs.push(db)
  return db
}

/** A database on the server without TLS, owned by app. */
async function plainDb(label: string): Promise<string> {
  const name = `aud_${label}_${process.pid}`
  const c = new pgLib.Client({
    host: plain.host,
    port: plain.port,
    user: plain.superuser.user,
    password: plain.superuser.password,
    database: 'postgres',
  })
  await c.connect()
  try {
    await c.query(`create database "${name}" owner "${APP_USER}"`)
  } finally {
    await c.end()
  }
  return name
}
const plainUrl = (db: string, q = '') =>
  `postgres://${APP_USER}:${CANARY_PASSWORD}@${plain.host}:${plain.port}/${db}${q ? `?${q}` : ''}`
const bouncerUrl = (db: ScenarioDatabase, q = '') =>
  `postgres://${APP_USER}:${CANARY_PASSWORD}@${bouncer!.host}:${bouncer!.port}/${db.name}${q ? `?${q}` : ''}`
const CAQ = `sslrootcert=${pg.caFile}`

const DRIZZLE_MIGRATIONS = {
  'drizzle/meta/_journal.json': JSON.stringify({
    version: '7',
    dialect: 'postgresql',
    entries: [{idx: 0, version: '7', when: 1700000000000, tag: '0000_init', breakpoints: true}],
  }),
  'drizzle/0000_init.sql': 'CREATE TABLE "items" ("id" integer PRIMARY KEY);\n',
}
const CA_JS = `require('fs').readFileSync(${JSON.stringify(pg.caFile)}, 'utf8')`

function drizzle(dbCredentials: string, driver: string, extra: Record<string, string> = {}): App {
  const config = `import {defineConfig} from 'drizzle-kit'\nexport default defineConfig({dialect: 'postgresql', out: './drizzle', dbCredentials: ${dbCredentials}})\n`
  const a = makeApp({
    files: {
      'drizzle.config.ts': config,
      'package.json': appPackageJson({migrate: 'drizzle-kit migrate'}),
      ...DRIZZLE_MIGRATIONS,
      ...extra,
    },
    packages: ['drizzle-kit', 'drizzle-orm', driver],
  })
  apps.push(a)
  return a
}
function typeorm(opts: string, script = 'typeorm migration:run -d data-source.js', extra: Record<string, string> = {}) {
  const a = makeApp({
    files: {
      'data-source.js': `const {DataSource} = require('typeorm')\nmodule.exports = {AppDataSource: new DataSource({type: 'postgres', migrations: ['migrations/*.js'], ${opts}})}\n`,
      'package.json': appPackageJson({migrate: script}),
      ...extra,
    },
    packages: ['typeorm', 'pg'],
  })
  apps.push(a)
  return a
}
function sequelize(config: Record<string, unknown>) {
  const a = makeApp({
    files: {
      'package.json': appPackageJson({migrate: 'sequelize-cli db:migrate'}),
      'config/config.json': JSON.stringify({development: {dialect: 'postgres', ...config}}),
    },
    packages: ['sequelize-cli', 'sequelize', 'pg', 'pg-hstore'],
  })
  apps.push(a)
  return a
}
function pjs(driver: string, call = 'postgres(process.env.DATABASE_URL, {max: 1, connect_timeout: 10})') {
  const js = `import postgres from 'postgres'\nconst sql = ${call}\nsql.begin(async (tx) => { await tx\`select pg_advisory_xact_lock(4243)\`; await tx\`create table if not exists migrations (id int)\` }).then(() => sql.end()).then(() => process.exit(0), (e) => { console.error(e.code + ': ' + e.message); process.exit(1) })\n`
  const a = postgresJsScriptApp(driver, js)
  apps.push(a)
  return a
}

interface Row {
  tool: ToolResult
  doctor: {code: number | null; report: any}
}

async function run(a: App, env: Record<string, string>, db?: ScenarioDatabase): Promise<Row> {
  const [tool, doctor] = await Promise.all([
    runTool(a, {script: 'migrate'}, {env, ...(db ? {database: db} : {})}),
    doctorCheck(a, env, [], [RAW_PW]),
  ])
  expect(`${tool.stdout}${tool.stderr}`).not.toContain(RAW_PW)
  agree(tool, doctor)
  return {tool, doctor}
}

/** The codes of the failing checks and findings. */
const failing = (r: Row) =>
  r.doctor.report.checks
    .filter((c: any) => c.status === 'fail')
    .flatMap((c: any) => [c.code, ...(c.findings ?? []).map((f: any) => f.code)])

const PJS3 = 'postgres-3 as postgres'
const env = (o: Record<string, string>) => o
const fieldsOf = (db: ScenarioDatabase, host = pg.host, extra = '') =>
  `{host: '${host}', port: ${pg.port}, user: 'app', password: process.env.DB_PASSWORD!, database: '${db.name}'${extra}}`

const MATRIX: Array<[string, () => Promise<unknown>]> = [
  // drizzle-kit + pg
  [
    'dz-pg: URL without sslmode, PGSSLMODE=no-verify in the shell',
    async () => {
      const db = await scenario('a_dz1')
      return run(
        drizzle('{url: process.env.DATABASE_URL!}', 'pg'),
        env({DATABASE_URL: db.url(CANARY_PASSWORD), PGSSLMODE: 'no-verify'}),
        db,
      )
    },
  ],
  [
    'dz-pg: .env with the URL and PGSSLMODE=no-verify, loaded by drizzle-kit itself',
    async () => {
      const db = await scenario('a_dz2')
      const a = drizzle('{url: process.env.DATABASE_URL!}', 'pg', {
        '.env': `DATABASE_URL=${db.url(CANARY_PASSWORD)}\nPGSSLMODE=no-verify\n`,
      })
      return run(a, {}, db)
    },
  ],
  [
    'dz-pg: fields with ssl: false against the TLS-only server',
    async () => {
      const db = await scenario('a_dz3')
      return run(drizzle(fieldsOf(db, pg.host, ', ssl: false'), 'pg'), env({DB_PASSWORD: CANARY_PASSWORD}), db)
    },
  ],
  [
    'dz-pg: [::1] with verify-full and sslrootcert',
    async () => {
      const db = await scenario('a_dz4')
      const url = db.url(CANARY_PASSWORD, `sslmode=verify-full&${CAQ}`).replace('@127.0.0.1:', '@[::1]:')
      return run(drizzle('{url: process.env.DATABASE_URL!}', 'pg'), env({DATABASE_URL: url}), db)
    },
  ],
  [
    'dz-pg: wrong password',
    async () => {
      const db = await scenario('a_dz5')
      return run(
        drizzle('{url: process.env.DATABASE_URL!}', 'pg'),
        env({DATABASE_URL: db.url('wrong-Pw-0000', `sslmode=verify-full&${CAQ}`)}),
        db,
      )
    },
  ],
  [
    'dz-pg: unencoded "@" and "/" in the password',
    async () => {
      const db = await scenario('a_dz6', RAW_ROLE)
      return run(
        drizzle('{url: process.env.DATABASE_URL!}', 'pg'),
        env({DATABASE_URL: db.url(RAW_PW, `sslmode=verify-full&${CAQ}`)}),
        db,
      )
    },
  ],
  [
    'dz-pg: through PgBouncer (transaction mode), no sslmode',
    async () => {
      const db = await scenario('a_dz7')
      return run(drizzle('{url: process.env.DATABASE_URL!}', 'pg'), env({DATABASE_URL: bouncerUrl(db)}), db)
    },
  ],
  [
    'dz-pg: server without TLS, sslmode=require',
    async () => {
      const name = await plainDb('dz9')
      return run(
        drizzle('{url: process.env.DATABASE_URL!}', 'pg'),
        env({DATABASE_URL: plainUrl(name, 'sslmode=require')}),
      )
    },
  ],
  // drizzle-kit + postgres.js
  [
    'dz-js4: verify-full + sslrootcert in the URL',
    async () => {
      const db = await scenario('a_dz10')
      return run(
        drizzle('{url: process.env.DATABASE_URL!}', 'postgres'),
        env({DATABASE_URL: db.url(CANARY_PASSWORD, `sslmode=verify-full&${CAQ}`)}),
        db,
      )
    },
  ],
  [
    'dz-js3: require + sslrootcert in the URL',
    async () => {
      const db = await scenario('a_dz11')
      return run(
        drizzle('{url: process.env.DATABASE_URL!}', PJS3),
        env({DATABASE_URL: db.url(CANARY_PASSWORD, `sslmode=require&${CAQ}`)}),
        db,
      )
    },
  ],
  [
    'dz-js4: URL without sslmode, PGSSLMODE=require',
    async () => {
      const db = await scenario('a_dz12')
      return run(
        drizzle('{url: process.env.DATABASE_URL!}', 'postgres'),
        env({DATABASE_URL: db.url(CANARY_PASSWORD), PGSSLMODE: 'require'}),
        db,
      )
    },
  ],
  [
    'dz-js3: URL without sslmode, PGSSLMODE=require',
    async () => {
      const db = await scenario('a_dz13')
      const r = await run(
        drizzle('{url: process.env.DATABASE_URL!}', PJS3),
        env({DATABASE_URL: db.url(CANARY_PASSWORD), PGSSLMODE: 'require'}),
        db,
      )
      expect(r.tool.connected).toBe(false)
      // db-doctor's fix for postgres.js 3.4: verify-full in the URL, the CA through NODE_EXTRA_CA_CERTS (3.4 sends
      // sslrootcert to the server, which refuses it: the scenario below), and the PGSSLMODE it ignores named
      const auth = checkOf(r.doctor.report, 'auth')
      expect(auth.code).toBe('AUTH_SSL_REQUIRED')
      expect(auth.summary).toContain('postgres.js 3.4.10 does not read PGSSLMODE=require, only PGSSL')
      expect(auth.fix.summary).toContain('NODE_EXTRA_CA_CERTS')
      expect(auth.fix.snippet.code).toContain('sslmode=verify-full')
      expect(auth.fix.snippet.code).not.toContain('sslrootcert')
      expect(JSON.stringify(auth.fix)).not.toContain('node-postgres')
    },
  ],
  [
    'dz-js4: fields with an ssl object {ca}',
    async () => {
      const db = await scenario('a_dz14')
      return run(
        drizzle(fieldsOf(db, pg.host, `, ssl: {ca: ${CA_JS}}`), 'postgres'),
        env({DB_PASSWORD: CANARY_PASSWORD}),
        db,
      )
    },
  ],
  [
    'dz-js4: through PgBouncer (transaction mode)',
    async () => {
      const db = await scenario('a_dz15')
      return run(drizzle('{url: process.env.DATABASE_URL!}', 'postgres'), env({DATABASE_URL: bouncerUrl(db)}), db)
    },
  ],
  [
    'dz-js4: server without TLS, no sslmode',
    async () => {
      const name = await plainDb('dz16')
      return run(drizzle('{url: process.env.DATABASE_URL!}', 'postgres'), env({DATABASE_URL: plainUrl(name)}))
    },
  ],
  [
    'dz-js4: fields with ssl: "require" and host localhost',
    async () => {
      const db = await scenario('a_dz17')
      return run(
        drizzle(fieldsOf(db, 'localhost', `, ssl: 'require'`), 'postgres'),
        env({DB_PASSWORD: CANARY_PASSWORD}),
        db,
      )
    },
  ],
  // TypeORM 1.1
  [
    'typeorm: host localhost fields + ssl {ca}',
    async () => {
      const db = await scenario('a_to1')
      const a = typeorm(
        `host: 'localhost', port: ${pg.port}, username: 'app', password: process.env.DB_PASSWORD, database: '${db.name}', ssl: {ca: ${CA_JS}}`,
      )
      return run(a, env({DB_PASSWORD: CANARY_PASSWORD}), db)
    },
  ],
  [
    'typeorm: url with sslmode=no-verify',
    async () => {
      const db = await scenario('a_to2')
      return run(
        typeorm('url: process.env.DATABASE_URL'),
        env({DATABASE_URL: db.url(CANARY_PASSWORD, 'sslmode=no-verify')}),
        db,
      )
    },
  ],
  [
    'typeorm: url without ssl params, PGSSLMODE=no-verify',
    async () => {
      const db = await scenario('a_to3')
      return run(
        typeorm('url: process.env.DATABASE_URL'),
        env({DATABASE_URL: db.url(CANARY_PASSWORD), PGSSLMODE: 'no-verify'}),
        db,
      )
    },
  ],
  [
    'typeorm: unencoded "@" and "/" in the url password',
    async () => {
      const db = await scenario('a_to4', RAW_ROLE)
      return run(
        typeorm('url: process.env.DATABASE_URL'),
        env({DATABASE_URL: db.url(RAW_PW, `sslmode=verify-full&${CAQ}`)}),
        db,
      )
    },
  ],
  [
    'typeorm: through PgBouncer (transaction mode)',
    async () => {
      const db = await scenario('a_to5')
      return run(typeorm('url: process.env.DATABASE_URL'), env({DATABASE_URL: bouncerUrl(db)}), db)
    },
  ],
  [
    'typeorm: server without TLS, url without ssl',
    async () => {
      const name = await plainDb('to6')
      return run(typeorm('url: process.env.DATABASE_URL'), env({DATABASE_URL: plainUrl(name)}))
    },
  ],
  [
    'typeorm: .env loaded by node --env-file in the script',
    async () => {
      const db = await scenario('a_to7')
      const a = typeorm(
        'url: process.env.DATABASE_URL',
        'node --env-file=.env node_modules/typeorm/cli.js migration:run -d data-source.js',
        {
          '.env': `DATABASE_URL=${db.url(CANARY_PASSWORD, `sslmode=verify-full&${CAQ}`)}\n`,
        },
      )
      return run(a, {}, db)
    },
  ],
  // sequelize-cli
  [
    'sequelize: config.json fields + dialectOptions.ssl {require, rejectUnauthorized: false}',
    async () => {
      const db = await scenario('a_sq1')
      const a = sequelize({
        username: 'app',
        password: CANARY_PASSWORD,
        database: db.name,
        host: pg.host,
        port: pg.port,
        dialectOptions: {ssl: {require: true, rejectUnauthorized: false}},
      })
      return run(a, {}, db)
    },
  ],
  [
    'sequelize: use_env_variable with ?ssl=true',
    async () => {
      const db = await scenario('a_sq2')
      return run(
        sequelize({use_env_variable: 'DATABASE_URL'}),
        env({DATABASE_URL: db.url(CANARY_PASSWORD, 'ssl=true')}),
        db,
      )
    },
  ],
  [
    'sequelize: config.json fields, PGSSLMODE=no-verify',
    async () => {
      const db = await scenario('a_sq3')
      const a = sequelize({username: 'app', password: CANARY_PASSWORD, database: db.name, host: pg.host, port: pg.port})
      return run(a, env({PGSSLMODE: 'no-verify'}), db)
    },
  ],
  [
    'sequelize: unencoded "@" and "/" in the use_env_variable URL',
    async () => {
      const db = await scenario('a_sq4', RAW_ROLE)
      const a = makeApp({
        files: {
          'package.json': appPackageJson({migrate: 'sequelize-cli db:migrate'}),
          'config/config.js': `module.exports = {development: {use_env_variable: 'DATABASE_URL', dialect: 'postgres', dialectOptions: {ssl: {ca: ${CA_JS}}}}}\n`,
        },
        packages: ['sequelize-cli', 'sequelize', 'pg', 'pg-hstore'],
      })
      apps.push(a)
      const r = await run(a, env({DATABASE_URL: db.url(RAW_PW)}), db)
      // url.parse (config-helper.js) ends the authority at the '/': host localhost, port 5432, no password
      // (ECONNREFUSED here; whatever a machine runs on 5432, not this scenario's database)
      expect(r.tool.connected).toBe(false)
      expect(failing(r)).toContain('CONFIG_PASSWORD_NOT_ENCODED')
    },
  ],
  [
    'sequelize: through PgBouncer (transaction mode)',
    async () => {
      const db = await scenario('a_sq5')
      return run(sequelize({use_env_variable: 'DATABASE_URL'}), env({DATABASE_URL: bouncerUrl(db)}), db)
    },
  ],
  [
    'sequelize: server without TLS',
    async () => {
      const name = await plainDb('sq6')
      return run(sequelize({use_env_variable: 'DATABASE_URL'}), env({DATABASE_URL: plainUrl(name)}))
    },
  ],
  [
    'sequelize: host ::1 + dialectOptions.ssl {ca}',
    async () => {
      const db = await scenario('a_sq7')
      const a = makeApp({
        files: {
          'package.json': appPackageJson({migrate: 'sequelize-cli db:migrate'}),
          'config/config.js': `module.exports = {development: {dialect: 'postgres', username: 'app', password: process.env.DB_PASSWORD, database: '${db.name}', host: '::1', port: ${pg.port}, dialectOptions: {ssl: {ca: ${CA_JS}}}}}\n`,
        },
        packages: ['sequelize-cli', 'sequelize', 'pg', 'pg-hstore'],
      })
      apps.push(a)
      return run(a, env({DB_PASSWORD: CANARY_PASSWORD}), db)
    },
  ],
  // postgres.js scripts
  [
    'postgres.js 4.2: postgres() with PG* variables only, PGSSLMODE=require',
    async () => {
      const db = await scenario('a_js1')
      const a = pjs('postgres', 'postgres({max: 1, connect_timeout: 10})')
      return run(
        a,
        env({
          PGHOST: pg.host,
          PGPORT: String(pg.port),
          PGUSER: 'app',
          PGPASSWORD: CANARY_PASSWORD,
          PGDATABASE: db.name,
          PGSSLMODE: 'require',
        }),
      )
    },
  ],
  [
    'postgres.js 3.4: require + sslrootcert in the URL',
    async () => {
      const db = await scenario('a_js2')
      return run(pjs(PJS3), env({DATABASE_URL: db.url(CANARY_PASSWORD, `sslmode=require&${CAQ}`)}))
    },
  ],
  [
    'postgres.js 4.2: through PgBouncer (transaction mode)',
    async () => {
      const db = await scenario('a_js3')
      return run(pjs('postgres'), env({DATABASE_URL: bouncerUrl(db)}))
    },
  ],
  [
    'postgres.js 4.2: wrong password',
    async () => {
      const db = await scenario('a_js4')
      return run(pjs('postgres'), env({DATABASE_URL: db.url('wrong-Pw-0000', 'sslmode=require')}))
    },
  ],
  [
    'postgres.js 4.2: unencoded "@" and "/" in the password',
    async () => {
      const db = await scenario('a_js5', RAW_ROLE)
      const r = await run(pjs('postgres'), env({DATABASE_URL: db.url(RAW_PW, 'sslmode=require')}))
      // postgres.js ends the authority at the '/': it reads the host localhost (5432), not the password
      // (ECONNREFUSED here; whatever a machine runs on 5432, not this scenario's database)
      expect(r.tool.connected).toBe(false)
      expect(failing(r)).toContain('CONFIG_PASSWORD_NOT_ENCODED')
    },
  ],
  [
    'postgres.js 4.2: server without TLS, sslmode=require',
    async () => {
      const name = await plainDb('js6')
      return run(pjs('postgres'), env({DATABASE_URL: plainUrl(name, 'sslmode=require')}))
    },
  ],
  [
    'postgres.js 4.2: [::1] with verify-full and sslrootcert',
    async () => {
      const db = await scenario('a_js7')
      const url = db.url(CANARY_PASSWORD, `sslmode=verify-full&${CAQ}`).replace('@127.0.0.1:', '@[::1]:')
      return run(pjs('postgres'), env({DATABASE_URL: url}))
    },
  ],
]

/** A plain node-postgres script: the URL from DATABASE_URL, one table as its migration. */
function pgScript(head = '') {
  const js = `${head}import pg from 'pg'\nconst c = new pg.Client({connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 10000})\nawait c.connect().then(() => c.query('create table if not exists migrations (id int)')).then(() => c.end()).then(() => process.exit(0), (e) => { console.error(e.code + ': ' + e.message); process.exit(1) })\n`
  const a = makeApp({
    files: {
      'migrate.mjs': js,
      'package.json': JSON.stringify({
        name: 'app',
        private: true,
        scripts: {migrate: 'node migrate.mjs'},
        dependencies: {pg: '*'},
      }),
    },
    packages: ['pg'],
  })
  apps.push(a)
  return a
}

/** The app's .env and package.json script: `node migrate.mjs`, or the line db-doctor's fix writes. */
function withEnvFile(a: App, db: ScenarioDatabase, query: string, script?: string) {
  writeFileSync(`${a.dir}/.env`, `DATABASE_URL=${db.url(CANARY_PASSWORD, query)}\n`)
  if (script) {
    const pkg = JSON.parse(readFileSync(`${a.dir}/package.json`, 'utf8'))
    pkg.scripts.migrate = script
    writeFileSync(`${a.dir}/package.json`, JSON.stringify(pkg))
  }
  return a
}

MATRIX.push(
  [
    'postgres.js 4.2: .env next to `node migrate.mjs`, which never loads it: the script connects to localhost:5432; db-doctor fails CONFIG_ENV_FILE_NOT_LOADED',
    async () => {
      const db = await scenario('a_js8')
      const r = await run(withEnvFile(pjs('postgres'), db, 'sslmode=require'), {})
      expect(r.tool.connected).toBe(false) // postgres.js' defaults: localhost:5432
      const config = checkOf(r.doctor.report, 'config')
      expect(config.code).toBe('CONFIG_ENV_FILE_NOT_LOADED')
      expect(config.summary).toContain(
        'DATABASE_URL comes only from .env, which npm run migrate (node migrate.mjs) never loads',
      )
      expect(config.fix.summary).toBe('Load .env for node: "migrate": "node --env-file=.env migrate.mjs".')
    },
  ],
  [
    'fix of the postgres.js .env script, as db-doctor writes it: node --env-file=.env migrate.mjs',
    async () => {
      const db = await scenario('f_js8')
      const r = await run(withEnvFile(pjs('postgres'), db, 'sslmode=require', 'node --env-file=.env migrate.mjs'), {})
      expect(r.tool.connected, out(r.tool)).toBe(true)
    },
  ],
  [
    'node-postgres script: .env next to `node migrate.mjs`, never loaded: both fail',
    async () => {
      const db = await scenario('a_pg9')
      const r = await run(withEnvFile(pgScript(), db, `sslmode=verify-full&${CAQ}`), {})
      expect(failing(r)).toContain('CONFIG_ENV_FILE_NOT_LOADED')
    },
  ],
  [
    'node-postgres script that calls process.loadEnvFile() itself: both connect',
    async () => {
      const db = await scenario('a_pg10')
      const r = await run(withEnvFile(pgScript('process.loadEnvFile()\n'), db, `sslmode=verify-full&${CAQ}`), {})
      expect(r.tool.connected, out(r.tool)).toBe(true)
    },
  ],
)

MATRIX.push(
  [
    'dz-js3: through PgBouncer (transaction mode): postgres.js 3.4 migrates, db-doctor passes with its warning',
    async () => {
      const db = await scenario('b_dz18')
      const r = await run(drizzle('{url: process.env.DATABASE_URL!}', PJS3), env({DATABASE_URL: bouncerUrl(db)}), db)
      expect(r.tool.connected, out(r.tool)).toBe(true)
    },
  ],
  [
    "typeorm: ssl: true against the private CA (verifies against Node's CAs): both fail",
    async () => {
      const db = await scenario('b_to8')
      const r = await run(
        typeorm('url: process.env.DATABASE_URL, ssl: true'),
        env({DATABASE_URL: db.url(CANARY_PASSWORD)}),
        db,
      )
      expect(checkOf(r.doctor.report, 'tls').code).toBe('TLS_UNTRUSTED_ISSUER')
    },
  ],
  [
    'sequelize: dialectOptions.ssl true against the private CA: both fail',
    async () => {
      const db = await scenario('b_sq8')
      const a = sequelize({use_env_variable: 'DATABASE_URL', dialectOptions: {ssl: true}})
      const r = await run(a, env({DATABASE_URL: db.url(CANARY_PASSWORD)}), db)
      expect(checkOf(r.doctor.report, 'tls').code).toBe('TLS_UNTRUSTED_ISSUER')
    },
  ],
  [
    'dz-pg: sslmode=require in the URL beats PGSSLMODE=no-verify from .env (loaded by drizzle-kit): both fail',
    async () => {
      const db = await scenario('b_dz19')
      const a = drizzle('{url: process.env.DATABASE_URL!}', 'pg', {
        '.env': `DATABASE_URL=${db.url(CANARY_PASSWORD, 'sslmode=require')}\nPGSSLMODE=no-verify\n`,
      })
      const r = await run(a, {}, db)
      expect(r.tool.connected).toBe(false)
    },
  ],
  [
    'postgres.js 4.2: PGSSLMODE=verify-full and no CA: both fail; the fix (sslrootcert in the URL, 4.x reads it) migrates',
    async () => {
      const [db, dbFix] = await Promise.all([scenario('b_js9'), scenario('f_js9')])
      const r = await run(pjs('postgres'), env({DATABASE_URL: db.url(CANARY_PASSWORD), PGSSLMODE: 'verify-full'}))
      const tls = checkOf(r.doctor.report, 'tls')
      expect(tls.code).toBe('TLS_UNTRUSTED_ISSUER')
      expect(tls.fix.snippet.code).toContain('sslrootcert=/path/to/ca.pem')
      const fixed = await run(
        pjs('postgres'),
        env({DATABASE_URL: dbFix.url(CANARY_PASSWORD, CAQ), PGSSLMODE: 'verify-full'}),
      )
      expect(fixed.tool.connected, out(fixed.tool)).toBe(true)
    },
  ],
)

const enc = encodeURIComponent
MATRIX.push(
  [
    'postgres.js 3.4 (drizzle-kit): sslrootcert in the URL, the fix db-doctor wrote for node-postgres before, is refused by the server',
    async () => {
      const db = await scenario('f_dz13')
      const r = await run(
        drizzle('{url: process.env.DATABASE_URL!}', PJS3),
        env({DATABASE_URL: db.url(CANARY_PASSWORD, `sslmode=verify-full&${CAQ}`), PGSSLMODE: 'require'}),
        db,
      )
      expect(r.tool.connected).toBe(false)
      expect(checkOf(r.doctor.report, 'config').code).toBe('CONFIG_UNKNOWN_SERVER_PARAMETER')
    },
  ],
  [
    'fix of dz-js3 PGSSLMODE=require, as db-doctor writes it: verify-full in the URL, the CA in NODE_EXTRA_CA_CERTS',
    async () => {
      const db = await scenario('g_dz13')
      const r = await run(
        drizzle('{url: process.env.DATABASE_URL!}', PJS3),
        env({
          DATABASE_URL: db.url(CANARY_PASSWORD, 'sslmode=verify-full'),
          PGSSLMODE: 'require',
          NODE_EXTRA_CA_CERTS: pg.caFile,
        }),
        db,
      )
      expect(r.tool.connected, out(r.tool)).toBe(true)
    },
  ],
  [
    'fix of dz-js3-require-ca: sslrootcert removed',
    async () => {
      const db = await scenario('f_dz11')
      const r = await run(
        drizzle('{url: process.env.DATABASE_URL!}', PJS3),
        env({DATABASE_URL: db.url(CANARY_PASSWORD, 'sslmode=require')}),
        db,
      )
      expect(r.tool.connected, out(r.tool)).toBe(true)
      // unverified: the tls check's way to verification is NODE_EXTRA_CA_CERTS + verify-full (3.4 has no
      // sslrootcert), the configuration the scenario "fix of dz-js3 PGSSLMODE=require" runs and migrates with
      const tls = checkOf(r.doctor.report, 'tls')
      expect(tls).toMatchObject({status: 'warn', code: 'TLS_UNTRUSTED_ISSUER'})
      expect(tls.fix.steps.join('\n')).toContain('NODE_EXTRA_CA_CERTS=/path/to/ca.pem')
      expect(tls.fix.snippet.code).toContain('sslmode=verify-full')
      expect(tls.fix.snippet.code).not.toContain('sslrootcert')
    },
  ],
  [
    'fix of dz-pg-fields-ssl-false: ssl {rejectUnauthorized: true, ca}',
    async () => {
      const db = await scenario('f_dz3')
      const r = await run(
        drizzle(fieldsOf(db, pg.host, `, ssl: {rejectUnauthorized: true, ca: ${CA_JS}}`), 'pg'),
        env({DB_PASSWORD: CANARY_PASSWORD}),
        db,
      )
      expect(r.tool.connected, out(r.tool)).toBe(true)
    },
  ],
  [
    'fix of dz-pg-plain-require: sslmode=disable',
    async () => {
      const name = await plainDb('f_dz9')
      const r = await run(
        drizzle('{url: process.env.DATABASE_URL!}', 'pg'),
        env({DATABASE_URL: plainUrl(name, 'sslmode=disable')}),
      )
      expect(r.tool.connected, out(r.tool)).toBe(true)
    },
  ],
  [
    'fix of dz-pg-raw-pw: encoded',
    async () => {
      const db = await scenario('f_dz6', RAW_ROLE)
      const r = await run(
        drizzle('{url: process.env.DATABASE_URL!}', 'pg'),
        env({DATABASE_URL: db.url(enc(RAW_PW), `sslmode=verify-full&${CAQ}`)}),
        db,
      )
      expect(r.tool.connected, out(r.tool)).toBe(true)
    },
  ],
  [
    'fix of js4-raw-pw: encoded',
    async () => {
      const db = await scenario('f_js5', RAW_ROLE)
      const r = await run(pjs('postgres'), env({DATABASE_URL: db.url(enc(RAW_PW), 'sslmode=require')}))
      expect(r.tool.connected, out(r.tool)).toBe(true)
    },
  ],
  [
    'fix of sq-raw-pw: encoded',
    async () => {
      const db = await scenario('f_sq4', RAW_ROLE)
      const a = makeApp({
        files: {
          'package.json': appPackageJson({migrate: 'sequelize-cli db:migrate'}),
          'config/config.js': `module.exports = {development: {use_env_variable: 'DATABASE_URL', dialect: 'postgres', dialectOptions: {ssl: {ca: ${CA_JS}}}}}\n`,
        },
        packages: ['sequelize-cli', 'sequelize', 'pg', 'pg-hstore'],
      })
      apps.push(a)
      const r = await run(a, env({DATABASE_URL: db.url(enc(RAW_PW))}), db)
      expect(r.tool.connected, out(r.tool)).toBe(true)
    },
  ],
  [
    'fix of sq-url-ssl-true: dialectOptions.ssl with the CA in config.js',
    async () => {
      const db = await scenario('f_sq2')
      const a = makeApp({
        files: {
          'package.json': appPackageJson({migrate: 'sequelize-cli db:migrate'}),
          'config/config.js': `const fs = require('node:fs')\nmodule.exports = {development: {use_env_variable: 'DATABASE_URL', dialect: 'postgres', dialectOptions: {ssl: {require: true, rejectUnauthorized: true, ca: fs.readFileSync(${JSON.stringify(pg.caFile)}, 'utf8')}}}}\n`,
        },
        packages: ['sequelize-cli', 'sequelize', 'pg', 'pg-hstore'],
      })
      apps.push(a)
      const r = await run(a, env({DATABASE_URL: db.url(CANARY_PASSWORD, 'ssl=true')}), db)
      expect(r.tool.connected, out(r.tool)).toBe(true)
    },
  ],
  [
    'fix of to-raw-pw: encoded',
    async () => {
      const db = await scenario('f_to4', RAW_ROLE)
      const r = await run(
        typeorm('url: process.env.DATABASE_URL'),
        env({DATABASE_URL: db.url(enc(RAW_PW), `sslmode=verify-full&${CAQ}`)}),
        db,
      )
      expect(r.tool.connected, out(r.tool)).toBe(true)
    },
  ],
)

describe.skipIf(!support.ok)('differential audit matrix: the real tools vs db-doctor', () => {
  it.concurrent.each(MATRIX.map(([name, fn]) => ({name, fn})))(
    '$name',
    async ({fn}) => {
      await fn()
    },
    180_000,
  )
})
