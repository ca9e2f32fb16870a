// POOLER_TENANT_NOT_FOUND: from the settings before connecting (a Supabase pooler host, never resolved: the
// check answers before any lookup), and from Supavisor's wording sent by a PostgreSQL front on loopback.
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {authCheck} from '../../src/checks/auth.js'
import {poolerCheck, supabaseTenantProblem} from '../../src/checks/pooler.js'
import {loadEnv} from '../../src/config/env.js'
import {diagnose} from '../../src/app/diagnose.js'
import type {Report} from '../../src/core/types.js'
import type {Check} from '../../src/checks/types.js'
import {CANARY_PASSWORD} from '../helpers/constants.js'
import {runCli, reportOf, checkOf} from '../helpers/cli.js'
import {errorResponse, startupErrorPeer} from '../lab/peers.mjs'

const dirs: string[] = []
const reports: Report[] = []
const closers: Array<() => unknown> = []
afterAll(async () => {
  for (const c of closers) await c()
  dirs.forEach((d) => rmSync(d, {recursive: true, force: true}))
  expect(JSON.stringify(reports)).not.toContain(CANARY_PASSWORD)
})

async function run(url: string, checks: Check[]) {
  const cwd = mkdtempSync(join(tmpdir(), 'dbd-tenant-'))
  dirs.push(cwd)
  const {env, envFileOf} = loadEnv({cwd, processEnv: {DATABASE_URL: url, PGPASSFILE: join(cwd, 'none'), HOME: cwd}})
  const report = await diagnose({
    cwd,
    env,
    envFileOf,
    options: {timeoutMs: 3000, verbose: false, dnsServers: []},
    tool: 'db-doctor@test',
    checks,
    strictFacts: true,
  })
  reports.push(report)
  return report
}

const POOLER_HOST = 'aws-0-eu-central-1.pooler.supabase.com'

