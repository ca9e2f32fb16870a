// The soak bench (scripts/soak-serve.ts, `npm run soak`: 10,000 probes, RSS reported) in small: a few dozen
// full probes of the built CLI's `serve` against the shared test server, every answer right, no password
// in any body, serve's exit 0 on SIGTERM. RSS is reported by the bench, not asserted here (never a timed
// or measured test in CI beyond a loose bound).
import {existsSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, inject, it} from 'vitest'
import {ROOT} from '../helpers/cli.js'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD} from '../helpers/constants.js'

const built = existsSync(path.join(ROOT, 'dist', 'bundle', 'cli.js'))
const pg = inject('pg')

describe.skipIf(!built)('serve under a loop of probes (the soak bench, small)', () => {
  it('12 probes, 4 at a time: every answer right, nothing leaked, graceful exit', async () => {
    Object.assign(process.env, {
      SOAK_PROBES: '12',
      SOAK_SAMPLE: '4',
      SOAK_MAX_GROWTH_MB: '200',
      SOAK_URL: `postgres://${APP_USER}:${CANARY_PASSWORD}@${pg.host}:${pg.port}/${APP_DATABASE}`,
      SOAK_CA_FILE: pg.caFile,
    })
    const lines: string[] = []
    const log = console.log
    console.log = (...a: unknown[]) => void lines.push(a.join(' '))
    try {
      const {soak} = await import('../../scripts/soak-serve.js')
      const code = await soak()
      expect(code, lines.join('\n')).toBe(0)
    } finally {
      console.log = log
    }
    expect(lines.join('\n')).toMatch(
      /wrong answers 0 \(of which timed out 0\), bodies with a password 0, serve exit after SIGTERM 0/,
    )
    expect(lines.join('\n')).not.toContain(CANARY_PASSWORD)
  }, 120_000)
})
