// Differential suite, postgres.js ssl 'prefer' / 'allow' (issue 19): what postgres.js 4.2 and 3.4 do
// when the server refuses TLS (ssl = off: it answers N to SSLRequest) and when TLS is accepted but the
// login over it fails (a `hostnossl`-only pg_hba). Plain scripts on each version run `node migrate.mjs`;
// db-doctor runs beside each with the same folder and environment: exit 0 exactly when the script
// connects, and the failing code names the cause the script's own error shows.
//   - N: 4.2 goes on in plaintext for prefer and allow, fails with SSL_NOT_SUPPORTED for require;
//     3.4 goes on for prefer only, and for allow starts TLS anyway on the plaintext socket (ECONNRESET).
//   - S, then "pg_hba.conf rejects connection … SSL encryption": neither retries without TLS.
//   - `--only auth|server|pooler` (no postgres check, so no answer to SSLRequest known beforehand): db-doctor's
//     login goes on in plaintext on the server's N as the driver does (postgres.js prefer, Prisma's engine
//     without sslmode), and agrees with the full run; a driver that does not fall back still fails.
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD} from '../helpers/constants.js'
import {checkOf, reportOf} from '../helpers/cli.js'
import {
  makeApp,
  runDoctor,
  runTool,
  type App,
  type ToolResult,
  postgresJsScriptApp,
} from '../helpers/migration-tools.js'
import {startPostgres, type PgServer} from '../helpers/postgres.js'

const pg = inject('pg')
const apps: App[] = []
let plain: PgServer | undefined
let nossl: PgServer | undefined

beforeAll(async () => {
  ;[plain, nossl] = await Promise.all([
    startPostgres({tls: false}),
    // TLS on, but only plaintext logins admitted for the app (the fixtures are created as the superuser over TLS)
    startPostgres({
      hba: [
        `hostssl all postgres all scram-sha-256`,
        `hostssl all all all reject`,
        `hostnossl all all all scram-sha-256`,
      ],
    }),
  ])
}, 120_000)
afterAll(async () => {
  for (const a of apps) a.cleanup()
  await Promise.all([plain?.stop(), nossl?.stop()])
})

/** A plain script on postgres.js: the URL from DATABASE_URL, one table as its migration. The tests run five of
 * them at once against one database: like a real migration tool, it takes an advisory lock first (two concurrent
 * `create table if not exists` race on pg_type: 23505). */
function scriptApp(driver: string): App {
  const js = `import postgres from 'postgres'\nconst sql = postgres(process.env.DATABASE_URL, {max: 1, connect_timeout: 10, onnotice: () => {}})\nsql.begin(async (tx) => { await tx\`select pg_advisory_xact_lock(4242)\`; await tx\`create table if not exists fallback_probe (id int)\` }).then(() => sql.end()).then(() => process.exit(0), (e) => { console.error(e.code + ': ' + e.message); process.exit(1) })\n`
  const a = postgresJsScriptApp(driver, js)
  apps.push(a)
  return a
}

const url = (s: {host: string; port: number}, mode: string) =>
  `postgres://${APP_USER}:${CANARY_PASSWORD}@${s.host}:${s.port}/${APP_DATABASE}?sslmode=${mode}`

async function pair(a: App, env: Record<string, string>) {
  const [tool, r] = await Promise.all([
    runTool(a, {script: 'migrate'}, {env}),
    runDoctor(a, ['check', '--json', '--skip', 'migrations,privileges'], {env}),
  ])
  for (const s of [CANARY_PASSWORD, encodeURIComponent(CANARY_PASSWORD)]) {
    expect(r.stdout).not.toContain(s)
    expect(r.stderr).not.toContain(s)
  }
  const report = reportOf(r)
  const why = `${tool.command}: exit ${tool.code} ${tool.errorLine ?? ''}\n${tool.stderr.slice(0, 800)}\n--- db-doctor: ${JSON.stringify(
    report.checks.map((c: any) => [c.id, c.status, c.code]),
  )}`
  expect(r.code === 0, why).toBe(tool.connected)
  return {tool, report, why}
}

const out = (t: ToolResult) => `${t.stdout}\n${t.stderr}`

