// Masking by structure end to end (issue 17, items 2 and 3): the real CLI against the real test
// PostgreSQL with a WRONG password (auth fails, so the password is in play), in every output
// format (text, text -v, --json, json and jsonl files, JUnit, Markdown, GitHub with its step
// summary). Passwords drawn from the report's own vocabulary (null, true, 5432, name, postgres,
// ids, codes) must not change a key, a number or a contract field of any format, and every output
// must parse; unique canaries (JWTs, SigV4 tokens, quotes and separators inside) must leave no
// piece of 4+ characters anywhere: stdout, stderr or the files written. Bounded: about 40 CLI runs.
import fc from 'fast-check'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {XMLParser, XMLValidator} from 'fast-xml-parser'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {APP_DATABASE, APP_USER} from '../helpers/constants.js'
import {runCli} from '../helpers/cli.js'
import {canaryPassword, leakedPieces, vocabularyPassword} from '../helpers/secret-generators.js'

const SEED = Number(process.env.FUZZ_SEED ?? 20261207)
const CLI_RUNS = Number(process.env.FUZZ_CLI_RUNS ?? 4)

const pg = inject('pg')
const tls = `sslmode=verify-full&sslrootcert=${encodeURIComponent(pg.caFile)}`
const URL_NO_PASSWORD = `postgres://${APP_USER}@${pg.host}:${pg.port}/${APP_DATABASE}?${tls}`

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, {recursive: true, force: true})
})
function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'dbd-masking-'))
  dirs.push(d)
  return d
}

/** Everything one password's two runs print or write, by name. */
type Outputs = Record<string, string>

/**
 * Two runs cover every format: --json on stdout with JUnit, Markdown, jsonl and text files; then
 * --format github -v (annotations, the verbose text, the step summary) with a verbose text file.
 */
async function runAll(args: string[], env: Record<string, string>): Promise<{out: Outputs; codes: number[]}> {
  const dir = tmp()
  const f = (n: string) => path.join(dir, n)
  const a = await runCli(
    [
      'check',
      ...args,
      '--json',
      '--output',
      `junit=${f('a.xml')}`,
      '--output',
      `markdown=${f('a.md')}`,
      '--output',
      `jsonl=${f('a.jsonl')}`,
      '--output',
      `text=${f('a.txt')}`,
    ],
    {env},
  )
  writeFileSync(f('summary.md'), '')
  const b = await runCli(
    ['check', ...args, '--format', 'github', '-v', '--output', `text=${f('b.txt')}`, '--output', `json=${f('b.json')}`],
    {env: {...env, GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: f('summary.md')}},
  )
  const read = (n: string) => readFileSync(f(n), 'utf8')
  return {
    codes: [a.code ?? -1, b.code ?? -1],
    out: {
      'json (stdout)': a.stdout,
      'stderr (json run)': a.stderr,
      junit: read('a.xml'),
      markdown: read('a.md'),
      jsonl: read('a.jsonl'),
      text: read('a.txt'),
      'github (stdout)': b.stdout,
      'stderr (github run)': b.stderr,
      'text -v': read('b.txt'),
      'json (file)': read('b.json'),
      'step summary': read('summary.md'),
    },
  }
}

const CONTRACT = ['id', 'code', 'status', 'verdict', 'title', 'tool', 'version']
/** Numbers that differ from run to run (timings), not structure. */
const TIMING = /ms$|Ms$|duration|elapsed|latency|^time$|^at$/i

function shape(v: unknown, key = ''): unknown {
  if (typeof v === 'string') return CONTRACT.includes(key) ? v : '<s>'
  if (typeof v === 'number') return TIMING.test(key) ? '<n>' : v
  if (Array.isArray(v)) return v.map((x) => shape(x))
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x, k)]))
  return v
}

const xml = new XMLParser({ignoreAttributes: false, attributeNamePrefix: '@', parseAttributeValue: true})
function junitShape(text: string): unknown {
  expect(XMLValidator.validate(text)).toBe(true)
  const strip = (v: unknown, key = ''): unknown => {
    if (key === '@time' || key === '@timestamp') return '<t>'
    if (typeof v === 'string') return '<s>'
    if (Array.isArray(v)) return v.map((x) => strip(x))
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, strip(x, k)]))
    return v
  }
  return strip(xml.parse(text))
}

