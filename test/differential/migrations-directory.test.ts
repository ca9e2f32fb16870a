// Differential suite, a migrations folder that does not exist (MIGRATION_DIRECTORY_MISSING). The REAL
// knex 3.3 CLI (it chdirs to the knexfile's folder: `./migrations` of config/knexfile.cjs is
// config/migrations) and node-pg-migrate 9 run against an empty database of the test server, then
// db-doctor in the same folder with the same environment: both tools stop with
// "ENOENT: no such file or directory, scandir '<dir>'", db-doctor fails with the code, the folder and
// where it is set, and predicts the tool's error line; `explain` recognises the tool's output.
import {mkdirSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, inject, it} from 'vitest'
import {checkOf, reportOf, runCli} from '../helpers/cli.js'
import {CANARY_PASSWORD} from '../helpers/constants.js'
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

const pkg = appPackageJson
const knexfile = (db: ScenarioDatabase, migrations?: string) =>
  `module.exports = {client: 'pg', connection: {connectionString: ${JSON.stringify(db.url(CANARY_PASSWORD))}, ssl: {ca: ${JSON.stringify(db.pg.caPem)}, servername: 'localhost'}}${
    migrations ? `, migrations: {directory: ${JSON.stringify(migrations)}}` : ''
  }}\n`
const url = (db: ScenarioDatabase) => db.url(CANARY_PASSWORD, `sslmode=verify-full&sslrootcert=${pg.caFile}`)

interface Scenario {
  name: string
  files: (db: ScenarioDatabase) => Record<string, string>
  packages: string[]
  env?: (db: ScenarioDatabase) => Record<string, string>
  /** the missing folder as db-doctor names it, and where it says it is set */
  directory: string
  setBy: string
  /** the folder the tool's error names, relative to the app */
  absolute: string
  tool: 'knex' | 'node-pg-migrate'
}

const scenarios: Scenario[] = [
  {
    name: 'knex: config/knexfile.cjs named by the script, no config/migrations (./migrations exists beside package.json)',
    files: (db) => ({
      'config/knexfile.cjs': knexfile(db),
      'package.json': pkg({migrate: 'knex migrate:latest --knexfile=config/knexfile.cjs'}),
    }),
    packages: ['knex', 'pg'],
    directory: 'config/migrations',
    setBy: 'knex default ./migrations beside config/knexfile.cjs',
    absolute: 'config/migrations',
    tool: 'knex',
  },
  {
    name: 'knex: migrations.directory names a folder that does not exist',
    files: (db) => ({
      'knexfile.js': knexfile(db, './db/migrations'),
      'package.json': pkg({migrate: 'knex migrate:latest'}),
    }),
    packages: ['knex', 'pg'],
    directory: 'db/migrations',
    setBy: 'knexfile.js migrations.directory',
    absolute: 'db/migrations',
    tool: 'knex',
  },
  {
    name: 'node-pg-migrate up without a migrations folder',
    files: () => ({'package.json': pkg({migrate: 'node-pg-migrate up'})}),
    packages: ['node-pg-migrate', 'pg'],
    env: (db) => ({DATABASE_URL: url(db)}),
    directory: 'migrations',
    setBy: 'node-pg-migrate default ./migrations',
    absolute: 'migrations/',
    tool: 'node-pg-migrate',
  },
]

describe('differential: a migrations folder that does not exist', () => {
  for (const s of scenarios) {
    it(s.name, async () => {
      const db = await createScenarioDatabase(pg, `dir_${s.tool}`.slice(0, 20))
      dbs.push(db)
      const app = makeApp({files: s.files(db), packages: s.packages, migrationsDir: s.tool === 'knex'})
      apps.push(app)
      const env = s.env?.(db)
      const tool = await runTool(app, {script: 'migrate'}, {database: db, env})
      const doctor = await runDoctor(app, ['check', '--json'], {env})
      const why = `${s.tool} exit ${tool.code}: ${tool.errorLine ?? 'connected'}\n${tool.stderr}\n--- db-doctor exit ${doctor.code}\n${doctor.stdout}\n${doctor.stderr}`
      const scandir = `ENOENT: no such file or directory, scandir '${app.dir}/${s.absolute}'`
      expect(tool.connected, why).toBe(false)
      expect(tool.code, why).toBe(1)
      expect(`${tool.stdout}${tool.stderr}`, why).toContain(scandir)
      expect(doctor.code, why).toBe(1)
      const migrations = checkOf(reportOf(doctor), 'migrations')
      expect(migrations.status, why).toBe('fail')
      expect(migrations.code, why).toBe('MIGRATION_DIRECTORY_MISSING')
      expect(migrations.evidence.directory).toBe(s.directory)
      expect(migrations.evidence.setBy).toBe(s.setBy)
      // the error db-doctor predicts is the line the tool printed
      expect(`${tool.stdout}${tool.stderr}`).toContain(migrations.evidence.predictedError)
      expect(migrations.summary).toContain(s.directory)
      expect(migrations.fix?.snippet?.code).toBe(`mkdir -p ${s.directory}`)
      for (const out of [doctor.stdout, doctor.stderr]) expect(out).not.toContain(CANARY_PASSWORD)
      // the tool's own output, pasted into explain, is this code
      const explained = await runCli(['explain', '--json'], {cwd: app.dir, input: tool.stderr || tool.stdout})
      expect(explained.stdout, explained.stderr).toContain('MIGRATION_DIRECTORY_MISSING')
      // creating the folder is the fix: the tool then migrates and db-doctor passes
      mkdirSync(path.join(app.dir, s.directory), {recursive: true})
      const fixed = await runTool(app, {script: 'migrate'}, {database: db, env})
      expect(fixed.connected, fixed.stderr).toBe(true)
      const after = await runDoctor(app, ['check', '--json'], {env})
      expect(after.code, after.stdout).toBe(0)
    })
  }
})
