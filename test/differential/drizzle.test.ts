// Differential suite, drizzle-kit and postgres.js (issue 19): the real drizzle-kit 0.31 CLI runs
// `drizzle-kit migrate` in a temp app folder against the test server (TLS only, private CA), with
// the driver drizzle-kit picks (pg, or postgres.js 3.4 when pg is absent), and plain scripts on
// postgres.js 4.2 / 3.4 run `node migrate.js`; db-doctor runs beside each with the same folder and
// environment. Exit 0 exactly when the real tool migrates, and the failing code names the cause
// the tool's own error shows.
import {writeFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import pgLib from 'pg'
import {describe, expect, inject, it} from 'vitest'
import {explainText} from '../../src/explain/index.js'
import {CANARY_PASSWORD} from '../helpers/constants.js'
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
import {scenarioCleanup} from '../helpers/scenario-cleanup.js'
import {adminClient} from '../helpers/postgres.js'

const doctor = (a: App, env: Record<string, string | undefined>) => doctorCheck(a, env, [], [RAW_CANARY])

const pg = inject('pg')
const PgClient = pgLib.Client
const {apps, dbs} = scenarioCleanup()

async function scenario(label: string, owner?: string): Promise<ScenarioDatabase> {
  const db = await createScenarioDatabase(pg, label, owner)
  dbs.push(db)
  return db
}

const PG = 'pg'
const PJS3 = 'postgres-3 as postgres'

/** One migration, as `drizzle-kit generate` writes it. */
const MIGRATIONS = {
  'drizzle/meta/_journal.json': JSON.stringify({
    version: '7',
    dialect: 'postgresql',
    entries: [{idx: 0, version: '7', when: 1700000000000, tag: '0000_init', breakpoints: true}],
  }),
  'drizzle/0000_init.sql': 'CREATE TABLE "items" ("id" integer PRIMARY KEY);\n',
}
const SCRIPT = appPackageJson({'db:migrate': 'drizzle-kit migrate'})

function drizzleApp(dbCredentials: string, driver: string, extra: Record<string, string> = {}): App {
  const config = `import {defineConfig} from 'drizzle-kit'\nexport default defineConfig({dialect: 'postgresql', out: './drizzle', dbCredentials: ${dbCredentials}})\n`
  const a = makeApp({
    files: {'drizzle.config.ts': config, 'package.json': SCRIPT, ...MIGRATIONS, ...extra},
    packages: ['drizzle-kit', 'drizzle-orm', driver],
  })
  apps.push(a)
  return a
}

/** A plain script on postgres.js: the URL from DATABASE_URL, one table as its migration. */
function scriptApp(driver: string): App {
  const js = `import postgres from 'postgres'\nconst sql = postgres(process.env.DATABASE_URL, {max: 1, connect_timeout: 10})\nsql\`create table if not exists migrations (id int)\`.then(() => sql.end()).then(() => process.exit(0), (e) => { console.error(e.message); process.exit(1) })\n`
  const a = postgresJsScriptApp(driver, js)
  apps.push(a)
  return a
}

/** A canary password postgres.js 4.x reads raw in a URL (two '@', a '#') and node-postgres cannot. */
const RAW_CANARY = 'c@n#ry@pw-5e1b'

/** drizzle-kit's run with the app's pg tapped (test/helpers/pg-error-tap.cjs): the error it swallows goes to stderr. */
const TAP = fileURLToPath(new URL('../helpers/pg-error-tap.cjs', import.meta.url))
const tapped = (env: Record<string, string | undefined>) => ({...env, NODE_OPTIONS: `--require ${TAP}`})

/**
 * A failed `drizzle-kit migrate` shows no error text (only its spinner, exit 1): compare on the exit code,
 * and check that db-doctor's cause is the real one — the error the tap saw is recognised as one of
 * db-doctor's failing codes by explain, or quoted in its report.
 */
function sameCause(tool: ToolResult, d: {code: number | null; report: any}) {
  agree(tool, d)
  expect(tool.code).toBe(1)
  const shown = out(tool)
    .split('\n')
    .filter((l) => !l.startsWith('[pg error]'))
    .join('\n')
  expect(shown).toContain('applying migrations...')
  expect(shown).not.toMatch(/error|denied|certificate|pg_hba/i)
  const real = /\[pg error\] (.*)/.exec(tool.stderr)?.[1]
  expect(real, out(tool)).toBeTruthy()
  const failing = d.report.checks
    .filter((c: any) => c.status === 'fail')
    .flatMap((c: any) => [c.code, ...(c.findings ?? []).map((f: any) => f.code)])
  const explained = explainText(real!, 'drizzle-kit').matches.flatMap((m) => (m.code ? [m.code] : (m.candidates ?? [])))
  expect(
    failing.some((c: string) => explained.includes(c)) || JSON.stringify(d.report).includes(real!),
    `the real error "${real}" (explain: ${explained.join(', ')}) vs db-doctor's failing codes ${failing.join(', ')}`,
  ).toBe(true)
}
const CA = JSON.stringify(pg.caFile)

describe.concurrent('differential: drizzle-kit and postgres.js vs db-doctor', () => {
  it('sslmode=require in dbCredentials.url: pg verifies (fails on the private CA), postgres.js does not (migrates); db-doctor agrees with each and names the stack', async () => {
    const [dbPg, dbJs] = await Promise.all([scenario('dz_pg_req'), scenario('dz_js_req')])
    const url = '{url: process.env.DATABASE_URL!}'
    const aPg = drizzleApp(url, PG)
    const aJs = drizzleApp(url, PJS3)
    const envPg = {DATABASE_URL: dbPg.url(CANARY_PASSWORD, 'sslmode=require')}
    const envJs = {DATABASE_URL: dbJs.url(CANARY_PASSWORD, 'sslmode=require')}
    const [tPg, dPg, tJs, dJs] = await Promise.all([
      runTool(aPg, {script: 'db:migrate'}, {env: tapped(envPg), database: dbPg}),
      doctor(aPg, envPg),
      runTool(aJs, {script: 'db:migrate'}, {env: envJs, database: dbJs}),
      doctor(aJs, envJs),
    ])
    sameCause(tPg, dPg) // hanji renderWithTask: exit 1, no error printed
    expect(checkOf(dPg.report, 'tls').code).toBe('TLS_UNTRUSTED_ISSUER')
    expect(dPg.report.modelled.text).toMatch(/^drizzle-kit 0\.31 → node-postgres 8\.\d+$/)
    agree(tJs, dJs)
    expect(tJs.connected, out(tJs)).toBe(true)
    expect(dJs.report.modelled.text).toBe('drizzle-kit 0.31 → postgres.js 3.4')
    expect(JSON.stringify(dJs.report)).not.toContain('uselibpqcompat')
  })

  it('postgres.js: a Prisma-style ?schema=public goes to the server as a startup parameter; both fail on "unrecognized configuration parameter"', async () => {
    const db = await scenario('dz_js_schema')
    const a = drizzleApp('{url: process.env.DATABASE_URL!}', PJS3)
    const env = {DATABASE_URL: db.url(CANARY_PASSWORD, 'sslmode=require&schema=public')}
    const [tool, d] = await Promise.all([runTool(a, {script: 'db:migrate'}, {env, database: db}), doctor(a, env)])
    agree(tool, d)
    expect(tool.code).toBe(1)
    const config = checkOf(d.report, 'config')
    expect(config.code).toBe('CONFIG_UNKNOWN_SERVER_PARAMETER')
    expect(JSON.stringify(config.fix)).toContain('search_path')
  })

  it("pg with host/port fields: no ssl means TLS WITH verification (fails on the private CA), ssl: 'require' means rejectUnauthorized false (migrates)", async () => {
    const [dbV, dbR] = await Promise.all([scenario('dz_fields_v'), scenario('dz_fields_r')])
    const fields = (db: ScenarioDatabase, ssl: string) =>
      `{host: '${pg.host}', port: ${pg.port}, user: 'app', password: process.env.DB_PASSWORD!, database: '${db.name}'${ssl}}`
    const aV = drizzleApp(fields(dbV, ''), PG)
    const aR = drizzleApp(fields(dbR, ", ssl: 'require'"), PG)
    const env = {DB_PASSWORD: CANARY_PASSWORD, PGSSLMODE: 'disable'}
    const [tV, dV, tR, dR] = await Promise.all([
      runTool(aV, {script: 'db:migrate'}, {env: tapped(env), database: dbV}),
      doctor(aV, env),
      runTool(aR, {script: 'db:migrate'}, {env, database: dbR}),
      doctor(aR, env),
    ])
    sameCause(tV, dV)
    expect(checkOf(dV.report, 'tls').code).toBe('TLS_UNTRUSTED_ISSUER')
    agree(tR, dR)
    expect(tR.connected, out(tR)).toBe(true)
  })

  it('.env read by drizzle-kit itself (no loader in the script) migrates; an ssl key next to dbCredentials.url is dropped (plaintext, refused)', async () => {
    const [dbEnv, dbDrop] = await Promise.all([scenario('dz_envfile'), scenario('dz_dropped')])
    const verified = (db: ScenarioDatabase) => db.url(CANARY_PASSWORD, `sslmode=verify-full&sslrootcert=${pg.caFile}`)
    const aEnv = drizzleApp('{url: process.env.DATABASE_URL!}', PG, {'.env': `DATABASE_URL=${verified(dbEnv)}\n`})
    const aDrop = drizzleApp(
      `{url: process.env.DATABASE_URL!, ssl: {ca: require('fs').readFileSync(${CA}, 'utf8')}}`,
      PG,
    )
    const envDrop = {DATABASE_URL: dbDrop.url(CANARY_PASSWORD)}
    const [tEnv, dEnv, tDrop, dDrop] = await Promise.all([
      runTool(aEnv, {script: 'db:migrate'}, {database: dbEnv}),
      doctor(aEnv, {}),
      runTool(aDrop, {script: 'db:migrate'}, {env: tapped(envDrop), database: dbDrop}),
      doctor(aDrop, envDrop),
    ])
    agree(tEnv, dEnv)
    expect(tEnv.connected, out(tEnv)).toBe(true)
    sameCause(tDrop, dDrop)
    const failing = dDrop.report.checks.filter((c: any) => c.status === 'fail').map((c: any) => c.code)
    expect(failing.join(' ')).toMatch(/HBA|SSL_REQUIRED|NO_ENCRYPTION/)
  })

  it('CREATE SCHEMA IF NOT EXISTS drizzle needs CREATE on the database, even when the schema exists: the CLI fails (exit 1, spinner only); db-doctor names the database privilege', async () => {
    const [dbNone, dbExists] = await Promise.all([
      scenario('dz_nocreate', pg.superuser.user),
      scenario('dz_schema_there', pg.superuser.user),
    ])
    const asApp = (db: ScenarioDatabase) =>
      db
        .url(CANARY_PASSWORD, `sslmode=verify-full&sslrootcert=${pg.caFile}`)
        .replace(`//${pg.superuser.user}:`, '//app:')
    // the DBA made the schema for the app: drizzle-kit still runs CREATE SCHEMA IF NOT EXISTS first
    const su = await adminClient(pg, dbExists.name)
    await su.query('create schema drizzle authorization app')
    await su.end()
    // what the server answers the statement drizzle-orm's migrator sends first (drizzle-kit prints nothing)
    const app = new PgClient({connectionString: asApp(dbExists), ssl: {ca: pg.caPem}})
    await app.connect()
    const err = await app.query('CREATE SCHEMA IF NOT EXISTS "drizzle"').then(
      () => null,
      (e: Error) => e.message,
    )
    await app.end()
    expect(err).toBe(`permission denied for database ${dbExists.name}`)
    const aNone = drizzleApp('{url: process.env.DATABASE_URL!}', PG)
    const aExists = drizzleApp('{url: process.env.DATABASE_URL!}', PG)
    const envNone = {DATABASE_URL: asApp(dbNone)}
    const envExists = {DATABASE_URL: asApp(dbExists)}
    const [tN, dN, tE, dE] = await Promise.all([
      runTool(aNone, {script: 'db:migrate'}, {env: tapped(envNone), database: dbNone}),
      doctor(aNone, envNone),
      runTool(aExists, {script: 'db:migrate'}, {env: tapped(envExists), database: dbExists}),
      doctor(aExists, envExists),
    ])
    for (const [t, d, db] of [
      [tN, dN, dbNone],
      [tE, dE, dbExists],
    ] as const) {
      sameCause(t, d)
      const priv = checkOf(d.report, 'privileges')
      expect(priv.code).toBe('PRIV_NO_CREATE_ON_SCHEMA')
      expect(priv.summary).toContain(`permission denied for database ${db.name}`)
      expect(JSON.stringify(priv.fix)).toContain(`GRANT CREATE ON DATABASE ${db.name} TO app;`)
    }
  })

  it("state: migrations.table/schema configured, one migration run, one added — db-doctor reads drizzle's own table against meta/_journal.json (1 applied, 1 pending), and the next `drizzle-kit migrate` runs exactly that one; then a branch's entry older than the newest applied one: MIGRATION_OLDER_THAN_APPLIED, and the real migrate skips it (exit 0, never run)", async () => {
    const db = await scenario('dz_state')
    const entries = [
      {idx: 0, version: '7', when: 1700000000000, tag: '0000_init', breakpoints: true},
      {idx: 1, version: '7', when: 1700000001000, tag: '0001_more', breakpoints: true},
      // generated on a branch before 0001_more, merged after it was applied
      {idx: 2, version: '7', when: 1700000000500, tag: '0002_branch', breakpoints: true},
    ]
    const journal = (n: number) => JSON.stringify({version: '7', dialect: 'postgresql', entries: entries.slice(0, n)})
    const config = `import {defineConfig} from 'drizzle-kit'\nexport default defineConfig({dialect: 'postgresql', out: './drizzle', dbCredentials: {url: process.env.DATABASE_URL!}, migrations: {table: 'history', schema: 'ops'}})\n`
    const a = makeApp({
      files: {
        'drizzle.config.ts': config,
        'package.json': SCRIPT,
        'drizzle/meta/_journal.json': journal(1),
        'drizzle/0000_init.sql': 'CREATE TABLE "items" ("id" integer PRIMARY KEY);\n',
        'drizzle/0001_more.sql': 'CREATE TABLE "more" ("id" integer PRIMARY KEY);\n',
        'drizzle/0002_branch.sql': 'CREATE TABLE "branch" ("id" integer PRIMARY KEY);\n',
      },
      packages: ['drizzle-kit', 'drizzle-orm', PG],
    })
    apps.push(a)
    const env = {DATABASE_URL: db.url(CANARY_PASSWORD, `sslmode=verify-full&sslrootcert=${pg.caFile}`)}
    const state = (d: {report: any}) => checkOf(d.report, 'migrations').evidence.tools[0]
    const first = await runTool(a, {script: 'db:migrate'}, {env})
    expect(first.code, out(first)).toBe(0)
    writeFileSync(`${a.dir}/drizzle/meta/_journal.json`, journal(2))
    const before = await doctor(a, env)
    expect(checkOf(before.report, 'migrations').status).toBe('pass')
    expect(state(before)).toMatchObject({
      tool: 'drizzle-kit',
      table: 'ops.history',
      tableExists: true,
      applied: 1,
      pending: 1,
      nextPending: '0001_more',
    })
    const second = await runTool(a, {script: 'db:migrate'}, {env})
    expect(second.code, out(second)).toBe(0)
    writeFileSync(`${a.dir}/drizzle/meta/_journal.json`, journal(3))
    const after = await doctor(a, env)
    expect(state(after)).toMatchObject({applied: 2, pending: 0})
    const skipped = checkOf(after.report, 'migrations')
    expect(skipped.status).toBe('warn')
    expect(skipped.code).toBe('MIGRATION_OLDER_THAN_APPLIED')
    expect(skipped.summary).toContain('0002_branch')
    expect(skipped.evidence.neverRun).toEqual([
      {tag: '0002_branch', when: 1700000000500, at: '2023-11-14T22:13:20.500Z'},
    ])
    expect(after.code).toBe(0) // a warning: the run itself succeeds
    // the real CLI: "migrations applied successfully", exit 0, and 0002_branch never ran
    const third = await runTool(a, {script: 'db:migrate'}, {env})
    expect(third.code, out(third)).toBe(0)
    expect(out(third)).toContain('migrations applied successfully')
    const su = await adminClient(pg, db.name)
    const rows = await su.query('select created_at::text as c from ops.history order by id')
    const tables = await su.query(
      "select to_regclass('public.more')::text as more, to_regclass('public.branch')::text as branch",
    )
    await su.end()
    expect(rows.rows.map((r) => r.c)).toEqual(['1700000000000', '1700000001000'])
    expect(tables.rows[0]).toEqual({more: 'more', branch: null})
  })

  it('no meta/_journal.json: drizzle-kit migrate shows only its spinner and exits 1 (drizzle-orm\'s readMigrationFiles throws "Can\'t find meta/_journal.json file", never printed); db-doctor fails with MIGRATION_JOURNAL_MISSING', async () => {
    const db = await scenario('dz_nojournal')
    const a = makeApp({
      files: {
        'drizzle.config.ts': `import {defineConfig} from 'drizzle-kit'\nexport default defineConfig({dialect: 'postgresql', out: './drizzle', dbCredentials: {url: process.env.DATABASE_URL!}})\n`,
        'package.json': SCRIPT,
        'drizzle/0000_init.sql': MIGRATIONS['drizzle/0000_init.sql'],
      },
      packages: ['drizzle-kit', 'drizzle-orm', PG],
    })
    apps.push(a)
    const env = {DATABASE_URL: db.url(CANARY_PASSWORD, `sslmode=verify-full&sslrootcert=${pg.caFile}`)}
    const [tool, d] = await Promise.all([runTool(a, {script: 'db:migrate'}, {env, database: db}), doctor(a, env)])
    agree(tool, d)
    expect(tool.code).toBe(1)
    expect(out(tool)).toContain('applying migrations...')
    expect(out(tool)).not.toMatch(/journal|Error/)
    // what drizzle-kit swallows: the migrator it imports (the app's drizzle-orm) throws this
    const {readMigrationFiles} = await import('drizzle-orm/migrator')
    expect(() => readMigrationFiles({migrationsFolder: `${a.dir}/drizzle`})).toThrow(
      "Can't find meta/_journal.json file",
    )
    const m = checkOf(d.report, 'migrations')
    expect(m.status).toBe('fail')
    expect(m.code).toBe('MIGRATION_JOURNAL_MISSING')
    expect(m.summary).toContain("Can't find meta/_journal.json file")
    expect(m.evidence).toMatchObject({directory: 'drizzle', folderExists: true})
  })

  it('plain postgres.js scripts: sslmode=require migrates unverified (4.2), PGSSL=require does for 3.4, ?uselibpqcompat=true is refused by the server', async () => {
    const [db4, db3, dbCompat] = await Promise.all([
      scenario('js4_require'),
      scenario('js3_pgssl'),
      scenario('js4_compat'),
    ])
    const a4 = scriptApp('postgres')
    const a3 = scriptApp(PJS3)
    const env4 = {DATABASE_URL: db4.url(CANARY_PASSWORD, 'sslmode=require')}
    const env3 = {DATABASE_URL: db3.url(CANARY_PASSWORD), PGSSL: 'require'}
    const envCompat = {DATABASE_URL: dbCompat.url(CANARY_PASSWORD, 'sslmode=require&uselibpqcompat=true')}
    const [t4, d4, t3, d3, tC, dC] = await Promise.all([
      runTool(a4, {script: 'migrate'}, {env: env4, database: db4}),
      doctor(a4, env4),
      runTool(a3, {script: 'migrate'}, {env: env3, database: db3}),
      doctor(a3, env3),
      runTool(a4, {script: 'migrate'}, {env: envCompat, database: dbCompat}),
      doctor(a4, envCompat),
    ])
    agree(t4, d4)
    expect(t4.connected, out(t4)).toBe(true)
    expect(d4.report.modelled.text).toBe('postgres.js 4.2')
    agree(t3, d3)
    expect(t3.connected, out(t3)).toBe(true)
    agree(tC, dC)
    expect(out(tC)).toMatch(/unrecognized configuration parameter "uselibpqcompat"/)
    expect(checkOf(dC.report, 'config').code).toBe('CONFIG_UNKNOWN_SERVER_PARAMETER')
  })
  it("postgres.js: a real role whose password has two '@' and a '#', written raw in DATABASE_URL — 4.2 splits the user info at the last '@' and keeps '#': its script logs in, and db-doctor agrees (exit 0, no encoding finding); 3.4 cuts it at '#' (host \"n\": ENOTFOUND), and db-doctor fails with the encoding finding", async () => {
    const role = `pjs_raw_${process.pid}`
    const db = await scenario('pjs_raw')
    const su = await adminClient(pg, 'postgres')
    await su.query(`create role ${role} login password '${RAW_CANARY}'`)
    try {
      const js = `import postgres from 'postgres'\nconst sql = postgres(process.env.DATABASE_URL, {max: 1, connect_timeout: 10})\nsql\`select current_user as u\`.then((r) => { console.log('logged in as', r[0].u); return sql.end() }).then(() => process.exit(0), (e) => { console.error(e.message); process.exit(1) })\n`
      const mk = (driver: string) => {
        const a = makeApp({
          files: {
            'login.mjs': js,
            'package.json': JSON.stringify({
              name: 'app',
              private: true,
              scripts: {login: 'node login.mjs'},
              dependencies: {postgres: '*'},
            }),
          },
          packages: [driver],
        })
        apps.push(a)
        return a
      }
      const a4 = mk('postgres')
      const a3 = mk(PJS3)
      const env = {DATABASE_URL: `postgres://${role}:${RAW_CANARY}@${pg.host}:${pg.port}/${db.name}?sslmode=require`}
      const [t4, d4, t3, d3] = await Promise.all([
        runTool(a4, {script: 'login'}, {env}),
        doctor(a4, env),
        runTool(a3, {script: 'login'}, {env}),
        doctor(a3, env),
      ])
      for (const t of [t4, t3]) expect(out(t)).not.toContain(RAW_CANARY)
      agree(t4, d4)
      expect(out(t4)).toContain(`logged in as ${role}`)
      expect(checkOf(d4.report, 'config').status).toBe('pass')
      expect(checkOf(d4.report, 'auth').status).toBe('pass')
      expect(d4.report.target).toMatchObject({user: role, database: db.name})
      agree(t3, d3)
      // 3.4's WHATWG URL ends the authority at '#': user info "…:c", host "n"
      expect(out(t3)).toContain('getaddrinfo ENOTFOUND n')
      expect(checkOf(d3.report, 'config').code).toBe('CONFIG_PASSWORD_NOT_ENCODED')
    } finally {
      await su.query(`drop role if exists ${role}`)
      await su.end()
    }
  })
})
