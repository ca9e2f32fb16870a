// The report's shape as CI and people read it, from a real run (the seed story's knex project
// against a real PostgreSQL whose chain ends in its own root): every finding of a check listed
// in JSON / JUnit / GitHub, the JSON valid against docs/report.schema.json (single, fleet and
// jsonl), text that fits --width / $COLUMNS when piped (tables narrowed, not turned into
// records), plurals, and `-v` as --version.
import {copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {Ajv2020} from 'ajv/dist/2020.js'
import {XMLParser} from 'fast-xml-parser'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {createCa, createLeaf} from '../helpers/certs.js'
import {chainPem} from '../helpers/chains.js'
import {checkOf, reportOf, ROOT, runCli} from '../helpers/cli.js'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD, PG_HOST} from '../helpers/constants.js'
import {startPostgres, type PgServer} from '../helpers/postgres.js'

let server: PgServer
let dir: string

const schema = JSON.parse(readFileSync(path.join(ROOT, 'docs/report.schema.json'), 'utf8'))
const validate = new Ajv2020({allErrors: true, strict: false}).compile(schema)
function valid(doc: unknown): void {
  const ok = validate(doc)
  expect(ok, JSON.stringify(validate.errors, null, 2)).toBe(true)
}

/**
 * Lines of a text report wider than `width`, outside fix snippets (copy-paste code is never wrapped)
 * and but for one word too long for any line (a URL, a fingerprint), which stays whole on its line.
 */
function overWidth(text: string, width: number): string[] {
  const out: string[] = []
  let inSnippet = false
  for (const line of text.split('\n')) {
    if (/^ {4}# \w+$/.test(line)) inSnippet = true
    else if (inSnippet && !line.startsWith('    ')) inSnippet = false
    if (inSnippet || [...line].length <= width) continue
    const longest = line
      .trim()
      .split(/ +/)
      .reduce((a, w) => ([...w].length > [...a].length ? w : a), '')
    const unbreakable = [...longest].length > width / 3 && [...line].length - [...longest].length <= width
    if (!unbreakable) out.push(line)
  }
  return out
}

beforeAll(async () => {
  const root = await createCa({commonName: 'Output Shape Root CA'})
  const leaf = await createLeaf({
    commonName: 'localhost',
    dnsNames: ['localhost'],
    ipAddresses: [PG_HOST, '::1'],
    issuer: root,
  })
  server = await startPostgres({tls: {certPem: chainPem(leaf, root), keyPem: leaf.keyPem, caPem: root.certPem}})
  dir = mkdtempSync(path.join(os.tmpdir(), 'dbd-shape-'))
  copyFileSync(path.join(ROOT, 'test/fixtures/knex-seed/knexfile.cjs'), path.join(dir, 'knexfile.cjs'))
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({
      name: 'shape-app',
      private: true,
      scripts: {migrate: 'node --env-file=.env node_modules/.bin/knex migrate:latest --knexfile knexfile.cjs'},
    }),
  )
  writeFileSync(
    path.join(dir, '.env'),
    `DATABASE_URL=postgres://${APP_USER}:${CANARY_PASSWORD}@${PG_HOST}:${server.port}/${APP_DATABASE}?sslmode=require\n`,
  )
  writeFileSync(
    path.join(dir, 'targets.txt'),
    `postgres://${APP_USER}:${CANARY_PASSWORD}@${PG_HOST}:${server.port}/${APP_DATABASE}?sslmode=require\n` +
      `postgres://${APP_USER}:${CANARY_PASSWORD}@${PG_HOST}:1/${APP_DATABASE}\n`,
  )
}, 120_000)

afterAll(async () => {
  await server?.stop()
  if (dir) rmSync(dir, {recursive: true, force: true})
})

