// Text from the network is inert in every format: real peers on loopback send terminal escapes,
// forged report lines, Markdown and HTML in an SSLRequest error reply, in a login error's
// message/detail/hint, in a banner and in certificate fields; the full diagnose() + reporter path
// (as the CLI runs it) must show it escaped in text and Markdown and keep it as data in JSON.
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {diagnose} from '../../src/app/diagnose.js'
import {redactor} from '../../src/core/redact.js'
import type {Report} from '../../src/core/types.js'
import {inertLine, mdCell, mdCode, mdFence, mdInline} from '../../src/core/escape.js'
import {renderJson} from '../../src/reporters/json.js'
import {renderMarkdown} from '../../src/reporters/markdown.js'
import {renderText} from '../../src/reporters/text.js'
import {createSelfSignedLeaf} from '../helpers/certs.js'
import {startTlsPeer} from '../helpers/chains.js'
import {CANARY_PASSWORD} from '../helpers/constants.js'
import {bannerPeer, errorResponse, startupErrorPeer} from '../lab/peers.mjs'

/** What a hostile server writes: OSC title + BEL, clear screen, CR/LF, a forged check line, a heading, live HTML, C1 CSI, a bidi override. */
const HOSTILE =
  '\u001b]0;owned\u0007\u001b[2J\r\n✓ Authentication and session (1 ms)\n### forged heading\n<script>alert(1)</script><img src=x onerror=alert(1)> ` | **bold** \u009b31m \u202eevil'

// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/

const closers: Array<() => Promise<void>> = []
let cwd: string
beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'dbd-hostile-text-'))
})
afterAll(async () => {
  await Promise.all(closers.map((c) => c()))
  rmSync(cwd, {recursive: true, force: true})
})

async function report(connection: string, only: string[]): Promise<Report> {
  redactor.add(CANARY_PASSWORD)
  return diagnose({
    connection,
    cwd,
    env: {HOME: cwd, USER: 'osuser', PGPASSFILE: join(cwd, 'none')},
    options: {timeoutMs: 2000, verbose: true, dnsServers: []},
    only,
    tool: 'db-doctor@test',
    strictFacts: true,
  })
}

