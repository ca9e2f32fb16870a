// End to end: the built CLI as a subprocess against the real test PostgreSQL (TLS on,
// hostssl only, SCRAM). Verdicts, exit codes and the absence of the canary password
// in text, JSON and Markdown.
import net from 'node:net'
import {once} from 'node:events'
import {chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, inject, it} from 'vitest'
import {
  APP_DATABASE,
  APP_USER,
  CANARY_LENIENT,
  CANARY_PASSWORD,
  CANARY_SPECIAL,
  LENIENT_USER,
  MISSING_DATABASE,
} from '../helpers/constants.js'
import {checkInAllFormats, checkOf, reportOf, runCli, type CliResult} from '../helpers/cli.js'

const pg = inject('pg')
const hostport = `${pg.host}:${pg.port}`
const verify = `sslmode=verify-full&sslrootcert=${encodeURIComponent(pg.caFile)}`
const url = (password: string, db = APP_DATABASE, params = verify) =>
  `postgres://${APP_USER}:${password}@${hostport}/${db}?${params}`

const dirs: string[] = []
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dbd-cli-'))
  dirs.push(dir)
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text)
  return dir
}
afterAll(() => {
  for (const d of dirs) rmSync(d, {recursive: true, force: true})
})

function noCanary(r: CliResult) {
  for (const secret of [CANARY_PASSWORD, CANARY_SPECIAL, CANARY_LENIENT].flatMap((s) => [s, encodeURIComponent(s)])) {
    expect(r.stdout).not.toContain(secret)
    expect(r.stderr).not.toContain(secret)
  }
}

/**
 * The check in all three formats: one run (the JSON report on stdout, text and Markdown through --output:
 * checkInAllFormats), or with `onStdout` three runs, each format on stdout. Returns the JSON report and each
 * format's text as `stdout`.
 */
async function inAllFormats(
  args: string[],
  opts: {cwd?: string; env?: Record<string, string>} = {},
  expectedExit: number,
  how: {onStdout?: boolean} = {},
) {
  const {json, text, md} = how.onStdout
    ? {
        json: await runCli(['check', ...args, '--json'], opts),
        text: await runCli(['check', ...args], opts),
        md: await runCli(['check', ...args, '--format', 'markdown'], opts),
      }
    : await checkInAllFormats(args, (a) => runCli(a, opts))
  for (const r of [json, text, md]) {
    noCanary(r)
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(expectedExit)
  }
  const report = reportOf(json)
  const problems = report.checks.filter((c: any) => c.status === 'warn' || c.status === 'fail')
  for (const c of problems) {
    expect(text.stdout).toContain(c.code)
    expect(md.stdout).toContain(`\`${c.code}\``)
  }
  return {report, text, md}
}

