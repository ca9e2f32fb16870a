// Special files as env files: /dev/zero, a FIFO nobody writes to, a directory, a huge (sparse)
// file. `--env-file X` and a `.env` of that kind both end in exit 2 with one line, at once:
// only regular files up to MAX_TEXT_FILE_BYTES are read, FIFOs are opened without blocking.
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {MAX_TEXT_FILE_BYTES} from '../../src/config/files.js'
import {runCli} from '../helpers/cli.js'

const root = mkdtempSync(join(tmpdir(), 'dbd-special-'))
afterAll(() => rmSync(root, {recursive: true, force: true}))

function special(kind: string): string {
  const p = join(root, `${kind}-${Math.random().toString(36).slice(2)}`)
  if (kind === 'fifo') execFileSync('mkfifo', [p])
  else if (kind === 'directory') mkdirSync(p)
  else if (kind === 'huge') {
    writeFileSync(p, 'DATABASE_URL=postgres://u@127.0.0.1:1/db\n')
    truncateSync(p, 8 * 1024 * 1024 * 1024) // sparse: 8 GiB that take no disk
  } else if (kind === 'zero') symlinkSync('/dev/zero', p)
  return p
}

// The budget is 2 s of db-doctor's own time; the bound adds room for a loaded 2-core machine.
const BOUND_MS = 6000

describe('special files as env files: exit 2, one line, no wait', () => {
  const reasons: Record<string, RegExp> = {
    zero: /character device, not a regular file/,
    fifo: /FIFO/,
    directory: /directory/,
    huge: /larger than 1 MiB/,
  }
  for (const kind of Object.keys(reasons)) {
    it(`--env-file <${kind}>`, async () => {
      const file = kind === 'zero' ? '/dev/zero' : special(kind)
      const r = await runCli(['check', '--only', 'config', '--env-file', file], {timeoutMs: 30_000})
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(r.stderr).toMatch(reasons[kind]!)
      expect(r.stderr).not.toMatch(/\bat .+:\d+:\d+/)
      expect(r.stdout).toBe('')
      expect(r.ms).toBeLessThan(BOUND_MS)
    })

    it(`a default .env that is ${kind}`, async () => {
      const cwd = mkdtempSync(join(root, 'app-'))
      const target = special(kind)
      rmSync(join(cwd, '.env'), {force: true})
      symlinkSync(target, join(cwd, '.env'))
      const r = await runCli(['check', '--only', 'config'], {cwd, timeoutMs: 30_000})
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(r.stderr).toContain('.env')
      expect(r.ms).toBeLessThan(BOUND_MS)
    })
  }

  it('--env-file /dev/null still means "no env file" (documented), and a 1 MiB file is still read', async () => {
    const r = await runCli(['check', '--only', 'config', '--json', '--env-file', '/dev/null', 'postgres://u@127.0.0.1:1/db'])
    expect(r.code, r.stderr).toBe(0)
    const big = join(root, 'big.env')
    writeFileSync(big, `DATABASE_URL=postgres://u@127.0.0.1:1/bigdb\n# ${'x'.repeat(MAX_TEXT_FILE_BYTES - 100)}\n`)
    const b = await runCli(['check', '--only', 'config', '--json', '--env-file', big])
    expect(b.code, b.stderr).toBe(0)
    expect(JSON.parse(b.stdout).target.database).toBe('bigdb')
  })
})
