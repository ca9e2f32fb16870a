// The explain corpus: real error texts from public issue threads and from the tools' own sources
// (test/explain/corpus/*.json: text, source, expected code or "hint:<first candidate>"), covering
// knex, node-pg-migrate, Prisma 6 and 7, drizzle-kit, TypeORM, Sequelize, postgres.js, node-postgres,
// psql/libpq, PostgreSQL itself, PgBouncer-style poolers and the cloud providers. Every text must be
// recognised: its code, or a hint with ranked candidates and a `db-doctor check` confirm line. The same
// texts are then pasted the way logs carry them (ANSI colour and CRLF, pino JSON lines, Kubernetes CRI
// and kubectl prefixes, docker compose prefixes) and must be recognised the same way, on the line the
// user pasted. The texts produced live from real servers and CLIs are in live.test.ts.
import {readFileSync, readdirSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {catalogue} from '../../src/checks/catalogue.js'
import {explainText, type ExplainMatch} from '../../src/explain/index.js'
import {normalise} from '../../src/explain/normalise.js'

interface CorpusText {
  tool: string
  text: string
  source: string
  /** a code, or "hint:<first candidate>" */
  expect: string
}

const DIR = path.join(import.meta.dirname, 'corpus')
const corpus: (CorpusText & {file: string})[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .flatMap((f) => (JSON.parse(readFileSync(path.join(DIR, f), 'utf8')) as CorpusText[]).map((c) => ({...c, file: f})))

function found(matches: ExplainMatch[]): string[] {
  return matches.map((m) => m.code ?? `hint:${m.candidates?.[0]}`)
}

function check(text: string, want: string, label: string): ExplainMatch {
  const {matches} = explainText(text, 'test')
  expect(found(matches), `${label}\n${text}`).toContain(want)
  const m = matches.find((x) => (x.code ?? `hint:${x.candidates?.[0]}`) === want)!
  if (!m.code) {
    // a hint: ranked candidates (at least two, every one a real code) and the line that tells them apart
    expect(m.candidates!.length, label).toBeGreaterThanOrEqual(2)
    for (const c of m.candidates!)
      expect(
        catalogue.some((e) => e.code === c),
        `${label}: ${c}`,
      ).toBe(true)
    expect(m.confirm, label).toMatch(/^db-doctor check( --only [a-z-]+(,[a-z-]+)*)?$/)
  }
  return m
}

describe('the explain corpus', () => {
  it('is big and broad enough: ≥ 150 texts from ≥ 10 tools, each with its source', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(150)
    expect(new Set(corpus.map((c) => c.tool)).size).toBeGreaterThanOrEqual(10)
    for (const c of corpus) {
      // a public thread, or the string's place in a tool's source (file:line) or binary
      expect(c.source, c.text).toMatch(/https:\/\/|\.(?:js|cjs|c|rs|go):\d+|binary|libpq|fe-connect\.c|typecmds\.c/)
      expect(c.text.length, c.source).toBeGreaterThan(10)
    }
  })

  it('every text is recognised: its code, or a hint with ranked candidates and a confirm line', () => {
    for (const c of corpus) check(c.text, c.expect, `${c.file} ${c.source}`)
  })

  it('every explain-only code of the catalogue is expected by at least one corpus text', () => {
    const expected = new Set(corpus.map((c) => c.expect))
    for (const e of catalogue.filter((x) => x.explainOnly)) expect(expected.has(e.code), e.code).toBe(true)
  })

  it('whole logs: the same texts with ANSI colour and CRLF, as pino JSON lines, behind CRI/kubectl/compose prefixes', () => {
    const ts = '2026-05-01T10:00:00.123456789Z'
    const forms: [string, (t: string) => string][] = [
      ['ansi+crlf', (t) => `\u001b[31m${t.split('\n').join('\u001b[0m\r\n\u001b[31m')}\u001b[0m\r\n`],
      ['pino msg', (t) => `${JSON.stringify({level: 50, time: 1714557600000, pid: 7, hostname: 'api', msg: t})}\n`],
      [
        'pino err',
        (t) =>
          `${JSON.stringify({level: 50, time: 1714557600000, err: {type: 'Error', message: t.split('\n')[0], stack: t}, msg: 'migration failed'})}\n`,
      ],
      [
        'CRI',
        (t) =>
          `${t
            .split('\n')
            .map((l) => `${ts} stderr F ${l}`)
            .join('\n')}\n`,
      ],
      [
        'kubectl --prefix',
        (t) =>
          `${t
            .split('\n')
            .map((l) => `[pod/migrate-7d9f4/migrate] ${l}`)
            .join('\n')}\n`,
      ],
      [
        'compose + timestamps',
        (t) =>
          `${t
            .split('\n')
            .map((l) => `api-1  | 2026-05-01 10:00:00.123 UTC ${l}`)
            .join('\n')}\n`,
      ],
    ]
    for (const c of corpus) {
      for (const [form, wrap] of forms) {
        const m = check(`boot ok\nlistening on :3000\n${wrap(c.text)}done`, c.expect, `${form}: ${c.source}`)
        // the line number is the pasted one (the log's third line or later), never past the end
        expect(m.line, form).toBeGreaterThanOrEqual(3)
      }
    }
  })

  it('hits on consecutive lines stay on their own lines (line numbers and excerpts)', () => {
    const text =
      'Error: write CONNECTION_CLOSED db:5432\nerror: terminating connection due to administrator command\n\nFATAL:  sorry, too many clients already\n'
    const byCode = new Map(explainText(text, 'test').matches.map((m) => [m.code ?? m.candidates![0]!, m]))
    expect(byCode.get('SERVER_ADMIN_TERMINATED')!.line).toBe(2)
    expect(byCode.get('SERVER_ADMIN_TERMINATED')!.excerpt).not.toContain('CONNECTION_CLOSED')
    expect(byCode.get('AUTH_TOO_MANY_CONNECTIONS')!.line).toBe(4)
    expect(byCode.get('SERVER_ADMIN_TERMINATED')!.line).toBe(2)
  })

  it('a CRI partial line ("P") is joined to its continuation before matching', () => {
    const ts = '2026-05-01T10:00:00.1Z'
    const text = `${ts} stderr P error: permission denied to crea\n${ts} stderr F te extension "postgis"\n`
    expect(found(explainText(text, 'test').matches)).toContain('PRIV_NO_CREATE_EXTENSION')
    expect(explainText(text, 'test').matches[0]!.line).toBe(1)
  })

  it('the line numbers are those of the pasted text, also when a JSON line expands to many', () => {
    const pino = JSON.stringify({level: 50, err: {stack: 'Error: x\n    at a\n    at b\n    at c'}, msg: 'boom'})
    const text = `${pino}\nnext\nFATAL:  terminating connection due to idle-session timeout\n`
    const m = explainText(text, 'test').matches.find((x) => x.code === 'SERVER_IDLE_SESSION_TIMEOUT')!
    expect(m.line).toBe(3)
    expect(normalise(text).origin.at(-1)).toBe(4)
  })

  it('a password inside a JSON log line (escaped slashes, nested escapes) never comes back', () => {
    const pw = 'Sup3r-s3cret-pw'
    const lines = [
      JSON.stringify({level: 50, msg: `connect to postgres:\\/\\/app:${pw}@db.internal:5432\\/appdb failed`}),
      JSON.stringify({
        level: 50,
        err: {message: 'password authentication failed for user "app"', config: {password: pw}},
      }),
      `{"level":50,"msg":"DATABASE_URL=postgres:\\/\\/app:${pw}@db:5432\\/x: FATAL:  password authentication failed for user \\"app\\""}`,
    ]
    for (const line of [...lines, lines.join('\n')]) {
      const result = explainText(`${line}\nError: connect ECONNREFUSED 127.0.0.1:5432 (${line})`, 'test')
      expect(result.matches.map((m) => m.code)).toContain('TCP_REFUSED')
      expect(JSON.stringify(result), line).not.toContain(pw)
    }
  })

  it('normalisation stays linear on hostile logs (escapes, prefixes, JSON, partial lines)', () => {
    const unit = 50_000
    const hostile = [
      '\u001b['.repeat(unit),
      `${'{"msg":"'.repeat(unit / 8)}\n`,
      `${'2026-05-01T10:00:00Z stdout P '.repeat(1)}${'x'.repeat(unit)}\n`.repeat(5),
      `${'\\n\\"'.repeat(unit / 2)}`,
      `${'api-1 | '.repeat(unit / 8)}`,
      `{${'"a":{'.repeat(2000)}${'}'.repeat(2001)}`,
    ]
    // Best of three runs per size, and a floor of 1.5 s for the large one (a GC pause or a shared, busy
    // machine must not fail it; this is a complexity check, not a benchmark): four times the input takes
    // about 4× when linear and 16× when quadratic.
    const best = (text: string) =>
      Math.min(
        ...[0, 1, 2].map(() => {
          const t0 = performance.now()
          explainText(text, 'test')
          return performance.now() - t0
        }),
      )
    for (const h of hostile) {
      const one = best(h)
      const four = best(h.repeat(4))
      expect(one, h.slice(0, 20)).toBeLessThan(3000)
      expect(four, `${h.slice(0, 20)}: ${one.toFixed(0)} ms for one`).toBeLessThan(Math.max(1500, one * 10))
    }
  })
})
