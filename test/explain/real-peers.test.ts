// explain recognises the errors real tools print against real peers: node-postgres
// and psql against the test PostgreSQL (TLS + SCRAM, pg_hba rules), a refused port.
// Each message is produced here, pasted into `db-doctor explain`, and must come back
// as the code `db-doctor check` gives for the same state.
import {spawnSync} from 'node:child_process'
import {describe, expect, inject, it} from 'vitest'
import pg from 'pg'
import {pgConnectError} from '../helpers/app-errors.js'
import {
  APP_DATABASE,
  APP_USER,
  CANARY_PASSWORD,
  LIMITED_USER,
  MISSING_DATABASE,
  MISSING_USER,
  NOLOGIN_USER,
} from '../helpers/constants.js'
import {runCli} from '../helpers/cli.js'
import {freePort} from '../helpers/postgres.js'

const info = inject('pg')
const WRONG = 'wrong-canary-5e1d0b'

/** What node-postgres throws, printed the way an app's crash prints it (message + inspect). */
const pgError = pgConnectError

function psql(args: string[], env: Record<string, string> = {}): string {
  const r = spawnSync('psql', [...args, '-c', 'select 1'], {
    env: {PATH: process.env.PATH ?? '/usr/bin:/bin', PGCONNECT_TIMEOUT: '5', ...env},
    encoding: 'utf8',
    timeout: 20_000,
  })
  return r.stderr
}

async function explainCodes(text: string): Promise<string[]> {
  const r = await runCli(['explain', '--json'], {input: text})
  expect(r.stdout + r.stderr).not.toContain(CANARY_PASSWORD)
  expect(r.stdout + r.stderr).not.toContain(WRONG)
  expect([0, 1]).toContain(r.code)
  return JSON.parse(r.stdout).matches.map((m: {code: string | null}) => m.code)
}

const base = {host: info.host, port: info.port, database: APP_DATABASE, ssl: {ca: info.caPem}}
const url = (user: string, password: string, db = APP_DATABASE, q = `sslmode=verify-full&sslrootcert=${info.caFile}`) =>
  `postgresql://${user}:${password}@${info.host}:${info.port}/${db}?${q}`

describe('explain: node-postgres errors from the real server', () => {
  const cases: [string, pg.ClientConfig, string][] = [
    ['wrong password', {...base, user: APP_USER, password: WRONG}, 'AUTH_PASSWORD_FAILED'],
    [
      'no TLS to a hostssl-only server',
      {...base, ssl: false, user: APP_USER, password: CANARY_PASSWORD},
      'AUTH_SSL_REQUIRED',
    ],
    [
      'missing database',
      {...base, database: MISSING_DATABASE, user: APP_USER, password: CANARY_PASSWORD},
      'AUTH_DATABASE_NOT_FOUND',
    ],
    ['missing role', {...base, user: MISSING_USER, password: CANARY_PASSWORD}, 'AUTH_ROLE_NOT_FOUND'],
    ['NOLOGIN role', {...base, user: NOLOGIN_USER, password: CANARY_PASSWORD}, 'AUTH_ROLE_NOLOGIN'],
    ['connection limit', {...base, user: LIMITED_USER, password: CANARY_PASSWORD}, 'AUTH_TOO_MANY_CONNECTIONS'],
    ['no password', {...base, user: APP_USER}, 'AUTH_PASSWORD_MISSING'],
    ['untrusted chain (no CA given)', {...base, ssl: true, user: APP_USER, password: CANARY_PASSWORD}, 'TLS_'],
  ]
  for (const [name, config, code] of cases) {
    it(name, async () => {
      const text = `> app@1.0.0 migrate\nconnecting to ${url(config.user ?? '', String(config.password ?? ''))}\n${await pgError(config)}`
      const codes = await explainCodes(text)
      if (code.endsWith('_'))
        expect(
          codes.some((c) => c?.startsWith(code)),
          `${codes}\n${text}`,
        ).toBe(true)
      else expect(codes, text).toContain(code)
    })
  }

  it('a refused port (node ECONNREFUSED)', async () => {
    const port = await freePort()
    const text = await pgError({host: '127.0.0.1', port, user: APP_USER, password: CANARY_PASSWORD})
    expect(await explainCodes(text)).toContain('TCP_REFUSED')
  })
})

describe('explain: libpq/psql errors from the real server', () => {
  const tls = {PGSSLMODE: 'verify-full', PGSSLROOTCERT: info.caFile}
  const conn = ['-h', info.host, '-p', String(info.port), '-d', APP_DATABASE]
  it('wrong password', async () => {
    const err = psql([...conn, '-U', APP_USER], {...tls, PGPASSWORD: WRONG})
    expect(err).toMatch(/password authentication failed/)
    expect(await explainCodes(err)).toContain('AUTH_PASSWORD_FAILED')
  })
  it('sslmode=disable against hostssl-only', async () => {
    const err = psql([...conn, '-U', APP_USER], {PGSSLMODE: 'disable', PGPASSWORD: CANARY_PASSWORD})
    expect(await explainCodes(err)).toContain('AUTH_SSL_REQUIRED')
  })
  it('an invalid sslmode', async () => {
    const err = psql([...conn, '-U', APP_USER], {PGSSLMODE: 'requre', PGPASSWORD: CANARY_PASSWORD})
    expect(await explainCodes(err)).toContain('CONFIG_SSLMODE_INVALID')
  })
  it('a missing database and a missing role', async () => {
    const db = psql(['-h', info.host, '-p', String(info.port), '-d', MISSING_DATABASE, '-U', APP_USER], {
      ...tls,
      PGPASSWORD: CANARY_PASSWORD,
    })
    expect(await explainCodes(db)).toContain('AUTH_DATABASE_NOT_FOUND')
    const role = psql([...conn, '-U', MISSING_USER], {...tls, PGPASSWORD: CANARY_PASSWORD})
    expect(await explainCodes(role)).toContain('AUTH_ROLE_NOT_FOUND')
  })
  it('a refused port', async () => {
    const port = await freePort()
    const err = psql(['-h', '127.0.0.1', '-p', String(port), '-U', APP_USER, '-d', APP_DATABASE], {
      PGPASSWORD: CANARY_PASSWORD,
    })
    expect(err).toMatch(/Connection refused/)
    expect(await explainCodes(err)).toContain('TCP_REFUSED')
  })
  it('no password supplied', async () => {
    const err = psql([...conn, '-U', APP_USER, '-w'], {...tls, PGPASSFILE: '/nonexistent'})
    expect(await explainCodes(err)).toContain('AUTH_PASSWORD_MISSING')
  })
  it('an untrusted server certificate (no root file)', async () => {
    const err = psql([...conn, '-U', APP_USER], {
      PGSSLMODE: 'verify-full',
      PGSSLROOTCERT: '/nonexistent/root.crt',
      PGPASSWORD: CANARY_PASSWORD,
    })
    expect(await explainCodes(err)).toContain('SSL_CERT_FILE_UNREADABLE')
  })
})
