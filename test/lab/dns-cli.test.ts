// End to end: the built CLI inside a namespace whose only resolver is the
// fault-lab DNS server on 127.0.0.53, with the URL in a .env file.
import {existsSync, mkdtempSync, readFileSync} from 'node:fs'
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
const TIMEOUT = 1000
/**
 * Node start-up, the bundle, config and the checks before dns, on a loaded 2-core machine (seconds while several people
 * run suites). The property is "no wait for getaddrinfo", which glibc here holds for 30 s: far outside this.
 */
const STARTUP_ALLOWANCE = 10_000

/** The CLI in the lab: the JSON report on stdout, and the text and Markdown reports through --output. */
async function cli(host: string, timeout: number) {
  const cwd = mkdtempSync(join(tmpdir(), 'dbd-dns-cli-'))
  const outputs = ['--output', `text=${join(cwd, 'report.txt')}`, '--output', `markdown=${join(cwd, 'report.md')}`]
  const r = await runInLab({
    addresses: ['192.0.2.1/24'],
    resolvConf: 'nameserver 127.0.0.53\noptions timeout:30 attempts:1\n',
    script,
    args: [
      JSON.stringify({
        dns: {host: '127.0.0.53', port: 53, zone: {'db.silent.test': {silent: true}}},
        cwd,
        files: {'.env': `DATABASE_URL=postgres://app:${PASSWORD}@${host}:5432/app\n`},
        args: ['check', '--json', ...outputs, '--only', 'config,dns,docker', '--timeout', String(timeout)],
      }),
    ],
    env: cleanEnv(),
    timeoutMs: 60_000,
  })
  const run = lastJsonLine<{code: number; stdout: string; stderr: string; reportMs: number; exitMs: number}>(r.stdout)
  expect(run.stdout + run.stderr).not.toContain(PASSWORD)
  const files = {
    text: readFileSync(join(cwd, 'report.txt'), 'utf8'),
    markdown: readFileSync(join(cwd, 'report.md'), 'utf8'),
  }
  for (const text of Object.values(files)) expect(text).not.toContain(PASSWORD)
  const report = JSON.parse(run.stdout) as Report
  return {run, report, dns: report.checks.find((c) => c.id === 'dns')!, files}
}

/** One run for the unknown name, read by the JSON test and the text and Markdown one. */
let typo: ReturnType<typeof cli> | undefined
const typoRun = () => (typo ??= cli('typo.lab.test', TIMEOUT))

describe.skipIf(!lab.ok || !built)('db-doctor check: name resolution in the fault lab', () => {
  it('DNS_NOT_FOUND points at DATABASE_URL in .env', async () => {
    const {run, dns} = await typoRun()
    expect(run.code).not.toBe(0)
    expect(dns).toMatchObject({status: 'fail', code: 'DNS_NOT_FOUND'})
    expect(dns.summary).toContain('DATABASE_URL in .env')
    expect(dns.fix?.summary).toContain('DATABASE_URL in .env')
  })

  it('DNS_TIMEOUT arrives at --timeout, not after two budgets or when getaddrinfo gives up (30 s)', async () => {
    // a 2 s budget: the check's own clock gets 1.5 s of slack for a loaded machine and still tells one budget (the
    // queries and the lookup run side by side) from two (one after the other)
    const budget = 2000
    const {run, dns} = await cli('db.silent.test', budget)
    expect(dns).toMatchObject({status: 'fail', code: 'DNS_TIMEOUT'})
    expect(dns.durationMs).toBeLessThan(budget + 1500)
    // the report is printed in time (the process then exits: test/lab/dns-exit.test.ts)
    expect(run.reportMs).toBeLessThan(budget + STARTUP_ALLOWANCE)
  })

  it('DNS_NOT_FOUND in text and Markdown too, with the fix and no password', async () => {
    const {run, files} = await typoRun()
    expect(run.code).toBe(1)
    for (const format of ['text', 'markdown'] as const) {
      expect(files[format]).toContain('DNS_NOT_FOUND')
      expect(files[format]).toContain('DATABASE_URL in .env')
      expect(files[format]).toMatch(format === 'text' ? /Fix: / : /\*\*Fix:\*\*/)
    }
  })
})
