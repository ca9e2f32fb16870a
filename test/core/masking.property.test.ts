// Masking by structure (issue 17, items 2 and 3), as pure properties over the one redaction
// module (core/redact.ts): passwords drawn from the report's own vocabulary never change a key, a
// number, a contract field or the markup of any format; unique canaries (JWTs, SigV4 tokens,
// separators and quotes inside) leave no piece of 4+ characters in any form they are written in;
// and the rule set stays linear on hostile input. The CLI counterpart is
// test/commands/masking-structure.test.ts; explain's is test/explain/redaction.property.test.ts.
import fc from 'fast-check'
import {XMLParser, XMLValidator} from 'fast-xml-parser'
import {describe, expect, it} from 'vitest'
import {maskSecretForms, redactReport, redactor, secretsInText} from '../../src/core/redact.js'
import type {Report} from '../../src/core/types.js'
import {renderGithub} from '../../src/reporters/github.js'
import {renderJunit} from '../../src/reporters/junit.js'
import {renderJsonLines, renderJsonRun, renderMarkdownRun, renderTextRun} from '../../src/reporters/run.js'
import {
  FORMS,
  REPORT_VOCABULARY,
  canaryPassword,
  jwt,
  leakedPieces,
  sigV4Token,
  vocabularyPassword,
} from '../helpers/secret-generators.js'

const SEED = Number(process.env.FUZZ_SEED ?? 20261207)
const RUNS = Number(process.env.FUZZ_RUNS ?? 150)

/** A report shaped like a real one, full of the vocabulary (null, true, 5432, ids, codes), with the password in leaves. */
function sampleReport(pw: string): Report {
  return {
    version: 1,
    tool: 'db-doctor@0.1.0',
    target: {
      host: '127.0.0.1',
      port: 5432,
      database: 'appdb',
      user: 'app',
      sslmode: null,
      sources: {host: 'CONNECTION argument', password: 'PGPASSWORD', name: 'id'},
    },
    checks: [
      {
        id: 'config',
        title: 'Configuration',
        status: 'pass',
        code: null,
        summary: 'postgres://app:****@127.0.0.1:5432/appdb, name id true null',
        evidence: {
          connectionString: `postgres://app:${encodeURIComponent(pw)}@127.0.0.1:5432/appdb?sslmode=require`,
          parameters: {sslpassword: pw, application_name: 'name'},
          settings: [
            {field: 'host', value: '127.0.0.1', source: 'CONNECTION argument'},
            {field: 'port', value: '5432', source: 'default'},
          ],
          inContainer: true,
          literal: null,
          port: 5432,
        },
        fix: null,
        durationMs: 3,
      },
      {
        id: 'auth',
        title: 'Authentication and session',
        status: 'fail',
        code: 'AUTH_PASSWORD_FAILED',
        summary: `The server refused the password for "app" (28P01).`,
        evidence: {
          serverMessage: `password authentication failed for user "app"`,
          note: `password=${pw}`,
          sqlstate: '28P01',
        },
        fix: {summary: 'Set the right password.', steps: ['PGPASSWORD=your-password', `DB_PASS=${JSON.stringify(pw)}`]},
        durationMs: 12,
      },
      {
        id: 'migrations',
        title: 'Migrations',
        status: 'skip',
        code: null,
        summary: 'Skipped: the auth check failed (AUTH_PASSWORD_FAILED).',
        evidence: {blockedBy: 'auth'},
        fix: null,
        durationMs: 0,
      },
    ],
    summary: {pass: 1, warn: 0, fail: 1, skip: 1, verdict: 'failing'},
  }
}

/** The shape of a parsed document: keys, numbers, booleans, null, array lengths; strings as "<s>" (the contract fields as they are). */
function shape(v: unknown, key = ''): unknown {
  if (typeof v === 'string')
    return ['id', 'code', 'status', 'verdict', 'title', 'tool', 'version'].includes(key) ? v : '<s>'
  if (Array.isArray(v)) return v.map((x) => shape(x))
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x, k)]))
  return v
}

const xml = new XMLParser({ignoreAttributes: false, attributeNamePrefix: '@', parseAttributeValue: true})
function junitShape(text: string): unknown {
  expect(XMLValidator.validate(text)).toBe(true)
  const strip = (v: unknown, key = ''): unknown => {
    if (typeof v === 'string') return key === '@time' || key === '@timestamp' ? '<t>' : '<s>'
    if (typeof v === 'number') return key === '@time' ? '<t>' : v
    if (Array.isArray(v)) return v.map((x) => strip(x))
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, strip(x, k)]))
    return v
  }
  return strip(xml.parse(text))
}

function renderAll(doc: Report) {
  return {
    json: renderJsonRun(doc),
    jsonl: renderJsonLines(doc),
    junit: renderJunit(doc, {timestamp: '2026-12-07T00:00:00Z'}),
    markdown: renderMarkdownRun(doc, {verbose: true}),
    text: renderTextRun(doc, {color: false, verbose: true, width: 160}),
    github: renderGithub(doc, {verbose: true, width: 160}),
  }
}

