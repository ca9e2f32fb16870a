// `check` without oclif (src/cli/fast-check.ts) must be `check` through oclif, only cheaper.
// 1. Its flag table is check's oclif flags. 2. On generated argv, whenever the fast parser takes
// the arguments, oclif's own parse of the command (Config.load, the command's parse()) gives the
// same flags and CONNECTIONs without an error. 3. Real runs against the shared PostgreSQL print
// the same stdout, stderr, exit code and --output file either way (oclif forced by a DB_DOCTOR_*
// variable), timings aside.
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {Config} from '@oclif/core/config'
import fc from 'fast-check'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import Check from '../../src/commands/check.js'
import {CHECK_FLAG_SPEC, parseCheckArgv} from '../../src/cli/fast-check.js'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD} from '../helpers/constants.js'
import {ROOT, runCli, type CliResult} from '../helpers/cli.js'

type Parsed = {argv: string[]; flags: Record<string, unknown>}

let config: Config
beforeAll(async () => {
  config = await Config.load(ROOT)
})

/** oclif's parse of `check ARGV`, as the command runs it; 'error' when oclif rejects the arguments. */
async function oclifParse(argv: string[]): Promise<Parsed | 'error'> {
  const cmd = new Check([...argv], config) as unknown as {parse(c: typeof Check): Promise<Parsed>}
  try {
    const r = await cmd.parse(Check)
    return {argv: r.argv.map(String), flags: r.flags}
  } catch {
    return 'error'
  }
}

/** Without keys whose value is undefined. */
const plain = (x: unknown) => JSON.parse(JSON.stringify(x)) as unknown

describe('check fast path: parsing', () => {
  it("has check's oclif flags, --json included, with the same kinds, values and limits", () => {
    const oclifFlags = Check.flags as Record<string, Record<string, unknown>>
    expect(Object.keys(CHECK_FLAG_SPEC).sort()).toEqual([...Object.keys(oclifFlags), 'json'].sort())
    for (const [name, f] of Object.entries(oclifFlags)) {
      const spec = CHECK_FLAG_SPEC[name]!
      expect({name, type: f.type === 'boolean' ? 'boolean' : 'value'}).toEqual({
        name,
        type: spec.kind === 'boolean' ? 'boolean' : 'value',
      })
      expect({name, char: f.char}).toEqual({name, char: spec.char})
      expect({name, default: f.default}).toEqual({name, default: spec.default})
      expect({name, options: f.options}).toEqual({name, options: spec.options})
      expect({name, multiple: Boolean(f.multiple), greedy: f.multiple ? !f.multipleNonGreedy : false}).toEqual({
        name,
        multiple: Boolean(spec.multiple),
        greedy: false,
      })
      expect({name, delimiter: f.delimiter}).toEqual({name, delimiter: spec.commas ? ',' : undefined})
      if (spec.kind === 'integer') expect({name, min: f.min, max: f.max}).toEqual({name, min: spec.min, max: spec.max})
    }
  })

  it('takes what CI runs pass, and leaves the rest to oclif', () => {
    const url = 'postgres://app@db:5432/appdb'
    for (const argv of [
      [url, '--json'],
      ['--json'],
      [],
      [url, '--format', 'junit', '--output', 'markdown=r.md', '--output=junit=r.xml', '--strict'],
      [url, '-f', 'github', '--timeout=2000', '--only', 'dns,tcp', '--skip', 'pooler', '-v'],
      ['host=db port=5432 sslmode=require', url, '--concurrency', '16', '--format', 'jsonl'],
      ['--list', '--json'],
    ])
      expect(parseCheckArgv(argv, {}), argv.join(' ')).toBeDefined()
    // bin/run.js sends argv holding --help, -h or `--`, and these environments, to oclif without loading
    // check.cjs: the fast path never takes them
    for (const argv of [
      ['--help'],
      [url, '--json', '--help'],
      [url, '-h'],
      [url, '--output', '--help'],
      [url, '--', '--json'],
      [url, '--format', 'yaml'],
      [url, '--timeout', '50'],
      [url, '--timeout', '-5'],
      [url, '--json', '--json'],
      [url, '--only', 'dns, tcp'],
      [url, '-vf', 'json'],
      [url, '--strict=true'],
      [url, '--no-strict'],
      [url, '--bogus'],
      [url, '--knexfile'],
      ['-'],
    ])
      expect(parseCheckArgv(argv, {}), argv.join(' ')).toBeUndefined()
    // db-doctor's own DB_DOCTOR_STRICT_FACTS (set by the suite in every CLI run) is no oclif variable
    expect(parseCheckArgv([url], {DB_DOCTOR_STRICT_FACTS: '1'})).toBeDefined()
    for (const env of [{DEBUG: '*'}, {DB_DOCTOR_CONTENT_TYPE: 'json'}, {OCLIF_TS_NODE: '0'}])
      expect(parseCheckArgv([url], env), JSON.stringify(env)).toBeUndefined()
  })

  it('parses what it takes exactly as oclif parses it (generated argv)', async () => {
    const token = fc.oneof(
      fc.constantFrom(
        ...Object.keys(CHECK_FLAG_SPEC).map((n) => `--${n}`),
        '-f',
        '-v',
        '-vf',
        '-fjson',
        '--',
        '-',
        '--help',
        '--bogus',
        '--no-strict',
        '--json=true',
        '--format=json',
        '--format=',
        '--timeout=2000',
        '--only=dns,tcp',
        '--output=junit=a.xml',
        '--knexfile=--json',
      ),
      fc.constantFrom(
        'json',
        'text',
        'junit',
        'github',
        'yaml',
        'knex',
        'prisma',
        '100',
        '99',
        '2000',
        '600000',
        '600001',
        '007',
        '1e3',
        '-5',
        '64',
        '65',
        'dns',
        'dns,tcp',
        'dns, tcp',
        'dns,',
        '"dns"',
        'a\\,b',
        'junit=out.xml',
        'markdown=r.md',
        'postgres://app@db:5432/appdb?sslmode=require',
        'host=db port=5432',
        '',
        ' ',
      ),
      fc.string({maxLength: 6}),
    )
    let taken = 0
    await fc.assert(
      fc.asyncProperty(fc.array(token, {maxLength: 7}), async (argv) => {
        const fast = parseCheckArgv(argv, {})
        if (!fast) return
        taken++
        const ours = await oclifParse(argv)
        expect(ours, argv.join(' ')).not.toBe('error')
        expect(plain(fast), JSON.stringify(argv)).toEqual(plain(ours))
      }),
      {numRuns: Number(process.env.FUZZ_RUNS ?? 1500)},
    )
    // the property says something only if many generated argv take the fast path
    expect(taken).toBeGreaterThan(100)
  })
})

