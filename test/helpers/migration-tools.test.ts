// The differential harness itself: the real knex and node-pg-migrate CLIs connect (or not) in a
// temp app whose node_modules holds exactly the scenario's packages.
import {existsSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, inject, it} from 'vitest'
import {APP_USER, CANARY_PASSWORD} from './constants.js'
import {createScenarioDatabase, dependencyClosure, makeApp, runDoctor, runTool} from './migration-tools.js'
import {scenarioCleanup} from './scenario-cleanup.js'

const pg = inject('pg')
const {apps, dbs} = scenarioCleanup()

const KNEXFILE = `module.exports = {client: 'pg', connection: {connectionString: process.env.DATABASE_URL, ssl: {ca: process.env.CA_PEM}}}\n`

describe('migration-tools harness', () => {
  it('installs exactly the dependency closure of the packages asked for', () => {
    const closure = dependencyClosure(['knex', 'pg'])
    expect(closure).toContain('knex')
    expect(closure).toContain('pg')
    expect(closure).toContain('tarn')
    expect(closure).not.toContain('dotenv')
    expect(dependencyClosure(['dotenv'])).toEqual(['dotenv'])
  })

  it('knex connects with the URL in the process environment and records its migrations table', async () => {
    const db = await createScenarioDatabase(pg, 'harness_knex')
    dbs.push(db)
    const app = makeApp({files: {'knexfile.js': KNEXFILE}, packages: ['knex', 'pg']})
    apps.push(app)
    expect(existsSync(path.join(app.dir, 'node_modules', 'dotenv'))).toBe(false)
    const r = await runTool(app, ['knex', 'migrate:latest'], {
      env: {DATABASE_URL: db.url(CANARY_PASSWORD), CA_PEM: pg.caPem},
      database: db,
    })
    expect(r.code, r.stderr).toBe(0)
    expect(r.connected).toBe(true)
    const d = await runDoctor(app, ['check', '--json'], {
      env: {DATABASE_URL: db.url(CANARY_PASSWORD), CA_PEM: pg.caPem},
    })
    expect(d.stdout).toContain('"checks"')
  })

  it('node-pg-migrate reads .env only when dotenv is installed in the app', async () => {
    for (const withDotenv of [false, true]) {
      const db = await createScenarioDatabase(pg, `harness_npm_${withDotenv}`)
      dbs.push(db)
      const app = makeApp({
        files: {
          '.env': `DATABASE_URL=${db.url(CANARY_PASSWORD, 'sslmode=no-verify')}\n`,
          'package.json': JSON.stringify({name: 'a', scripts: {migrate: 'node-pg-migrate up'}}),
          'migrations/.keep': '',
        },
        packages: ['node-pg-migrate', 'pg', ...(withDotenv ? ['dotenv'] : [])],
      })
      apps.push(app)
      const r = await runTool(app, {script: 'migrate'}, {database: db})
      expect(r.connected, `${withDotenv}: ${r.stdout}\n${r.stderr}`).toBe(withDotenv)
      if (!withDotenv) expect(r.errorLine).toMatch(/DATABASE_URL|connection/i)
    }
  })

  it(`the scenario database belongs to ${APP_USER}`, async () => {
    const db = await createScenarioDatabase(pg, 'harness_owner')
    dbs.push(db)
    expect(db.name).toMatch(/^dif_harness_owner_/)
  })
})
