// SIGTERM while probes are in flight: the built CLI's `serve` stops accepting, gives running probes
// --shutdown-grace, then cancels the rest (their scrapes answered 503), and exits 0 within the grace
// period, leaving nothing behind: not the sockets of a probe stuck on a target that accepts and never
// answers (a blackholed or hung server would keep it for its 30 s budget), not the child evaluating a
// knexfile that loops forever. Real: the shared test PostgreSQL, a loopback listener that never
// answers, a knexfile run by serve's own app-file child.
import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, inject, it} from 'vitest'
import {BIN, cleanEnv, ROOT} from '../helpers/cli.js'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD} from '../helpers/constants.js'

const built = existsSync(path.join(ROOT, 'dist', 'bundle', 'cli.js'))
const pg = inject('pg')
const GRACE_MS = 1000

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe.skipIf(!built)('serve: SIGTERM with probes in flight', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dbd-serve-stop-'))
  const sockets = new Set<net.Socket>()
  const silent = net.createServer((s) => {
    sockets.add(s)
    s.resume() // reads what the probe sends (its SSLRequest) and never answers: 'close' comes with serve's end
    s.on('error', () => {})
    s.on('close', () => sockets.delete(s))
  })
  afterAll(() => {
    silent.close()
    for (const s of sockets) s.destroy()
    rmSync(dir, {recursive: true, force: true})
  })

  it('cancels them at the end of the grace period, answers their scrapes 503 and exits 0, leaving nothing', async () => {
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
    const silentPort = (silent.address() as net.AddressInfo).port
    mkdirSync(path.join(dir, 'migrations'))
    // the knexfile loops forever (in serve's app-file child) once the file `hang` exists
    writeFileSync(
      path.join(dir, 'knexfile.js'),
      `const fs = require('fs')
if (fs.existsSync(__dirname + '/hang')) { fs.writeFileSync(__dirname + '/pid-' + process.pid, ''); for (;;) {} }
module.exports = {ok: {client: 'pg', connection: process.env.OK_URL}, silent: {client: 'pg', connection: process.env.SILENT_URL}}
`,
    )
    const tls = `sslmode=verify-full&sslrootcert=${encodeURIComponent(pg.caFile)}`
    const child = spawn(
      process.execPath,
      [
        '--',
        BIN,
        'serve',
        '--all-envs',
        '--listen',
        '127.0.0.1:0',
        '--min-interval',
        '0',
        '--timeout',
        '30000',
        '--probe-timeout',
        '60000',
        '--shutdown-grace',
        String(GRACE_MS),
      ],
      {
        cwd: dir,
        env: cleanEnv({
          OK_URL: `postgres://${APP_USER}:${CANARY_PASSWORD}@${pg.host}:${pg.port}/${APP_DATABASE}?${tls}`,
          SILENT_URL: `postgres://${APP_USER}:${CANARY_PASSWORD}@127.0.0.1:${silentPort}/${APP_DATABASE}?sslmode=require`,
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let stderr = ''
    let stdout = ''
    child.stdout.on('data', (d) => (stdout += d))
    const exited = new Promise<{code: number | null; signal: string | null; at: number}>((resolve) =>
      child.on('close', (code, signal) => resolve({code, signal, at: Date.now()})),
    )
    try {
      const port = await new Promise<number>((resolve, reject) => {
        child.stderr.on('data', (d) => {
          stderr += d
          const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr)
          if (m) resolve(Number(m[1]))
        })
        void exited.then(() => reject(new Error(`serve exited: ${stderr}`)))
      })
      const base = `http://127.0.0.1:${port}`
      const probe = (target: string) =>
        fetch(`${base}/probe?target=${target}`).then(
          async (r) => ({status: r.status, body: await r.text()}),
          (error: Error) => ({status: 0, body: error.message}),
        )

      // serve works: the healthy environment is healthy
      const first = await probe('ok')
      expect(first.status).toBe(200)
      expect(first.body).toMatch(/^db_doctor_probe_success 1$/m)

      // in flight: a probe stuck on a server that accepts and never answers, and one whose knexfile loops
      const stuck = probe('silent')
      for (let i = 0; i < 300 && sockets.size === 0; i++) await new Promise((r) => setTimeout(r, 100))
      expect(sockets.size).toBeGreaterThan(0)
      writeFileSync(path.join(dir, 'hang'), '')
      const looping = probe('ok')
      const pidOf = () => readdirSync(dir).find((f) => f.startsWith('pid-'))
      for (let i = 0; i < 300 && !pidOf(); i++) await new Promise((r) => setTimeout(r, 100))
      const pid = Number(pidOf()?.slice(4))
      expect(pid).toBeGreaterThan(0)
      expect(alive(pid)).toBe(true)
      const metrics = await (await fetch(`${base}/metrics`)).text()
      expect(metrics).toMatch(/^db_doctor_probes_in_flight 2$/m)

      const signalled = Date.now()
      child.kill('SIGTERM')
      const [end, a, b] = await Promise.all([exited, stuck, looping])
      expect({code: end.code, signal: end.signal}, stderr).toEqual({code: 0, signal: null})
      // within the grace period (plus start-up noise on a loaded machine), not the probes' 30 s budgets
      expect(end.at - signalled).toBeLessThan(GRACE_MS + 8000)
      for (const r of [a, b]) {
        expect(r.status).toBe(503)
        expect(r.body).toMatch(/shutting down: the probe was cancelled/)
      }
      expect(stderr).toMatch(/SIGTERM, finishing 2 running probes/)
      expect(stderr).toMatch(/: 2 probes cancelled at the end of the grace period/)
      // nothing left: the stuck probe's connection is closed, the looping knexfile's child is gone
      for (let i = 0; i < 50 && (sockets.size > 0 || alive(pid)); i++) await new Promise((r) => setTimeout(r, 100))
      expect(sockets.size).toBe(0)
      expect(alive(pid)).toBe(false)
      expect(stdout + stderr).not.toContain(CANARY_PASSWORD)
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    }
  }, 90_000)
})
