// A target is resolved once: the SSL analysis, the pg client config and the password file are
// computed at most once per target and run, however many checks read them (config, ssl-config,
// tls, auth, pooler and the runner's session). Counted with spies around the real functions, on a
// run of the whole registry against the real PostgreSQL of the global setup (TLS + SCRAM).
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeEach, describe, expect, inject, it, vi} from 'vitest'
import {loadEnv} from '../../src/config/env.js'
import {resolveConfig} from '../../src/config/resolve.js'
import {connectionOf, targetOf} from '../../src/config/target.js'
import {diagnose} from '../../src/app/diagnose.js'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD, PG_HOST} from '../helpers/constants.js'
import {sourceWords} from '../../src/catalogue/app-files.js'

const calls = vi.hoisted(() => ({analyzeSsl: 0, inspectPgpass: 0, resolvePgClientConfig: 0}))

vi.mock('../../src/config/ssl.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/config/ssl.js')>()
  return {
    ...real,
    analyzeSsl: (...args: Parameters<typeof real.analyzeSsl>) => (calls.analyzeSsl++, real.analyzeSsl(...args)),
  }
})
vi.mock('../../src/config/pgpass.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/config/pgpass.js')>()
  return {
    ...real,
    inspectPgpass: (...args: Parameters<typeof real.inspectPgpass>) => (
      calls.inspectPgpass++,
      real.inspectPgpass(...args)
    ),
  }
})
vi.mock('../../src/config/pg-config.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/config/pg-config.js')>()
  return {
    ...real,
    resolvePgClientConfig: (...args: Parameters<typeof real.resolvePgClientConfig>) => (
      calls.resolvePgClientConfig++,
      real.resolvePgClientConfig(...args)
    ),
  }
})

const info = inject('pg')
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, {recursive: true, force: true})
})
beforeEach(() => {
  calls.analyzeSsl = 0
  calls.inspectPgpass = 0
  calls.resolvePgClientConfig = 0
  delete process.env.PGPASSWORD
})

function project(pgpass?: string): {
  cwd: string
  env: Record<string, string | undefined>
  envFileOf: (n: string) => string | undefined
} {
  const cwd = mkdtempSync(join(tmpdir(), 'dbd-target-'))
  dirs.push(cwd)
  if (pgpass !== undefined) writeFileSync(join(cwd, 'pgpass'), pgpass, {mode: 0o600})
  return {
    cwd,
    ...loadEnv({
      cwd,
      processEnv: {PGPASSFILE: join(cwd, pgpass === undefined ? 'none' : 'pgpass'), HOME: cwd, USER: 'nobody_at_all'},
    }),
  }
}

const verified = () => `sslmode=verify-full&sslrootcert=${info.caFile}`

describe('a target resolved once', () => {
  it('resolving computes nothing it may not need; a healthy run of every check computes each part once', async () => {
    const {cwd, env, envFileOf} = project()
    const url = `postgres://${APP_USER}:${encodeURIComponent(CANARY_PASSWORD)}@${PG_HOST}:${info.port}/${APP_DATABASE}?${verified()}`
    const report = await diagnose({
      connection: url,
      cwd,
      env,
      envFileOf,
      options: {timeoutMs: 5000, verbose: false, dnsServers: []},
      tool: 'db-doctor@test',
      strictFacts: true,
    })
    const byId = Object.fromEntries(report.checks.map((c) => [c.id, c.status]))
    expect(byId).toMatchObject({config: 'pass', tls: 'pass', 'ssl-config': 'pass', auth: 'pass'})
    // tls, auth, pooler and the runner's session all read the client config; ssl-config reads the analysis
    expect(calls.resolvePgClientConfig).toBe(1)
    expect(calls.analyzeSsl).toBe(1)
    expect(calls.inspectPgpass).toBeLessThanOrEqual(1)
  })

  it('no password: the password file is read once (by the resolver), though config and auth both explain it', async () => {
    const {cwd, env, envFileOf} = project(`otherhost:5432:*:*:unused-pw\n`)
    const url = `postgres://${APP_USER}@${PG_HOST}:${info.port}/${APP_DATABASE}?${verified()}`
    const report = await diagnose({
      connection: url,
      cwd,
      env,
      envFileOf,
      options: {timeoutMs: 5000, verbose: false, dnsServers: []},
      tool: 'db-doctor@test',
      strictFacts: true,
    })
    const config = report.checks.find((c) => c.id === 'config')!
    const auth = report.checks.find((c) => c.id === 'auth')!
    expect(config.evidence.pgpass).toMatchObject({status: expect.stringContaining('no line matches')})
    expect(auth).toMatchObject({status: 'fail', code: 'AUTH_PASSWORD_MISSING'})
    expect(auth.evidence.pgpass).toBeDefined()
    expect(calls.inspectPgpass).toBe(1)
    expect(calls.analyzeSsl).toBe(1)
    expect(calls.resolvePgClientConfig).toBe(1)
  })

  it('the resolved config carries its target; a configuration read with another environment gets its own', async () => {
    const {cwd, env, envFileOf} = project()
    const config = await resolveConfig({
      words: sourceWords,
      cwd,
      env,
      envFileOf,
      connection: `postgres://u@${PG_HOST}:${info.port}/d?sslmode=require`,
    })
    expect(calls.analyzeSsl + calls.inspectPgpass + calls.resolvePgClientConfig).toBe(1) // the pgpass source's own read
    expect(config.target).toBeDefined()
    expect(Object.keys(config)).not.toContain('target') // not part of what is compared or serialised
    expect(targetOf({config, env, cwd})).toBe(config.target)
    expect(targetOf({config, env, cwd}).ssl).toBe(targetOf({config, env, cwd}).ssl)
    expect(calls.analyzeSsl).toBe(1)
    expect(targetOf({config, env, cwd}).urlParams).toEqual({sslmode: 'require'})
    const other = {...env, PGSSLMODE: 'disable'}
    expect(targetOf({config, env: other, cwd})).not.toBe(config.target)
    expect(connectionOf(config)).toBe(config.target!.connection)
    // each call hands out a copy: a caller adding to it changes nothing for the next one
    const first = targetOf({config, env, cwd}).pgClient()
    ;(first.config as {host?: string}).host = 'changed'
    expect(targetOf({config, env, cwd}).pgClient().config.host).toBe(PG_HOST)
    expect(calls.resolvePgClientConfig).toBe(1)
  })
})
