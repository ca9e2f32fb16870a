import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {configCheck} from '../../src/checks/config.js'
import {loadEnv} from '../../src/config/env.js'
import {resolveConfig} from '../../src/config/resolve.js'
import {runChecks} from '../helpers/run-checks.js'
import type {CheckOutcome} from '../../src/core/types.js'
import {CANARY_PASSWORD, CANARY_SPECIAL} from '../helpers/constants.js'
import {sourceWords} from '../../src/catalogue/app-files.js'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, {recursive: true, force: true})
})

async function check(
  opts: {dotenv?: string; env?: Record<string, string>; connection?: string; files?: Record<string, string>} = {},
) {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'dbd-config-check-'))
  dirs.push(cwd)
  for (const [n, c] of Object.entries(opts.files ?? {})) fs.writeFileSync(path.join(cwd, n), c)
  if (opts.dotenv !== undefined) fs.writeFileSync(path.join(cwd, '.env'), opts.dotenv)
  const loaded = loadEnv({
    cwd,
    processEnv: {USER: 'osuser', HOME: cwd, PGPASSFILE: path.join(cwd, 'none'), ...opts.env},
  })
  const config = await resolveConfig({
    words: sourceWords,
    cwd,
    env: loaded.env,
    envFileOf: loaded.envFileOf,
    connection: opts.connection,
  })
  const ctx = {
    config,
    env: loaded.env,
    cwd,
    options: {timeoutMs: 1000, verbose: false, dnsServers: []},
    facts: {},
    results: new Map(),
  }
  const outcome = await configCheck.run(ctx)
  // and through the runner, as the CLI runs it
  const [result] = await runChecks([configCheck], ctx, {})
  return {outcome, result, config}
}

function noSecret(outcome: CheckOutcome, secret: string) {
  const text = JSON.stringify(outcome)
  expect(text).not.toContain(secret)
  expect(text).not.toContain(encodeURIComponent(secret))
}

const rows = (o: CheckOutcome) =>
  Object.fromEntries(
    (o.evidence.settings as Array<{field: string; value: string; source: string}>).map((r) => [r.field, r]),
  )

