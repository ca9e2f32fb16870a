// The CI reporters as pure functions, fed hostile text: GitHub's escaping rules for workflow
// commands (%, CR, LF in messages; also : and , in properties) and XML that stays well-formed.
import {XMLParser, XMLValidator} from 'fast-xml-parser'
import {describe, expect, it} from 'vitest'
import type {Report} from '../../src/core/types.js'
import {escapeData, escapeProperty, renderGithub} from '../../src/reporters/github.js'
import {renderJunit} from '../../src/reporters/junit.js'

const HOSTILE = 'a%b\r\nc::set-output name=x::y, d: <script>&"\'\u001b[31m\u0000]]>'

function report(summary: string, code = 'AUTH_HBA_REJECTED'): Report {
  return {
    version: 1,
    tool: 'db-doctor@0.0.0',
    target: {host: 'h', port: 5432, database: 'd', user: 'u', sslmode: null, sources: {}},
    checks: [
      {
        id: 'config',
        title: 'Configuration',
        status: 'pass',
        code: null,
        summary: 'ok',
        evidence: {},
        fix: null,
        durationMs: 1,
      },
      {
        id: 'auth',
        title: 'Authentication',
        status: 'fail',
        code,
        summary,
        evidence: {message: summary},
        fix: {summary: 'do\nthis', steps: [summary]},
        durationMs: 2,
      },
    ],
    summary: {pass: 1, warn: 0, fail: 1, skip: 0, verdict: 'failing'},
  }
}

describe('GitHub workflow command escaping', () => {
  it('follows @actions/core: data escapes % CR LF; properties also : and ,', () => {
    expect(escapeData('50%\r\nnext')).toBe('50%25%0D%0Anext')
    expect(escapeProperty('a:b,c%\n')).toBe('a%3Ab%2Cc%25%0A')
  })

  it('hostile server text cannot start a command line of its own', () => {
    const out = renderGithub(report(HOSTILE))
    const lines = out.split('\n')
    const token = lines[0].replace('::stop-commands::', '')
    const resume = lines.indexOf(`::${token}::`)
    expect(resume).toBeGreaterThan(0)
    for (const l of lines.slice(resume + 1)) expect(l).toMatch(/^::(error|warning) title=[^\r\n]*$/)
    expect(lines.slice(resume + 1)).toHaveLength(1)
    expect(lines.at(-1)).toContain('a%25b\\r%0Ac::set-output')
    expect(lines.at(-1)).toContain('\\x1b[31m')
  })
})

describe('JUnit XML', () => {
  it('stays well-formed and keeps hostile text as text', () => {
    const xml = renderJunit(report(HOSTILE))
    expect(XMLValidator.validate(xml)).toBe(true)
    const parsed = new XMLParser({ignoreAttributes: false, attributeNamePrefix: ''}).parse(xml)
    const failure = parsed.testsuites.testsuite.testcase[1].failure
    expect(failure.message).toContain('<script>&')
    expect(failure.message).toContain('\\u001b[31m')
    expect(failure.message).toContain('\\u0000')
  })
})
