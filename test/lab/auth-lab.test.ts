// The field story end to end: a dual-stack name whose IPv6 path is blackholed. The
// report must say TCP_IPV6_FAILED, and the auth check must still log in — TLS verified
// against the name, SCRAM — through Node's Happy Eyeballs fallback to IPv4.
import {mkdtempSync, rmSync} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Report} from '../../src/core/types.js'
import {createCa, createLeaf} from '../helpers/certs.js'
import {cleanEnv} from '../helpers/cli.js'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD} from '../helpers/constants.js'
import {startPostgres, type PgServer} from '../helpers/postgres.js'
import {DEAD_IPV6_LAB, labSupport, lastJsonLine, runInLab} from './netns.js'

const lab = labSupport()
if (!lab.ok) console.warn(`[fault lab skipped] ${lab.reason}`)
const built = existsSync(fileURLToPath(new URL('../../dist/commands/check.js', import.meta.url)))
const script = fileURLToPath(new URL('./cli-in-lab.mjs', import.meta.url))

describe.skipIf(!lab.ok || !built)('auth through the IPv4 fallback when only IPv6 is dead', () => {
  let pg: PgServer
  let relay: net.Server
  let dir: string
  let sock: string

  beforeAll(async () => {
    const ca = await createCa({commonName: 'db-doctor lab CA'})
    const leaf = await createLeaf({commonName: 'db.lab.test', dnsNames: ['db.lab.test'], issuer: ca})
    pg = await startPostgres({tls: {certPem: leaf.certPem, keyPem: leaf.keyPem, caPem: ca.certPem}})
    dir = mkdtempSync(path.join(os.tmpdir(), 'dbd-relay-'))
    sock = path.join(dir, 'pg.sock')
    relay = net.createServer((s) => {
      const upstream = net.connect(pg.port, pg.host)
      s.on('error', () => upstream.destroy())
      upstream.on('error', () => s.destroy())
      s.pipe(upstream).pipe(s)
    })
    await new Promise<void>((resolve) => relay.listen(sock, resolve))
  })

  afterAll(async () => {
    relay?.close()
    await pg?.stop()
    if (dir) rmSync(dir, {recursive: true, force: true})
  })

  it('TCP_IPV6_FAILED, then TLS verified and a read-only login over IPv4', async () => {
    const timeout = 2000
    const url = `postgres://${APP_USER}:${CANARY_PASSWORD}@db.lab.test:5432/${APP_DATABASE}?sslmode=verify-full&sslrootcert=${encodeURIComponent(pg.caFile)}`
    const r = await runInLab({
      ...DEAD_IPV6_LAB,
      script,
      args: [
        JSON.stringify({
          peers: [{host: '192.0.2.10', relay: sock}],
          args: ['check', '--json', '--timeout', String(timeout), url],
        }),
      ],
      env: cleanEnv(),
      timeoutMs: 60_000,
    })
    const run = lastJsonLine<{code: number; stdout: string; stderr: string}>(r.stdout)
    expect(run.stdout + run.stderr + r.stderr).not.toContain(CANARY_PASSWORD)
    const report = JSON.parse(run.stdout) as Report
    const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]))
    expect(byId.tcp).toMatchObject({status: 'warn', code: 'TCP_IPV6_FAILED'})
    expect(byId.postgres.status).toBe('pass')
    expect(byId.tls.status).toBe('pass')
    expect(byId.auth.status, JSON.stringify(byId.auth)).toBe('pass')
    expect(JSON.stringify(byId.auth.evidence)).toMatch(/TLSv1\.[23]/)
    expect(run.code).toBe(0)
    expect(report.summary.verdict).toBe('degraded')
  })
})
