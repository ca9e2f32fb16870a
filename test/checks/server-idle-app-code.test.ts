// SERVER_IDLE_SESSION_TIMEOUT from the app's own code: the node-postgres Pool its source creates (read as
// text, never run: its idleTimeoutMillis and whether the file listens for 'error'), against a role with
// idle_session_timeout = 1s on the real server. The same app runs for real beside db-doctor: it queries,
// idles 2 s and queries again, and it dies of the 57P05 exactly when db-doctor warns.
import pg from 'pg'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {poolsInCode} from '../../src/models/drivers/node-postgres.js'
import {checkOf, reportOf} from '../helpers/cli.js'
import {APP_DATABASE, CANARY_PASSWORD, PG_HOST} from '../helpers/constants.js'
import {adminClient, createLoginRole} from '../helpers/postgres.js'
import {makeApp, runDoctor, runTool, type App} from '../helpers/migration-tools.js'

const info = inject('pg')
const ROLE = 'srv_idle_appcode'
let admin: pg.Client
const apps: App[] = []

/** An app (ESM, `npm start` runs src/db.mjs) with these `lines` in src/db.mjs and these packages installed. */
function idleApp(lines: string[], packages: string[]): App {
  const app = makeApp({
    files: {
      'package.json': JSON.stringify({
        name: 'app',
        private: true,
        type: 'module',
        scripts: {start: 'node src/db.mjs'},
        dependencies: Object.fromEntries(packages.map((p) => [p, '*'])),
      }),
      'src/db.mjs': lines.join('\n'),
    },
    packages,
  })
  apps.push(app)
  return app
}

/** An app whose src/db.mjs creates the Pool with `options` (and `extra` lines), queries, idles 2 s, queries. */
function appWith(options: string, extra = ''): App {
  return idleApp(
    [
      "import pg from 'pg'",
      '',
      `export const pool = new pg.Pool(${options})`,
      extra,
      "await pool.query('select 1')",
      'await new Promise((r) => setTimeout(r, 2000))',
      "const {rows} = await pool.query('select 2 as n')",
      "console.log('SECOND', rows[0].n)",
      'await pool.end()',
    ],
    ['pg'],
  )
}

/** The same with drizzle-orm's node-postgres driver making the Pool itself: `drizzle(${args})`. */
function drizzleAppWith(args: string): App {
  return idleApp(
    [
      "import {sql} from 'drizzle-orm'",
      "import {drizzle} from 'drizzle-orm/node-postgres'",
      `export const db = drizzle(${args})`,
      'await db.execute(sql`select 1`)',
      'await new Promise((r) => setTimeout(r, 2000))',
      'const {rows} = await db.execute(sql`select 2 as n`)',
      "console.log('SECOND', rows[0].n)",
      'await db.$client.end()',
    ],
    ['drizzle-orm', 'pg'],
  )
}

async function both(app: App) {
  const env = {
    DATABASE_URL: `postgres://${ROLE}:${CANARY_PASSWORD}@${PG_HOST}:${info.port}/${APP_DATABASE}?sslmode=verify-full&sslrootcert=${encodeURIComponent(info.caFile)}`,
  }
  const [tool, doctor] = await Promise.all([
    runTool(app, {script: 'start'}, {env, timeoutMs: 30_000}),
    runDoctor(app, ['check', '--json', '--only', 'config,dns,tcp,postgres,tls,ssl-config,auth,server'], {env}),
  ])
  expect(doctor.stdout + doctor.stderr).not.toContain(CANARY_PASSWORD)
  const server = checkOf(reportOf(doctor), 'server')
  return {tool, server, why: `app: exit ${tool.code}\n${tool.stderr}\n--- db-doctor ${JSON.stringify(server)}`}
}

beforeAll(async () => {
  admin = await adminClient(info)
  await createLoginRole(admin, ROLE, CANARY_PASSWORD, APP_DATABASE, {idle_session_timeout: '1s'})
})

afterAll(async () => {
  await admin.query(`drop role if exists ${ROLE}`).catch(() => undefined)
  await admin.end()
  for (const a of apps) a.cleanup()
})

