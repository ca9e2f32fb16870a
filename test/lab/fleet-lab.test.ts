// `check --all-envs` in the fault lab: a knexfile with three environments — healthy (the
// real test PostgreSQL, relayed to 127.0.0.1:5432 inside the namespace: TLS verified, SCRAM),
// a wrong password (same server) and a blackholed address (SYNs dropped) — checked in one
// concurrent run. One report, a section per target, exit 1, no password anywhere.
import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {cleanEnv} from '../helpers/cli.js'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD} from '../helpers/constants.js'
import {labSupport, lastJsonLine, runInLab} from './netns.js'

const lab = labSupport()
if (!lab.ok) console.warn(`[fault lab skipped] ${lab.reason}`)
const built = existsSync(fileURLToPath(new URL('../../dist/bundle/cli.js', import.meta.url)))
const script = fileURLToPath(new URL('./cli-in-lab.mjs', import.meta.url))
const pg = inject('pg')
const WRONG = 'wrong-fleet-' + 'pw-41'

describe.skipIf(!lab.ok || !built)('many targets in one concurrent run (fault lab)', () => {
  let relay: net.Server
  let dir: string
  let sock: string

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dbd-fleet-'))
    sock = path.join(dir, 'pg.sock')
    mkdirSync(path.join(dir, 'migrations')) // knex's default folder: without it migrate:latest fails (MIGRATION_DIRECTORY_MISSING)
    relay = net.createServer((s) => {
      const upstream = net.connect(pg.port, pg.host)
      s.on('error', () => upstream.destroy())
      upstream.on('error', () => s.destroy())
      s.pipe(upstream).pipe(s)
    })
    await new Promise<void>((resolve) => relay.listen(sock, resolve))
    const tls = `sslmode=verify-full&sslrootcert=${encodeURIComponent(pg.caFile)}`
    const conn = (password: string, host: string) =>
      `postgres://${APP_USER}:${password}@${host}:5432/${APP_DATABASE}?${tls}`
    writeFileSync(
      path.join(dir, 'knexfile.cjs'),
      `module.exports = {
  production: {client: 'pg', connection: ${JSON.stringify(conn(CANARY_PASSWORD, '127.0.0.1'))}},
  staging: {client: 'pg', connection: ${JSON.stringify(conn(WRONG, '127.0.0.1'))}},
  legacy: {client: 'pg', connection: ${JSON.stringify(conn(CANARY_PASSWORD, '192.0.2.20'))}},
}
`,
    )
  })

  afterAll(() => {
    relay?.close()
    if (dir) rmSync(dir, {recursive: true, force: true})
  })

  async function run(format: string) {
    const r = await runInLab({
      addresses: ['192.0.2.10/24'],
      blackhole: ['192.0.2.20'],
      script,
      cwd: dir,
      args: [
        JSON.stringify({
          peers: [{host: '127.0.0.1', port: 5432, relay: sock}],
          args: ['check', '--all-envs', '--timeout', '2000', '--format', format],
        }),
      ],
      env: cleanEnv(),
      timeoutMs: 60_000,
    })
    const out = lastJsonLine<{code: number; stdout: string; stderr: string}>(r.stdout)
    for (const secret of [CANARY_PASSWORD, WRONG]) expect(out.stdout + out.stderr).not.toContain(secret)
    return out
  }

  it('--all-envs: one report with a healthy, a wrong-password and a blackholed environment; exit 1', async () => {
    const out = await run('json')
    expect(out.code, out.stderr).toBe(1)
    const doc = JSON.parse(out.stdout)
    expect(doc.version).toBe(1)
    expect(doc.tool).toMatch(/^db-doctor@/)
    expect(doc.reports.map((r: {name: string}) => r.name)).toEqual(['production', 'staging', 'legacy'])
    const byName = Object.fromEntries(doc.reports.map((r: any) => [r.name, r]))
    const code = (name: string, id: string) => byName[name].checks.find((c: {id: string}) => c.id === id)
    // Each entry is the single-target report as it is, plus its name.
    expect(Object.keys(byName.production).sort()).toEqual([
      'checks',
      'modelled',
      'name',
      'summary',
      'target',
      'tool',
      'version',
    ])
    expect(code('production', 'auth').status).toBe('pass')
    expect(byName.production.summary.verdict).not.toBe('failing')
    expect(code('staging', 'auth').code).toBe('AUTH_PASSWORD_FAILED')
    expect(code('legacy', 'tcp').code).toBe('TCP_TIMEOUT')
    expect(byName.legacy.target.host).toBe('192.0.2.20')
    expect(doc.summary).toMatchObject({targets: 3, failing: 2, verdict: 'failing'})
    expect(doc.summary.healthy + doc.summary.degraded).toBe(1)
  })

  it('text: a section per environment and one overall line', async () => {
    const out = await run('text')
    expect(out.code).toBe(1)
    for (const name of ['production', 'staging', 'legacy']) expect(out.stdout).toMatch(new RegExp(`^━━ ${name} ━`, 'm'))
    expect(out.stdout).toContain('AUTH_PASSWORD_FAILED')
    expect(out.stdout).toContain('TCP_TIMEOUT')
    expect(out.stdout.trim().split('\n').at(-1)).toMatch(/^3 targets: [01] healthy, [01] degraded, 2 failing: failing$/)
  })
})
