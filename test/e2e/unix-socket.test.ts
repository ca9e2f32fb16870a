// A Unix-socket connection (Cloud SQL proxy, a local socket) with SSL asked for: the server
// never offers SSL on a socket, psql ignores sslmode there and connects, node-postgres asks
// anyway and fails with "The server does not support SSL connections".
import {spawnSync} from 'node:child_process'
import {chmodSync, mkdtempSync, rmSync} from 'node:fs'
import {createRequire} from 'node:module'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {checkOf, reportOf, runCli} from '../helpers/cli.js'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD} from '../helpers/constants.js'
import {startPostgres, type PgServer} from '../helpers/postgres.js'

const require = createRequire(import.meta.url)
let server: PgServer
let dir: string

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dbd-sock-'))
  chmodSync(dir, 0o777) // the server runs as the postgres OS user when we are root
  server = await startPostgres({
    settings: {unix_socket_directories: dir},
    // the harness creates its fixtures over TCP
    hba: ['local all all scram-sha-256', 'hostssl all all 127.0.0.1/32 scram-sha-256'],
  })
}, 120_000)

afterAll(async () => {
  await server?.stop()
  if (dir) rmSync(dir, {recursive: true, force: true})
})

const url = (params: string) =>
  `postgres://${APP_USER}:${CANARY_PASSWORD}@/${APP_DATABASE}?host=${encodeURIComponent(dir)}&port=${server.port}${params}`

describe('SSL asked for over a Unix socket', () => {
  it('what really happens: node-postgres fails, psql connects', async () => {
    const pg = require('pg') as typeof import('pg')
    const client = new pg.Client({
      host: dir,
      port: server.port,
      user: APP_USER,
      password: CANARY_PASSWORD,
      database: APP_DATABASE,
      ssl: true,
    })
    await expect(client.connect()).rejects.toThrow('The server does not support SSL connections')
    const psql = spawnSync('psql', ['--version'])
    if (psql.status === 0) {
      const r = spawnSync(
        'psql',
        [
          `host=${dir} port=${server.port} user=${APP_USER} dbname=${APP_DATABASE} sslmode=require`,
          '-Xqtc',
          'select 1',
        ],
        {
          encoding: 'utf8',
          env: {PATH: process.env.PATH, PGPASSWORD: CANARY_PASSWORD},
        },
      )
      expect(r.status, r.stderr).toBe(0)
    }
  })

  it('sslmode=require: ssl-config fails with SSL_UNIX_SOCKET, auth says why, no canary', async () => {
    const r = await runCli(['check', url('&sslmode=require'), '--json'])
    expect(r.code).toBe(1)
    expect(r.stdout + r.stderr).not.toContain(CANARY_PASSWORD)
    const report = reportOf(r)
    const ssl = checkOf(report, 'ssl-config')
    expect(ssl).toMatchObject({status: 'fail', code: 'SSL_UNIX_SOCKET'})
    expect(ssl.summary).toContain(`Unix socket in ${dir}, where PostgreSQL never offers SSL`)
    expect(ssl.fix.summary).toBe(
      'Turn SSL off for the Unix-socket connection in CONNECTION argument, or connect over TCP to keep TLS.',
    )
    expect(checkOf(report, 'auth')).toMatchObject({status: 'skip', evidence: {blockedBy: 'ssl-config'}})

    // run anyway, the login itself says what went wrong
    const alone = reportOf(await runCli(['check', url('&sslmode=require'), '--skip', 'ssl-config', '--json']))
    const auth = checkOf(alone, 'auth')
    expect(auth).toMatchObject({status: 'fail', code: 'AUTH_CONNECTION_FAILED', evidence: {unixSocket: dir}})
    expect(auth.summary).toBe(
      `node-postgres could not open a session: The server does not support SSL connections. The host ${dir} is a Unix socket directory, where PostgreSQL never offers SSL, and the settings ask for SSL.`,
    )
  })

  it('no sslmode: passes over the socket, and ssl-config says SSL does not apply', async () => {
    const r = await runCli(['check', url(''), '--json'])
    expect(r.code, r.stdout).toBe(0)
    const report = reportOf(r)
    expect(checkOf(report, 'auth')).toMatchObject({status: 'pass'})
    expect(checkOf(report, 'ssl-config')).toMatchObject({
      status: 'pass',
      summary: `No SSL over the Unix socket in ${dir}, as psql: the server never offers SSL there.`,
    })
  })
})