describe('a password from the report vocabulary never changes the structure of any format', () => {
  it('the known values of issue 17 (null, true, 5432, name, postgres, id, the check ids)', () => {
    redactor.clear()
    const benign = renderAll(sampleReport('benign-Pw-0000'))
    for (const pw of ['null', 'true', '5432', 'name', 'postgres', 'id', 'auth', 'config', 'pass', 'testsuites', '"']) {
      redactor.clear()
      redactor.add(pw)
      const out = renderAll(sampleReport(pw))
      const doc = JSON.parse(out.json)
      expect(shape(doc), pw).toEqual(shape(JSON.parse(benign.json)))
      expect(doc.checks.map((c: {id: string}) => c.id)).toEqual(['config', 'auth', 'migrations'])
      expect(doc.checks.map((c: {code: string | null}) => c.code)).toEqual([null, 'AUTH_PASSWORD_FAILED', null])
      expect(shape(JSON.parse(out.jsonl)), pw).toEqual(shape(JSON.parse(benign.jsonl)))
      expect(junitShape(out.junit), pw).toEqual(junitShape(benign.junit))
      expect(out.github.split('\n').filter((l) => l.startsWith('::')).length).toBe(
        benign.github.split('\n').filter((l) => l.startsWith('::')).length,
      )
      expect(out.markdown.split('\n').filter((l) => l.startsWith('|')).length).toBe(
        benign.markdown.split('\n').filter((l) => l.startsWith('|')).length,
      )
    }
    redactor.clear()
  })

  it('property: random vocabulary passwords and glued pairs, every format parses to the same shape', () => {
    redactor.clear()
    const benign = renderAll(sampleReport('benign-Pw-0000'))
    const benignJson = shape(JSON.parse(benign.json))
    const benignJunit = junitShape(benign.junit)
    fc.assert(
      fc.property(vocabularyPassword, (pw) => {
        redactor.clear()
        redactor.addFromConnectionString(`postgres://app:${pw}@127.0.0.1/appdb`)
        redactor.add(pw)
        const out = renderAll(sampleReport(pw))
        expect(shape(JSON.parse(out.json))).toEqual(benignJson)
        expect(junitShape(out.junit)).toEqual(benignJunit)
        for (const line of out.jsonl.split('\n')) JSON.parse(line)
      }),
      {seed: SEED, numRuns: RUNS},
    )
    redactor.clear()
  })

  it('redactReport never touches keys, numbers, booleans, null or contract fields', () => {
    fc.assert(
      fc.property(fc.constantFrom(...REPORT_VOCABULARY), (pw) => {
        redactor.clear()
        redactor.add(pw)
        const doc = sampleReport(pw)
        const masked = redactReport(doc)
        expect(shape(masked)).toEqual(shape(doc))
      }),
      {seed: SEED, numRuns: Math.min(RUNS, REPORT_VOCABULARY.length * 2)},
    )
    redactor.clear()
  })
})

describe('unique canaries: no piece of 4+ characters in any form, in any format', () => {
  it('property: every form, masked by the rule set alone (nothing registered)', () => {
    redactor.clear()
    for (const form of FORMS) {
      const raw = /raw|Authorization/.test(form.name)
      const benign = maskSecretForms(form.text('benign'))
      fc.assert(
        fc.property(canaryPassword, (pw) => {
          // a raw form cannot carry whitespace or a closing quote unambiguously (no parser could tell either)
          fc.pre(!raw || !/[\s"'`]/.test(pw))
          const out = maskSecretForms(`log: ${form.text(pw)} (retrying)`)
          expect(leakedPieces(pw, out, benign), `${form.name}: ${out.slice(0, 300)}`).toEqual([])
        }),
        {seed: SEED, numRuns: Math.ceil(RUNS / 3)},
      )
    }
  })

  it('property: a registered password is masked in every report format, whatever it holds', () => {
    redactor.clear()
    const benign = renderAll(sampleReport('benign-Pw-0000'))
    fc.assert(
      fc.property(canaryPassword, (pw) => {
        redactor.clear()
        redactor.add(pw)
        const out = renderAll(sampleReport(pw))
        JSON.parse(out.json)
        expect(XMLValidator.validate(out.junit)).toBe(true)
        for (const [format, text] of Object.entries(out)) {
          expect(leakedPieces(pw, text, (benign as Record<string, string>)[format]), format).toEqual([])
        }
      }),
      {seed: SEED, numRuns: Math.ceil(RUNS / 3)},
    )
    redactor.clear()
  })

  it('the secrets found in a text are its values, whole (a long JWT, a presigned token, a quoted value)', () => {
    fc.assert(
      fc.property(fc.oneof(jwt, sigV4Token), (token) => {
        expect(secretsInText(`password=${token} host=db`)).toContain(token)
        expect(secretsInText(`{"password": ${JSON.stringify(token)}}`)).toContain(JSON.stringify(token).slice(1, -1))
      }),
      {seed: SEED, numRuns: 30},
    )
    expect(secretsInText(`host=db password='a\\'b,c d' user=x`)).toContain(`a\\'b,c d`)
    expect(secretsInText('postgres://h/db?password=A1&B2=C3')).toContain('A1&B2=C3')
  })
})

describe('the rule set is linear', () => {
  it('millions of keywords, a 2 MB token and nested quotes stay fast', () => {
    const cases = [
      'password='.repeat(200_000),
      'pass'.repeat(500_000),
      `password="${'\\"'.repeat(500_000)}`,
      `eyJ${'a'.repeat(2_000_000)}`,
      'eyJ'.repeat(600_000),
      `postgres://u:${'@'.repeat(1_000_000)}`,
      '://'.repeat(600_000),
      'x-amz-signature&'.repeat(100_000),
    ]
    for (const text of cases) {
      const started = performance.now()
      maskSecretForms(text)
      expect(performance.now() - started, text.slice(0, 30)).toBeLessThan(3000)
    }
  })
})
