// The tcp check on a Unix socket directory: the transport is the socket file `.s.PGSQL.<port>`.
// Real sockets: a directory without one (TCP_SOCKET_NOT_FOUND, the login not attempted), a real listener,
// and `wait` retrying until a socket appears (a forwarder to the shared PostgreSQL, created late).
import {mkdtempSync, rmSync} from 'node:fs'
import net from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, inject, it} from 'vitest'
import {entry} from '../../src/checks/catalogue.js'
import type {Report} from '../../src/core/types.js'
import {runCli, watchCli} from '../helpers/cli.js'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD} from '../helpers/constants.js'

const dir = mkdtempSync(join(tmpdir(), 'dbd-sock-'))
const servers: net.Server[] = []
afterAll(() => {
  for (const s of servers) s.close()
  rmSync(dir, {recursive: true, force: true})
})

const url = (socketDir: string, port = 5432) =>
  `postgresql://${APP_USER}:${CANARY_PASSWORD}@/${APP_DATABASE}?host=${encodeURIComponent(socketDir)}&port=${port}`

function listen(path: string, onConnection: (s: net.Socket) => void = (s) => s.destroy()): Promise<net.Server> {
  const server = net.createServer(onConnection)
  servers.push(server)
  return new Promise((resolve, reject) => server.once('error', reject).listen(path, () => resolve(server)))
}

const checkOf = (r: Report, id: string) => r.checks.find((c) => c.id === id)!

describe('tcp check on a Unix socket directory', () => {
  it('no .s.PGSQL.<port> in the directory: TCP_SOCKET_NOT_FOUND, and the login is not attempted', async () => {
    const empty = mkdtempSync(join(dir, 'empty-'))
    const r = await runCli(['check', url(empty, 6543), '--json'])
    expect(r.code, r.stderr).toBe(1)
    expect(r.stdout + r.stderr).not.toContain(CANARY_PASSWORD)
    const report = JSON.parse(r.stdout) as Report
    const tcp = checkOf(report, 'tcp')
    expect(tcp).toMatchObject({
      status: 'fail',
      code: 'TCP_SOCKET_NOT_FOUND',
      evidence: {socket: `${empty}/.s.PGSQL.6543`, outcome: 'missing', errorCode: 'ENOENT'},
    })
    expect(tcp.summary).toContain(`No PostgreSQL socket ${empty}/.s.PGSQL.6543`)
    expect(tcp.fix?.steps.join(' ')).toContain('unix_socket_directories')
    expect(checkOf(report, 'auth')).toMatchObject({status: 'skip', evidence: {blockedBy: 'tcp'}})
  })

  it('a socket that accepts: the check steps aside for the login, as before (the socket in its evidence)', async () => {
    const present = mkdtempSync(join(dir, 'present-'))
    await listen(join(present, '.s.PGSQL.5432'))
    const r = await runCli(['check', url(present), '--json', '--only', 'config,dns,tcp'])
    const tcp = checkOf(JSON.parse(r.stdout) as Report, 'tcp')
    expect(tcp).toMatchObject({status: 'skip', code: null, evidence: {outcome: 'connected'}})
  })

  it('Cloud SQL socket paths get the Cloud SQL fix', () => {
    const e = entry('TCP_SOCKET_NOT_FOUND')
    const p = {
      dir: '/cloudsql/p:r:i',
      port: 5432,
      socket: '/cloudsql/p:r:i/.s.PGSQL.5432',
      hostFrom: 'x',
      portFrom: 'y',
    }
    expect(e.fix(p as never).steps.join(' ')).toContain('--add-cloudsql-instances')
    expect(e.transient).toBe(true)
  })

  it('wait retries a missing socket until it appears (a proxy sidecar or a server still starting)', async () => {
    const pg = inject('pg')
    const later = mkdtempSync(join(dir, 'later-'))
    // the socket appears once wait has reported it missing: a forwarder to the shared server's TCP port
    // (hostssl-only, so the plain login over the socket is then refused: a different, permanent state)
    let opened = false
    const {code, stdout, stderr} = await watchCli(
      ['wait', url(later), '--deadline', '30', '--interval', '200'],
      (err) => {
        if (opened || !err.includes('TCP_SOCKET_NOT_FOUND')) return
        opened = true
        void listen(join(later, '.s.PGSQL.5432'), (s) => {
          const up = net.connect(pg.port, pg.host)
          s.on('error', () => up.destroy())
          up.on('error', () => s.destroy())
          s.pipe(up).pipe(s)
        })
      },
    )
    expect(stdout + stderr).not.toContain(CANARY_PASSWORD)
    expect(code).toBe(1)
    expect(stderr).toMatch(/attempt 1, .*TCP_SOCKET_NOT_FOUND/)
    expect(stderr).toMatch(/stopped: AUTH_SSL_REQUIRED cannot be fixed by waiting/)
  })
})
