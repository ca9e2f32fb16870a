// Text reports wrap prose to the terminal width (160 when not a terminal); snippets stay whole.
import {describe, expect, it} from 'vitest'
import type {Report} from '../../src/core/types.js'
import {renderText} from '../../src/reporters/text.js'
import {wrapParagraph, wrapText} from '../../src/reporters/wrap.js'

const long =
  'The chain ends in the self-signed root "CN=Seed Story Root CA", which is not trusted. Consequence: node-postgres will refuse the connection with "self-signed certificate in certificate chain", while psql with sslmode=require connects.'
const snippet = `DATABASE_URL='postgres://app@db.example.com:5432/appdb?sslmode=verify-full&sslrootcert=/etc/ssl/certs/a-very-long-path/to/the/provider/ca-bundle.pem'`

const report: Report = {
  version: 1,
  tool: 'db-doctor@test',
  target: {host: 'db.example.com', port: 5432, database: 'appdb', user: 'app', sslmode: 'require', sources: {}},
  checks: [
    {
      id: 'tls',
      title: 'TLS certificate chain',
      status: 'fail',
      code: 'TLS_SELF_SIGNED_CHAIN',
      summary: long,
      evidence: {root: long},
      fix: {summary: long, steps: [long, 'short step'], snippet: {language: 'dotenv', code: snippet}},
      durationMs: 3,
    },
  ],
  summary: {pass: 0, warn: 0, fail: 1, skip: 0, verdict: 'failing'},
} as Report

describe('wrapping', () => {
  it('wraps at spaces with a hanging indent, never cutting a word', () => {
    const w = wrapParagraph(long, 60, '  Fix: ', '    ')
    for (const line of w.split('\n')) expect(line.length).toBeLessThanOrEqual(60)
    expect(w.replace(/\n +/g, ' ').replace('  Fix: ', '')).toBe(long)
    expect(wrapText(`    1. ${long}`, 50).split('\n')[1]).toMatch(/^ {7}\S/)
  })

  for (const width of [80, 160]) {
    it(`a text report fits ${width} columns, except the copy-paste snippet`, () => {
      const text = renderText(report, {color: false, width})
      for (const line of text.split('\n')) {
        if (line.includes('sslrootcert=/etc/ssl')) continue
        expect([...line].length, line).toBeLessThanOrEqual(width)
      }
      expect(text).toContain(snippet)
    })
  }
})