describe('config check', () => {
  it('pass: a table of every setting with its source; password shown as set (source)', async () => {
    const {outcome, result} = await check({
      dotenv: `DATABASE_URL=postgres://app:${CANARY_PASSWORD}@db.internal:6543/appdb?sslmode=verify-full\n`,
      env: {PGAPPNAME: 'web', DB_HOST: 'other'},
    })
    expect(outcome.status).toBe('pass')
    expect(outcome.code).toBeNull()
    expect(outcome.summary).toBe('Connecting to app@db.internal:6543/appdb as configured by DATABASE_URL in .env.')
    const r = rows(outcome)
    expect(r.host).toEqual({field: 'host', value: 'db.internal', source: 'DATABASE_URL in .env'})
    expect(r.password).toEqual({field: 'password', value: 'set', source: 'DATABASE_URL in .env'})
    expect(r.sslmode.value).toBe('verify-full')
    expect(r.application_name).toEqual({field: 'application_name', value: 'web', source: 'PGAPPNAME (environment)'})
    expect(outcome.evidence.shadowed).toEqual([{source: 'DB_HOST (environment)', kind: 'env'}])
    expect(outcome.evidence.connectionString).toBe('postgres://app:****@db.internal:6543/appdb?sslmode=verify-full')
    noSecret(outcome, CANARY_PASSWORD)
    expect(result.status).toBe('pass')
  })

  it('pass with a password from the DB_* family: "set" and the variable, never the value', async () => {
    const {outcome} = await check({dotenv: `DB_HOST=127.0.0.1\nDB_USER=app\nDB_PASSWORD=${CANARY_PASSWORD}\n`})
    expect(outcome.status).toBe('pass')
    expect(rows(outcome).password).toEqual({field: 'password', value: 'set', source: 'DB_PASSWORD in .env'})
    expect(rows(outcome).sslmode.value).toBe('not set')
    noSecret(outcome, CANARY_PASSWORD)
  })

  it('pass with a key=value argument: the string is shown with its password masked', async () => {
    const {outcome, result} = await check({
      connection: `host=db port=5433 user=app password='${CANARY_PASSWORD}' application_name='my app'`,
    })
    expect(outcome.status).toBe('pass')
    expect(outcome.evidence.connectionString).toBe(
      "host=db port=5433 user=app password='****' application_name='my app'",
    )
    expect(rows(outcome).port).toEqual({field: 'port', value: '5433', source: 'CONNECTION argument'})
    noSecret(outcome, CANARY_PASSWORD)
    noSecret(result, CANARY_PASSWORD)
  })

  it('CONFIG_PASSWORD_NOT_ENCODED: masked encoded URL, how to encode, the variable and file, no canary', async () => {
    const {outcome, result} = await check({
      dotenv: `DATABASE_URL="postgresql://special:${CANARY_SPECIAL}@127.0.0.1:5432/appdb"\n`,
    })
    expect(outcome.status).toBe('fail')
    expect(outcome.code).toBe('CONFIG_PASSWORD_NOT_ENCODED')
    expect(outcome.fix?.summary).toBe('Percent-encode the password in DATABASE_URL in .env.')
    const steps = outcome.fix!.steps.join('\n')
    expect(steps).toContain('encodeURIComponent')
    expect(steps).toContain('urllib.parse.quote')
    expect(steps).toContain('postgresql://special:****@127.0.0.1:5432/appdb')
    expect(outcome.fix?.snippet).toEqual({
      language: 'dotenv',
      code: '# **** = the percent-encoded password\nDATABASE_URL="postgresql://special:****@127.0.0.1:5432/appdb"',
    })
    expect(outcome.evidence.problem).toMatchObject({maskedUrl: 'postgresql://special:****@127.0.0.1:5432/appdb'})
    noSecret(outcome, CANARY_SPECIAL)
    noSecret(result, CANARY_SPECIAL)
  })

  it('CONFIG_PASSWORD_NOT_ENCODED with an unquoted .env value cut by dotenv: says to quote it', async () => {
    const {outcome} = await check({
      dotenv: `DATABASE_URL=postgresql://special:${CANARY_SPECIAL}@127.0.0.1:5432/appdb\n`,
    })
    expect(outcome.code).toBe('CONFIG_PASSWORD_NOT_ENCODED')
    expect(outcome.fix?.steps[0]).toMatch(/Quote the value in \.env: DATABASE_URL="…"/)
    noSecret(outcome, CANARY_SPECIAL)
  })

  it('a .env value cut by dotenv inside the password: the part before "#" is not shown either', async () => {
    // dotenv leaves "postgres://app:<canary>", which parses as host "app", port "<canary>"
    const {outcome, result} = await check({
      dotenv: `DATABASE_URL=postgres://app:${CANARY_PASSWORD}#tail@127.0.0.1:5432/appdb\n`,
    })
    expect(outcome.code).toBe('CONFIG_PASSWORD_NOT_ENCODED')
    expect(outcome.evidence.connectionString).toBe('postgres://app:****')
    expect((outcome.evidence.problem as Record<string, unknown>).maskedUrl).toBe(
      'postgres://app:****@127.0.0.1:5432/appdb',
    )
    for (const o of [outcome, result]) noSecret(o, CANARY_PASSWORD)
  })

  it('a .env value cut by dotenv after the password keeps the rest visible', async () => {
    const {outcome} = await check({dotenv: 'DATABASE_URL=postgres://app@db:5432/app?application_name=a#b\n'})
    expect(outcome.code).toBe('CONFIG_URL_INVALID')
    expect(outcome.evidence.connectionString).toBe('postgres://app@db:5432/app?application_name=a')
  })

  it('CONFIG_PASSWORD_NOT_ENCODED from the argument points at the argument', async () => {
    const {outcome} = await check({connection: 'postgres://app:pa/ss word@db/app'})
    expect(outcome.code).toBe('CONFIG_PASSWORD_NOT_ENCODED')
    expect(outcome.summary).toMatch(/CONNECTION argument contains "\/" and space/)
    expect(outcome.fix?.snippet).toEqual({
      language: 'bash',
      code: "# **** = the percent-encoded password\ndb-doctor check 'postgres://app:****@db/app'",
    })
    expect(JSON.stringify(outcome)).not.toContain('ss word')
  })

  it('CONFIG_PASSWORD_ENCODING_LENIENT: characters node-postgres and psql read as written are a warning, not a failure', async () => {
    const pw = `${CANARY_PASSWORD}^[x] y:z`
    const {outcome, result, config} = await check({dotenv: `DATABASE_URL="postgres://app:${pw}@db:5432/app"\n`})
    expect(outcome.status).toBe('warn')
    expect(outcome.code).toBe('CONFIG_PASSWORD_ENCODING_LENIENT')
    expect(outcome.summary).toBe(
      `The password in DATABASE_URL in .env contains "^", "[", "]" and space, which the URL standard requires to be percent-encoded. node-postgres and psql read them as written, so this works; strict URL parsers (Go's net/url, used by golang-migrate and pgx) reject the URL.`,
    )
    // what node-postgres reads: the password exactly as written
    expect(config.fields.password?.value).toBe(pw)
    expect(config.fields.host?.value).toBe('db')
    expect(outcome.fix?.summary).toBe(
      'Percent-encode the password in DATABASE_URL in .env so that every tool reads the URL the same way.',
    )
    expect(outcome.fix?.snippet).toEqual({
      language: 'dotenv',
      code: '# **** = the percent-encoded password\nDATABASE_URL="postgres://app:****@db:5432/app"',
    })
    for (const o of [outcome, result]) noSecret(o, pw)
    noSecret(outcome, CANARY_PASSWORD)
  })

  it('a ":" in the password is allowed by the URL standard: no problem at all', async () => {
    const {outcome, config} = await check({connection: `postgres://app:${CANARY_PASSWORD}:x@db/app`})
    expect(outcome.status).toBe('pass')
    expect(config.fields.password?.value).toBe(`${CANARY_PASSWORD}:x`)
  })

  it('CONFIG_URL_INVALID: where it came from and where it breaks', async () => {
    const {outcome} = await check({env: {DATABASE_URL: `postgres://app:${CANARY_PASSWORD}@db:54x2/app`}})
    expect(outcome.status).toBe('fail')
    expect(outcome.code).toBe('CONFIG_URL_INVALID')
    expect(outcome.summary).toBe(
      'The connection string in DATABASE_URL (environment) cannot be parsed: the port "54x2" after the host "db" is not a number.',
    )
    expect(outcome.fix?.snippet?.language).toBe('bash')
    noSecret(outcome, CANARY_PASSWORD)
  })

  it('CONFIG_URL_INVALID for a DB_PORT in .env that is not a number', async () => {
    const {outcome} = await check({dotenv: 'DB_HOST=db\nDB_PORT=5432/tcp\n'})
    expect(outcome.code).toBe('CONFIG_URL_INVALID')
    expect(outcome.fix?.summary).toBe('Set DB_PORT to a port number.')
    expect(outcome.fix?.snippet).toEqual({language: 'dotenv', code: 'DB_PORT="5432"'})
  })

  it('CONFIG_URL_INVALID for a key=value argument with an unterminated quote', async () => {
    const {outcome} = await check({connection: `host=db password='${CANARY_PASSWORD}`})
    expect(outcome.code).toBe('CONFIG_URL_INVALID')
    expect(outcome.summary).toMatch(/at character 18/)
    expect(outcome.fix?.steps.join(' ')).toMatch(/dbname=DATABASE/)
    noSecret(outcome, CANARY_PASSWORD)
  })

  it('CONFIG_SSLMODE_INVALID: names the source, suggests the mode, rewrites the masked URL', async () => {
    const {outcome} = await check({dotenv: `DATABASE_URL=postgres://app:${CANARY_PASSWORD}@db/app?sslmode=required\n`})
    expect(outcome.status).toBe('fail')
    expect(outcome.code).toBe('CONFIG_SSLMODE_INVALID')
    expect(outcome.summary).toBe(
      'sslmode "required" from DATABASE_URL in .env is not a valid mode (did you mean "require"?).',
    )
    expect(outcome.fix?.snippet).toEqual({
      language: 'dotenv',
      code: 'DATABASE_URL="postgres://app:****@db/app?sslmode=require"',
    })
    noSecret(outcome, CANARY_PASSWORD)
  })

  it('CONFIG_SSLMODE_INVALID from PGSSLMODE', async () => {
    const {outcome} = await check({env: {PGHOST: 'db', PGSSLMODE: 'on'}})
    expect(outcome.code).toBe('CONFIG_SSLMODE_INVALID')
    expect(outcome.fix?.snippet).toEqual({language: 'bash', code: "export PGSSLMODE='require'"})
  })

  it('CONFIG_NOT_FOUND: warn, lists the ways to configure, mentions other env files', async () => {
    const {outcome, result} = await check({files: {'.env.local': 'X=1\n'}})
    expect(outcome.status).toBe('warn')
    expect(outcome.code).toBe('CONFIG_NOT_FOUND')
    expect(outcome.summary).toMatch(/using the defaults osuser@localhost:5432\/osuser/)
    const steps = outcome.fix!.steps.join('\n')
    for (const way of ['db-doctor check', 'DATABASE_URL', 'DB_HOST', 'PGHOST', '--env-file .env.local'])
      expect(steps).toContain(way)
    expect(rows(outcome).host.source).toBe('default')
    expect(result.status).toBe('warn')
  })

  it('several problems: the most severe is the outcome, the rest in evidence', async () => {
    const {outcome} = await check({connection: 'postgres://u:pa#ss@db/app', env: {PGSSLMODE: 'bogus'}})
    expect(outcome.code).toBe('CONFIG_PASSWORD_NOT_ENCODED')
    expect(outcome.evidence.otherProblems).toEqual([
      expect.objectContaining({code: 'CONFIG_SSLMODE_INVALID', source: 'PGSSLMODE (environment)'}),
    ])
  })
})

