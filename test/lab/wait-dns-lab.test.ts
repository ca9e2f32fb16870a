// `db-doctor wait` must end at its deadline even while a name lookup is stuck: in a
// namespace whose only nameserver never answers (glibc would keep retrying for 2 × 30 s), the
// first attempt is still resolving when the deadline passes, and the process exits at once.
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {cleanEnv} from '../helpers/cli.js'
import {labSupport, lastJsonLine, runInLab} from './netns.js'

const lab = labSupport()
if (!lab.ok) console.warn(`[wait dns lab skipped] ${lab.reason}`)
const built = existsSync(fileURLToPath(new URL('../../dist/bundle/cli.js', import.meta.url)))
const script = fileURLToPath(new URL('./dns-cli-in-lab.mjs', import.meta.url))
const PASSWORD = 'wait-dns-s3cret'

describe.skipIf(!lab.ok || !built)('db-doctor wait with a stuck name lookup (fault lab)', () => {
  it('the deadline ends it promptly although getaddrinfo is still waiting for a silent nameserver', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'dbd-wait-dns-'))
    try {
      const r = await runInLab({
        addresses: ['192.0.2.1/24'],
        resolvConf: 'nameserver 127.0.0.53\noptions timeout:30 attempts:2\n',
        script,
        args: [
          JSON.stringify({
            dns: {host: '127.0.0.53', port: 53, zone: {'db.silent.test': {silent: true}}},
            cwd,
            args: [
              'wait',
              `postgres://app:${PASSWORD}@db.silent.test:5432/app`,
              '--deadline',
              '2',
              '--timeout',
              '60000',
              '--json',
            ],
          }),
        ],
        env: cleanEnv(),
        timeoutMs: 90_000,
      })
      const run = lastJsonLine<{code: number; stdout: string; stderr: string; exitMs: number}>(r.stdout)
      expect(run.stdout + run.stderr).not.toContain(PASSWORD)
      expect(run.code, run.stderr).toBe(1)
      expect(run.stderr).toContain('db-doctor wait: deadline of 2 s passed')
      // The 2 s deadline plus Node start-up on a loaded 2-core machine: far below glibc's 60 s and the 60 s step budget.
      expect(run.exitMs).toBeLessThan(15_000)
    } finally {
      rmSync(cwd, {recursive: true, force: true})
    }
  }, 120_000)
})
