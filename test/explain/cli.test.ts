// `db-doctor explain` as users run it: argument or stdin, three formats, exit codes,
// a code's entry, secrets masked in every format, inert excerpts, hostile inputs.
import {describe, expect, it} from 'vitest'
import {catalogue} from '../../src/checks/catalogue.js'
import {explainText} from '../../src/explain/index.js'
import {hints} from '../../src/catalogue/hints.js'
import {CANARY_PASSWORD, CANARY_SPECIAL} from '../helpers/constants.js'
import {runCli} from '../helpers/cli.js'

const LOG = [
  '$ kubectl logs job/migrate-7f9c',
  `DATABASE_URL=postgres://app:${CANARY_PASSWORD}@db.example.com:5432/app?sslmode=require`,
  `PGPASSWORD=${CANARY_PASSWORD}`,
  `connection: host=db.example.com user=app password='${CANARY_SPECIAL}' sslmode=require`,
  'Authorization: Bearer tok-canary-0d9a1f22',
  `  password: "${CANARY_PASSWORD}"`,
  'Error: self-signed certificate in certificate chain',
  "    at TLSSocket.onConnectSecure (node:_tls_wrap:1677:34) { code: 'SELF_SIGNED_CERT_IN_CHAIN' }",
  `error: password authentication failed for user "app" (tried ${CANARY_PASSWORD})`,
  'KnexTimeoutError: Knex: Timeout acquiring a connection. The pool is probably full.',
].join('\n')

const SECRETS = [CANARY_PASSWORD, CANARY_SPECIAL, 'tok-canary-0d9a1f22']

