// What the real drivers do when the server ends an idle pooled connection (idle_session_timeout,
// 57P05): the behaviour the server check's SERVER_IDLE_SESSION_TIMEOUT models. A role with
// ALTER ROLE … SET idle_session_timeout = '1s' on the shared server; each driver queries, idles
// 2 s, past the timeout, and queries again. All cases run at once (about 2.5 s in all).
import {spawn} from 'node:child_process'
import {PrismaPg} from '@prisma/adapter-pg'
import knex from 'knex'
import pg from 'pg'
import postgres from 'postgres'
import postgres3 from 'postgres-3'
import {Sequelize} from 'sequelize'
import {DataSource} from 'typeorm'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {APP_DATABASE, CANARY_PASSWORD, PG_HOST} from '../helpers/constants.js'
import {adminClient, createLoginRole} from '../helpers/postgres.js'

const info = inject('pg')
const ROLE = 'srv_idle_drivers'
let admin: pg.Client

const idle = () => new Promise((r) => setTimeout(r, 2000))

interface Outcome {
  second: string
  poolErrors: string[]
}

/** The role's connection settings, as every driver below takes them. */
const conn = () => ({
  host: PG_HOST,
  port: info.port,
  user: ROLE,
  password: CANARY_PASSWORD,
  database: APP_DATABASE,
  ssl: {ca: info.caPem, servername: 'localhost'},
})

async function pgPool(idleTimeoutMillis: number): Promise<Outcome> {
  const pool = new pg.Pool({
    ...conn(),
    idleTimeoutMillis,
  })
  const poolErrors: string[] = []
  // without this listener the 'error' event is unhandled: the app's process exits
  pool.on('error', (e: Error & {code?: string}) => poolErrors.push(`${e.code ?? ''} ${e.message}`))
  try {
    await pool.query('select 1')
    await idle()
    const second = await pool.query('select 2 as n').then(
      (r) => `ok ${r.rows[0].n}`,
      (e: Error & {code?: string}) => `error ${e.code ?? ''} ${e.message}`,
    )
    return {second, poolErrors}
  } finally {
    await pool.end()
  }
}

async function postgresJs(make: typeof postgres, options: Record<string, unknown>): Promise<Outcome> {
  const sql = make({
    ...conn(),
    onnotice: () => undefined,
    ...options,
  })
  try {
    await sql`select 1`
    await idle()
    const second = await sql`select 2 as n`.then(
      (r) => `ok ${r[0]!.n}`,
      (e: Error & {code?: string}) => `error ${e.code ?? ''} ${e.message}`,
    )
    return {second, poolErrors: []}
  } finally {
    await sql.end({timeout: 1})
  }
}

const outcome = (p: Promise<unknown>) =>
  p.then(
    (n) => `ok ${String(n)}`,
    (e: Error & {code?: string}) => `error ${e.code ?? ''} ${e.message}`,
  )

async function viaKnex(pool: Record<string, unknown>): Promise<Outcome> {
  // knex's own log: what the app's console shows when a pooled connection was ended
  const poolErrors: string[] = []
  const db = knex({client: 'pg', connection: conn(), pool, log: {warn: (m: string) => poolErrors.push(m)}})
  try {
    await db.raw('select 1')
    await idle()
    const second = await outcome(db.raw('select 2 as n').then((r: {rows: {n: number}[]}) => r.rows[0]!.n))
    return {second, poolErrors}
  } finally {
    await db.destroy()
  }
}

async function viaSequelize(pool: Record<string, unknown>): Promise<Outcome> {
  const {ssl, ...c} = conn()
  const db = new Sequelize(c.database, c.user, c.password, {
    host: c.host,
    port: c.port,
    dialect: 'postgres',
    dialectOptions: {ssl},
    logging: false,
    pool,
  })
  try {
    await db.query('select 1')
    await idle()
    return {
      second: await outcome(db.query('select 2 as n').then(([rows]) => (rows as {n: number}[])[0]!.n)),
      poolErrors: [],
    }
  } finally {
    await db.close()
  }
}

async function viaTypeorm(extra: Record<string, unknown>): Promise<Outcome> {
  const c = conn()
  const poolErrors: string[] = []
  const ds = new DataSource({
    type: 'postgres',
    host: c.host,
    port: c.port,
    username: c.user,
    password: c.password,
    database: c.database,
    ssl: c.ssl,
    extra,
    poolErrorHandler: (e: Error & {code?: string}) => poolErrors.push(`${e.code ?? ''} ${e.message}`),
  })
  await ds.initialize()
  try {
    await ds.query('select 1')
    await idle()
    return {second: await outcome(ds.query('select 2 as n').then((r: {n: number}[]) => r[0]!.n)), poolErrors}
  } finally {
    await ds.destroy()
  }
}

