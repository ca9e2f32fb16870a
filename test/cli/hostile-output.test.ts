// Issue 17 items 4 and 9: server-side hostile names through the real CLI in every format. A role
// and a database whose names hold a right-to-left override, zero-width characters, U+FEFF, a tag
// character, `##[command]` and `::warning::` / `::error::` — the shared PostgreSQL echoes the role
// in its error ("password authentication failed for user …"), the report shows both names.
// Every format: no raw bidi or other format character (`--json` and JUnit used to print U+202E
// raw); JSON and XML still parse and keep the names as data. GitHub Actions (--format github, and
// any format under GITHUB_ACTIONS=true, and `wait`'s per-attempt lines): no line starts a workflow
// command after blanks and no line holds `##[`, except the github reporter's own annotations.
import {XMLParser} from 'fast-xml-parser'
import {beforeAll, describe, expect, inject, it} from 'vitest'
import {runCli, type CliResult} from '../helpers/cli.js'

const pg = inject('pg')

const ROLE = 'r\u202eevil\u200b\ufeff##[command]x ::error::pwned'
/** Spaces between commands: a wrapped line can begin with one. */
const DATABASE = '::warning::a ::warning::b\u2066 ::warning::c \u{e0041}##[group]d'

/** The settings as PG* variables: a URL cannot carry `:` or `#` in a database name (node-postgres decodeURI()s it). */
const pgEnv = () => ({
  PGHOST: pg.host,
  PGPORT: String(pg.port),
  PGUSER: ROLE,
  PGDATABASE: DATABASE,
  PGPASSWORD: 'wrong',
  PGSSLMODE: 'disable',
})

/** Any format character (bidi, zero-width, BOM, tags), and the Unicode line separators. */
const INVISIBLE = /[\u2028\u2029\p{Cf}]/u

const ARGS = ['--only', 'config,auth', '--timeout', '5000']
const RUNS: Record<string, {args: string[]; env?: Record<string, string>}> = {
  text: {args: ['check', ...ARGS]},
  json: {args: ['check', ...ARGS, '--format', 'json']},
  '--json': {args: ['check', ...ARGS, '--json']},
  jsonl: {args: ['check', ...ARGS, '--format', 'jsonl']},
  junit: {args: ['check', ...ARGS, '--format', 'junit']},
  markdown: {args: ['check', ...ARGS, '--format', 'markdown']},
  github: {args: ['check', ...ARGS, '--format', 'github', '-v']},
  'text in Actions': {args: ['check', ...ARGS, '-v'], env: {GITHUB_ACTIONS: 'true'}},
  'json in Actions': {args: ['check', ...ARGS, '--format', 'json'], env: {GITHUB_ACTIONS: 'true'}},
  'wait github': {args: ['wait', ...ARGS, '--format', 'github', '--deadline', '5']},
}
const results: Record<string, CliResult> = {}

beforeAll(async () => {
  const names = Object.keys(RUNS)
  for (let i = 0; i < names.length; i += 2) {
    await Promise.all(
      names.slice(i, i + 2).map(async (name) => {
        const {args, env} = RUNS[name]
        results[name] = await runCli(args, {env: {...pgEnv(), ...env}})
      }),
    )
  }
}, 180_000)

/** The github reporter's own lines: the stop-commands pair and its annotations. */
const OWN_COMMAND = /^::(?:stop-commands::[0-9a-f]{32}|[0-9a-f]{32}::|(?:error|warning) title=[^:]*::)/

function expectActionsInert(r: CliResult): void {
  for (const line of `${r.stdout}\n${r.stderr}`.split(/\r?\n|\r/)) {
    const own = OWN_COMMAND.exec(line)
    if (own) {
      expect(line.slice(own[0].length), line).not.toMatch(/##\[/)
      continue
    }
    expect(line, 'a line that is a workflow command').not.toMatch(/^\s*::/)
    expect(line, 'a legacy ##[ command').not.toMatch(/##\[/)
  }
}

describe('hostile server-side names in every format', () => {
  it.each(Object.keys(RUNS))('%s: exit 1, no raw bidi or format character on stdout or stderr', (name) => {
    const r = results[name]
    expect(r.code, r.stderr).toBe(1)
    expect(r.stdout).toContain('evil') // the report is there, with the names in it
    expect(r.stdout).not.toMatch(INVISIBLE)
    expect(r.stderr).not.toMatch(INVISIBLE)
  })

  it.each(['json', '--json', 'json in Actions'])('%s: valid JSON, the names kept as data', (name) => {
    const doc = JSON.parse(results[name].stdout)
    expect(doc.target.database).toBe(DATABASE)
    expect(doc.target.user).toBe(ROLE)
  })

  it('jsonl: one valid line, the names kept as data', () => {
    const lines = results.jsonl.stdout.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0]).target.database).toBe(DATABASE)
  })

  it('junit: valid XML, the server message escaped as text', () => {
    const xml = results.junit.stdout
    const doc = new XMLParser({ignoreAttributes: false}).parse(xml)
    expect(doc.testsuites.testsuite).toBeDefined()
    expect(xml).toContain('\\u202e')
    expect(xml).not.toMatch(/##\[/)
  })

  it('markdown: the names escaped, no raw format character', () => {
    expect(results.markdown.stdout).toContain('\\u202e')
  })

  it.each(['github', 'text in Actions', 'json in Actions', 'wait github'])(
    '%s: no line is a workflow command but our own annotations',
    (name) => {
      expectActionsInert(results[name])
    },
  )

  it('github: the hostile names are shown (neutralised), the annotation is ours', () => {
    const r = results.github
    expect(r.stdout).toMatch(/^::error title=AUTH_/m)
    expect(r.stdout).toContain(':\\:warning::')
    expect(r.stdout).toContain('##\\[command]')
  })

  it("wait github: the per-attempt line on stderr carries the server's text, neutralised", () => {
    const r = results['wait github']
    expect(r.stderr).toMatch(/db-doctor wait: attempt 1/)
    expect(r.stderr).toContain('##\\[command]')
  })
})