describe('db-doctor explain', () => {
  for (const format of ['text', 'json', 'markdown']) {
    it(`${format}: every known error of a log on stdin, no secret echoed`, async () => {
      const r = await runCli(['explain', '--format', format], {input: LOG})
      expect(r.code, r.stderr).toBe(0)
      for (const s of SECRETS) expect(r.stdout + r.stderr).not.toContain(s)
      for (const code of ['TLS_SELF_SIGNED_CHAIN', 'AUTH_PASSWORD_FAILED', 'SSLMODE_VERIFY_SEMANTICS'])
        expect(r.stdout).toContain(code)
      expect(r.stdout).toContain('Timeout acquiring a connection')
      expect(r.stdout).toContain('db-doctor check --only config,dns,tcp,docker,postgres,tls')
    })
  }

  it('a password in angle brackets is a password, not a <placeholder> (7c6e676 printed <Tr0ub4dor&3> unmasked)', async () => {
    const pasted = ['<Tr0ub4dor&3>', '<s3cr3t>', '<Hunter>', '<x9!k>']
      .map((pw) => `error: postgres://app:${pw}@db.example.com:5432/app: password authentication failed for user "app"`)
      .join('\n')
    for (const format of ['text', 'json', 'markdown']) {
      const r = await runCli(['explain', '--format', format], {input: pasted})
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toContain('AUTH_PASSWORD_FAILED')
      for (const piece of ['Tr0ub4dor', 's3cr3t', 'Hunter', 'x9!k']) expect(r.stdout + r.stderr).not.toContain(piece)
    }
  })

  it('--json has the documented shape', async () => {
    const r = await runCli(['explain', '--json'], {input: LOG})
    const j = JSON.parse(r.stdout)
    expect(j.version).toBe(1)
    expect(j.tool).toMatch(/^db-doctor@/)
    const tls = j.matches.find((m: {code: string}) => m.code === 'TLS_SELF_SIGNED_CHAIN')
    for (const k of ['code', 'check', 'title', 'excerpt', 'meaning', 'causes', 'fix', 'confirm'])
      expect(tls).toHaveProperty(k)
    expect(tls.check).toBe('tls')
    expect(tls.causes.length).toBeGreaterThan(1)
    expect(tls.excerpt).toContain('self-signed certificate in certificate chain')
    const knex = j.matches.find((m: {code: string | null}) => m.code === null)
    expect(knex.candidates).toContain('TCP_TIMEOUT')
    expect(knex.confirm).toBe('db-doctor check')
  })

  it('the text as an argument', async () => {
    const r = await runCli(['explain', 'getaddrinfo ENOTFOUND db.example.invalid'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('DNS_NOT_FOUND')
  })

  it('exit 1 when nothing is recognised', async () => {
    const r = await runCli(['explain', 'all good, 3 migrations applied'])
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('no known PostgreSQL connection error')
    const j = await runCli(['explain', '--json'], {input: 'nothing to see\n'})
    expect(j.code).toBe(1)
    expect(JSON.parse(j.stdout).matches).toEqual([])
  })

  it('exit 2 on a usage error, one line', async () => {
    const r = await runCli(['explain', '--format', 'xml', 'x'])
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
  })

  it("a code prints that code's entry", async () => {
    const r = await runCli(['explain', 'TCP_IPV6_FAILED'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('TCP_IPV6_FAILED')
    expect(r.stdout).toContain('--dns-result-order=ipv4first')
    expect(r.stdout).toContain('Confirm: db-doctor check --only config,dns,tcp')
    const md = await runCli(['explain', '-f', 'markdown', 'AUTH_SERVER_STARTING'])
    expect(md.stdout).toContain('### `AUTH_SERVER_STARTING`')
    expect(md.stdout).toContain('pg_isready')
    const unknown = await runCli(['explain', 'NOT_A_CODE'])
    expect(unknown.code).toBe(1)
  })

  it('excerpts are inert: terminal escapes and control characters are shown escaped', async () => {
    const r = await runCli(['explain', '--json'], {
      input: 'Error: connect ECONNREFUSED 127.0.0.1:5432 \u001b[2J\u001b]0;pwned\u0007\r\u0000\u202e',
    })
    const j = JSON.parse(r.stdout)
    const excerpt = j.matches[0].excerpt as string
    expect(excerpt).toContain('\\x1b[2J')
    // eslint-disable-next-line no-control-regex
    expect(excerpt).not.toMatch(/[\u0000-\u001f\u007f\u202e]/)
    const t = await runCli(['explain'], {input: 'Error: connect ECONNREFUSED 127.0.0.1:5432 \u001b[2J\u0007'})
    expect(t.stdout).not.toContain('\u001b')
  })

  it('text output is wrapped to 160 columns when not a terminal', async () => {
    const r = await runCli(['explain', 'CONFIG_PASSWORD_NOT_ENCODED'])
    for (const line of r.stdout.split('\n')) expect([...line].length).toBeLessThanOrEqual(160)
  })
})

describe('explain: every family of wordings', () => {
  const families = [
    'node',
    'node-postgres',
    'knex',
    'node-pg-migrate',
    'prisma',
    'libpq',
    'postgres',
    'pgbouncer',
    'supavisor',
    'aws-rds',
    'azure',
    'google-cloud-sql',
    'supabase',
    'neon',
  ]
  for (const family of families) {
    it(family, async () => {
      const entries = catalogue.flatMap((e) =>
        e.examples.filter((x) => x.source === family).map((x) => ({code: e.code as string | null, text: x.text})),
      )
      const fromHints = hints.flatMap((h) =>
        h.examples.filter((x) => x.source === family).map((x) => ({code: null as string | null, text: x.text})),
      )
      const all = [...entries, ...fromHints]
      expect(all.length, `no ${family} example`).toBeGreaterThan(0)
      const r = await runCli(['explain', '--json'], {input: all.map((x) => x.text).join('\n')})
      const codes = JSON.parse(r.stdout).matches.map((m: {code: string | null}) => m.code)
      for (const x of entries) expect(codes, x.text).toContain(x.code)
    })
  }
})

describe('explain: hostile input stays linear (generous bounds)', () => {
  const size = 10 * 1024 * 1024
  const fill = (unit: string) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size)
  const cases: Record<string, string> = {
    'one 10 MB line': fill('a'),
    'keywords everywhere': fill('password='),
    'URL starts everywhere': fill('://a:'),
    'near-misses on one line': fill('xECONNREFUSEDx'),
    'regex needles on one line': fill('no pg_hba.conf entry for host "'),
    'an error on every line': fill('Error: connect ETIMEDOUT 10.0.0.1:5432\n'),
  }
  for (const [name, text] of Object.entries(cases)) {
    it(name, () => {
      const started = performance.now()
      explainText(text, 'test')
      expect(performance.now() - started).toBeLessThan(30_000)
    })
  }
})