/** Markdown with escaped characters, code spans and fenced blocks removed: what a renderer could take as HTML. */
function liveMarkdown(md: string): string {
  return md
    .replace(/^(`{3,})[^\n]*\n[\s\S]*?\n\1$/gm, '')
    .replace(/\\[\s\S]/g, '')
    .replace(/(`+)(?!`)[\s\S]*?[^`]\1(?!`)/g, '')
}

function assertInert(r: Report, where: string, raw = true): void {
  const text = renderText(r, {color: false, verbose: true, width: 160})
  const md = renderMarkdown(r, {verbose: true})
  const json = renderJson(r)
  for (const [name, out] of [
    ['text', text],
    ['markdown', md],
    ['json', json],
  ] as const) {
    expect(out, `${where} ${name}: a raw control character`).not.toMatch(RAW_CONTROL)
    expect(out, `${where} ${name}: a forged line`).not.toMatch(/^\s*✓ Authentication and session \(1 ms\)/m)
    expect(out, `${where} ${name}: a forged heading`).not.toMatch(/^\s*#+ forged heading/m)
    expect(out).not.toContain(CANARY_PASSWORD)
  }
  // Markdown: no live HTML, no emphasis from the data
  const live = liveMarkdown(md)
  expect(live, `${where}: live HTML in Markdown`).not.toMatch(/<\s*(script|img)/i)
  expect(live).not.toContain('**bold**')
  if (!raw) return // certificate fields arrive already escaped by Node's X.509 formatting
  // Text: the escapes are shown, not acted on
  expect(text).toContain('\\x1b]0;owned\\x07')
  // JSON: the data is the server's text, exactly
  expect(JSON.stringify(JSON.parse(json))).toContain(JSON.stringify(HOSTILE).slice(1, 40))
}

describe('hostile text from real peers is inert in text, Markdown and JSON', () => {
  it('an ErrorResponse to SSLRequest (postgres check)', async () => {
    const peer = await bannerPeer(errorResponse({S: 'FATAL', V: 'FATAL', C: '08P01', M: HOSTILE}), {afterData: true})
    closers.push(peer.close)
    const r = await report(`postgres://app:${CANARY_PASSWORD}@127.0.0.1:${peer.port}/appdb?sslmode=require`, [
      'config',
      'dns',
      'tcp',
      'postgres',
    ])
    const pg = r.checks.find((c) => c.id === 'postgres')!
    expect(pg.status).toBe('fail')
    expect(JSON.stringify(pg)).toContain('alert(1)')
    assertInert(r, 'SSLRequest error')
  })

  it('a login refused with message, detail and hint (auth check)', async () => {
    const peer = await startupErrorPeer(
      errorResponse({S: 'FATAL', V: 'FATAL', C: '28000', M: HOSTILE, D: HOSTILE, H: HOSTILE}),
    )
    closers.push(peer.close)
    const r = await report(`postgres://app:${CANARY_PASSWORD}@127.0.0.1:${peer.port}/appdb?sslmode=disable`, [
      'config',
      'dns',
      'tcp',
      'postgres',
      'auth',
    ])
    const auth = r.checks.find((c) => c.id === 'auth')!
    expect(auth.status).toBe('fail')
    expect(JSON.stringify(auth.evidence)).toContain('alert(1)')
    assertInert(r, 'login error')
  })

  it('banner bytes of something that is not PostgreSQL', async () => {
    const peer = await bannerPeer(HOSTILE, {keepOpen: true})
    closers.push(peer.close)
    const r = await report(`postgres://app:${CANARY_PASSWORD}@127.0.0.1:${peer.port}/appdb`, [
      'config',
      'dns',
      'tcp',
      'postgres',
    ])
    expect(r.checks.find((c) => c.id === 'postgres')).toMatchObject({status: 'fail', code: 'PG_NOT_POSTGRES'})
    const md = renderMarkdown(r, {verbose: true})
    expect(md).not.toMatch(RAW_CONTROL)
    expect(liveMarkdown(md)).not.toMatch(/<\s*(script|img)/i)
  })

  it('certificate subject and SAN fields (tls check)', async () => {
    const leaf = await createSelfSignedLeaf({
      commonName: HOSTILE,
      dnsNames: ['evil\u001b[2J.test', '<img src=x onerror=alert(1)>.test'],
    })
    const peer = await startTlsPeer({certPem: leaf.certPem, keyPem: leaf.keyPem})
    closers.push(peer.close)
    const r = await report(`postgres://app:${CANARY_PASSWORD}@127.0.0.1:${peer.port}/appdb?sslmode=verify-full`, [
      'config',
      'dns',
      'tcp',
      'postgres',
      'tls',
    ])
    const t = r.checks.find((c) => c.id === 'tls')!
    expect(t.status).toBe('fail')
    expect(JSON.stringify(t)).toContain('alert(1)')
    assertInert(r, 'certificate', false)
  })
})

describe('escape helpers (pure)', () => {
  it('text: every control character shown as an escape', () => {
    expect(inertLine('a\u001b[31mb\u0007\r\n\u009b\u202e\t')).toBe('a\\x1b[31mb\\x07\\r\\n\\x9b\\u202e\\t')
  })
  it('Markdown: syntax escaped outside our code spans, code spans kept, DATABASE_URL readable', () => {
    expect(mdInline('set `DATABASE_URL` in DATABASE_URL <b>')).toBe('set `DATABASE_URL` in DATABASE_URL \\<b\\>')
    expect(mdInline('# x')).toBe('\\# x')
    expect(mdInline('1. x')).toBe('1\\. x')
    expect(mdInline('a ` b')).toBe('a \\` b')
    expect(mdInline('_x_ *y*')).toBe('\\_x\\_ \\*y\\*')
    expect(mdCell('a|b `c|d`')).toBe('a\\|b `c\\|d`')
    expect(mdCode('a``b')).toBe('```a``b```')
    expect(mdFence('x\n```\ny', 'bash')).toBe('````bash\nx\n```\ny\n````')
  })
})