describe('config check evidence', () => {
  it('lists URL parameters that are not fields (ssl=true, target_session_attrs)', async () => {
    const {outcome} = await check({
      env: {DATABASE_URL: `postgres://app:${CANARY_PASSWORD}@db/app?ssl=true&target_session_attrs=read-write`},
    })
    expect(outcome.status).toBe('pass')
    expect(outcome.evidence.parameters).toEqual({ssl: 'true', target_session_attrs: 'read-write'})
    noSecret(outcome, CANARY_PASSWORD)
  })

  it('CONFIG_URL_INVALID for a URL wrapped in literal quotes (Docker --env-file)', async () => {
    const {outcome} = await check({env: {DATABASE_URL: `"postgres://app:${CANARY_PASSWORD}@db/app"`}})
    expect(outcome.code).toBe('CONFIG_URL_INVALID')
    expect(outcome.summary).toMatch(/wrapped in double quotes/)
    noSecret(outcome, CANARY_PASSWORD)
  })
})

describe('passwords in URL query parameters', () => {
  it('?password= is used as the password and never shown', async () => {
    const {outcome, result} = await check({
      env: {DATABASE_URL: `postgres://app@db/app?password=${CANARY_PASSWORD}&sslmode=require`},
    })
    expect(outcome.status).toBe('pass')
    expect(rows(outcome).password).toEqual({field: 'password', value: 'set', source: 'DATABASE_URL (environment)'})
    noSecret(outcome, CANARY_PASSWORD)
    noSecret(result, CANARY_PASSWORD)
  })
})