async function viaPrismaPg(pool: Record<string, unknown>): Promise<Outcome> {
  const poolErrors: string[] = []
  const factory = new PrismaPg(
    {...conn(), ...pool},
    {onPoolError: (e: Error & {code?: string}) => poolErrors.push(`${e.code ?? ''} ${e.message}`)},
  )
  const adapter = await factory.connect()
  const q = (sql: string) => adapter.queryRaw({sql, args: [], argTypes: []})
  try {
    await q('select 1')
    await idle()
    return {second: await outcome(q('select 2 as n').then((r) => r.rows[0]![0])), poolErrors}
  } finally {
    await adapter.dispose()
  }
}

/** An app whose Pool has no 'error' listener, in its own process: how it ends (exit code, stderr). */
function bareApp(): Promise<{code: number | null; stderr: string}> {
  const script = [
    "import pg from 'pg'",
    "import {readFileSync} from 'node:fs'",
    'const pool = new pg.Pool({ssl: {ca: readFileSync(process.env.CA_FILE, "utf8"), servername: "localhost"}})',
    "await pool.query('select 1')",
    'await new Promise((r) => setTimeout(r, 2000))',
    "await pool.query('select 2')",
    'await pool.end()',
  ].join('\n')
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: process.cwd(),
    env: {
      PATH: process.env.PATH ?? '',
      PGHOST: PG_HOST,
      PGPORT: String(info.port),
      PGUSER: ROLE,
      PGPASSWORD: CANARY_PASSWORD,
      PGDATABASE: APP_DATABASE,
      CA_FILE: info.caFile,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  return new Promise((resolve) => child.on('close', (code) => resolve({code, stderr})))
}

beforeAll(async () => {
  admin = await adminClient(info)
  await createLoginRole(admin, ROLE, CANARY_PASSWORD, APP_DATABASE, {idle_session_timeout: '1s'})
})

afterAll(async () => {
  await admin.query(`drop role if exists ${ROLE}`).catch(() => undefined)
  await admin.end()
})

describe('drivers against idle_session_timeout (57P05)', () => {
  it('records what each driver does with a pooled connection the server ended', async () => {
    const [pgLong, pgShort, bare, pjs4, pjs4Short, pjs3, kx, kxMin0, sq, to, prisma] = await Promise.all([
      pgPool(10_000),
      pgPool(500),
      bareApp(),
      postgresJs(postgres, {}),
      postgresJs(postgres, {idle_timeout: 0.5}),
      postgresJs(postgres3 as unknown as typeof postgres, {}),
      viaKnex({min: 1, max: 2}),
      viaKnex({min: 0, max: 2, idleTimeoutMillis: 500}),
      viaSequelize({min: 1, max: 2}),
      viaTypeorm({}),
      viaPrismaPg({}),
    ])
    const ended = '57P05 terminating connection due to idle-session timeout'
    // node-postgres' Pool (idleTimeoutMillis 10 s): the next query gets a new client, but the Pool emits 'error'
    expect(pgLong).toEqual({second: 'ok 2', poolErrors: [ended]})
    // … and an app without pool.on('error') dies of it
    expect(bare.code).toBe(1)
    expect(bare.stderr).toContain("Emitted 'error' event on BoundPool instance")
    expect(bare.stderr).toContain('terminating connection due to idle-session timeout')
    // idleTimeoutMillis below the timeout: the Pool closes the client first, no event
    expect(pgShort).toEqual({second: 'ok 2', poolErrors: []})
    // postgres.js 4 and 3 keep idle connections forever by default and reconnect on the next query, silently
    expect(pjs4).toEqual({second: 'ok 2', poolErrors: []})
    expect(pjs3).toEqual({second: 'ok 2', poolErrors: []})
    expect(pjs4Short).toEqual({second: 'ok 2', poolErrors: []})
    // knex (pool.min kept, or idle ones let go), sequelize: the ended connection fails validation, a new one is
    // made; knex logs it (its pg client's 'end' handler words it, after the 57P05 'error')
    expect(kx).toEqual({second: 'ok 2', poolErrors: ['Connection Error: Connection ended unexpectedly']})
    expect(kxMin0).toEqual({second: 'ok 2', poolErrors: []})
    expect(sq).toEqual({second: 'ok 2', poolErrors: []})
    // TypeORM and Prisma 7's adapter-pg: a pg.Pool with their own 'error' listener, which sees the 57P05
    expect(to).toEqual({second: 'ok 2', poolErrors: [ended]})
    expect(prisma).toEqual({second: 'ok 2', poolErrors: [ended]})
  })
})
