import {describe, expect, it} from 'vitest'
import {redactor} from '../../src/core/redact.js'
import type {Report} from '../../src/core/types.js'
import {renderJson} from '../../src/reporters/json.js'
import {renderMarkdown} from '../../src/reporters/markdown.js'
import {layoutEvidence} from '../../src/reporters/shared.js'
import {renderText} from '../../src/reporters/text.js'

const CANARY = 'reporter-canary-51f0'

const report: Report = {
  version: 1,
  tool: 'db-doctor@0.0.0',
  target: {
    host: 'db.example.test',
    port: 5432,
    database: 'appdb',
    user: 'app',
    sslmode: 'require',
    sources: {host: 'DATABASE_URL in .env'},
  },
  checks: [
    {
      id: 'config',
      title: 'Configuration',
      status: 'pass',
      code: null,
      summary: 'Settings resolved.',
      evidence: {host: 'db.example.test'},
      fix: null,
      durationMs: 1,
    },
    {
      id: 'tcp',
      title: 'TCP reachability',
      status: 'warn',
      code: 'TCP_IPV6_FAILED',
      summary: 'IPv6 is dead.',
      evidence: {
        port: 5432,
        attempts: [
          {address: '2001:db8::1', family: 6, outcome: 'timeout', ms: 5000},
          {address: '192.0.2.1', family: 4, outcome: 'connected', ms: 3},
        ],
      },
      fix: {
        summary: 'Prefer IPv4.',
        steps: ['Set NODE_OPTIONS.'],
        snippet: {language: 'bash', code: 'NODE_OPTIONS=--dns-result-order=ipv4first'},
      },
      durationMs: 5001,
    },
    {
      id: 'auth',
      title: 'Authentication and session',
      status: 'fail',
      code: 'AUTH_PASSWORD_FAILED',
      summary: `Password rejected for postgres://app:${CANARY}@db.example.test/appdb`,
      evidence: {sqlstate: '28P01'},
      fix: {summary: 'Fix the password.', steps: ['Edit DB_PASSWORD in .env.']},
      durationMs: 20,
    },
    {
      id: 'tls',
      title: 'TLS certificate chain',
      status: 'skip',
      code: null,
      summary: 'Skipped: the tcp check failed.',
      evidence: {},
      fix: null,
      durationMs: 0,
    },
  ],
  summary: {pass: 1, warn: 1, fail: 1, skip: 1, verdict: 'failing'},
}

describe('reporters', () => {
  redactor.add(CANARY)

  it('text: summary symbols, codes, evidence table and fix steps; no colour codes when colour is off', () => {
    const out = renderText(report, {color: false})
    expect(out).toContain('✓ Configuration')
    expect(out).toContain('! TCP reachability TCP_IPV6_FAILED')
    expect(out).toContain('✗ Authentication and session AUTH_PASSWORD_FAILED')
    expect(out).toContain('– TLS certificate chain')
    expect(out).toContain('1 passed, 1 warning, 1 failed, 1 skipped: failing')
    expect(out).toMatch(/2001:db8::1.*timeout/)
    expect(out).toContain('1. Set NODE_OPTIONS.')
    expect(out).toContain('NODE_OPTIONS=--dns-result-order=ipv4first')
    // eslint-disable-next-line no-control-regex
    expect(out).not.toMatch(/\u001B\[/)
    expect(out).not.toContain(CANARY)
    // eslint-disable-next-line no-control-regex
    expect(renderText(report, {color: true})).toMatch(/\u001B\[/)
  })

  it('markdown: a table of checks and a section per problem', () => {
    const out = renderMarkdown(report)
    expect(out).toContain('## db-doctor: failing')
    expect(out).toContain('| ! | `tcp` | `TCP_IPV6_FAILED` |')
    expect(out).toContain('### ✗ Authentication and session — `AUTH_PASSWORD_FAILED`')
    expect(out).toContain('| address | family | outcome | ms |')
    expect(out).toContain('```bash\nNODE_OPTIONS=--dns-result-order=ipv4first\n```')
    expect(out).not.toContain(CANARY)
  })

  it('json: the contract, redacted', () => {
    const out = renderJson(report)
    const parsed = JSON.parse(out)
    expect(parsed.version).toBe(1)
    expect(parsed.checks[2].summary).toContain('postgres://app:****@db.example.test/appdb')
    expect(out).not.toContain(CANARY)
  })

  it('lays evidence out as pairs and tables', () => {
    const l = layoutEvidence({a: 1, nested: {b: 'x', c: [1, 2]}, rows: [{k: 'v'}], empty: []})
    expect(l.pairs).toEqual([
      ['a', '1'],
      ['nested.b', 'x'],
      ['nested.c', '1, 2'],
    ])
    expect(l.tables).toEqual([{title: 'rows', columns: ['k'], rows: [['v']]}])
  })
})

describe('text tables', () => {
  it('narrows a table too wide for the width: its cells wrap, nothing is cut off; records only when even narrow columns cannot fit', () => {
    const wide: Report = {
      ...report,
      checks: [
        {
          id: 'tls',
          title: 'TLS certificate chain',
          status: 'fail',
          code: 'TLS_SELF_SIGNED_CHAIN',
          summary: 'Untrusted root.',
          evidence: {
            chain: [
              {depth: 0, subject: 'CN=' + 'x'.repeat(80), sha256: 'AB:'.repeat(32)},
              {depth: 1, subject: 'CN=root', sha256: 'CD:'.repeat(32)},
            ],
          },
          fix: {summary: 'Trust the CA.', steps: []},
          durationMs: 1,
        },
      ],
    }
    const out = renderText(wide, {color: false, width: 100})
    expect(out).toContain('┌')
    expect(Math.max(...out.split('\n').map((l) => [...l].length))).toBeLessThanOrEqual(100)
    // every character of the long cells is still there, split over lines of the column
    const cells = out.replace(/[│ ]/g, '')
    expect(cells).toContain('x'.repeat(30))
    expect(
      (
        out
          .split('\n')
          .filter((l) => l.includes('│'))
          .join('')
          .match(/x/g) ?? []
      ).length,
    ).toBe(80)
    expect((out.match(/AB:/g) ?? []).length + (out.match(/AB\n|A\n|B:/g) ?? []).length).toBeGreaterThan(0)
    expect(renderText(wide, {color: false, width: 400})).toContain('┌')
    // 3 columns cannot fit in 20: one block of `column  value` lines per row, values wrapped
    const tiny = renderText(wide, {color: false, width: 24})
    expect(tiny).toMatch(/\[0\]\n\s+depth\s+0\n\s+subject\s+CN=x+/)
    expect(tiny).not.toContain('┌')
  })
})