describe('POOLER_TENANT_NOT_FOUND', () => {
  it('pure: a Supabase pooler host needs postgres.<project-ref>', () => {
    expect(supabaseTenantProblem(POOLER_HOST, 'postgres')).toEqual({host: POOLER_HOST, user: 'postgres'})
    expect(supabaseTenantProblem(POOLER_HOST, 'postgres.abcdefghijklmnopqrst')).toBeNull()
    expect(supabaseTenantProblem('db.abcdefghijklmnopqrst.supabase.co', 'postgres')).toBeNull()
    expect(supabaseTenantProblem(null, 'postgres')).toBeNull()
  })

  it('before connecting: the check fails from the settings alone (no lookup, no socket)', async () => {
    const r = await run(`postgres://postgres:${CANARY_PASSWORD}@${POOLER_HOST}:6543/postgres`, [poolerCheck])
    const c = r.checks[0]!
    expect(c).toMatchObject({
      id: 'pooler',
      status: 'fail',
      code: 'POOLER_TENANT_NOT_FOUND',
      evidence: {host: POOLER_HOST, user: 'postgres', before: 'connecting'},
    })
    expect(c.fix!.summary).toContain('postgres.<project-ref>')
    expect(c.fix!.summary).toContain('DATABASE_URL')
  })

  it('through the CLI with --only config,pooler: exit 1, nothing resolved', async () => {
    const r = await runCli([
      'check',
      `postgres://postgres:${CANARY_PASSWORD}@${POOLER_HOST}:5432/postgres`,
      '--only',
      'config,pooler',
      '--json',
    ])
    expect(r.stdout + r.stderr).not.toContain(CANARY_PASSWORD)
    expect(checkOf(reportOf(r), 'pooler')).toMatchObject({status: 'fail', code: 'POOLER_TENANT_NOT_FOUND'})
    expect(r.code).toBe(1)
  })

  for (const message of [
    'Tenant or user not found',
    '(ENOTFOUND) tenant/user postgres.abcdefghijklmnopqrst not found',
  ]) {
    it(`Supavisor's wording "${message}" (FATAL XX000) from a PostgreSQL front on loopback: pooler fails, auth skips`, async () => {
      const peer = await startupErrorPeer(errorResponse({S: 'FATAL', V: 'FATAL', C: 'XX000', M: message}))
      closers.push(peer.close)
      const r = await run(`postgres://postgres:${CANARY_PASSWORD}@127.0.0.1:${peer.port}/postgres?sslmode=disable`, [
        authCheck,
        poolerCheck,
      ])
      expect(r.checks[0]).toMatchObject({
        id: 'auth',
        status: 'skip',
        code: null,
        evidence: {refusedBy: 'pooler', sqlstate: 'XX000', serverMessage: message},
      })
      expect(r.checks[1]).toMatchObject({
        status: 'fail',
        code: 'POOLER_TENANT_NOT_FOUND',
        evidence: {sqlstate: 'XX000', serverMessage: message},
      })
      expect(r.checks[1]!.summary).toContain(message)
      expect(r.checks[1]!.fix!.summary).toContain('postgres.<project-ref>')
    })
  }

  it("through the CLI (JSON and text): the first failure is the pooler's, and `--only auth` still fails (the pooler check does not run)", async () => {
    const peer = await startupErrorPeer(
      errorResponse({S: 'FATAL', V: 'FATAL', C: 'XX000', M: 'Tenant or user not found'}),
    )
    closers.push(peer.close)
    const url = `postgres://postgres:${CANARY_PASSWORD}@127.0.0.1:${peer.port}/postgres?sslmode=disable`
    const json = await runCli(['check', url, '--json'])
    expect(json.stdout + json.stderr).not.toContain(CANARY_PASSWORD)
    const report = reportOf(json)
    expect(report.checks.find((c: any) => c.status === 'fail')).toMatchObject({
      id: 'pooler',
      code: 'POOLER_TENANT_NOT_FOUND',
    })
    expect(checkOf(report, 'auth')).toMatchObject({status: 'skip', evidence: {refusedBy: 'pooler'}})
    expect(json.code).toBe(1)
    const text = await runCli(['check', url])
    expect(text.stdout).toContain(
      'Skipped: the pooler refused the login before authentication ("Tenant or user not found", XX000)',
    )
    expect(text.stdout).toContain('✗ Connection pooler POOLER_TENANT_NOT_FOUND')
    expect(text.code).toBe(1)
    const only = await runCli(['check', url, '--only', 'auth', '--json'])
    expect(checkOf(reportOf(only), 'auth')).toMatchObject({status: 'fail', code: 'AUTH_CONNECTION_FAILED'})
    expect(only.code).toBe(1)
  })
})

describe("Supavisor's client limits (wordings from its source) → AUTH_TOO_MANY_CONNECTIONS", () => {
  const cases = [
    // before v2.9: lib/supavisor/client_handler/error.ex
    ['Max client connections reached', 'supavisor'],
    [
      'MaxClientsInSessionMode: max clients reached - in Session mode max clients are limited to pool_size',
      'supavisor-session',
    ],
    // v2.9+: lib/supavisor/errors/max_connections_error.ex (code prefix from lib/supavisor/error.ex)
    ['(EMAXCONN) max client connections reached, limit: 200', 'supavisor'],
    [
      '(EMAXCONNSESSION) max clients reached in session mode - max clients are limited to pool_size: 15',
      'supavisor-session',
    ],
  ] as const
  for (const [message, pooler] of cases) {
    it(`"${message}" from a PostgreSQL front on loopback`, async () => {
      const peer = await startupErrorPeer(errorResponse({S: 'FATAL', V: 'FATAL', C: 'XX000', M: message}))
      closers.push(peer.close)
      const r = await run(
        `postgres://postgres.abcdefghijklmnopqrst:${CANARY_PASSWORD}@127.0.0.1:${peer.port}/postgres?sslmode=disable`,
        [authCheck, poolerCheck],
      )
      expect(r.checks[0]).toMatchObject({
        id: 'auth',
        status: 'fail',
        code: 'AUTH_TOO_MANY_CONNECTIONS',
        evidence: {limit: 'pooler', pooler},
      })
      expect(r.checks[0]!.summary).toContain(message)
      if (pooler === 'supavisor-session') expect(r.checks[0]!.fix!.summary).toContain('6543')
      else expect(r.checks[0]!.fix!.summary).toContain('Supavisor')
      expect(r.checks[1]!.status).toBe('skip')
    })
  }
})
