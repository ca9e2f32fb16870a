// CI outputs end to end against the real test PostgreSQL: JUnit parsed with a real XML parser
// the way GitLab, Jenkins and Azure DevOps read it (testsuites > testsuite > testcase with
// failure / skipped), GitHub workflow commands and the step summary, several outputs in one
// run, and no password in any of them.
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {XMLParser, XMLValidator} from 'fast-xml-parser'
import {afterAll, describe, expect, inject, it} from 'vitest'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD} from '../helpers/constants.js'
import {runCli} from '../helpers/cli.js'

const pg = inject('pg')
const verify = `sslmode=verify-full&sslrootcert=${encodeURIComponent(pg.caFile)}`
const url = (password = CANARY_PASSWORD, port = pg.port) =>
  `postgres://${APP_USER}:${password}@${pg.host}:${port}/${APP_DATABASE}?${verify}`

const dir = mkdtempSync(path.join(os.tmpdir(), 'dbd-ci-out-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))
const file = (name: string) => path.join(dir, name)

async function refusedPort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((resolve) => s.listen(0, pg.host, resolve))
  const port = (s.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}

function parseJunit(xml: string) {
  expect(XMLValidator.validate(xml)).toBe(true)
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name),
  })
  return parser.parse(xml).testsuites
}

function noCanary(...texts: string[]) {
  for (const t of texts) {
    expect(t).not.toContain(CANARY_PASSWORD)
    expect(t).not.toContain(encodeURIComponent(CANARY_PASSWORD))
  }
}

