// The config check through the built CLI, as users and CI run it.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {checkOf, cleanEnv, reportOf, runCli, type CliResult} from '../helpers/cli.js'
import {CANARY_PASSWORD, CANARY_SPECIAL} from '../helpers/constants.js'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, {recursive: true, force: true})
})
function folder(files: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbd-cli-config-'))
  dirs.push(dir)
  for (const [n, c] of Object.entries(files)) fs.writeFileSync(path.join(dir, n), c)
  return dir
}

function noCanary(r: CliResult, canary: string) {
  for (const out of [r.stdout, r.stderr]) {
    expect(out).not.toContain(canary)
    expect(out).not.toContain(encodeURIComponent(canary))
  }
}

describe('db-doctor check --only config', () => {
  it('an unencoded password in the argument: exit 1, CONFIG_PASSWORD_NOT_ENCODED, no canary anywhere', async () => {
    const url = `postgresql://special:${CANARY_SPECIAL}@127.0.0.1:5432/appdb`
    const r = await runCli(['check', url, '--only', 'config', '--json'], {cwd: folder(), env: cleanEnv()})
    expect(r.code, r.stderr).toBe(1)
    const config = checkOf(reportOf(r), 'config')
    expect(config.status).toBe('fail')
    expect(config.code).toBe('CONFIG_PASSWORD_NOT_ENCODED')
    expect(config.fix.snippet.code).toContain('postgresql://special:****@127.0.0.1:5432/appdb')
    noCanary(r, CANARY_SPECIAL)
    const text = await runCli(['check', url, '--only', 'config'], {cwd: folder(), env: cleanEnv()})
    expect(text.code).toBe(1)
    expect(text.stdout).toContain('CONFIG_PASSWORD_NOT_ENCODED')
    noCanary(text, CANARY_SPECIAL)
  })

  it('an unquoted DATABASE_URL in .env cut by dotenv at "#": points at .env, no canary', async () => {
    const cwd = folder({'.env': `DATABASE_URL=postgresql://special:${CANARY_SPECIAL}@127.0.0.1:5432/appdb\n`})
    const r = await runCli(['check', '--only', 'config', '--json'], {cwd, env: cleanEnv()})
    expect(r.code, r.stderr).toBe(1)
    const config = checkOf(reportOf(r), 'config')
    expect(config.code).toBe('CONFIG_PASSWORD_NOT_ENCODED')
    expect(config.fix.summary).toBe('Percent-encode the password in DATABASE_URL in .env.')
    expect(config.fix.steps[0]).toMatch(/Quote the value in \.env/)
    noCanary(r, CANARY_SPECIAL)
  })

  it('an unquoted .env URL cut by dotenv inside the password: no part of it in any format', async () => {
    // what dotenv leaves, "postgres://app:<canary>", reads as host "app" and port "<canary>"
    const cwd = folder({'.env': `DATABASE_URL=postgres://app:${CANARY_PASSWORD}#rest@127.0.0.1:5432/appdb\n`})
    for (const format of [['--json'], ['--format', 'markdown'], [], ['--verbose']]) {
      const r = await runCli(['check', ...format], {cwd, env: cleanEnv()})
      expect(r.code, r.stderr).toBe(1)
      expect(r.stdout).toContain('CONFIG_PASSWORD_NOT_ENCODED')
      noCanary(r, CANARY_PASSWORD)
    }
  })

  it('a correct DATABASE_URL: pass, exit 0, sources in the report target, no canary', async () => {
    const cwd = folder({
      '.env': `DATABASE_URL=postgres://app:${CANARY_PASSWORD}@127.0.0.1:5432/appdb?sslmode=disable\n`,
    })
    const r = await runCli(['check', '--only', 'config', '--json'], {cwd, env: cleanEnv()})
    expect(r.code, r.stderr).toBe(0)
    const report = reportOf(r)
    expect(checkOf(report, 'config').status).toBe('pass')
    expect(report.target).toMatchObject({host: '127.0.0.1', port: 5432, database: 'appdb', user: 'app'})
    noCanary(r, CANARY_PASSWORD)
  })

  it('nothing configured: CONFIG_NOT_FOUND warning, exit 0 (1 with --strict)', async () => {
    const cwd = folder()
    const r = await runCli(['check', '--only', 'config', '--json'], {cwd, env: cleanEnv()})
    expect(r.code, r.stderr).toBe(0)
    expect(checkOf(reportOf(r), 'config')).toMatchObject({status: 'warn', code: 'CONFIG_NOT_FOUND'})
    const strict = await runCli(['check', '--only', 'config', '--json', '--strict'], {cwd, env: cleanEnv()})
    expect(strict.code).toBe(1)
  })

  it('an invalid sslmode in PGSSLMODE: CONFIG_SSLMODE_INVALID naming the variable', async () => {
    const r = await runCli(['check', '--only', 'config', '--json'], {
      cwd: folder(),
      env: cleanEnv({PGHOST: '127.0.0.1', PGSSLMODE: 'required'}),
    })
    expect(r.code, r.stderr).toBe(1)
    const config = checkOf(reportOf(r), 'config')
    expect(config.code).toBe('CONFIG_SSLMODE_INVALID')
    expect(config.summary).toContain('PGSSLMODE (environment)')
  })
})