describe("the app's own node-postgres Pool against idle_session_timeout = 1s", () => {
  it('idleTimeoutMillis 5000, no listener: the app exits 1 on the 57P05 and db-doctor warns, naming the Pool; 200 or a listener: both pass', async () => {
    const [long, short, listening, forever] = await Promise.all([
      both(appWith('{connectionString: process.env.DATABASE_URL, idleTimeoutMillis: 5000}')),
      both(appWith('{connectionString: process.env.DATABASE_URL, idleTimeoutMillis: 200}')),
      both(
        appWith(
          '{connectionString: process.env.DATABASE_URL}',
          "pool.on('error', (e) => console.error('idle client ended:', e.code))",
        ),
      ),
      both(appWith('{\n  connectionString: process.env.DATABASE_URL,\n  idleTimeoutMillis: 0,\n}')),
    ])
    // 5 s: the server ends the idle client first; the unhandled 'error' ends the app
    expect(long.tool.code, long.why).toBe(1)
    expect(long.tool.stderr, long.why).toContain('terminating connection due to idle-session timeout')
    expect(long.server, long.why).toMatchObject({status: 'warn', code: 'SERVER_IDLE_SESSION_TIMEOUT'})
    expect(long.server.summary).toContain(
      "keeps an idle client 5 s (idleTimeoutMillis: 5000, the Pool created at src/db.mjs:3, no 'error' listener in that file)",
    )
    expect(long.server.evidence.appPools).toEqual([{at: 'src/db.mjs:3', idleTimeoutMillis: 5000, errorListener: false}])
    expect(long.server.fix.steps[0]).toContain('node-postgres Pool at src/db.mjs:3: idleTimeoutMillis')
    // 0: pg-pool never lets an idle client go
    expect(forever.tool.code, forever.why).toBe(1)
    expect(forever.server, forever.why).toMatchObject({status: 'warn', code: 'SERVER_IDLE_SESSION_TIMEOUT'})
    expect(forever.server.summary).toContain(
      'keeps an idle client forever (idleTimeoutMillis: 0, the Pool created at src/db.mjs:3',
    )
    // 200 ms (well below the 1 s, for a loaded machine): the Pool closes the client before the server does; nothing fails, db-doctor passes
    expect(short.tool.code, short.why).toBe(0)
    expect(short.tool.stdout).toContain('SECOND 2')
    expect(short.server.status, short.why).toBe('pass')
    expect(short.server.evidence.idleSessionTimeout).toMatchObject({
      pool: 'pg',
      whenEnded: 'error-event',
      appPools: [{at: 'src/db.mjs:3', idleTimeoutMillis: 200, errorListener: false}],
    })
    // the default 10 s, but the file listens for 'error': the app logs the 57P05 and goes on
    expect(listening.tool.code, listening.why).toBe(0)
    expect(listening.tool.stderr).toContain('idle client ended: 57P05')
    expect(listening.server.status, listening.why).toBe('pass')
    expect(listening.server.evidence.idleSessionTimeout.appPools).toEqual([
      {at: 'src/db.mjs:3', idleTimeoutMillis: 'default', errorListener: true},
    ])
  }, 60_000)
})

describe("drizzle-orm's own node-postgres Pool against idle_session_timeout = 1s", () => {
  it('drizzle(url): the Pool drizzle makes has no listener, the app exits 1 and db-doctor warns; connection: {idleTimeoutMillis: 200} passes', async () => {
    const [url, short] = await Promise.all([
      both(drizzleAppWith('process.env.DATABASE_URL')),
      both(drizzleAppWith('{connection: {connectionString: process.env.DATABASE_URL, idleTimeoutMillis: 200}}')),
    ])
    expect(url.tool.code, url.why).toBe(1)
    expect(url.tool.stderr, url.why).toContain('terminating connection due to idle-session timeout')
    expect(url.server, url.why).toMatchObject({status: 'warn', code: 'SERVER_IDLE_SESSION_TIMEOUT'})
    expect(url.server.evidence.appPools).toEqual([
      {at: 'src/db.mjs:3', idleTimeoutMillis: 'default', errorListener: false},
    ])
    expect(short.tool.stdout, short.why).toContain('SECOND 2')
    expect(short.tool.code, short.why).toBe(0)
    expect(short.server.status, short.why).toBe('pass')
    expect(short.server.evidence.idleSessionTimeout.appPools).toEqual([
      {at: 'src/db.mjs:3', idleTimeoutMillis: 200, errorListener: false},
    ])
  }, 60_000)
})

describe('poolsInCode (pure)', () => {
  it('reads the idleTimeoutMillis an object literal writes, and says when it cannot', () => {
    const src = [
      "import {Pool} from 'pg'",
      'const a = new Pool({max: 5, idleTimeoutMillis: 30_000})',
      'const b = new pg.Pool()',
      'const c = new Pool(config)',
      'const d = new Pool({...config})',
      'const e = new Pool({idleTimeoutMillis})',
      'const f = new Pool({idleTimeoutMillis: Number(process.env.IDLE)})',
      'const g = new Pool({max: 2})',
    ].join('\n')
    expect(poolsInCode(src).map((p) => [p.line, p.idleTimeoutMillis, p.errorListener])).toEqual([
      [2, 30000, false],
      [3, 'default', false],
      [4, 'unread', false],
      [5, 'unread', false],
      [6, 'unread', false],
      [7, 'unread', false],
      [8, 'default', false],
    ])
    expect(poolsInCode(`${src}\na.on("error", () => {})`)[0]!.errorListener).toBe(true)
  })

  it("reads the Pool drizzle-orm's node-postgres driver makes, not the app's own one handed to it", () => {
    const src = [
      "import {drizzle} from 'drizzle-orm/node-postgres'",
      'const a = drizzle(process.env.DATABASE_URL!)',
      "const b = drizzle('postgres://localhost/app')",
      'const c = drizzle({connection: {connectionString: url, idleTimeoutMillis: 1_000}})',
      'const d = drizzle({connection: process.env.DATABASE_URL!, schema})',
      'const e = drizzle({connection: options})',
      'const f = drizzle(pool)',
      'const g = drizzle({client: pool})',
    ].join('\n')
    expect(poolsInCode(src).map((p) => [p.line, p.idleTimeoutMillis])).toEqual([
      [2, 'default'],
      [3, 'default'],
      [4, 1000],
      [5, 'default'],
      [6, 'unread'],
    ])
    // without drizzle-orm's node-postgres driver, a drizzle() is someone else's
    expect(poolsInCode(src.replace('drizzle-orm/node-postgres', 'drizzle-orm/postgres-js'))).toEqual([])
  })
})