describe('key=value strings through the runner', () => {
  it('a password as the last pair survives the redaction layer', async () => {
    const {outcome, result} = await check({connection: `host=db user=app password=${CANARY_PASSWORD}`})
    expect(outcome.status).toBe('pass')
    expect(result.status).toBe('pass')
    expect(result.evidence.connectionString).toBe('host=db user=app password=****')
    noSecret(result, CANARY_PASSWORD)
  })
})

describe('pgpass evidence', () => {
  it('a group-readable PGPASSFILE is named as ignored, with the chmod to run', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbd-pgpass-ev-'))
    dirs.push(dir)
    const file = path.join(dir, 'pgpass')
    fs.writeFileSync(file, `db:5432:*:app:${CANARY_PASSWORD}\n`)
    fs.chmodSync(file, 0o644)
    const {outcome} = await check({env: {PGHOST: 'db', PGUSER: 'app', PGPASSFILE: file}})
    expect(outcome.status).toBe('pass')
    expect(rows(outcome).password.value).toBe('not set')
    expect(outcome.evidence.pgpass).toEqual({
      file,
      status: `ignored by node-postgres and libpq: mode 0644 gives group/other access; run chmod 600 ${file}`,
    })
    fs.chmodSync(file, 0o600)
    const ok = await check({env: {PGHOST: 'db', PGUSER: 'app', PGPASSFILE: file}})
    expect(rows(ok.outcome).password).toEqual({field: 'password', value: 'set', source: `${file} line 1 (PGPASSFILE)`})
    expect(ok.outcome.evidence.pgpass).toBeUndefined()
    const other = await check({env: {PGHOST: 'other', PGUSER: 'app', PGPASSFILE: file}})
    expect(other.outcome.evidence.pgpass).toEqual({file, status: 'no line matches other:5432:app:app'})
    noSecret(outcome, CANARY_PASSWORD)
    noSecret(ok.outcome, CANARY_PASSWORD)
  })
})
