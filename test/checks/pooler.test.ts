// The pooler check against a real PgBouncer (1.18, which refuses the startup parameter `options`).
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {authCheck} from '../../src/checks/auth.js'
import {poolerCheck, refusedStartupParameter} from '../../src/checks/pooler.js'
import {loadEnv} from '../../src/config/env.js'
import {diagnose} from '../../src/core/diagnose.js'
import type {Report} from '../../src/core/types.js'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD, PG_HOST} from '../helpers/constants.js'
import {pgbouncerSupport, startPgBouncer, type PgBouncer} from '../helpers/pgbouncer.js'

describe('refusedStartupParameter (pure)', () => {
  it("reads PgBouncer's wording, and nothing else", () => {
    expect(refusedStartupParameter({code: '08P01', message: 'unsupported startup parameter: options'})).toBe('options')
    expect(refusedStartupParameter({code: '08P01', message: 'unsupported startup parameter: search_path'})).toBe('search_path')
    expect(refusedStartupParameter({code: '28P01', message: 'unsupported startup parameter: options'})).toBeNull()
    expect(refusedStartupParameter({code: '08P01', message: 'unsupported frontend protocol 1234.5679'})).toBeNull()
  })
})

const support = pgbouncerSupport()

describe.skipIf(!support.ok)('pooler check through a real PgBouncer', () => {
  const info = inject('pg')
  let bouncer: PgBouncer
  const dirs: string[] = []
  const reports: Report[] = []
  beforeAll(async () => {
    delete process.env.PGPASSWORD
    bouncer = await startPgBouncer({pg: info, poolMode: 'transaction'})
  })
  afterAll(async () => {
    await bouncer?.stop()
    dirs.forEach((d) => rmSync(d, {recursive: true, force: true}))
    expect(JSON.stringify(reports)).not.toContain(CANARY_PASSWORD)
  })

  async function run(env: Record<string, string>) {
    const cwd = mkdtempSync(join(tmpdir(), 'dbd-pooler-'))
    dirs.push(cwd)
    const {env: appEnv, envFileOf} = loadEnv({cwd, processEnv: {PGPASSFILE: join(cwd, 'none'), HOME: cwd, ...env}})
    const report = await diagnose({
      cwd,
      env: appEnv,
      envFileOf,
      options: {timeoutMs: 5000, verbose: false, dnsServers: []},
      tool: 'db-doctor@test',
      checks: [authCheck, poolerCheck],
      strictFacts: true,
    })
    reports.push(report)
    return {auth: report.checks[0]!, pooler: report.checks[1]!}
  }
  const url = (query = '') => `postgres://${APP_USER}:${CANARY_PASSWORD}@${PG_HOST}:${bouncer.port}/${APP_DATABASE}${query}`

  it('URL options=: POOLER_STARTUP_PARAMETER names `options` and the URL it comes from', async () => {
    const {auth, pooler} = await run({DATABASE_URL: url(`?options=${encodeURIComponent('-c search_path=public')}`)})
    expect(auth.status).toBe('fail')
    expect(pooler, bouncer.log()).toMatchObject({status: 'fail', code: 'POOLER_STARTUP_PARAMETER', evidence: {parameter: 'options', sqlstate: '08P01'}})
    expect(pooler.evidence.source).toContain('DATABASE_URL')
    expect(pooler.summary).toContain('unsupported startup parameter: options')
    expect(pooler.fix!.steps.join('\n')).toContain('ignore_startup_parameters')
  })

  it('PGOPTIONS: the source is the environment variable', async () => {
    const {pooler} = await run({DATABASE_URL: url(), PGOPTIONS: '-c statement_timeout=0'})
    expect(pooler).toMatchObject({status: 'fail', code: 'POOLER_STARTUP_PARAMETER', evidence: {parameter: 'options'}})
    expect(pooler.evidence.source).toContain('PGOPTIONS')
  })

  it('no refused parameter: pass, and the same PgBouncer with ignore_startup_parameters=options lets the login through', async () => {
    const {auth, pooler} = await run({DATABASE_URL: url()})
    expect(auth.status).toBe('pass')
    expect(pooler).toMatchObject({status: 'pass', code: null})
    const lenient = await startPgBouncer({pg: info, poolMode: 'transaction', ignoreStartupParameters: ['options']})
    try {
      const u = `postgres://${APP_USER}:${CANARY_PASSWORD}@${PG_HOST}:${lenient.port}/${APP_DATABASE}?options=${encodeURIComponent('-c search_path=public')}`
      const r = await run({DATABASE_URL: u})
      expect(r.auth.status, lenient.log()).toBe('pass')
      expect(r.pooler).toMatchObject({status: 'pass', code: null})
    } finally {
      await lenient.stop()
    }
  })
})