describe('check fast path: the same run as through oclif', () => {
  const pg = inject('pg')
  const verify = `sslmode=verify-full&sslrootcert=${encodeURIComponent(pg.caFile)}`
  const url = `postgres://${APP_USER}:${CANARY_PASSWORD}@${pg.host}:${pg.port}/${APP_DATABASE}?${verify}`
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dbd-fast-check-'))
  afterAll(() => rmSync(dir, {recursive: true, force: true}))
  const RUNS: Record<string, string[]> = {
    'healthy --json': [url, '--json'],
    'healthy text, verbose, a JUnit file': [url, '-v', '--output', `junit=${path.join(dir, 'FILE')}`],
    'refused port, markdown': [`postgres://${APP_USER}@${pg.host}:1/${APP_DATABASE}`, '--format', 'markdown'],
    'usage error (--output format)': [url, '--output', 'yaml=x.yaml'],
    'unknown check id': [url, '--only', 'dns,nope'],
    '--list --json': ['--list', '--json'],
  }
  /** Measurements, pids and timestamps as N; the text as one line, table rules as one ─ (a wider N moves wraps and widths). */
  const same = (s: string) =>
    s
      .replace(/\d+(\.\d+)?/g, 'N')
      .replace(/─+/g, '─')
      .replace(/\s+/g, ' ')

  it('prints the same report, error line, exit code and --output file', async () => {
    const run = (name: string, args: string[], env: Record<string, string>, tag: string) =>
      runCli(['check', ...args.map((a) => a.replace('FILE', `${tag}.xml`))], {env, cwd: dir}).then(
        (r) => [name, r] as const,
      )
    const results: Array<readonly [string, CliResult]> = []
    const names = Object.keys(RUNS)
    for (let i = 0; i < names.length; i += 2) {
      const batch = names.slice(i, i + 2)
      results.push(
        ...(await Promise.all(
          batch.flatMap((name) => [
            run(`${name} fast`, RUNS[name]!, {}, 'fast'),
            run(`${name} oclif`, RUNS[name]!, {DB_DOCTOR_OCLIF: '1'}, 'oclif'),
          ]),
        )),
      )
    }
    const by = new Map(results)
    for (const name of names) {
      const fast = by.get(`${name} fast`)!
      const slow = by.get(`${name} oclif`)!
      expect({name, code: fast.code}).toEqual({name, code: slow.code})
      expect({name, stderr: same(fast.stderr)}).toEqual({name, stderr: same(slow.stderr)})
      expect({name, stdout: same(fast.stdout)}).toEqual({name, stdout: same(slow.stdout)})
    }
    expect(by.get('healthy --json fast')!.code).toBe(0)
    expect(by.get('refused port, markdown fast')!.code).toBe(1)
    expect(by.get('usage error (--output format) fast')!.code).toBe(2)
    expect(by.get('usage error (--output format) fast')!.stderr).toMatch(/^db-doctor: --output expects FORMAT=PATH/)
    const xml = (tag: string) => same(readFileSync(path.join(dir, `${tag}.xml`), 'utf8'))
    expect(xml('fast')).toContain('<testsuite')
    expect(xml('fast')).toEqual(xml('oclif'))
  }, 180_000)
})