describe('differential: postgres.js ssl prefer/allow fallback vs db-doctor', () => {
  it('server without TLS (N): 4.2 prefer/allow and 3.4 prefer go on in plaintext; 4.2 require and 3.4 allow fail, each with its own error', async () => {
    const a4 = scriptApp('postgres')
    const a3 = scriptApp('postgres-3 as postgres')
    const s = plain!
    const [p4, l4, r4, p3, l3] = await Promise.all([
      pair(a4, {DATABASE_URL: url(s, 'prefer')}),
      pair(a4, {DATABASE_URL: url(s, 'allow')}),
      pair(a4, {DATABASE_URL: url(s, 'require')}),
      pair(a3, {DATABASE_URL: url(s, 'prefer')}),
      pair(a3, {DATABASE_URL: url(s, 'allow')}),
    ])
    for (const ok of [p4, l4, p3]) {
      expect(ok.tool.connected, ok.why).toBe(true)
      const tls = checkOf(ok.report, 'tls')
      expect(tls.status, ok.why).toBe('skip')
      expect(tls.summary).toContain('goes on without it')
      expect(tls.evidence.fellBack).toMatchObject({ssl: expect.stringMatching(/^(prefer|allow)$/)})
      expect(checkOf(ok.report, 'auth').evidence.tls).toBe('not used')
    }
    expect(out(r4.tool)).toContain('SSL_NOT_SUPPORTED: The server does not support SSL connections')
    expect(checkOf(r4.report, 'tls').code).toBe('TLS_NOT_SUPPORTED')
    expect(checkOf(r4.report, 'tls').summary).toContain('postgres.js 4.2.0 fails with "SSL_NOT_SUPPORTED')
    expect(out(l3.tool)).toContain('Client network socket disconnected before secure TLS connection was established')
    expect(checkOf(l3.report, 'tls').code).toBe('TLS_NOT_SUPPORTED')
    expect(checkOf(l3.report, 'tls').summary).toContain(
      'postgres.js 3.4.10 fails with "Client network socket disconnected',
    )
  })

  it('server with TLS: prefer uses it (no verification); when pg_hba then refuses the TLS login neither version retries without TLS, and db-doctor fails on the same pg_hba line', async () => {
    const a4 = scriptApp('postgres')
    const a3 = scriptApp('postgres-3 as postgres')
    const [on4, nossl4, nossl3] = await Promise.all([
      pair(a4, {DATABASE_URL: url(pg, 'prefer')}),
      pair(a4, {DATABASE_URL: url(nossl!, 'prefer')}),
      pair(a3, {DATABASE_URL: url(nossl!, 'prefer')}),
    ])
    expect(on4.tool.connected, on4.why).toBe(true)
    expect(checkOf(on4.report, 'tls').evidence.ssl).toMatch(/^on, NOT verified/) // warn: TLS without verification
    expect(checkOf(on4.report, 'auth').evidence.tls).toMatch(/^TLS/)
    for (const f of [nossl4, nossl3]) {
      expect(out(f.tool)).toContain('pg_hba.conf rejects connection')
      expect(out(f.tool)).toContain('SSL encryption')
      const auth = checkOf(f.report, 'auth')
      expect(auth.status, f.why).toBe('fail')
      expect(JSON.stringify(auth)).toContain('SSL encryption')
    }
  })
})

describe('`--only` without the postgres check: the login falls back as the driver does (no answer known beforehand)', () => {
  /** A Prisma 6 app (no adapter: Prisma's engine, sslmode unset = prefer), its URL in .env. */
  function prismaApp(u: string): App {
    const a = makeApp({
      files: {
        'package.json': JSON.stringify({
          dependencies: {'@prisma/client': '6.19.0'},
          devDependencies: {prisma: '6.19.0'},
        }),
        'prisma/schema.prisma': 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n',
        '.env': `DATABASE_URL=${u}\n`,
      },
      migrationsDir: false,
    })
    apps.push(a)
    return a
  }

  async function only(a: App, ids: string, env: Record<string, string> = {}) {
    const r = await runDoctor(a, ['check', '--json', '--only', ids], {env})
    expect(r.stdout + r.stderr).not.toContain(CANARY_PASSWORD)
    return {r, report: reportOf(r)}
  }

  it('server without TLS: postgres.js 4.2 prefer and a Prisma 6 URL without sslmode log in without TLS under --only auth, server and pooler, as in the full run and as the script does', async () => {
    const s = plain!
    const a4 = scriptApp('postgres')
    const env = {DATABASE_URL: url(s, 'prefer')}
    const noMode = `postgresql://${APP_USER}:${CANARY_PASSWORD}@${s.host}:${s.port}/${APP_DATABASE}`
    const p6 = prismaApp(noMode)
    const [full4, fullPrisma, ...runs] = await Promise.all([
      pair(a4, env),
      runDoctor(p6, ['check', '--json', '--skip', 'migrations,privileges']),
      ...(['auth', 'server', 'pooler'] as const).flatMap((id) => [only(a4, id, env), only(p6, id)]),
    ])
    expect(full4.tool.connected, full4.why).toBe(true)
    expect(reportOf(fullPrisma).modelled?.text).toBe('prisma 6.19 → prisma-engine 6.19')
    expect(fullPrisma.code, fullPrisma.stdout).toBe(0)
    expect(checkOf(reportOf(fullPrisma), 'auth').evidence.tls).toBe('not used')
    for (const {r, report} of runs) {
      const [c] = report.checks
      expect(report.checks).toHaveLength(1)
      expect(c.status, JSON.stringify(c)).toBe('pass')
      expect(r.code).toBe(0)
      if (c.id === 'auth') {
        expect(c.evidence.tls).toBe('not used')
        expect(c.summary).toContain('without TLS')
      }
    }
  })

  it("server without TLS, --only auth: a wrong password is the plaintext login's answer; postgres.js 4.2 require (no fallback) still fails as the script does", async () => {
    const s = plain!
    const a4 = scriptApp('postgres')
    const wrong = `postgres://${APP_USER}:not-the-password@${s.host}:${s.port}/${APP_DATABASE}?sslmode=prefer`
    const [bad, req, tool] = await Promise.all([
      only(a4, 'auth', {DATABASE_URL: wrong}),
      only(a4, 'auth', {DATABASE_URL: url(s, 'require')}),
      runTool(a4, {script: 'migrate'}, {env: {DATABASE_URL: url(s, 'require')}}),
    ])
    const auth = checkOf(bad.report, 'auth')
    expect(auth.code).toBe('AUTH_PASSWORD_FAILED')
    expect(auth.evidence.tls).toBe('not used')
    expect(out(tool)).toContain('SSL_NOT_SUPPORTED')
    expect(tool.connected).toBe(false)
    expect(checkOf(req.report, 'auth').status).toBe('fail')
    expect(JSON.stringify(checkOf(req.report, 'auth'))).toContain('does not support SSL')
    expect(req.r.code).toBe(1)
  })
})
