// The app's own source as db-doctor reports it (SERVER_IDLE_SESSION_TIMEOUT names the Pool file:line it read,
// models/drivers/node-postgres.ts poolsInCode), from an app whose file name is hostile: terminal escapes, a
// right-to-left override, a newline followed by a workflow command, `##[group]`. The file also writes a
// password into its Pool's options: db-doctor reads the file as text and must never show it. The real CLI
// against the real server (a role with idle_session_timeout = 1s), in every format and under GitHub Actions.
import {XMLParser} from 'fast-xml-parser'
import pg from 'pg'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {checkOf, reportOf, type CliResult} from '../helpers/cli.js'
import {APP_DATABASE, CANARY_PASSWORD, PG_HOST} from '../helpers/constants.js'
import {makeApp, runDoctor, type App} from '../helpers/migration-tools.js'

const info = inject('pg')
const ROLE = 'srv_idle_hostile_name'
/** A password written in the app's own code (the Pool's options): db-doctor never registers it, never shows it. */
const FILE_PASSWORD = 'filePw-3e9b1d7c'
const FILE = 'src/\u001b[2J\u001b]0;t\u0007\u202eevil ##[group]g\n::error::pwned %0A::warning::x.mjs'
let admin: pg.Client
let app: App

const ONLY = ['--only', 'config,dns,tcp,postgres,tls,ssl-config,auth,server']
const RUNS: Record<string, {args: string[]; env?: Record<string, string>}> = {
  text: {args: ['check', ...ONLY, '-v']},
  '--json': {args: ['check', ...ONLY, '--json']},
  json: {args: ['check', ...ONLY, '--format', 'json']},
  jsonl: {args: ['check', ...ONLY, '--format', 'jsonl']},
  junit: {args: ['check', ...ONLY, '--format', 'junit']},
  markdown: {args: ['check', ...ONLY, '--format', 'markdown']},
  openmetrics: {args: ['check', ...ONLY, '--format', 'openmetrics']},
  github: {args: ['check', ...ONLY, '--format', 'github', '-v']},
  'text in Actions': {args: ['check', ...ONLY, '-v'], env: {GITHUB_ACTIONS: 'true'}},
}
const results: Record<string, CliResult> = {}

/** The github reporter's own lines: the stop-commands pair and its annotations. */
const OWN_COMMAND = /^::(?:stop-commands::[0-9a-f]{32}|[0-9a-f]{32}::|(?:error|warning) title=[^:]*::)/
/** Raw control characters but for LF and TAB, and format characters (bidi). */
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\p{Cf}]/u

beforeAll(async () => {
  admin = new pg.Client({
    host: PG_HOST,
    port: info.port,
    user: info.superuser.user,
    password: info.superuser.password,
    database: 'postgres',
    ssl: {ca: info.caPem, servername: 'localhost'},
  })
  await admin.connect()
  await admin.query(`drop role if exists ${ROLE}`)
  await admin.query(`create role ${ROLE} login password '${CANARY_PASSWORD}'`)
  await admin.query(`grant connect on database ${APP_DATABASE} to ${ROLE}`)
  await admin.query(`alter role ${ROLE} set idle_session_timeout = '1s'`)
  app = makeApp({
    files: {
      'package.json': JSON.stringify({name: 'app', private: true, type: 'module', dependencies: {pg: '*'}}),
      [FILE]: [
        "import pg from 'pg'",
        `export const pool = new pg.Pool({host: 'db', user: 'app', password: '${FILE_PASSWORD}', idleTimeoutMillis: 5000})`,
      ].join('\n'),
    },
    packages: ['pg'],
  })
  const env = {
    DATABASE_URL: `postgres://${ROLE}:${CANARY_PASSWORD}@${PG_HOST}:${info.port}/${APP_DATABASE}?sslmode=verify-full&sslrootcert=${encodeURIComponent(info.caFile)}`,
  }
  const names = Object.keys(RUNS)
  for (let i = 0; i < names.length; i += 3)
    await Promise.all(
      names.slice(i, i + 3).map(async (name) => {
        results[name] = await runDoctor(app, RUNS[name].args, {env: {...env, ...RUNS[name].env}})
      }),
    )
}, 180_000)

afterAll(async () => {
  await admin.query(`drop role if exists ${ROLE}`).catch(() => undefined)
  await admin.end()
  app?.cleanup()
})

describe('a hostile app file name, and a password in its Pool options', () => {
  it('the Pool is read and named: SERVER_IDLE_SESSION_TIMEOUT at the file, as data in JSON', () => {
    const server = checkOf(reportOf(results['--json']), 'server')
    expect(server, results['--json'].stderr).toMatchObject({status: 'warn', code: 'SERVER_IDLE_SESSION_TIMEOUT'})
    expect(server.evidence.appPools).toEqual([{at: `${FILE}:2`, idleTimeoutMillis: 5000, errorListener: false}])
  })

  it.each(Object.keys(RUNS))('%s: exit 0 (a warning), neither password, no raw control or bidi character', (name) => {
    const r = results[name]
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('SERVER_IDLE_SESSION_TIMEOUT')
    for (const out of [r.stdout, r.stderr]) {
      expect(out).not.toContain(FILE_PASSWORD)
      expect(out).not.toContain(CANARY_PASSWORD)
      expect(out).not.toMatch(RAW)
    }
  })

  it('structured formats still parse', () => {
    JSON.parse(results.json.stdout)
    for (const line of results.jsonl.stdout.trim().split('\n')) JSON.parse(line)
    new XMLParser().parse(results.junit.stdout)
  })

  it.each(['github', 'text in Actions'])(
    '%s: no line is a workflow command but the reporter’s own, and none holds ##[',
    (name) => {
      const r = results[name]
      for (const line of `${r.stdout}\n${r.stderr}`.split(/\r?\n|\r/)) {
        const own = OWN_COMMAND.exec(line)
        if (own) {
          expect(line.slice(own[0].length), line).not.toMatch(/##\[/)
          continue
        }
        expect(line, 'a line that is a workflow command').not.toMatch(/^\s*::/)
        expect(line, 'a legacy ##[ command').not.toMatch(/##\[/)
      }
    },
  )

  it('openmetrics: every line is a comment, a sample or EOF (the file name is no label)', () => {
    for (const line of results.openmetrics.stdout.trim().split('\n'))
      expect(line).toMatch(/^(?:# (?:TYPE|HELP|UNIT) |# EOF$|[a-z_]+(?:\{[^\n]*\})? -?[\d.e+]+(?: [\d.]+)?$)/)
  })
})
