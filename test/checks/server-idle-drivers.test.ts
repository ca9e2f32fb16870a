// What the real drivers do when the server ends an idle pooled connection (idle_session_timeout,
// 57P05): the behaviour the server check's SERVER_IDLE_SESSION_TIMEOUT models. A role with
// ALTER ROLE … SET idle_session_timeout = '1s' on the shared server (one role for each case); each driver
// queries, idles until the server has ended the session it used (after the 1 s), and queries again. All cases
// run at once (about 2 s in all).
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
/** One role for each case: what the server ends is then that case's sessions. */
const CASES = ['pg_long', 'pg_short', 'bare', 'pjs4', 'pjs4_short', 'pjs3', 'kx', 'kx_min0', 'sq', 'to', 'prisma']
const roleOf = (c: string) => `${ROLE}_${c}`
let admin: pg.Client

const sessionsOf = async (role: string): Promise<number[]> =>
  (await admin.query('select pid from pg_stat_activity where usename = $1', [role])).rows.map((r) => r.pid as number)

/**
 * Idles until the sessions `role` has open now are gone (the server's 1 s idle_session_timeout ended them, or
 * the pool closed them first), then lets the driver read their end (two turns of the event loop). Not a fixed
 * 2 s: a pool that keeps a minimum (sequelize's min: 1) opens a new connection when the server ends its first,
 * and that one's own second of idleness ran out right at the 2 s mark, under the second query (1 run in 8 on a
 * loaded machine).
 */
async function idle(role: string): Promise<void> {
  const open = await sessionsOf(role)
  while ((await sessionsOf(role)).some((pid) => open.includes(pid))) await new Promise((r) => setTimeout(r, 25))
  for (let i = 0; i < 2; i++) await new Promise((r) => setImmediate(r))
}

interface Outcome {
  second: string
  poolErrors: string[]
}

/** The role's connection settings, as every driver below takes them. */
const conn = (role: string) => ({
  host: PG_HOST,
  port: info.port,
  user: role,
  password: CANARY_PASSWORD,
  database: APP_DATABASE,
  ssl: {ca: info.caPem, servername: 'localhost'},
})

async function pgPool(role: string, idleTimeoutMillis: number): Promise<Outcome> {
  const pool = new pg.Pool({
    ...conn(role),
    idleTimeoutMillis,
  })
  const poolErrors: string[] = []
  // without this listener the 'error' event is unhandled: the app's process exits
  pool.on('error', (e: Error & {code?: string}) => poolErrors.push(`${e.code ?? ''} ${e.message}`))
  try {
    await pool.query('select 1')
    await idle(role)
    const second = await pool.query('select 2 as n').then(
      (r) => `ok ${r.rows[0].n}`,
      (e: Error & {code?: string}) => `error ${e.code ?? ''} ${e.message}`,
    )
    return {second, poolErrors}
  } finally {
    await pool.end()
  }
}

async function postgresJs(role: string, make: typeof postgres, options: Record<string, unknown>): Promise<Outcome> {
  const sql = make({
    ...conn(role),
    onnotice: () => undefined,
    ...options,
  })
  try {
    await sql`select 1`
    await idle(role)
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

async function viaKnex(role: string, pool: Record<string, unknown>): Promise<Outcome> {
  // knex's own log: what the app's console shows when a pooled connection was ended
  const poolErrors: string[] = []
  const db = knex({client: 'pg', connection: conn(role), pool, log: {warn: (m: string) => poolErrors.push(m)}})
  try {
    await db.raw('select 1')
    await idle(role)
    const second = await outcome(db.raw('select 2 as n').then((r: {rows: {n: number}[]}) => r.rows[0]!.n))
    return {second, poolErrors}
  } finally {
    await db.destroy()
  }
}

async function viaSequelize(role: string, pool: Record<string, unknown>): Promise<Outcome> {
  const {ssl, ...c} = conn(role)
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
    await idle(role)
    return {
      second: await outcome(db.query('select 2 as n').then(([rows]) => (rows as {n: number}[])[0]!.n)),
      poolErrors: [],
    }
  } finally {
    await db.close()
  }
}

async function viaTypeorm(role: string, extra: Record<string, unknown>): Promise<Outcome> {
  const c = conn(role)
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
    await idle(role)
    return {second: await outcome(ds.query('select 2 as n').then((r: {n: number}[]) => r[0]!.n)), poolErrors}
  } finally {
    await ds.destroy()
  }
}

async function viaPrismaPg(role: string, pool: Record<string, unknown>): Promise<Outcome> {
  const poolErrors: string[] = []
  const factory = new PrismaPg(
    {...conn(role), ...pool},
    {onPoolError: (e: Error & {code?: string}) => poolErrors.push(`${e.code ?? ''} ${e.message}`)},
  )
  const adapter = await factory.connect()
  const q = (sql: string) => adapter.queryRaw({sql, args: [], argTypes: []})
  try {
    await q('select 1')
    await idle(role)
    return {second: await outcome(q('select 2 as n').then((r) => r.rows[0]![0])), poolErrors}
  } finally {
    await adapter.dispose()
  }
}

/** An app whose Pool has no 'error' listener, in its own process: how it ends (exit code, stderr). */
function bareApp(role: string): Promise<{code: number | null; stderr: string}> {
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
      PGUSER: role,
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
  for (const c of CASES)
    await createLoginRole(admin, roleOf(c), CANARY_PASSWORD, APP_DATABASE, {idle_session_timeout: '1s'})
})

afterAll(async () => {
  for (const c of CASES) await admin.query(`drop role if exists ${roleOf(c)}`).catch(() => undefined)
  await admin.end()
})

describe('drivers against idle_session_timeout (57P05)', () => {
  it('records what each driver does with a pooled connection the server ended', async () => {
    const [pgLong, pgShort, bare, pjs4, pjs4Short, pjs3, kx, kxMin0, sq, to, prisma] = await Promise.all([
      pgPool(roleOf('pg_long'), 10_000),
      pgPool(roleOf('pg_short'), 500),
      bareApp(roleOf('bare')),
      postgresJs(roleOf('pjs4'), postgres, {}),
      postgresJs(roleOf('pjs4_short'), postgres, {idle_timeout: 0.5}),
      postgresJs(roleOf('pjs3'), postgres3 as unknown as typeof postgres, {}),
      viaKnex(roleOf('kx'), {min: 1, max: 2}),
      viaKnex(roleOf('kx_min0'), {min: 0, max: 2, idleTimeoutMillis: 500}),
      viaSequelize(roleOf('sq'), {min: 1, max: 2}),
      viaTypeorm(roleOf('to'), {}),
      viaPrismaPg(roleOf('prisma'), {}),
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
