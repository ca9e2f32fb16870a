// Differential suite, a migration tool's own table that the migrating role may not use
// (MIGRATION_TABLE_NO_ACCESS). The tables are made by the server's superuser (as a superuser, an earlier
// deploy user or a restore makes them), with only SELECT, or nothing, granted to the app role. The REAL
// knex 3.3 CLI (migrate:latest) and node-pg-migrate 9 (up) then run as the app role with one pending
// migration, and db-doctor in the same folder with the same environment: both tools fail, db-doctor
// fails with the code, the table, its owner, the missing privileges and the exact GRANT. The GRANT
// db-doctor prints, run as the owner, is the fix: the tool then migrates and db-doctor passes.
import pgLib from 'pg'
import {describe, expect, inject, it} from 'vitest'
import {checkOf, reportOf, runCli} from '../helpers/cli.js'
import {APP_USER, CANARY_PASSWORD} from '../helpers/constants.js'
import {
  appPackageJson,
  createScenarioDatabase,
  makeApp,
  runDoctor,
  runTool,
  type ScenarioDatabase,
} from '../helpers/migration-tools.js'
import {scenarioCleanup} from '../helpers/scenario-cleanup.js'

const pg = inject('pg')
const {apps, dbs} = scenarioCleanup()

async function asSuperuser(db: ScenarioDatabase, sql: string): Promise<void> {
  const client = new pgLib.Client({
    host: pg.host,
    port: pg.port,
    user: pg.superuser.user,
    password: pg.superuser.password,
    database: db.name,
    ssl: {ca: pg.caPem, servername: 'localhost'},
    connectionTimeoutMillis: 10_000,
  })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

const knexfile = (db: ScenarioDatabase) =>
  `module.exports = {client: 'pg', connection: {connectionString: ${JSON.stringify(db.url(CANARY_PASSWORD))}, ssl: {ca: ${JSON.stringify(db.pg.caPem)}, servername: 'localhost'}}}\n`
const url = (db: ScenarioDatabase) => db.url(CANARY_PASSWORD, `sslmode=verify-full&sslrootcert=${pg.caFile}`)

// the tools' own DDL (knex 3.3 table-creator.js, node-pg-migrate 9 ensureMigrationsTable), run as the superuser
const KNEX_DDL = `create table knex_migrations (id serial primary key, name varchar(255), batch integer, migration_time timestamptz);
  create table knex_migrations_lock (index serial primary key, is_locked integer);
  insert into knex_migrations_lock (is_locked) values (0);`
const NPM_DDL =
  'create table pgmigrations (id serial primary key, name varchar(255) not null, run_on timestamp not null);'

interface Scenario {
  name: string
  tool: 'knex' | 'node-pg-migrate'
  grant: string
  /** the GRANT statements db-doctor's fix holds */
  fix: string[]
  /** no migration file: nothing pending */
  nothingPending?: boolean
}

const superuser = () => pg.superuser.user
const scenarios: Scenario[] = [
  {
    name: 'knex, the app role granted only SELECT',
    tool: 'knex',
    grant: `grant select on knex_migrations, knex_migrations_lock to ${APP_USER}`,
    fix: [
      `GRANT INSERT ON public.knex_migrations TO ${APP_USER};`,
      `GRANT UPDATE ON public.knex_migrations_lock TO ${APP_USER};`,
      `GRANT USAGE ON SEQUENCE public.knex_migrations_id_seq TO ${APP_USER};`,
    ],
  },
  {
    name: 'knex, nothing granted',
    tool: 'knex',
    grant: '',
    fix: [
      `GRANT SELECT, INSERT ON public.knex_migrations TO ${APP_USER};`,
      `GRANT SELECT, UPDATE ON public.knex_migrations_lock TO ${APP_USER};`,
      `GRANT USAGE ON SEQUENCE public.knex_migrations_id_seq TO ${APP_USER};`,
    ],
  },
  {
    // knex takes its lock (UPDATE knex_migrations_lock) on every migrate:latest, even with nothing to run
    name: 'knex, nothing pending, the lock table granted only SELECT',
    tool: 'knex',
    grant: `grant select, insert on knex_migrations to ${APP_USER}; grant usage on sequence knex_migrations_id_seq to ${APP_USER}; grant select on knex_migrations_lock to ${APP_USER}`,
    fix: [`GRANT UPDATE ON public.knex_migrations_lock TO ${APP_USER};`],
    nothingPending: true,
  },
  {
    name: 'node-pg-migrate, the app role granted only SELECT',
    tool: 'node-pg-migrate',
    grant: `grant select on pgmigrations to ${APP_USER}`,
    fix: [
      `GRANT INSERT ON public.pgmigrations TO ${APP_USER};`,
      `GRANT USAGE ON SEQUENCE public.pgmigrations_id_seq TO ${APP_USER};`,
    ],
  },
  {
    name: 'node-pg-migrate, nothing granted',
    tool: 'node-pg-migrate',
    grant: '',
    fix: [
      `GRANT SELECT, INSERT ON public.pgmigrations TO ${APP_USER};`,
      `GRANT USAGE ON SEQUENCE public.pgmigrations_id_seq TO ${APP_USER};`,
    ],
  },
]

describe("differential: the migration tool's own table, made by another role", () => {
  for (const s of scenarios) {
    it(s.name, async () => {
      const db = await createScenarioDatabase(pg, `acc_${s.tool}`.slice(0, 20))
      dbs.push(db)
      await asSuperuser(db, `${s.tool === 'knex' ? KNEX_DDL : NPM_DDL} ${s.grant}`)
      const migration =
        s.tool === 'knex'
          ? 'exports.up = (knex) => knex.schema.createTable("things", (t) => t.increments())\nexports.down = () => {}\n'
          : 'exports.up = (pgm) => { pgm.createTable("things", {id: "id"}) }\n'
      const app = makeApp({
        files: {
          ...(s.tool === 'knex' ? {'knexfile.js': knexfile(db)} : {}),
          ...(s.nothingPending ? {} : {'migrations/1700000000000_things.js': migration}),
          'package.json': appPackageJson({
            migrate: s.tool === 'knex' ? 'knex migrate:latest' : 'node-pg-migrate up',
          }),
        },
        packages: [s.tool, 'pg'],
      })
      apps.push(app)
      const env = s.tool === 'node-pg-migrate' ? {DATABASE_URL: url(db)} : undefined
      const tool = await runTool(app, {script: 'migrate'}, {env})
      const doctor = await runDoctor(app, ['check', '--json'], {env})
      const why = `${s.tool} exit ${tool.code}\n${tool.stdout}\n${tool.stderr}\n--- db-doctor exit ${doctor.code}\n${doctor.stdout}\n${doctor.stderr}`
      expect(tool.code, why).toBe(1)
      expect(doctor.code, why).toBe(1)
      const migrations = checkOf(reportOf(doctor), 'migrations')
      expect(migrations.status, why).toBe('fail')
      expect(migrations.code, why).toBe('MIGRATION_TABLE_NO_ACCESS')
      expect(migrations.evidence.role).toBe(APP_USER)
      expect(migrations.evidence.owner).toBe(superuser())
      expect(migrations.fix?.snippet?.code, why).toBe(s.fix.join('\n'))
      for (const out of [doctor.stdout, doctor.stderr]) expect(out).not.toContain(CANARY_PASSWORD)
      // the tool's own output, pasted into explain (printed here: the catalogue's examples quote it)
      const toolOut = `${tool.stdout}${tool.stderr}`
      console.log(`[${s.name}] ${s.tool} printed:\n${toolOut}`)
      const explained = await runCli(['explain', '--json'], {cwd: app.dir, input: toolOut})
      if (/permission denied for (table|sequence)/.test(toolOut))
        expect(explained.stdout, explained.stderr).toContain('MIGRATION_TABLE_NO_ACCESS')
      // db-doctor's own fix, run as the owner: the tool migrates and db-doctor passes
      await asSuperuser(db, s.fix.join('\n'))
      const fixed = await runTool(app, {script: 'migrate'}, {env})
      expect(fixed.code, `${fixed.stdout}\n${fixed.stderr}`).toBe(0)
      const after = await runDoctor(app, ['check', '--json'], {env})
      expect(after.code, after.stdout).toBe(0)
      expect(checkOf(reportOf(after), 'migrations').status).toBe('pass')
    })
  }
})
