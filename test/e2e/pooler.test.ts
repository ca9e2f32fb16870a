// db-doctor through a real PgBouncer (1.18, which refuses the startup parameter `options`), in
// transaction and session mode, in every format: the login works wherever the app's login works,
// because db-doctor sends exactly the app's startup parameters and makes its own queries read-only
// with BEGIN READ ONLY … ROLLBACK.
import pg from 'pg'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {checkInAllFormats, checkOf, reportOf, runCli} from '../helpers/cli.js'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD, PG_HOST} from '../helpers/constants.js'
import {pgbouncerSupport, startPgBouncer, type PgBouncer} from '../helpers/pgbouncer.js'

const support = pgbouncerSupport()

describe.skipIf(!support.ok)('db-doctor check through a real PgBouncer', () => {
  const info = inject('pg')
  const poolers: Partial<Record<'transaction' | 'session', PgBouncer>> = {}
  beforeAll(async () => {
    ;[poolers.transaction, poolers.session] = await Promise.all([
      startPgBouncer({pg: info, poolMode: 'transaction'}),
      startPgBouncer({pg: info, poolMode: 'session'}),
    ])
  })
  afterAll(async () => {
    await Promise.all(Object.values(poolers).map((p) => p?.stop()))
  })

  const url = (p: PgBouncer, query = '') =>
    `postgres://${APP_USER}:${CANARY_PASSWORD}@${PG_HOST}:${p.port}/${APP_DATABASE}${query}`
  const noSecret = (r: {stdout: string; stderr: string}) => {
    expect(r.stdout).not.toContain(CANARY_PASSWORD)
    expect(r.stderr).not.toContain(CANARY_PASSWORD)
  }

  /** One check per mode in the three formats (checkInAllFormats), read by the JSON and the text/Markdown tests. */
  const runs: Partial<Record<'transaction' | 'session', ReturnType<typeof checkInAllFormats>>> = {}
  const inAllFormats = (mode: 'transaction' | 'session') => (runs[mode] ??= checkInAllFormats([url(poolers[mode]!)]))

  for (const mode of ['transaction', 'session'] as const) {
    it(`logs in through PgBouncer in ${mode} mode (JSON)`, async () => {
      const p = poolers[mode]!
      const r = (await inAllFormats(mode)).json
      noSecret(r)
      const report = reportOf(r)
      const auth = checkOf(report, 'auth')
      expect(auth, p.log()).toMatchObject({status: 'pass', code: null})
      expect(auth.evidence).toMatchObject({
        user: APP_USER,
        database: APP_DATABASE,
        readOnlySession: true,
        tls: 'not used',
      })
      // the server address is PostgreSQL's, seen through the pooler
      expect(auth.evidence.serverAddress).toBe(PG_HOST)
      expect(r.code).toBe(0)
      const nonPass = report.checks.filter((c: any) => c.status !== 'pass' && c.status !== 'skip')
      if (mode === 'session') expect(report.summary.verdict, JSON.stringify(nonPass)).toBe('healthy')
      else {
        // transaction pooling is the one finding: a warning, as no migration tool is found
        expect(nonPass.map((c: any) => [c.id, c.status, c.code])).toEqual([
          ['pooler', 'warn', 'POOLER_TRANSACTION_MODE'],
        ])
      }
    })

    it(`logs in through PgBouncer in ${mode} mode (text and Markdown)`, async () => {
      const {text, md} = await inAllFormats(mode)
      noSecret(text)
      expect(text.stdout).toMatch(
        /✓ Authentication and session .*\n\s+Logged in as "app" to "appdb" on PostgreSQL [\d.]+ without TLS/,
      )
      expect(text.stdout).not.toContain('unsupported startup parameter')
      expect(text.code).toBe(0)
      noSecret(md)
      expect(md.stdout).toMatch(/Logged in as "app" to "appdb" on PostgreSQL [\d.]+ without TLS/)
      expect(md.stdout).not.toContain('unsupported startup parameter')
      expect(md.code).toBe(0)
    })
  }

  it('fails exactly like the app when the app itself sends `options` (PgBouncer 1.18 refuses it)', async () => {
    const p = poolers.transaction!
    const withOptions = url(p, `?options=${encodeURIComponent('-c search_path=public')}`)
    // the app's own node-postgres with the same URL
    const client = new pg.Client({connectionString: withOptions})
    client.on('error', () => {})
    await expect(client.connect()).rejects.toThrow('unsupported startup parameter: options')
    await client.end().catch(() => {})
    const r = await runCli(['check', withOptions, '--json'])
    noSecret(r)
    const report = reportOf(r)
    // refused before authentication: the run's first failure is the pooler's code, auth is skipped
    const firstFail = report.checks.find((c: any) => c.status === 'fail')
    expect(firstFail, JSON.stringify(report.checks.map((c: any) => [c.id, c.status, c.code]))).toMatchObject({
      id: 'pooler',
      code: 'POOLER_STARTUP_PARAMETER',
      evidence: {parameter: 'options', sqlstate: '08P01'},
    })
    expect(firstFail.evidence.source).toMatch(/argument|URL|command line/i)
    const auth = checkOf(report, 'auth')
    expect(auth).toMatchObject({
      status: 'skip',
      code: null,
      evidence: {refusedBy: 'pooler', sqlstate: '08P01', serverMessage: 'unsupported startup parameter: options'},
    })
    expect(report.checks.filter((c: any) => c.status === 'fail').map((c: any) => c.code)).toEqual([
      'POOLER_STARTUP_PARAMETER',
    ])
    // the session checks point at the pooler, not at the skipped auth check
    expect(checkOf(report, 'server')).toMatchObject({status: 'skip'})
    expect(checkOf(report, 'server').summary).toMatch(/pooler refused the login with 08P01; see the pooler check/)
    expect(r.code).toBe(1)
  })

  it('the refused `options` in text: pooler is the failure, auth says the pooler refused before authentication', async () => {
    const p = poolers.transaction!
    const withOptions = url(p, `?options=${encodeURIComponent('-c search_path=x')}`)
    const r = await runCli(['check', withOptions])
    noSecret(r)
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(
      /Authentication and session[^\n]*\n\s+Skipped: the pooler refused the login before authentication \("unsupported startup parameter: options", 08P01\)/,
    )
    expect(r.stdout).toContain('unsupported startup parameter: options')
    expect(r.stdout).toContain('ignore_startup_parameters')
    // every ✗ line (the check list and the failure's details) is the pooler's
    const crosses = r.stdout.split('\n').filter((l) => l.includes('✗'))
    expect(crosses.length, r.stdout).toBeGreaterThan(0)
    for (const l of crosses)
      expect(l, r.stdout).toMatch(/Connection pooler POOLER_STARTUP_PARAMETER|pooler · POOLER_STARTUP_PARAMETER/)
    expect(r.stdout).toMatch(/1 failed, \d+ skipped: failing/)
  })

  it('`wait` stops at once on the refused parameter: waiting cannot fix it', async () => {
    const p = poolers.transaction!
    const withOptions = url(p, `?options=${encodeURIComponent('-c search_path=x')}`)
    const r = await runCli(['wait', withOptions, '--deadline', '60', '--json'])
    noSecret(r)
    expect(r.code, r.stderr).toBe(1)
    expect(r.stderr).toContain('db-doctor wait: stopped: POOLER_STARTUP_PARAMETER cannot be fixed by waiting')
    expect(r.stderr.split('\n').filter((l) => /^db-doctor wait: attempt \d+/.test(l))).toHaveLength(1)
    expect(checkOf(reportOf(r), 'pooler').code).toBe('POOLER_STARTUP_PARAMETER')
  })

  it("PGOPTIONS trying to turn read-only off: the app's session gets it, db-doctor's queries stay read-only", async () => {
    // a pooler that passes `options` through (ignore_startup_parameters would drop it instead): the server itself
    const r = await runCli(['check', '--json'], {
      env: {
        PGHOST: PG_HOST,
        PGPORT: String(info.port),
        PGUSER: APP_USER,
        PGPASSWORD: CANARY_PASSWORD,
        PGDATABASE: APP_DATABASE,
        PGSSLMODE: 'no-verify',
        PGOPTIONS: '-c default_transaction_read_only=off',
      },
    })
    noSecret(r)
    const auth = checkOf(reportOf(r), 'auth')
    expect(auth).toMatchObject({status: 'pass', evidence: {readOnlySession: true}})
  })
})