describe('CI outputs', () => {
  it('text on the terminal plus JUnit and Markdown files in one run (healthy: every testcase passes)', async () => {
    const r = await runCli([
      'check',
      url(),
      '--output',
      `junit=${file('ok.xml')}`,
      '--output',
      `markdown=${file('ok.md')}`,
    ])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('✓ Authentication and session')
    const xml = readFileSync(file('ok.xml'), 'utf8')
    const md = readFileSync(file('ok.md'), 'utf8')
    noCanary(r.stdout, r.stderr, xml, md)
    expect(md).toContain('## db-doctor: healthy')
    const suites = parseJunit(xml)
    expect(suites.tests).toBe('12')
    expect(suites.failures).toBe('0')
    expect(suites.testsuite).toHaveLength(1)
    const cases = suites.testsuite[0].testcase
    expect(cases.map((c: {name: string}) => c.name.split(':')[0])).toEqual([
      'config',
      'dns',
      'tcp',
      'docker',
      'postgres',
      'tls',
      'ssl-config',
      'auth',
      'server',
      'pooler',
      'privileges',
      'migrations',
    ])
    for (const c of cases) {
      expect(c.failure).toBeUndefined()
      expect(Number(c.time)).toBeGreaterThanOrEqual(0)
    }
  })

  it('JUnit: a failing check is a failure "CODE: summary" with the evidence and fix as its body; skipped checks are skipped', async () => {
    const port = await refusedPort()
    const r = await runCli([
      'check',
      url(CANARY_PASSWORD, port),
      '--format',
      'junit',
      '--output',
      `json=${file('refused.json')}`,
    ])
    expect(r.code, r.stderr).toBe(1)
    const json = readFileSync(file('refused.json'), 'utf8')
    noCanary(r.stdout, r.stderr, json)
    expect(JSON.parse(json).summary.verdict).toBe('failing')
    const suites = parseJunit(r.stdout)
    expect(suites.failures).toBe('1')
    const cases = suites.testsuite[0].testcase as any[]
    const tcp = cases.find((c) => c.name.startsWith('tcp:'))
    expect(tcp.failure.type).toBe('TCP_REFUSED')
    expect(tcp.failure.message).toMatch(/^TCP_REFUSED: Nothing accepts connections on 127\.0\.0\.1 port \d+/)
    expect(tcp.failure['#text']).toContain('Evidence:')
    expect(tcp.failure['#text']).toContain('Fix: ')
    const skipped = cases.filter((c) => c.skipped !== undefined)
    expect(skipped.map((c) => c.name.split(':')[0])).toEqual([
      'postgres',
      'tls',
      'auth',
      'server',
      'pooler',
      'privileges',
      'migrations',
    ])
    expect(skipped[0].skipped.message).toContain('Skipped: the tcp check failed (TCP_REFUSED)')
    expect(Number(suites.testsuite[0].skipped)).toBe(7)
  })

  it('GitHub: ::error workflow commands carry the code and the fix, escaped; the Markdown report goes to $GITHUB_STEP_SUMMARY', async () => {
    const summary = file('step-summary.md')
    writeFileSync(summary, '# earlier step\n')
    const port = await refusedPort()
    const r = await runCli(['check', url('wrong-' + 'pw-for-gh', port), '--format', 'github'], {
      env: {GITHUB_STEP_SUMMARY: summary},
    })
    expect(r.code, r.stderr).toBe(1)
    const md = readFileSync(summary, 'utf8')
    noCanary(r.stdout, r.stderr, md)
    expect(r.stdout + md).not.toContain('wrong-pw-for-gh')
    expect(md.startsWith('# earlier step\n')).toBe(true) // appended, not replaced
    expect(md).toContain('## db-doctor: failing')
    expect(md).toContain('`TCP_REFUSED`')

    const lines = r.stdout.split('\n')
    // The text report sits between ::stop-commands::TOKEN and ::TOKEN:: (text from the network cannot issue commands).
    const stop = lines.findIndex((l) => l.startsWith('::stop-commands::'))
    expect(stop).toBe(0)
    const token = lines[0].slice('::stop-commands::'.length)
    expect(token).toMatch(/^[0-9a-f]{32}$/)
    const resume = lines.indexOf(`::${token}::`)
    expect(resume).toBeGreaterThan(stop)
    expect(lines.slice(stop + 1, resume).join('\n')).toContain('✗ TCP connection TCP_REFUSED')
    const commands = lines.slice(resume + 1).filter(Boolean)
    for (const c of commands) expect(c).toMatch(/^::(error|warning) title=[A-Z0-9_]+::\S/)
    const tcp = commands.find((c) => c.startsWith('::error title=TCP_REFUSED::'))!
    expect(tcp, commands.join('\n')).toBeDefined()
    const m = /^::error title=([^:]*)::(.*)$/.exec(tcp)
    expect(m![1]).toBe('TCP_REFUSED')
    // One line: the line breaks of the message are %0A, and a literal % would be %25.
    expect(m![2]).toContain('%0AFix: ')
    expect(m![2]).not.toMatch(/%(?!25|0A|0D)/)
  })

  it('several targets: one testsuite per target, named; exit 1 when any fails', async () => {
    const port = await refusedPort()
    const targets = file('targets.jsonl')
    writeFileSync(
      targets,
      [
        JSON.stringify({name: 'primary', connection: url()}),
        '# a comment',
        JSON.stringify({name: 'replica', connection: url(CANARY_PASSWORD, port)}),
        '',
      ].join('\n'),
    )
    const r = await runCli([
      'check',
      '--targets',
      targets,
      '--format',
      'junit',
      '--output',
      `github=${file('fleet.gh')}`,
    ])
    expect(r.code, r.stderr).toBe(1)
    const gh = readFileSync(file('fleet.gh'), 'utf8')
    noCanary(r.stdout, r.stderr, gh)
    const suites = parseJunit(r.stdout)
    expect(suites.testsuite.map((s: {name: string}) => s.name)).toEqual(['primary', 'replica'])
    expect(suites.testsuite[0].failures).toBe('0')
    expect(suites.testsuite[1].failures).toBe('1')
    expect(gh).toMatch(/^::error title=TCP_REFUSED \(replica\)::\[replica\] Nothing accepts/m)
  })
})
