// Differential suite, a migration tool's own table that the migrating role may not use
// (MIGRATION_TABLE_NO_ACCESS). The tables are made by the server's superuser (as a superuser, an earlier
// deploy user or a restore makes them), with only SELECT, or nothing, granted to the app role. The REAL
// knex 3.3 CLI (migrate:latest) and node-pg-migrate 9 (up) then run as the app role with one pending
// migration, and db-doctor in the same folder with the same environment: both tools fail, db-doctor
// fails with the code, the table, its owner, the missing privileges and the exact GRANT. The GRANT
// db-doctor prints, run as the owner, is the fix: the tool then migrates and db-doctor passes.
import {describe, expect, inject, it} from 'vitest'
import {checkOf, reportOf, runCli} from '../helpers/cli.js'
import {APP_USER, CANARY_PASSWORD} from '../helpers/constants.js'
import {appPackageJson, makeApp, runDoctor, runTool, type ScenarioDatabase} from '../helpers/migration-tools.js'
import {adminClient} from '../helpers/postgres.js'
import {scenarioCleanup} from '../helpers/scenario-cleanup.js'

const pg = inject('pg')
const {apps, scenario} = scenarioCleanup(pg)

async function asSuperuser(db: ScenarioDatabase, sql: string): Promise<void> {
  const client = await adminClient(pg, db.name)
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

// TypeORM 1.1 (MigrationExecutor.createMigrationsTableIfNotExist), sequelize-cli 6 (umzug SequelizeStorage),
// drizzle-orm 0.x (pg-core dialect migrate): their own DDL, run as the superuser
const TYPEORM_DDL =
  'create table migrations (id serial primary key, "timestamp" bigint not null, name character varying not null);'
const SEQUELIZE_DDL = 'create table "SequelizeMeta" (name varchar(255) not null unique, primary key (name));'
const DRIZZLE_DDL =
  'create schema drizzle; create table drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint);'

type Tool = 'knex' | 'node-pg-migrate' | 'typeorm' | 'sequelize-cli' | 'drizzle-kit'
const CA = `require('fs').readFileSync(${JSON.stringify(pg.caFile)}, 'utf8')`

/** Each tool's app: its DDL, its files (one pending migration unless nothing is), packages, script and environment. */
const TOOLS: Record<
  Tool,
  {
    ddl: string
    files: (db: ScenarioDatabase, pending: boolean) => Record<string, string>
    packages: string[]
    script: string
    env?: (db: ScenarioDatabase) => Record<string, string>
  }
> = {
  knex: {
    ddl: KNEX_DDL,
    files: (db, pending) => ({
      'knexfile.js': knexfile(db),
      ...(pending
        ? {
            'migrations/1700000000000_things.js':
              'exports.up = (knex) => knex.schema.createTable("things", (t) => t.increments())\nexports.down = () => {}\n',
          }
        : {}),
    }),
    packages: ['knex', 'pg'],
    script: 'knex migrate:latest',
  },
  'node-pg-migrate': {
    ddl: NPM_DDL,
    files: (_db, pending): Record<string, string> =>
      pending
        ? {'migrations/1700000000000_things.js': 'exports.up = (pgm) => { pgm.createTable("things", {id: "id"}) }\n'}
        : {},
    packages: ['node-pg-migrate', 'pg'],
    script: 'node-pg-migrate up',
    env: (db) => ({DATABASE_URL: url(db)}),
  },
  typeorm: {
    ddl: TYPEORM_DDL,
    files: () => ({
      'data-source.js': `const {DataSource} = require('typeorm')\nmodule.exports = {AppDataSource: new DataSource({type: 'postgres', url: process.env.DATABASE_URL, migrations: ['migrations/*.js'], ssl: {ca: ${CA}}})}\n`,
      'migrations/1700000000000-Things.js':
        "module.exports = class Things1700000000000 { async up(q) { await q.query('create table things (id int)') } async down() {} }\n",
    }),
    packages: ['typeorm', 'pg'],
    script: 'typeorm migration:run -d data-source.js',
    env: (db) => ({DATABASE_URL: db.url(CANARY_PASSWORD)}),
  },
  'sequelize-cli': {
    ddl: SEQUELIZE_DDL,
    files: () => ({
      'config/config.js': `module.exports = {development: {use_env_variable: 'DATABASE_URL', dialect: 'postgres', dialectOptions: {ssl: {ca: ${CA}}}}}\n`,
      // sequelize-cli runs the migration, then records it outside any transaction: with only SELECT, `things`
      // is made and the INSERT into SequelizeMeta fails, so the run after the GRANT runs it again
      'migrations/20240101000000-things.js':
        "module.exports = {up: (q) => q.sequelize.query('create table if not exists things (id int)'), down: () => {}}\n",
    }),
    packages: ['sequelize-cli', 'sequelize', 'pg', 'pg-hstore'],
    script: 'sequelize-cli db:migrate',
    env: (db) => ({DATABASE_URL: db.url(CANARY_PASSWORD)}),
  },
  'drizzle-kit': {
    ddl: DRIZZLE_DDL,
    files: () => ({
      'drizzle.config.ts': `import {defineConfig} from 'drizzle-kit'\nexport default defineConfig({dialect: 'postgresql', out: './drizzle', dbCredentials: {url: process.env.DATABASE_URL!}})\n`,
      'drizzle/meta/_journal.json': JSON.stringify({
        version: '7',
        dialect: 'postgresql',
        entries: [{idx: 0, version: '7', when: 1700000000000, tag: '0000_init', breakpoints: true}],
      }),
      'drizzle/0000_init.sql': 'CREATE TABLE "items" ("id" integer PRIMARY KEY);\n',
    }),
    packages: ['drizzle-kit', 'drizzle-orm', 'pg'],
    script: 'drizzle-kit migrate',
    env: (db) => ({DATABASE_URL: url(db)}),
  },
}

interface Scenario {
  name: string
  tool: Tool
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
  {
    name: 'TypeORM, the app role granted only SELECT',
    tool: 'typeorm',
    grant: `grant select on migrations to ${APP_USER}`,
    fix: [
      `GRANT INSERT ON public.migrations TO ${APP_USER};`,
      `GRANT USAGE ON SEQUENCE public.migrations_id_seq TO ${APP_USER};`,
    ],
  },
  {
    name: 'TypeORM, nothing granted',
    tool: 'typeorm',
    grant: '',
    fix: [
      `GRANT SELECT, INSERT ON public.migrations TO ${APP_USER};`,
      `GRANT USAGE ON SEQUENCE public.migrations_id_seq TO ${APP_USER};`,
    ],
  },
  {
    name: 'sequelize-cli, the app role granted only SELECT',
    tool: 'sequelize-cli',
    grant: `grant select on "SequelizeMeta" to ${APP_USER}`,
    fix: [`GRANT INSERT ON public."SequelizeMeta" TO ${APP_USER};`],
  },
  {
    name: 'sequelize-cli, nothing granted',
    tool: 'sequelize-cli',
    grant: '',
    fix: [`GRANT SELECT, INSERT ON public."SequelizeMeta" TO ${APP_USER};`],
  },
  {
    name: 'drizzle-kit, the app role granted only SELECT (and USAGE on its schema)',
    tool: 'drizzle-kit',
    grant: `grant usage on schema drizzle to ${APP_USER}; grant select on drizzle.__drizzle_migrations to ${APP_USER}`,
    fix: [
      `GRANT INSERT ON drizzle.__drizzle_migrations TO ${APP_USER};`,
      `GRANT USAGE ON SEQUENCE drizzle.__drizzle_migrations_id_seq TO ${APP_USER};`,
      // drizzle-orm runs CREATE TABLE IF NOT EXISTS in its schema on every run: without CREATE there, the GRANTs above are not enough
      `GRANT CREATE ON SCHEMA drizzle TO ${APP_USER};`,
    ],
  },
]

describe("differential: the migration tool's own table, made by another role", () => {
  for (const s of scenarios) {
    it(s.name, async () => {
      const db = await scenario(`acc_${s.tool}`.slice(0, 20))
      const t = TOOLS[s.tool]
      await asSuperuser(db, `${t.ddl} ${s.grant}`)
      const app = makeApp({
        files: {...t.files(db, !s.nothingPending), 'package.json': appPackageJson({migrate: t.script})},
        packages: t.packages,
      })
      apps.push(app)
      const env = t.env?.(db)
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
      // no privilege at all: information_schema hides the table and knex, node-pg-migrate and TypeORM make it again
      if (/relation "?\w+"? already exists/.test(`${tool.stdout}${tool.stderr}`))
        expect(migrations.summary, why).toContain('already exists')
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
