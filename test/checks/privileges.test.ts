// The privileges check against real grants on the shared server (PostgreSQL 18: CREATE on public
// only for the database owner), with the real knex CLI failing the way the report predicts.
import pg from 'pg'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {checkOf, reportOf} from '../helpers/cli.js'
import {CANARY_PASSWORD} from '../helpers/constants.js'
import {adminClient} from '../helpers/postgres.js'
import {
  createScenarioDatabase,
  makeApp,
  runDoctor,
  runTool,
  type App,
  type ScenarioDatabase,
} from '../helpers/migration-tools.js'

const info = inject('pg')
const apps: App[] = []
const dbs: ScenarioDatabase[] = []
const outputs: string[] = []
const roles: string[] = []
const TLS = `sslmode=verify-full&sslrootcert=${encodeURIComponent(info.caFile)}`
let admin: pg.Client

async function sql(text: string, database = 'postgres'): Promise<void> {
  const c = database === 'postgres' ? admin : await adminClient(info, database)
  try {
    await c.query(text)
  } finally {
    if (c !== admin) await c.end()
  }
}

async function role(name: string): Promise<string> {
  await sql(`drop role if exists ${name}`)
  await sql(`create role ${name} login password '${CANARY_PASSWORD}'`)
  roles.push(name)
  return name
}

function urlAs(db: ScenarioDatabase, user: string): string {
  return `postgres://${user}:${CANARY_PASSWORD}@${info.host}:${info.port}/${db.name}?${TLS}`
}

async function doctor(app: App, env: Record<string, string>, args: string[] = []) {
  const res = await runDoctor(app, ['check', '--json', '--only', 'config,auth,privileges', ...args], {env})
  outputs.push(res.stdout, res.stderr)
  const report = reportOf(res)
  expect(checkOf(report, 'auth').status, res.stdout).toBe('pass')
  return checkOf(report, 'privileges')
}

beforeAll(async () => {
  admin = await adminClient(info)
})

afterAll(async () => {
  for (const a of apps) a.cleanup()
  for (const d of dbs) await d.drop().catch(() => {})
  for (const r of roles) await sql(`drop role if exists ${r}`).catch(() => {})
  await admin.end()
  expect(outputs.join('\n')).not.toContain(CANARY_PASSWORD)
})

describe('privileges', () => {
  it('PRIV_NO_CREATE_ON_SCHEMA for a role that is not the database owner (PostgreSQL 15+ public), with the exact GRANT; knex fails with "permission denied for schema public"', async () => {
    const db = await createScenarioDatabase(info, 'priv_create')
    dbs.push(db)
    const user = await role('priv_guest')
    await sql(`grant connect on database ${db.name} to ${user}`)
    const app = makeApp({
      files: {'knexfile.js': `module.exports = {client: 'pg', connection: process.env.DATABASE_URL}\n`},
      packages: ['knex', 'pg'],
    })
    apps.push(app)
    const env = {DATABASE_URL: urlAs(db, user)}
    const p = await doctor(app, env)
    expect(p).toMatchObject({status: 'fail', code: 'PRIV_NO_CREATE_ON_SCHEMA'})
    expect(p.evidence).toMatchObject({
      schema: 'public',
      user,
      canCreate: false,
      schemaOwner: 'pg_database_owner',
      databaseOwner: 'app',
    })
    expect(p.fix.snippet.code).toBe(`GRANT CREATE ON SCHEMA public TO ${user};`)
    const knex = await runTool(app, ['knex', 'migrate:latest'], {env})
    expect(knex.code).not.toBe(0)
    expect(knex.stdout + knex.stderr).toContain('permission denied for schema public')
    // the fix works: after the GRANT the check passes and knex migrates
    await sql(`grant create on schema public to ${user}`, db.name)
    expect(await doctor(app, env)).toMatchObject({status: 'pass'})
    expect((await runTool(app, ['knex', 'migrate:latest'], {env})).code).toBe(0)
  })

  it('PRIV_NOT_OWNER when tables in the schema belong to another role (--tool knex, no knexfile)', async () => {
    const db = await createScenarioDatabase(info, 'priv_owner')
    dbs.push(db)
    const user = await role('priv_other')
    await sql(`grant connect on database ${db.name} to ${user}`)
    await sql(`grant create, usage on schema public to ${user}`, db.name)
    await sql(`create table users (id int); alter table users owner to app`, db.name)
    const app = makeApp({files: {}})
    apps.push(app)
    const p = await doctor(app, {DATABASE_URL: urlAs(db, user)}, ['--tool', 'knex'])
    expect(p).toMatchObject({status: 'warn', code: 'PRIV_NOT_OWNER'})
    expect(p.evidence.objects).toEqual([{name: 'users', kind: 'table', owner: 'app'}])
    expect(p.fix.steps.join(' ')).toContain(`REASSIGN OWNED BY app TO ${user};`)
  })

  it('PRIV_NO_CREATEDB for a Prisma project whose role lacks CREATEDB and no shadowDatabaseUrl', async () => {
    const db = await createScenarioDatabase(info, 'priv_prisma')
    dbs.push(db)
    const app = makeApp({
      files: {
        'prisma/schema.prisma': 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n',
      },
    })
    apps.push(app)
    const p = await doctor(app, {DATABASE_URL: db.url(CANARY_PASSWORD, TLS)})
    expect(p).toMatchObject({status: 'warn', code: 'PRIV_NO_CREATEDB'})
    expect(p.evidence).toMatchObject({user: 'app', createdb: false, shadowDatabaseUrl: false})
  })

  it('is skipped without a migration tool', async () => {
    const db = await createScenarioDatabase(info, 'priv_none')
    dbs.push(db)
    const app = makeApp({files: {}})
    apps.push(app)
    const p = await doctor(app, {DATABASE_URL: db.url(CANARY_PASSWORD, TLS)})
    expect(p.status).toBe('skip')
  })
})
