// End to end: the built CLI inside a namespace with a dead IPv6 address.
import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import type {Report} from '../../src/core/types.js'
import {cleanEnv} from '../helpers/cli.js'
import {DEAD_IPV6_LAB, labSupport, lastJsonLine, runInLab} from './netns.js'

const lab = labSupport()
if (!lab.ok) console.warn(`[fault lab skipped] ${lab.reason}`)
const built = existsSync(fileURLToPath(new URL('../../dist/commands/check.js', import.meta.url)))
if (!built) console.warn('[cli lab skipped] dist/ is not built: run npm run build')
const script = fileURLToPath(new URL('./cli-in-lab.mjs', import.meta.url))
const PASSWORD = 's3cret-lab-pw'

/** The dead-IPv6 story: the built CLI in the lab, a Postgres-like peer on the IPv4 address. */
async function story(format: 'json' | 'text' | 'markdown', timeout: number) {
  const r = await runInLab({
    ...DEAD_IPV6_LAB,
    script,
    args: [
      JSON.stringify({
        peers: [{host: '192.0.2.10'}],
        args: [
          'check',
          '--format',
          format,
          '--only',
          'dns,tcp,postgres',
          '--timeout',
          String(timeout),
          `postgres://lab:${PASSWORD}@db.lab.test:5432/app`,
        ],
      }),
    ],
    env: cleanEnv(),
    timeoutMs: 30_000,
  })
  const run = lastJsonLine<{code: number; stdout: string; stderr: string}>(r.stdout)
  expect(run.stdout + run.stderr).not.toContain(PASSWORD)
  return run
}

describe.skipIf(!lab.ok || !built)('db-doctor check in the fault lab', () => {
  it('reports TCP_IPV6_FAILED with the Node prediction, then Postgres on IPv4, within --timeout + 1 s per step', async () => {
    const timeout = 1000
    const run = await story('json', timeout)
    const report = JSON.parse(run.stdout) as Report
    const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]))
    expect(byId.tcp).toMatchObject({status: 'warn', code: 'TCP_IPV6_FAILED'})
    expect(byId.tcp.durationMs).toBeLessThan(timeout + 1000)
    expect(byId.tcp.summary).toContain('connects to 192.0.2.10')
    expect(byId.postgres).toMatchObject({status: 'pass'})
    expect(report.summary.verdict).toBe('degraded')
  })

  it('the same story in text and Markdown: code, Node/psql explanation and fix, no password', async () => {
    for (const format of ['text', 'markdown'] as const) {
      const run = await story(format, 1000)
      expect(run.code).toBe(0)
      expect(run.stdout).toContain('TCP_IPV6_FAILED')
      expect(run.stdout).toContain('connects to 192.0.2.10')
      expect(run.stdout).toContain('--dns-result-order=ipv4first')
    }
  })
})