/** What must not change with the password: the parsed shapes, and the line structure of the annotations and tables. */
function structureOf(out: Outputs) {
  const lines = (t: string, re: RegExp) => t.split('\n').filter((l) => re.test(l)).length
  return {
    json: shape(JSON.parse(out['json (stdout)'])),
    jsonFile: shape(JSON.parse(out['json (file)'])),
    jsonl: out.jsonl
      .trim()
      .split('\n')
      .map((l) => shape(JSON.parse(l))),
    junit: junitShape(out.junit),
    annotations: lines(out['github (stdout)'], /^::(error|warning|notice)/),
    tables: lines(out.markdown, /^\|/),
    summaryTables: lines(out['step summary'], /^\|/),
  }
}

let benign: {out: Outputs; codes: number[]}
beforeAll(async () => {
  benign = await runAll([URL_NO_PASSWORD], {PGPASSWORD: 'benign-Pw-0000'})
  expect(benign.codes, benign.out['stderr (json run)']).toEqual([1, 1])
  expect(JSON.parse(benign.out['json (stdout)']).checks.find((c: {id: string}) => c.id === 'auth').code).toBe(
    'AUTH_PASSWORD_FAILED',
  )
}, 120_000)

describe('the password from the report vocabulary (PGPASSWORD, auth fails): structure unchanged in every format', () => {
  it('the values of issue 17, then random ones', async () => {
    const fixed = ['null', 'true', '5432', 'name', 'postgres', 'auth']
    const random = fc.sample(vocabularyPassword, {seed: SEED, numRuns: CLI_RUNS})
    for (const pw of [...fixed, ...random]) {
      const run = await runAll([URL_NO_PASSWORD], {PGPASSWORD: pw})
      expect(run.codes, pw).toEqual([1, 1])
      expect(structureOf(run.out), `password ${JSON.stringify(pw)}`).toEqual(structureOf(benign.out))
    }
  }, 300_000)
})

describe('unique canaries (JWTs, SigV4 tokens, quotes and separators): no piece anywhere, structure unchanged', () => {
  it('as PGPASSWORD', async () => {
    const canaries = fc.sample(canaryPassword, {seed: SEED, numRuns: CLI_RUNS}).filter((pw) => !/[\0\n\r]/.test(pw))
    for (const pw of canaries) {
      const run = await runAll([URL_NO_PASSWORD], {PGPASSWORD: pw})
      expect(run.codes, pw).toEqual([1, 1])
      expect(structureOf(run.out), pw).toEqual(structureOf(benign.out))
      for (const [name, text] of Object.entries(run.out))
        expect(leakedPieces(pw, text, benign.out[name]), `${name}, password ${pw.slice(0, 80)}`).toEqual([])
    }
  }, 300_000)

  it('in the URL: user info, ?password=A&B=C (the piece after &), sslpassword= (json, jsonl, text -v)', async () => {
    const head = 'HEADurl4821'
    const tail = 'TAILurl7310'
    const cases = [
      `postgres://${APP_USER}:${encodeURIComponent(`${head}"\\,${tail}`)}@${pg.host}:${pg.port}/${APP_DATABASE}?${tls}`,
      `${URL_NO_PASSWORD}&password=${head}&${tail}=${tail}x`,
      `${URL_NO_PASSWORD}&sslpassword=${head}${tail}&password=${head}x`,
    ]
    for (const url of cases) {
      const run = await runAll([url], {})
      for (const [name, text] of Object.entries(run.out)) {
        expect(text, `${name} of ${url}`).not.toContain(head)
        expect(text, `${name} of ${url}`).not.toContain(tail)
      }
      JSON.parse(run.out['json (stdout)'])
      expect(XMLValidator.validate(run.out.junit)).toBe(true)
    }
  }, 120_000)

  it('a knexfile that prints or throws its config, the password from DB_PASSWORD_PROD, DBPASS or dbPass', async () => {
    const pw = 'zqxCnry-Pw-5b7e'
    const config = `{client: 'pg', connection: {host: ${JSON.stringify(pg.host)}, port: ${pg.port}, user: 'app', database: 'appdb', password: process.env.DB_PASSWORD_PROD}}`
    const files = {
      prints: `const config = ${config}\nconsole.error('config:', config)\nconsole.log(JSON.stringify(config))\nmodule.exports = {development: config}\n`,
      throws: `const config = ${config}\nthrow new Error('bad config ' + JSON.stringify(config) + ' ' + config.connection.password)\n`,
    }
    // the same with names the name rule once missed: glued (DBPASS) and camelCase (dbPass)
    const every = [['--json'], ['--format', 'text', '-v'], ['--format', 'junit']]
    const renamed = (v: string) => files.throws.replaceAll('DB_PASSWORD_PROD', v)
    const cases: {name: string; text: string; variable: string; formats: string[][]}[] = [
      ...Object.entries(files).map(([name, text]) => ({name, text, variable: 'DB_PASSWORD_PROD', formats: every})),
      {name: 'throws (DBPASS)', text: renamed('DBPASS'), variable: 'DBPASS', formats: [['--json']]},
      {name: 'throws (dbPass)', text: renamed('dbPass'), variable: 'dbPass', formats: [['--format', 'text', '-v']]},
    ]
    for (const {name, text, variable, formats} of cases) {
      const cwd = tmp()
      writeFileSync(path.join(cwd, 'knexfile.cjs'), text)
      writeFileSync(path.join(cwd, 'package.json'), '{"name":"app","dependencies":{"knex":"*","pg":"*"}}')
      for (const format of formats) {
        const r = await runCli(['check', '--only', 'config', ...format], {cwd, env: {[variable]: pw}})
        expect([0, 1], `${name} ${format}: ${r.stderr}`).toContain(r.code)
        expect(r.stdout + r.stderr, `${name} ${format}`).not.toContain(pw)
        expect(leakedPieces(pw, r.stdout + r.stderr), name).toEqual([])
        if (format[0] === '--json') JSON.parse(r.stdout)
      }
    }
  }, 120_000)
})

