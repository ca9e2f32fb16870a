// Special files as env files: /dev/zero, a FIFO nobody writes to, a directory, a huge (sparse)
// file. `--env-file X` and a `.env` of that kind both end in exit 2 with one line, at once:
// only regular files up to MAX_TEXT_FILE_BYTES are read, FIFOs are opened without blocking.
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {MAX_TEXT_FILE_BYTES} from '../../src/core/files.js'
import {runCli, type CliResult} from '../helpers/cli.js'

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

// The budget is 2 s of db-doctor's own time. The bound adds the time the same run takes with a regular input,
// measured here and now (a loaded 2-core machine takes seconds to start Node, a quiet one 0.2 s), three times over,
// and is never below 6 s. What it catches does not end: a FIFO nobody writes to, /dev/zero read to its end, 8 GiB.
const BUDGET_MS = 2000
let baseline: CliResult
let baselineMs = 0
beforeAll(async () => {
  // the regular run: --env-file /dev/null means "no env file" (asserted below)
  baseline = await runCli([
    'check',
    '--only',
    'config',
    '--json',
    '--env-file',
    '/dev/null',
    'postgres://u@127.0.0.1:1/db',
  ])
  baselineMs = baseline.ms
})
/** One run with a special file: the budget plus a regular run's time (three times over), at least 6 s. */
const bound = (): number => Math.max(6000, BUDGET_MS + 3 * baselineMs)

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
      expect(r.ms).toBeLessThan(bound())
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
      expect(r.ms).toBeLessThan(bound())
    })
  }

  it('--env-file /dev/null still means "no env file" (documented), and a 1 MiB file is still read', async () => {
    const r = baseline // check --only config --json --env-file /dev/null postgres://u@127.0.0.1:1/db
    expect(r.code, r.stderr).toBe(0)
    const big = join(root, 'big.env')
    writeFileSync(big, `DATABASE_URL=postgres://u@127.0.0.1:1/bigdb\n# ${'x'.repeat(MAX_TEXT_FILE_BYTES - 100)}\n`)
    const b = await runCli(['check', '--only', 'config', '--json', '--env-file', big])
    expect(b.code, b.stderr).toBe(0)
    expect(JSON.parse(b.stdout).target.database).toBe('bigdb')
  })
})

