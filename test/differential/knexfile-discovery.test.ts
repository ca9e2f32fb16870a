// Differential suite, where the knex CLI looks for its knexfile (knex 3 bin/cli.js: `--knexfile` when
// the file exists, else the first of knexfile.js / .mjs / .coffee / .ts / .eg / .ls in the working
// folder, then in each parent folder — never knexfile.cjs). The REAL knex 3.3 CLI runs each
// scenario against an empty database of the test server, then db-doctor in the same folder with
// the same environment: they agree (exit 0 exactly when knex connected), and when knex finds no
// knexfile db-doctor says so (CONFIG_KNEXFILE_NOT_FOUND) with the script line that works.
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, inject, it} from 'vitest'
import {checkOf, reportOf} from '../helpers/cli.js'
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
const knexfile = (db: ScenarioDatabase) =>
  `module.exports = {client: 'pg', connection: {connectionString: ${JSON.stringify(db.url(CANARY_PASSWORD))}, ssl: {ca: ${JSON.stringify(db.pg.caPem)}, servername: 'localhost'}}}\n`

interface Scenario {
  name: string
  files: (db: ScenarioDatabase) => Record<string, string>
  connects: boolean
  code: string | null
}

const scenarios: Scenario[] = [
  {
    name: 'knexfile.cjs and a script `knex migrate:latest`: the knex CLI does not look for .cjs',
    files: (db) => ({'knexfile.cjs': knexfile(db), 'package.json': pkg({migrate: 'knex migrate:latest'})}),
    connects: false,
    code: 'CONFIG_KNEXFILE_NOT_FOUND',
  },
  {
    name: 'knexfile.cjs and a script passing --knexfile knexfile.cjs',
    files: (db) => ({
      'knexfile.cjs': knexfile(db),
      'package.json': pkg({migrate: 'knex migrate:latest --knexfile knexfile.cjs'}),
    }),
    connects: true,
    code: null,
  },
  {
    name: 'knexfile.cjs elsewhere, named by the script with --knexfile=config/knexfile.cjs',
    // the CLI chdirs to the knexfile's folder: its ./migrations is config/migrations
    files: (db) => ({
      'config/knexfile.cjs': knexfile(db),
      'config/migrations/.keep': '',
      'package.json': pkg({migrate: 'knex migrate:latest --knexfile=config/knexfile.cjs'}),
    }),
    connects: true,
    code: null,
  },
  {
    name: 'knexfile.js beside a knexfile.cjs: the CLI takes knexfile.js',
    files: (db) => ({
      'knexfile.js': knexfile(db),
      'knexfile.cjs': `module.exports = {client: 'pg', connection: 'postgres://nobody@127.0.0.1:1/none'}\n`,
      'package.json': pkg({migrate: 'knex migrate:latest'}),
    }),
    connects: true,
    code: null,
  },
]

describe('differential: where the knex CLI finds its knexfile', () => {
  for (const s of scenarios) {
    it(s.name, async () => {
      const db = await createScenarioDatabase(pg, s.name.slice(0, 20))
      dbs.push(db)
      const app = makeApp({files: s.files(db), packages: ['knex', 'pg']})
      apps.push(app)
      const tool = await runTool(app, {script: 'migrate'}, {database: db})
      const doctor = await runDoctor(app, ['check', '--json'])
      const why = `knex exit ${tool.code}: ${tool.errorLine ?? 'connected'}\n${tool.stderr}\n--- db-doctor exit ${doctor.code}\n${doctor.stdout}\n${doctor.stderr}`
      expect(tool.connected, why).toBe(s.connects)
      expect(doctor.code === 0, why).toBe(s.connects)
      if (!s.connects) expect(`${tool.stdout}${tool.stderr}`).toContain('No configuration file found')
      const config = checkOf(reportOf(doctor), 'config')
      expect(config.code, why).toBe(s.code)
      for (const out of [doctor.stdout, doctor.stderr]) expect(out).not.toContain(CANARY_PASSWORD)
    })
  }

  it('CONFIG_KNEXFILE_NOT_FOUND names the file the CLI skips, the script, and the script line that works', async () => {
    const db = await createScenarioDatabase(pg, 'knexfile_fix')
    dbs.push(db)
    const app = makeApp({
      files: {
        'knexfile.cjs': knexfile(db),
        'package.json': pkg({'db:migrate': 'knex migrate:latest --env production'}),
      },
      packages: ['knex', 'pg'],
    })
    apps.push(app)
    const doctor = await runDoctor(app, ['check', '--json'])
    const config = checkOf(reportOf(doctor), 'config')
    expect(config.code).toBe('CONFIG_KNEXFILE_NOT_FOUND')
    const text = JSON.stringify(config)
    expect(text).toContain('knexfile.cjs')
    expect(text).toContain('db:migrate')
    expect(text).toContain('knex migrate:latest --env production --knexfile knexfile.cjs')
    // the fixed script really works
    writeFileSync(
      path.join(app.dir, 'package.json'),
      pkg({'db:migrate': 'knex migrate:latest --knexfile knexfile.cjs'}),
    )
    const tool = await runTool(app, {script: 'db:migrate'}, {database: db})
    expect(tool.connected, tool.stderr).toBe(true)
  })

  it('knexfile.cjs and no script running knex: `npx knex migrate:latest` fails; db-doctor warns and still checks the connection', async () => {
    const db = await createScenarioDatabase(pg, 'knexfile_noscript')
    dbs.push(db)
    const app = makeApp({files: {'knexfile.cjs': knexfile(db)}, packages: ['knex', 'pg']})
    apps.push(app)
    const tool = await runTool(app, ['knex', 'migrate:latest'], {database: db})
    expect(tool.connected).toBe(false)
    expect(`${tool.stdout}${tool.stderr}`).toContain('No configuration file found')
    const doctor = await runDoctor(app, ['check', '--json'])
    const report = reportOf(doctor)
    const config = checkOf(report, 'config')
    expect(config.status).toBe('warn')
    expect(config.code).toBe('CONFIG_KNEXFILE_NOT_FOUND')
    expect(config.fix?.summary).toContain('knex migrate:latest --knexfile knexfile.cjs')
    expect(checkOf(report, 'auth').status).toBe('pass')
    expect(doctor.code).toBe(0)
    const strict = await runDoctor(app, ['check', '--strict', '--format', 'text'])
    expect(strict.code).toBe(1)
    expect(strict.stdout).toContain('CONFIG_KNEXFILE_NOT_FOUND')
    expect(strict.stdout + strict.stderr).not.toContain(CANARY_PASSWORD)
  })

  it('a knexfile.js in a parent folder: the CLI run from a subfolder finds it, and so does db-doctor', async () => {
    const db = await createScenarioDatabase(pg, 'knexfile_parent')
    dbs.push(db)
    const app = makeApp({
      files: {'knexfile.js': knexfile(db), 'package.json': pkg({migrate: 'knex migrate:latest'})},
      packages: ['knex', 'pg'],
    })
    apps.push(app)
    const sub = path.join(app.dir, 'packages', 'api')
    mkdirSync(sub, {recursive: true})
    const doctor = await runDoctor({...app, dir: sub}, ['check', '--json'])
    const report = reportOf(doctor)
    expect(doctor.code, doctor.stdout + doctor.stderr).toBe(0)
    expect(JSON.stringify(report.target.sources)).toContain('knexfile.js')
  })
})
