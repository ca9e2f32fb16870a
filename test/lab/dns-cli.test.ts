// End to end: the built CLI inside a namespace whose only resolver is the
// fault-lab DNS server on 127.0.0.53, with the URL in a .env file.
import {existsSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import type {Report} from '../../src/core/types.js'
import {cleanEnv} from '../helpers/cli.js'
import {labSupport, lastJsonLine, runInLab} from './netns.js'

const lab = labSupport()
if (!lab.ok) console.warn(`[dns cli lab skipped] ${lab.reason}`)
const built = existsSync(fileURLToPath(new URL('../../dist/commands/check.js', import.meta.url)))
if (!built) console.warn('[dns cli lab skipped] dist/ is not built: run npm run build')
const script = fileURLToPath(new URL('./dns-cli-in-lab.mjs', import.meta.url))
const PASSWORD = 'dns-lab-s3cret'

async function cli(host: string, timeout: number, format: 'json' | 'text' | 'markdown' = 'json') {
  const cwd = mkdtempSync(join(tmpdir(), 'dbd-dns-cli-'))
  const r = await runInLab({
    addresses: ['192.0.2.1/24'],
    resolvConf: 'nameserver 127.0.0.53\noptions timeout:2 attempts:1\n',
    script,
    args: [
      JSON.stringify({
        dns: {host: '127.0.0.53', port: 53, zone: {'db.silent.test': {silent: true}}},
        cwd,
        files: {'.env': `DATABASE_URL=postgres://app:${PASSWORD}@${host}:5432/app\n`},
        args: ['check', '--format', format, '--only', 'config,dns,docker', '--timeout', String(timeout)],
      }),
    ],
    env: cleanEnv(),
    timeoutMs: 30_000,
  })
  const run = lastJsonLine<{code: number; stdout: string; stderr: string; reportMs: number; exitMs: number}>(r.stdout)
  expect(run.stdout + run.stderr).not.toContain(PASSWORD)
  if (format !== 'json')
    return {run, report: undefined as unknown as Report, dns: undefined as unknown as Report['checks'][number]}
  const report = JSON.parse(run.stdout) as Report
  return {run, report, dns: report.checks.find((c) => c.id === 'dns')!}
}

describe.skipIf(!lab.ok || !built)('db-doctor check: name resolution in the fault lab', () => {
  it('DNS_NOT_FOUND points at DATABASE_URL in .env', async () => {
    const {run, dns} = await cli('typo.lab.test', 1000)
    expect(run.code).not.toBe(0)
    expect(dns).toMatchObject({status: 'fail', code: 'DNS_NOT_FOUND'})
    expect(dns.summary).toContain('DATABASE_URL in .env')
    expect(dns.fix?.summary).toContain('DATABASE_URL in .env')
  })

  it('DNS_TIMEOUT arrives within --timeout + 1 s', async () => {
    const {run, dns} = await cli('db.silent.test', 1000)
    expect(dns).toMatchObject({status: 'fail', code: 'DNS_TIMEOUT'})
    expect(dns.durationMs).toBeLessThan(2000)
    // the report is printed in time; run.exitMs shows how long getaddrinfo still holds the process
    expect(run.reportMs).toBeLessThan(4000)
  })

  it('DNS_NOT_FOUND in text and Markdown too, with the fix and no password', async () => {
    for (const format of ['text', 'markdown'] as const) {
      const {run} = await cli('typo.lab.test', 1000, format)
      expect(run.code).toBe(1)
      expect(run.stdout).toContain('DNS_NOT_FOUND')
      expect(run.stdout).toContain('DATABASE_URL in .env')
      expect(run.stdout).toMatch(format === 'text' ? /Fix: / : /\*\*Fix:\*\*/)
    }
  })
})