describe('names and scripts are not passwords (issue 17 item 2: a --targets name with ":", a script with user=…)', () => {
  it('report words in target names and package.json scripts change no key, code or name, in json and junit', async () => {
    const cwd = tmp()
    // no password in the line (PGPASSWORD has it): before, the text up to the "@" was read as one, so
    // "code" from "prod:code" masked the key "code" everywhere
    const url = (db: string) => `postgres://app@127.0.0.1:1/${db}`
    const names = ['prod:code', 'eu:status', 'a:null:5432', 'x@y:name']
    writeFileSync(
      path.join(cwd, 'targets.jsonl'),
      names.map((name, i) => JSON.stringify({name, connection: url(`db${i}`)})).join('\n') + '\n',
    )
    writeFileSync(
      path.join(cwd, 'package.json'),
      JSON.stringify({
        name: 'app',
        scripts: {
          migrate: 'knex migrate:latest user=code host=status@db port=5432',
          psql: 'psql "host=db user=status dbname=null"',
        },
        dependencies: {knex: '*', pg: '*'},
      }),
    )
    const junit = path.join(cwd, 'out.xml')
    const r = await runCli(
      ['check', '--targets', 'targets.jsonl', '--only', 'config,dns,tcp', '--json', '--output', `junit=${junit}`],
      {cwd, timeoutMs: 60_000, env: {PGPASSWORD: 'wrong-Pw-73'}},
    )
    expect(r.code, r.stderr).toBe(1)
    const doc = JSON.parse(r.stdout)
    expect(Object.keys(doc).sort()).toEqual(['reports', 'summary', 'tool', 'version'])
    expect(doc.reports.map((x: {name: string}) => x.name)).toEqual(names)
    for (const report of doc.reports) {
      expect(report.checks.map((c: {id: string}) => c.id)).toEqual(['config', 'dns', 'tcp'])
      for (const c of report.checks) expect(Object.keys(c)).toContain('code')
      expect(report.checks.find((c: {id: string}) => c.id === 'tcp').code).toBe('TCP_REFUSED')
    }
    expect(r.stdout + r.stderr).not.toContain('wrong-Pw-73')
    const xml = readFileSync(junit, 'utf8')
    expect(XMLValidator.validate(xml)).toBe(true)
    const suites = new XMLParser({ignoreAttributes: false}).parse(xml).testsuites
    expect(suites['@_name']).toBeTruthy()
    expect([suites.testsuite].flat().map((s: Record<string, string>) => s['@_name'])).toEqual(
      expect.arrayContaining(names.map((n) => expect.stringContaining(n))),
    )
  }, 90_000)
})