describe('db-doctor check against the real server', () => {
  it('a healthy TLS + SCRAM URL passes every check and exits 0 (each format on stdout)', async () => {
    const {report, text, md} = await inAllFormats([url(CANARY_PASSWORD)], {}, 0, {onStdout: true})
    expect(report.summary.verdict).toBe('healthy')
    expect(report.tool).toMatch(/^db-doctor@\d+\.\d+\.\d+/)
    expect(report.target).toMatchObject({
      host: pg.host,
      port: pg.port,
      database: APP_DATABASE,
      user: APP_USER,
      sslmode: 'verify-full',
    })
    const auth = checkOf(report, 'auth')
    expect(auth.status).toBe('pass')
    expect(JSON.stringify(auth.evidence)).toMatch(/TLSv1\.[23]/)
    for (const c of report.checks) {
      expect(['pass', 'skip']).toContain(c.status)
      expect(typeof c.durationMs).toBe('number')
    }
    expect(text.stdout).toContain('✓ Authentication and session')
    expect(md.stdout).toContain('## db-doctor: healthy')
  })

  it('a wrong password: AUTH_PASSWORD_FAILED, exit 1', async () => {
    const {report} = await inAllFormats([url('not-the-' + 'password-9')], {}, 1)
    expect(checkOf(report, 'auth').code).toBe('AUTH_PASSWORD_FAILED')
    expect(report.summary.verdict).toBe('failing')
  })

  it('a missing database: AUTH_DATABASE_NOT_FOUND', async () => {
    const {report} = await inAllFormats([url(CANARY_PASSWORD, MISSING_DATABASE)], {}, 1)
    expect(checkOf(report, 'auth').code).toBe('AUTH_DATABASE_NOT_FOUND')
  })

  it('sslmode=disable against a TLS-only server: AUTH_SSL_REQUIRED, pointing at the setting', async () => {
    const {report} = await inAllFormats([url(CANARY_PASSWORD, APP_DATABASE, 'sslmode=disable')], {}, 1)
    const auth = checkOf(report, 'auth')
    expect(auth.code).toBe('AUTH_SSL_REQUIRED')
    expect(JSON.stringify(auth.fix)).toMatch(/sslmode/)
  })

  it('fix texts point at the right place: the configured port, the argument (not DATABASE_URL=), Docker advice after the failure', async () => {
    const closed = net.createServer().listen(0, pg.host)
    await once(closed, 'listening')
    const {port} = closed.address() as net.AddressInfo
    await new Promise((r) => closed.close(r))
    const arg = `postgres://${APP_USER}:${CANARY_PASSWORD}@${pg.host}:${port}/${APP_DATABASE}?sslmode=no-verify`
    const {report, text} = await inAllFormats([arg], {}, 1)
    const tcp = checkOf(report, 'tcp')
    expect(tcp.code).toBe('TCP_REFUSED')
    // nothing answers on or near the port (276590a): the fix checks the configured port, never 5432 or
    // listen_addresses = '*'
    expect(tcp.fix.snippet.code).toContain(`-p ${port}`)
    expect(tcp.fix.snippet.code).not.toContain('5432')
    expect(JSON.stringify(tcp.fix)).not.toMatch(/listen_addresses\s*=\s*'\*'/)
    const ssl = checkOf(report, 'ssl-config')
    expect(ssl.code).toBe('SSL_VERIFICATION_DISABLED')
    expect(ssl.fix.snippet.code).toBe(
      `db-doctor check 'postgres://app:****@127.0.0.1:${port}/appdb?sslmode=verify-full&sslrootcert=./ca.pem'`,
    )
    expect(JSON.stringify(report.checks.map((c: any) => c.fix))).not.toContain('DATABASE_URL=')
    // the tcp failure comes before any Docker advice that explains it
    const ids = report.checks.map((c: any) => c.id)
    expect(ids.indexOf('tcp')).toBeLessThan(ids.indexOf('docker'))
    const docker = text.stdout.indexOf('Docker networking')
    expect(text.stdout.indexOf('TCP connection')).toBeLessThan(docker)
  })

  it('an empty or hostless URL is CONFIG_URL_INVALID, and the header does not present the defaults as the target', async () => {
    // what the app would do: node-postgres silently goes to localhost:5432
    const pgLib = (await import('pg')).default
    expect(new pgLib.Client({connectionString: 'postgres://'}).host).toBe('localhost')
    for (const u of ['postgres://', 'postgres:///appdb']) {
      const {report, text, md} = await inAllFormats([u], {}, 1)
      const config = checkOf(report, 'config')
      expect(config).toMatchObject({status: 'fail', code: 'CONFIG_URL_INVALID'})
      expect(config.summary).toMatch(/node-postgres would silently use localhost:5432/)
      expect(report.target).toMatchObject({host: null, port: null, user: null, database: null})
      expect(report.target.sources).toEqual({connectionString: 'CONNECTION argument'})
      expect(text.stdout.split('\n')[0]).toBe('db-doctor (no target: the configuration is broken, see below)')
      expect(md.stdout).not.toContain('localhost:5432/')
      expect(text.stdout).not.toMatch(/db-doctor \S+@localhost/)
      for (const c of report.checks.filter((x: any) => x.id !== 'config')) expect(c.status).toBe('skip')
    }
    // a .env URL assembled from empty variables
    const cwd = project({'.env': 'DATABASE_URL=postgres://:@/\n'})
    const {report} = await inAllFormats([], {cwd}, 1)
    expect(checkOf(report, 'config')).toMatchObject({
      code: 'CONFIG_URL_INVALID',
      summary: expect.stringContaining('DATABASE_URL in .env'),
    })
    expect(report.target.host).toBeNull()
  })

  it('an unencoded password: CONFIG_PASSWORD_NOT_ENCODED, and later checks skip', async () => {
    const raw = `postgres://${APP_USER}:${CANARY_SPECIAL}@${hostport}/${APP_DATABASE}`
    const {report} = await inAllFormats([raw], {}, 1)
    const config = checkOf(report, 'config')
    expect(config.code).toBe('CONFIG_PASSWORD_NOT_ENCODED')
    expect(JSON.stringify(config)).toContain('****')
    expect(checkOf(report, 'auth').status).toBe('skip')
  })

  it('DATABASE_URL in .env: healthy, and the report says the settings came from .env', async () => {
    const cwd = project({'.env': `DATABASE_URL=${url(CANARY_PASSWORD)}\n`})
    const {report} = await inAllFormats([], {cwd}, 0)
    expect(report.summary.verdict).toBe('healthy')
    expect(report.target.sources.host).toMatch(/DATABASE_URL.*\.env/)
  })

  it('a wrong password in .env: the fix names the variable and the file', async () => {
    const cwd = project({'.env': `DATABASE_URL=${url('wrong-pass-77')}\n`})
    const {report} = await inAllFormats([], {cwd}, 1)
    const auth = checkOf(report, 'auth')
    expect(auth.code).toBe('AUTH_PASSWORD_FAILED')
    expect(JSON.stringify(auth.fix)).toMatch(/DATABASE_URL in \.env/)
  })

  // Discrete families: TLS comes from PGSSLMODE and the CA from NODE_EXTRA_CA_CERTS, as an app would have it.
  const tlsEnv = {PGSSLMODE: 'verify-full', NODE_EXTRA_CA_CERTS: pg.caFile}
  const families: [string, Record<string, string>][] = [
    [
      'DB_*',
      {
        DB_HOST: pg.host,
        DB_PORT: String(pg.port),
        DB_NAME: APP_DATABASE,
        DB_USER: APP_USER,
        DB_PASSWORD: CANARY_PASSWORD,
      },
    ],
    [
      'DATABASE_*',
      {
        DATABASE_HOST: pg.host,
        DATABASE_PORT: String(pg.port),
        DATABASE_NAME: APP_DATABASE,
        DATABASE_USER: APP_USER,
        DATABASE_PASSWORD: CANARY_PASSWORD,
      },
    ],
    [
      'SUPABASE_DB_*',
      {
        SUPABASE_DB_HOST: pg.host,
        SUPABASE_DB_PORT: String(pg.port),
        SUPABASE_DB_NAME: APP_DATABASE,
        SUPABASE_DB_USER: APP_USER,
        SUPABASE_DB_PASSWORD: CANARY_PASSWORD,
      },
    ],
    [
      'PG*',
      {
        PGHOST: pg.host,
        PGPORT: String(pg.port),
        PGDATABASE: APP_DATABASE,
        PGUSER: APP_USER,
        PGPASSWORD: CANARY_PASSWORD,
      },
    ],
  ]
  for (const [name, vars] of families) {
    it(`the ${name} family from the environment: healthy, with provenance`, async () => {
      const {report} = await inAllFormats([], {env: {...vars, ...tlsEnv}}, 0)
      expect(report.summary.verdict).toBe('healthy')
      const passwordVar = Object.keys(vars).find((k) => k.endsWith('PASSWORD'))!
      expect(report.target.sources.password).toContain(passwordVar)
    })
  }

  it('the DB_* family in .env with a wrong password: the fix names DB_PASSWORD in .env', async () => {
    const cwd = project({
      '.env': `DB_HOST=${pg.host}\nDB_PORT=${pg.port}\nDB_NAME=${APP_DATABASE}\nDB_USER=${APP_USER}\nDB_PASSWORD=bad-${CANARY_PASSWORD.length}\n`,
    })
    const {report} = await inAllFormats([], {cwd, env: tlsEnv}, 1)
    const auth = checkOf(report, 'auth')
    expect(auth.code).toBe('AUTH_PASSWORD_FAILED')
    expect(JSON.stringify(auth)).toMatch(/DB_PASSWORD in \.env/)
  })

  it('nothing configured: CONFIG_NOT_FOUND is a warning', async () => {
    const cwd = project({})
    const r = await runCli(['check', '--only', 'config', '--json'], {cwd})
    const report = reportOf(r)
    expect(checkOf(report, 'config')).toMatchObject({status: 'warn', code: 'CONFIG_NOT_FOUND'})
    expect(r.code).toBe(0)
    const strict = await runCli(['check', '--only', 'config', '--strict'], {cwd})
    expect(strict.code).toBe(1)
  })

  it('a password with characters node-postgres reads as written: CONFIG_PASSWORD_ENCODING_LENIENT warns, the login works, exit 0', async () => {
    // sslrootcert not percent-encoded: with a space in the URL, node-postgres would read "%2F" literally
    const raw = `postgres://${LENIENT_USER}:${CANARY_LENIENT}@${hostport}/${APP_DATABASE}?sslmode=verify-full&sslrootcert=${pg.caFile}`
    const {report} = await inAllFormats([raw], {}, 0)
    expect(checkOf(report, 'config')).toMatchObject({status: 'warn', code: 'CONFIG_PASSWORD_ENCODING_LENIENT'})
    expect(checkOf(report, 'auth')).toMatchObject({status: 'pass', evidence: {user: LENIENT_USER}})
    expect(report.summary).toMatchObject({fail: 0, warn: 1, verdict: 'degraded'})
    const strict = await runCli(['check', raw, '--strict', '--json'])
    noCanary(strict)
    expect(strict.code).toBe(1)
  })

  it('settings node-postgres refuses before connecting (verify-ca without a CA, libpq semantics) fail, never "healthy"', async () => {
    const {report} = await inAllFormats(
      [url(CANARY_PASSWORD, APP_DATABASE, 'sslmode=verify-ca&uselibpqcompat=true')],
      {},
      1,
    )
    const auth = checkOf(report, 'auth')
    expect(auth).toMatchObject({status: 'fail', code: 'AUTH_CONNECTION_FAILED', evidence: {stage: 'config'}})
    expect(auth.summary).toMatch(
      /^node-postgres refuses these settings before connecting: SECURITY WARNING: Using sslmode=verify-ca requires specifying a CA/,
    )
    expect(report.summary.verdict).toBe('failing')
  })

  it('URL ssl=false (node-postgres throws from a socket event, the app crashes): a failing report, not a db-doctor crash', async () => {
    const raw = `postgres://${APP_USER}:${CANARY_PASSWORD}@${hostport}/${APP_DATABASE}?ssl=false`
    const {report} = await inAllFormats([raw], {env: {NODE_EXTRA_CA_CERTS: pg.caFile}}, 1)
    // the config check says so before anything connects
    const config = checkOf(report, 'config')
    expect(config).toMatchObject({
      status: 'fail',
      code: 'CONFIG_SSLMODE_INVALID',
      evidence: {problem: {param: 'ssl', value: 'false', suggestion: 'sslmode=disable'}},
    })
    expect(config.summary).toContain("Cannot use 'in' operator to search for 'key' in false")
    expect(config.fix.snippet.code).toContain(`/appdb?sslmode=disable'`)
    expect(report.summary.verdict).toBe('failing')
    // and with the config check skipped, the pg probe turns the throw into the session's error
    const skipped = reportOf(
      await runCli(['check', raw, '--json', '--skip', 'config'], {env: {NODE_EXTRA_CA_CERTS: pg.caFile}}),
    )
    expect(checkOf(skipped, 'auth')).toMatchObject({status: 'fail', code: 'AUTH_CONNECTION_FAILED'})
    expect(checkOf(skipped, 'auth').summary).toContain("Cannot use 'in' operator")
  })

  it('a TypeScript knexfile and a Prisma schema are read by the built binary (jiti and pgpass load at run time)', async () => {
    const knex = project({
      'knexfile.ts': `const config: Record<string, unknown> = {
  development: {client: 'pg', connection: {host: '${pg.host}', port: ${pg.port}, user: '${APP_USER}', database: '${APP_DATABASE}',
    password: '${CANARY_PASSWORD}', ssl: {ca: ${JSON.stringify(pg.caPem)}}}},
}
export default config
`,
    })
    mkdirSync(path.join(knex, 'migrations')) // knex's default folder: without it migrate:latest fails (MIGRATION_DIRECTORY_MISSING)
    const fromKnex = await runCli(['check', '--json'], {cwd: knex})
    noCanary(fromKnex)
    expect(fromKnex.code).toBe(0)
    const report = reportOf(fromKnex)
    expect(report.target.sources.password).toBe('knexfile.ts (development) connection.password')
    expect(checkOf(report, 'auth').status).toBe('pass')

    const prisma = project({
      'schema.prisma': 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n',
      '.pgpass': `${pg.host}:${pg.port}:${APP_DATABASE}:${APP_USER}:${CANARY_PASSWORD}\n`,
    })
    const env = {
      DATABASE_URL: `postgres://${APP_USER}@${hostport}/${APP_DATABASE}?${verify}`,
      PGPASSFILE: path.join(prisma, '.pgpass'),
    }
    // As libpq does, node-postgres ignores a password file others can read: so does the report.
    chmodSync(path.join(prisma, '.pgpass'), 0o644)
    const open = await runCli(['check', '--json'], {cwd: prisma, env})
    noCanary(open)
    expect(open.code).toBe(1)
    const auth = checkOf(reportOf(open), 'auth')
    expect(auth).toMatchObject({
      status: 'fail',
      code: 'AUTH_PASSWORD_MISSING',
      evidence: {pgpass: 'ignored: mode 0644'},
    })
    expect(auth.fix?.snippet?.code).toBe('chmod 600 .pgpass') // relative to the folder it ran in

    chmodSync(path.join(prisma, '.pgpass'), 0o600)
    const fromPrisma = await runCli(['check', '--json'], {cwd: prisma, env})
    noCanary(fromPrisma)
    expect(fromPrisma.code).toBe(0)
    const r2 = reportOf(fromPrisma)
    expect(r2.target.sources.host).toContain('via schema.prisma')
    expect(r2.target.sources.password).toContain('.pgpass')
    expect(checkOf(r2, 'auth').status).toBe('pass')
  })

  it('a knexfile that throws while loading: CONFIG_APP_FILE_ERROR, redacted, exit 1', async () => {
    const cwd = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'knex-throws')
    const {report} = await inAllFormats(['--only', 'config'], {cwd}, 1)
    const config = checkOf(report, 'config')
    expect(config.code).toBe('CONFIG_APP_FILE_ERROR')
    expect(config.summary).toContain('DATABASE_URL is not set')
    const missing = await runCli(['check', '--only', 'config', '--knexfile', 'nope/knexfile.js', '--json'], {cwd})
    expect(missing.code).toBe(1)
    expect(checkOf(reportOf(missing), 'config').code).toBe('CONFIG_APP_FILE_ERROR')
  })
})
