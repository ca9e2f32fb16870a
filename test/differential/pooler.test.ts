// Differential suite, poolers (issue 8 item 1, issue 11 pooler): the REAL knex 3.3 and
// node-pg-migrate 9 CLIs migrate an empty database through a real PgBouncer 1.18, in session and
// in transaction mode, next to db-doctor run in the same folder with the same environment. They must
// agree: the tool connects and migrates, and db-doctor's login through the pooler passes (it sends
// exactly the app's startup parameters) with exit 0; in transaction mode the pooler check warns
// (POOLER_TRANSACTION_MODE: locks and session settings), it does not predict a failure.
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {checkOf, reportOf} from '../helpers/cli.js'
import {CANARY_PASSWORD} from '../helpers/constants.js'
import {
  createScenarioDatabase,
  makeApp,
  runDoctor,
  runTool,
  type App,
  type ScenarioDatabase,
} from '../helpers/migration-tools.js'
import {pgbouncerSupport, startPgBouncer, type PgBouncer} from '../helpers/pgbouncer.js'

const pg = inject('pg')
const support = pgbouncerSupport()
const apps: App[] = []
const dbs: ScenarioDatabase[] = []
const bouncers: Partial<Record<'session' | 'transaction', PgBouncer>> = {}

beforeAll(async () => {
  if (!support.ok) return
  bouncers.session = await startPgBouncer({pg, poolMode: 'session'})
  bouncers.transaction = await startPgBouncer({pg, poolMode: 'transaction'})
})
afterAll(async () => {
  for (const b of Object.values(bouncers)) await b?.stop()
  for (const a of apps) a.cleanup()
  for (const d of dbs) await d.drop().catch(() => {})
})

const KNEXFILE = `module.exports = {client: 'pg', connection: process.env.DATABASE_URL}\n`

describe.skipIf(!support.ok)('differential: the real migration CLIs through a real PgBouncer', () => {
  for (const mode of ['session', 'transaction'] as const) {
    for (const tool of ['knex', 'node-pg-migrate'] as const) {
      it(`${tool} through PgBouncer in ${mode} mode: the tool connects and db-doctor's login through the pooler passes`, async () => {
        const bouncer = bouncers[mode]!
        const db = await createScenarioDatabase(pg, `pool ${mode} ${tool}`.slice(0, 20))
        dbs.push(db)
        const files: Record<string, string> =
          tool === 'knex'
            ? {'knexfile.js': KNEXFILE}
            : {'package.json': JSON.stringify({name: 'app', private: true, devDependencies: {'node-pg-migrate': '9'}})}
        const app = makeApp({files, packages: tool === 'knex' ? ['knex', 'pg'] : ['node-pg-migrate', 'pg']})
        apps.push(app)
        const env = {DATABASE_URL: `postgres://app:${CANARY_PASSWORD}@${bouncer.host}:${bouncer.port}/${db.name}`}
        const real = await runTool(
          app,
          tool === 'knex' ? ['knex', 'migrate:latest'] : ['node-pg-migrate', 'up', '-m', 'migrations'],
          {env, database: db},
        )
        const doctor = await runDoctor(app, ['check', '--json'], {env})
        const why = `${real.command}: ${real.errorLine ?? 'ok'}\n${bouncer.log().slice(-2000)}\n${doctor.stdout.slice(0, 4000)}\n${doctor.stderr}`
        expect(real.connected, why).toBe(true)
        const report = reportOf(doctor)
        expect(checkOf(report, 'auth').status, why).toBe('pass')
        const pooler = checkOf(report, 'pooler')
        if (mode === 'session') {
          expect(pooler.status, why).toBe('pass')
          expect(doctor.code, why).toBe(0)
        } else {
          // the tool migrates (and a second run too): db-doctor agrees (exit 0) and warns about what
          // transaction pooling does to locks and session settings
          expect(pooler, why).toMatchObject({status: 'warn', code: 'POOLER_TRANSACTION_MODE'})
          expect(doctor.code, why).toBe(0)
          expect(
            (
              await runTool(
                app,
                tool === 'knex' ? ['knex', 'migrate:latest'] : ['node-pg-migrate', 'up', '-m', 'migrations'],
                {env, database: db},
              )
            ).connected,
          ).toBe(true)
        }
        for (const out of [doctor.stdout, doctor.stderr, real.stdout, real.stderr])
          expect(out).not.toContain(CANARY_PASSWORD)
      })
    }
  }
})