// Every other file input goes through the same guarded opener (src/core/files.ts): a FIFO or
// /dev/zero is a usage error (exit 2) naming the file, at once; nothing blocks on a FIFO, nothing
// reads /dev/zero, and a knexfile of that kind is never handed to the child that runs app code.
describe('special files as every other input: exit 2 naming the file, within the budget', () => {
  // many runs at once (each case of a kind together): at least 20 s, or each of them a regular run's time after the other
  const boundFor = (runs: number): number => Math.max(20_000, BUDGET_MS + runs * baselineMs)
  const URL = 'postgres://u@127.0.0.1:1/db'

  interface Case {
    name: string
    run: (file: string) => {args: string[]; cwd?: string; env?: Record<string, string>}
  }
  const app = (files: Record<string, string | {link: string}>) => {
    const cwd = mkdtempSync(join(root, 'app-'))
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(join(cwd, name, '..'), {recursive: true})
      if (typeof content === 'string') writeFileSync(join(cwd, name), content)
      else symlinkSync(content.link, join(cwd, name))
    }
    return cwd
  }
  const cases: Case[] = [
    {name: '--knexfile', run: (f) => ({args: ['--only', 'config', '--knexfile', f]})},
    {
      name: 'knexfile.js in the working folder',
      run: (f) => ({args: ['--only', 'config'], cwd: app({'knexfile.js': {link: f}})}),
    },
    {name: 'package.json', run: (f) => ({args: ['--only', 'config', URL], cwd: app({'package.json': {link: f}})})},
    {
      name: 'prisma/schema.prisma',
      run: (f) => ({args: ['--only', 'config'], cwd: app({'prisma/schema.prisma': {link: f}})}),
    },
    {name: 'prisma.config.ts', run: (f) => ({args: ['--only', 'config'], cwd: app({'prisma.config.ts': {link: f}})})},
    {
      name: 'drizzle.config.ts',
      run: (f) => ({args: ['--only', 'config', URL], cwd: app({'drizzle.config.ts': {link: f}})}),
    },
    {name: 'data-source.ts', run: (f) => ({args: ['--only', 'config', URL], cwd: app({'data-source.ts': {link: f}})})},
    {name: '.sequelizerc', run: (f) => ({args: ['--only', 'config', URL], cwd: app({'.sequelizerc': {link: f}})})},
    {
      name: 'config/config.js',
      run: (f) => ({
        args: ['--only', 'config', URL],
        cwd: app({
          'package.json': JSON.stringify({scripts: {m: 'sequelize-cli db:migrate'}}),
          'config/config.js': {link: f},
        }),
      }),
    },
    {name: 'sslrootcert', run: (f) => ({args: ['--only', 'config', `${URL}?sslmode=verify-full&sslrootcert=${f}`]})},
    {name: 'sslcert', run: (f) => ({args: ['--only', 'config', `${URL}?sslcert=${f}&sslkey=/nonexistent`]})},
    {name: 'sslkey', run: (f) => ({args: ['--only', 'config', `${URL}?sslkey=${f}`]})},
    {name: 'PGSSLROOTCERT', run: (f) => ({args: ['--only', 'config', URL], env: {PGSSLROOTCERT: f}})},
    {name: '--targets', run: (f) => ({args: ['--only', 'config', '--targets', f]})},
    {name: '--output', run: (f) => ({args: ['--only', 'config', '--output', `json=${f}`, URL]})},
    {
      name: '$GITHUB_STEP_SUMMARY',
      run: (f) => ({args: ['--only', 'config', '--format', 'github', URL], env: {GITHUB_STEP_SUMMARY: f}}),
    },
  ]

  for (const kind of ['fifo', 'zero'] as const) {
    it(`a ${kind === 'fifo' ? 'FIFO' : '/dev/zero'} as each of: ${cases.map((c) => c.name).join(', ')}`, async () => {
      const runs = await Promise.all(
        cases.map(async (c) => {
          const file = kind === 'zero' ? '/dev/zero' : special('fifo')
          const {args, cwd, env} = c.run(file)
          return {c, file, r: await runCli(['check', ...args], {cwd, env, timeoutMs: 60_000})}
        }),
      )
      for (const {c, r} of runs) {
        const what = `${c.name}: ${r.stderr}`
        expect(r.code, what).toBe(2)
        expect(r.stderr, what).toMatch(kind === 'fifo' ? /FIFO/ : /character device/)
        expect(r.stderr, what).toMatch(/db-doctor: /)
        expect(r.stderr, what).not.toMatch(/\bat .+:\d+:\d+/)
        expect(r.ms, what).toBeLessThan(boundFor(runs.length))
      }
    }, 120_000)
  }

  it('serve --web-config that is a FIFO or /dev/zero: a usage error naming it, nothing listens', async () => {
    const targets = join(root, 'serve-targets.jsonl')
    writeFileSync(targets, JSON.stringify({name: 'a', connection: URL}) + '\n')
    const runs = await Promise.all(
      [special('fifo'), '/dev/zero'].map((f) =>
        runCli(['serve', '--targets', targets, '--listen', '127.0.0.1:0', '--web-config', f], {timeoutMs: 30_000}),
      ),
    )
    for (const [i, r] of runs.entries()) {
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr).toMatch(i === 0 ? /FIFO/ : /character device/)
      expect(r.ms).toBeLessThan(boundFor(runs.length))
    }
  })

  it('a password file that is a FIFO is what libpq makes of it (ignored, a finding), never a hang', async () => {
    const r = await runCli(['check', '--only', 'config', '--json', URL], {env: {PGPASSFILE: special('fifo')}})
    expect([0, 1], r.stderr).toContain(r.code)
    expect(r.ms).toBeLessThan(boundFor(1))
  })

  it('two --output flags naming the same file: a usage error', async () => {
    const out = join(root, 'same.json')
    const r = await runCli(['check', '--only', 'config', '--output', `json=${out}`, '--output', `junit=${out}`, URL])
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toContain('already an --output target')
    const ok = await runCli([
      'check',
      '--only',
      'config',
      '--output',
      `json=${out}`,
      '--output',
      'junit=/dev/null',
      URL,
    ])
    expect(ok.code, ok.stderr).toBe(0)
  })
})
