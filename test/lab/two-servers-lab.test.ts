// Two servers on one name: inside a lab namespace `localhost` is ::1 and 127.0.0.1 (its own /etc/hosts), and
// port 5432 on each address is relayed to a different real PostgreSQL: the app's database (with its role) on
// 127.0.0.1, a second server without that role (the "container") on ::1. The built CLI must say
// PG_TWO_SERVERS with what each address answered and where the app lands, and send the app's password only
// where node-postgres connects. With both addresses relayed to one server: no PG_TWO_SERVERS.
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Report} from '../../src/core/types.js'
import {explainText} from '../../src/explain/index.js'
import {cleanEnv} from '../helpers/cli.js'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD} from '../helpers/constants.js'
import {startPostgres, type PgServer} from '../helpers/postgres.js'
import {labSupport, lastJsonLine, runInLab} from './netns.js'

const lab = labSupport()
if (!lab.ok) console.warn(`[fault lab skipped] ${lab.reason}`)
const built = existsSync(fileURLToPath(new URL('../../dist/commands/check.js', import.meta.url)))
const script = fileURLToPath(new URL('./cli-in-lab.mjs', import.meta.url))

type Row = {address: string; reachedBy: string; sslRequest: string; asks: string; scram: string | null}

describe.skipIf(!lab.ok || !built)('two servers behind the addresses of localhost', () => {
  let app: PgServer
  let other: PgServer
  let dir: string
  const relays: net.Server[] = []

  async function relay(name: string, to: PgServer): Promise<string> {
    const sock = path.join(dir, `${name}.sock`)
    const server = net.createServer((s) => {
      const upstream = net.connect(to.port, to.host)
      s.on('error', () => upstream.destroy())
      upstream.on('error', () => s.destroy())
      s.pipe(upstream).pipe(s)
    })
    await new Promise<void>((resolve) => server.listen(sock, resolve))
    relays.push(server)
    return sock
  }

  beforeAll(async () => {
    ;[app, other] = await Promise.all([startPostgres(), startPostgres({fixtures: false})])
    dir = mkdtempSync(path.join(os.tmpdir(), 'dbd-two-'))
  })

  afterAll(async () => {
    for (const r of relays) r.close()
    await Promise.all([app?.stop(), other?.stop()])
    if (dir) rmSync(dir, {recursive: true, force: true})
  })

  async function check(peers: {host: string; relay: string}[]) {
    const url = `postgres://${APP_USER}:${CANARY_PASSWORD}@localhost:5432/${APP_DATABASE}?sslmode=verify-full&sslrootcert=${encodeURIComponent(app.caFile)}`
    const r = await runInLab({
      // an address of each family besides loopback, as on a laptop: getaddrinfo's AI_ADDRCONFIG (Node's
      // default) drops a family with none, and localhost would be ::1 alone
      addresses: ['192.0.2.10/24', '2001:db8::10/64'],
      script,
      args: [
        JSON.stringify({
          peers: peers.map((p) => ({...p, port: 5432})),
          args: ['check', '--json', '--timeout', '3000', '--only', 'config,dns,tcp,postgres,tls,ssl-config,auth', url],
        }),
      ],
      env: cleanEnv(),
      timeoutMs: 60_000,
    })
    const run = lastJsonLine<{code: number; stdout: string; stderr: string}>(r.stdout)
    expect(run.stdout + run.stderr + r.stderr).not.toContain(CANARY_PASSWORD)
    const report = JSON.parse(run.stdout) as Report
    return Object.fromEntries(report.checks.map((c) => [c.id, c]))
  }

  it('PG_TWO_SERVERS: which address answered what, where the app lands; its password goes only there', async () => {
    const byId = await check([
      {host: '127.0.0.1', relay: await relay('app', app)},
      {host: '::1', relay: await relay('other', other)},
    ])
    // the lab's getaddrinfo order for localhost: ::1 first (RFC 6724), as on a dual-stack laptop
    expect((byId.tcp.evidence.attempts as {address: string}[]).map((a) => a.address)).toEqual(['::1', '127.0.0.1'])
    const pg = byId.postgres
    expect(pg, JSON.stringify(pg)).toMatchObject({status: 'warn', code: 'PG_TWO_SERVERS'})
    const rows = pg.evidence.servers as Row[]
    expect(rows.map((r) => r.address).sort()).toEqual(['127.0.0.1', '::1'])
    const first = rows.find((r) => r.reachedBy.includes('node-postgres'))!
    expect(first.address).toBe('::1')
    expect(
      rows.every((r) => r.sslRequest === 'S' && r.asks === 'scram' && /^salt \S+…, 4096 iterations$/.test(r.scram!)),
    ).toBe(true)
    expect(rows[0]!.scram).not.toBe(rows[1]!.scram)
    expect(pg.summary).toContain('port 5432 on 127.0.0.1 is a different server from the one on ::1')
    expect(pg.summary).toContain('different SCRAM secrets for role "app"')
    expect(pg.fix!.snippet!.code).toContain('127.0.0.1')
    expect(pg.fix!.steps.join('\n')).not.toMatch(/listen_addresses\s*=\s*'\*'/)
    // the login went to ::1 (the server without the role), as node-postgres goes: SCRAM's answer for a missing role
    expect(byId.auth).toMatchObject({status: 'fail', code: 'AUTH_PASSWORD_FAILED'})
    expect(byId.auth.summary).toContain(
      'This login went to ::1, where node-postgres connects; 127.0.0.1 is another server',
    )
    expect(byId.auth.fix!.steps[0]).toContain('connect to host=127.0.0.1')
    expect(other.log()).toMatch(/password authentication failed for user "app"/)
    // 127.0.0.1 got the unauthenticated look only: no login of the app's role, no failed password
    const appLog = app.log()
    expect(appLog).toMatch(/connection received: host=127\.0\.0\.1/)
    expect(appLog).not.toMatch(
      /authentication failed|connection authorized: user=app|connection authenticated: identity="app"/,
    )
  })

  it('one server on both addresses: the same SCRAM salt, no PG_TWO_SERVERS, the login passes', async () => {
    const sock = await relay('app-both', app)
    const byId = await check([
      {host: '127.0.0.1', relay: sock},
      {host: '::1', relay: sock},
    ])
    expect(byId.postgres, JSON.stringify(byId.postgres)).toMatchObject({status: 'pass', code: null})
    expect(byId.postgres.summary).toContain('::1 and 127.0.0.1 are the same server (same SCRAM salt for role "app")')
    expect(byId.auth.status).toBe('pass')
  })

  it('explain names it next to the password error for localhost', () => {
    const r = explainText(
      'psql: error: connection to server at "localhost" (::1), port 5432 failed: FATAL:  password authentication failed for user "app"',
      'psql',
    )
    expect(r.matches.map((m) => m.code)).toEqual(expect.arrayContaining(['AUTH_PASSWORD_FAILED', 'PG_TWO_SERVERS']))
  })
})