describe('every finding of a check is listed, in every machine format', () => {
  it('--json: findings [{code, status, summary}], the check’s own code first; the report matches the schema', async () => {
    const r = await runCli(['check', '--json'], {cwd: dir})
    expect(r.code).toBe(1)
    const report = reportOf(r)
    valid(report)
    const ssl = checkOf(report, 'ssl-config')
    expect(ssl.code).toBe('SSL_CONFIG_CONFLICT')
    const findings = (ssl as unknown as {findings: {code: string; status: string; summary: string}[]}).findings
    expect(findings.length).toBeGreaterThan(1)
    expect(findings[0]).toMatchObject({code: 'SSL_CONFIG_CONFLICT', status: 'fail'})
    expect(findings.map((f) => f.code)).toContain('SSLMODE_VERIFY_SEMANTICS')
    for (const c of report.checks) {
      const list = (c as unknown as {findings: {code: string}[]}).findings
      if (c.status === 'pass' || c.status === 'skip') expect(list).toEqual([])
      else expect(list[0]!.code).toBe(c.code)
    }
    expect(r.stdout + r.stderr).not.toContain(CANARY_PASSWORD)
  })

  it('a fleet (--targets) and its jsonl lines match the schema too', async () => {
    const fleet = await runCli(['check', '--targets', 'targets.txt', '--format', 'json'], {cwd: dir})
    const doc = JSON.parse(fleet.stdout)
    valid(doc)
    expect(doc.reports).toHaveLength(2)
    const lines = await runCli(['check', '--targets', 'targets.txt', '--format', 'jsonl'], {cwd: dir})
    const docs = lines.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(docs).toHaveLength(2)
    for (const d of docs) valid(d)
  })

  it('JUnit and GitHub name every finding with its status', async () => {
    const junit = await runCli(['check', '--format', 'junit'], {cwd: dir})
    const xml = new XMLParser({ignoreAttributes: false}).parse(junit.stdout)
    const cases = [xml.testsuites.testsuite.testcase].flat() as {'@_name': string; failure?: {'#text': string}}[]
    const sslCase = cases.find((c) => c['@_name'].startsWith('ssl-config'))!
    expect(sslCase.failure!['#text']).toMatch(/Findings: SSL_CONFIG_CONFLICT \(fail\), .*SSLMODE_VERIFY_SEMANTICS/)
    const gh = await runCli(['check', '--format', 'github'], {cwd: dir})
    const annotation = gh.stdout.split('\n').find((l) => l.startsWith('::error title=SSL_CONFIG_CONFLICT'))
    expect(annotation).toMatch(/Findings: SSL_CONFIG_CONFLICT \(fail\), .*SSLMODE_VERIFY_SEMANTICS/)
  })
})

describe('text output fits the width it is given when piped', () => {
  it('$COLUMNS=80: no line over 80 columns outside snippets; tables are narrowed, not turned into records', async () => {
    const r = await runCli(['check', '-v'], {cwd: dir, env: {COLUMNS: '80'}})
    expect(overWidth(r.stdout, 80)).toEqual([])
    expect(r.stdout).toContain('│')
    // the settings table (3 columns) is narrowed; only the 12-column certificate chain cannot fit in 80
    expect(r.stdout).toMatch(/│ field +│ value +│ source +│/)
    expect(r.stdout).toMatch(/\d+ passed, \d+ warnings?, \d+ failed, \d+ skipped: failing/)
    expect(r.stdout).not.toMatch(/\b1 warnings\b/)
  })

  it('--width wins over $COLUMNS; without either, piped output is 160 wide', async () => {
    const narrow = await runCli(['check', '-v', '--width', '60'], {cwd: dir, env: {COLUMNS: '200'}})
    expect(overWidth(narrow.stdout, 60)).toEqual([])
    expect(narrow.stdout).toContain('│')
    const wide = await runCli(['check', '-v'], {cwd: dir, env: {COLUMNS: undefined}})
    expect(overWidth(wide.stdout, 160)).toEqual([])
    expect(Math.max(...wide.stdout.split('\n').map((l) => [...l].length))).toBeGreaterThan(80)
  })

  it('explain honours $COLUMNS and --width too', async () => {
    const log = 'Error: self-signed certificate in certificate chain\n    at TLSSocket.onConnectSecure'
    const r = await runCli(['explain', '--width', '50'], {input: log})
    expect(r.code).toBe(0)
    expect(overWidth(r.stdout, 50)).toEqual([])
    const c = await runCli(['explain'], {input: log, env: {COLUMNS: '70'}})
    expect(overWidth(c.stdout, 70)).toEqual([])
  })
})

describe('-v / -V', () => {
  it('print the version, like --version; inside a command -v stays --verbose', async () => {
    const version = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version as string
    for (const flag of ['-v', '-V', '--version']) {
      const r = await runCli([flag])
      expect(r.code, flag).toBe(0)
      expect(r.stdout).toContain(`db-doctor/${version}`)
      expect(r.stderr).not.toContain('not found')
    }
  })
})
