// Differential suite, TLS and URL-parser scenarios (issue 8 items 3 and 4): for each
// configuration, the real knex 3.3 CLI (and node-pg-migrate 9 where it applies) runs
// `migrate:latest` / `up` against the test server in a temp app folder, db-doctor runs beside
// it with the same folder and environment, and the verdicts must agree: exit 0 exactly when
// the real tool connects, and the failing code names the real cause.
import {describe, expect, inject, it} from 'vitest'
import {CANARY_LENIENT, CANARY_PASSWORD, CANARY_SPECIAL} from '../helpers/constants.js'
import {checkInAllFormats, checkOf, reportOf, type CliResult} from '../helpers/cli.js'
import {
  createScenarioDatabase,
  makeApp,
  runDoctor,
  runTool,
  type App,
  type ToolResult,
} from '../helpers/migration-tools.js'
import {agree} from '../helpers/differential.js'
import {scenarioCleanup} from '../helpers/scenario-cleanup.js'

const pg = inject('pg')
const {apps, dbs, scenario} = scenarioCleanup(pg)

function app(files: Record<string, string>, packages = ['knex', 'pg']): App {
  const a = makeApp({files, packages})
  apps.push(a)
  return a
}

function noCanary(...results: Array<CliResult | ToolResult>) {
  for (const r of results) {
    for (const secret of [CANARY_PASSWORD, CANARY_SPECIAL, CANARY_LENIENT].flatMap((s) => [s, encodeURIComponent(s)])) {
      if ('command' in r) continue // the tool's own output is the tool's business
      expect(r.stdout).not.toContain(secret)
      expect(r.stderr).not.toContain(secret)
    }
  }
}

/** db-doctor in all three formats (one run: checkInAllFormats); the JSON report, and no canary in any format. */
async function doctor(a: App, env: Record<string, string | undefined>, args: string[] = []) {
  const {json, text, md} = await checkInAllFormats(args, (argv) => runDoctor(a, argv, {env}))
  noCanary(json, text, md)
  expect(text.stdout).toMatch(/^db-doctor /)
  expect(md.stdout).toMatch(/^## db-doctor: /)
  return {code: json.code, report: reportOf(json), text: text.stdout}
}

const knexString = `module.exports = {client: 'pg', connection: process.env.DATABASE_URL}\n`
const knexObject = (ssl: string) =>
  `module.exports = {client: 'pg', connection: {connectionString: process.env.DATABASE_URL, ssl: ${ssl}}}\n`

/** The node error of each tls code, as node-postgres surfaces it through the tools. */
const NODE_WORDS: Record<string, RegExp> = {
  TLS_SELF_SIGNED_CERT: /self[- ]signed certificate/,
  TLS_SELF_SIGNED_CHAIN: /self[- ]signed certificate in certificate chain/,
  TLS_UNTRUSTED_ISSUER: /unable to (verify the first certificate|get (local )?issuer certificate)/,
}

describe('differential: TLS behaviour of the app vs db-doctor', () => {
  it('NODE_TLS_REJECT_UNAUTHORIZED=0 + sslmode=require, untrusted chain: knex and node-pg-migrate connect (unverified); db-doctor degraded, auth runs', async () => {
    const db = await scenario('nodetls_off')
    const env = {DATABASE_URL: db.url(CANARY_PASSWORD, 'sslmode=require'), NODE_TLS_REJECT_UNAUTHORIZED: '0'}
    const knex = await runTool(app({'knexfile.js': knexString}), ['knex', 'migrate:latest'], {env, database: db})
    const npmApp = app({'package.json': JSON.stringify({name: 'a', scripts: {migrate: 'node-pg-migrate up'}})}, [
      'node-pg-migrate',
      'pg',
    ])
    const db2 = await scenario('nodetls_off_npm')
    const npm = await runTool(
      npmApp,
      {script: 'migrate'},
      {env: {...env, DATABASE_URL: db2.url(CANARY_PASSWORD, 'sslmode=require')}, database: db2},
    )
    expect(knex.connected, knex.stderr).toBe(true)
    expect(npm.connected, npm.stderr).toBe(true)

    const d = await doctor(apps.at(-2)!, env)
    agree(knex, d)
    expect(d.report.summary.verdict).toBe('degraded')
    const tls = checkOf(d.report, 'tls')
    expect(tls.status).toBe('warn')
    expect(Object.keys(NODE_WORDS)).toContain(tls.code)
    expect(tls.summary).toContain('NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment')
    expect(checkOf(d.report, 'ssl-config').evidence.findings).toContainEqual(
      expect.objectContaining({code: 'SSL_VERIFICATION_DISABLED', setting: 'NODE_TLS_REJECT_UNAUTHORIZED=0'}),
    )
    expect(checkOf(d.report, 'auth').status).toBe('pass')

    // the control: without the variable both tools fail on the chain, and db-doctor names it
    const db3 = await scenario('nodetls_on')
    const strict = {DATABASE_URL: db3.url(CANARY_PASSWORD, 'sslmode=require')}
    const knex2 = await runTool(apps.at(-2)!, ['knex', 'migrate:latest'], {env: strict, database: db3})
    expect(knex2.connected).toBe(false)
    const d2 = await doctor(apps.at(-2)!, strict)
    agree(knex2, d2)
    const tls2 = checkOf(d2.report, 'tls')
    expect(tls2.status).toBe('fail')
    expect(`${knex2.stdout}\n${knex2.stderr}`).toMatch(NODE_WORDS[tls2.code]!)
  })

  it('NODE_TLS_REJECT_UNAUTHORIZED=0 only in .env, app loads dotenv itself: the knexfile connects unverified; db-doctor says where the variable came from', async () => {
    const db = await scenario('nodetls_dotenv')
    const a = app(
      {
        'knexfile.js': `require('dotenv').config({quiet: true})\nmodule.exports = {client: 'pg', connection: process.env.DATABASE_URL}\n`,
        '.env': `DATABASE_URL=${db.url(CANARY_PASSWORD, 'sslmode=require')}\nNODE_TLS_REJECT_UNAUTHORIZED=0\n`,
      },
      ['knex', 'pg', 'dotenv'],
    )
    const knex = await runTool(a, ['knex', 'migrate:latest'], {database: db})
    const d = await doctor(a, {})
    agree(knex, d)
    expect(knex.connected, knex.stderr).toBe(true)
    const tls = checkOf(d.report, 'tls')
    expect(tls.status).toBe('warn')
    expect(tls.summary).toContain('NODE_TLS_REJECT_UNAUTHORIZED=0 from the env file')
    expect(checkOf(d.report, 'auth').status).toBe('pass')
  })

  it('NODE_TLS_REJECT_UNAUTHORIZED=0 only in .env, knex CLI launched by a script without a loader: knex verifies and fails; so does db-doctor', async () => {
    const db = await scenario('nodetls_not_loaded')
    const a = app({
      'knexfile.js': knexString,
      '.env': 'NODE_TLS_REJECT_UNAUTHORIZED=0\n',
      'package.json': JSON.stringify({name: 'a', scripts: {migrate: 'knex migrate:latest'}}),
    })
    const env = {DATABASE_URL: db.url(CANARY_PASSWORD, 'sslmode=require')}
    const knex = await runTool(a, {script: 'migrate'}, {env, database: db})
    const d = await doctor(a, env)
    agree(knex, d)
    expect(knex.connected).toBe(false)
    const tls = checkOf(d.report, 'tls')
    expect(tls.status).toBe('fail')
    expect(`${knex.stdout}\n${knex.stderr}`).toMatch(NODE_WORDS[tls.code]!)
    expect(tls.evidence.notes.join('\n')).toContain(
      'NODE_TLS_REJECT_UNAUTHORIZED=0 is only in the env file, which knex, as it is launched',
    )
  })

  it('D3: knexfile ssl object with a CA + sslmode=no-verify in the URL: knex connects; db-doctor warns (dead config), exit 0', async () => {
    const db = await scenario('d3_noverify')
    const env = {DATABASE_URL: db.url(CANARY_PASSWORD, 'sslmode=no-verify'), CA_PEM: pg.caPem}
    const a = app({'knexfile.js': knexObject('{ca: process.env.CA_PEM, rejectUnauthorized: true}')})
    const knex = await runTool(a, ['knex', 'migrate:latest'], {env, database: db})
    const d = await doctor(a, env)
    agree(knex, d)
    expect(knex.connected, knex.stderr).toBe(true)
    const ssl = checkOf(d.report, 'ssl-config')
    expect(ssl).toMatchObject({status: 'warn', code: 'SSL_CONFIG_CONFLICT'})
    expect(ssl.summary).toContain(
      'is dead configuration: sslmode=no-verify in DATABASE_URL (environment) replaces it, so node-postgres encrypts without verifying',
    )
    expect(ssl.evidence.findings).toContainEqual(expect.objectContaining({code: 'SSL_VERIFICATION_DISABLED'}))
  })

  it('D4: knexfile ssl: false + sslmode=disable against a TLS-only server: no TLS at all; knex is refused by pg_hba and db-doctor says AUTH_SSL_REQUIRED', async () => {
    const db = await scenario('d4_disable')
    const env = {DATABASE_URL: db.url(CANARY_PASSWORD, 'sslmode=disable')}
    const a = app({'knexfile.js': knexObject('false')})
    const knex = await runTool(a, ['knex', 'migrate:latest'], {env, database: db})
    const d = await doctor(a, env)
    agree(knex, d)
    expect(knex.connected).toBe(false)
    expect(`${knex.stdout}\n${knex.stderr}`).toMatch(/no pg_hba\.conf entry for host .*no encryption/)
    expect(checkOf(d.report, 'ssl-config').status).toBe('pass')
    expect(checkOf(d.report, 'auth')).toMatchObject({status: 'fail', code: 'AUTH_SSL_REQUIRED'})
  })

  it('URL ssl=false: knex (and pg) keep the string, which is truthy, and crash; db-doctor fails CONFIG_SSLMODE_INVALID', async () => {
    const db = await scenario('ssl_false')
    const env = {DATABASE_URL: db.url(CANARY_PASSWORD, 'ssl=false'), NODE_EXTRA_CA_CERTS: pg.caFile}
    const a = app({'knexfile.js': knexString})
    const knex = await runTool(a, ['knex', 'migrate:latest'], {env, database: db})
    const d = await doctor(a, env)
    agree(knex, d)
    expect(`${knex.stdout}\n${knex.stderr}`).toContain("Cannot use 'in' operator to search for 'key' in false")
    expect(checkOf(d.report, 'config')).toMatchObject({status: 'fail', code: 'CONFIG_SSLMODE_INVALID'})
    // what the fix says works: sslmode=disable reaches the server without TLS (refused by this hostssl-only server)
    const env2 = {...env, DATABASE_URL: db.url(CANARY_PASSWORD, 'sslmode=disable')}
    const knex2 = await runTool(a, ['knex', 'migrate:latest'], {env: env2, database: db})
    expect(`${knex2.stdout}\n${knex2.stderr}`).toMatch(/no encryption/)
  })

  it('D9: uselibpqcompat=true&sslmode=no-verify in {connectionString}: node-postgres verifies fully (fails without the CA, connects with it); db-doctor agrees and says no-verify was ignored', async () => {
    const a = app({'knexfile.js': knexObject('undefined')})
    const db = await scenario('d9_nocafile')
    const env = {DATABASE_URL: db.url(CANARY_PASSWORD, 'uselibpqcompat=true&sslmode=no-verify')}
    const knex = await runTool(a, ['knex', 'migrate:latest'], {env, database: db})
    const d = await doctor(a, env)
    agree(knex, d)
    expect(knex.connected).toBe(false)
    expect(`${knex.stdout}\n${knex.stderr}`).toMatch(NODE_WORDS[checkOf(d.report, 'tls').code]!)
    expect(checkOf(d.report, 'ssl-config').evidence.findings).toContainEqual(
      expect.objectContaining({code: 'SSLMODE_VERIFY_SEMANTICS', setting: 'sslmode=no-verify&uselibpqcompat=true'}),
    )

    const db2 = await scenario('d9_cafile')
    const env2 = {
      DATABASE_URL: db2.url(
        CANARY_PASSWORD,
        `uselibpqcompat=true&sslmode=no-verify&sslrootcert=${encodeURIComponent(pg.caFile)}`,
      ),
    }
    const knex2 = await runTool(a, ['knex', 'migrate:latest'], {env: env2, database: db2})
    const d2 = await doctor(a, env2)
    agree(knex2, d2)
    expect(knex2.connected, knex2.stderr).toBe(true)
    expect(checkOf(d2.report, 'ssl-config')).toMatchObject({status: 'warn', code: 'SSLMODE_VERIFY_SEMANTICS'})
  })
})

describe('differential: the URL parser the app really uses', () => {
  it("uselibpqcompat=true&sslmode=require, untrusted chain: a knex string connection (pinned pg-connection-string 2.6.2) verifies and fails; {connectionString} (pg's parser) encrypts only and connects; db-doctor models each", async () => {
    const q = 'uselibpqcompat=true&sslmode=require'
    const db = await scenario('knex_string_compat')
    const env = {DATABASE_URL: db.url(CANARY_PASSWORD, q)}
    const stringApp = app({'knexfile.js': knexString})
    const knex = await runTool(stringApp, ['knex', 'migrate:latest'], {env, database: db})
    const d = await doctor(stringApp, env)
    agree(knex, d)
    expect(knex.connected).toBe(false)
    const tls = checkOf(d.report, 'tls')
    expect(tls.status).toBe('fail')
    expect(`${knex.stdout}\n${knex.stderr}`).toMatch(NODE_WORDS[tls.code]!)
    expect(tls.evidence.modelled).toMatch(/^knex 3\.\d+\.\d+ → pg-connection-string 2\.6\.2 \(the app's/)
    const ssl = checkOf(d.report, 'ssl-config')
    expect(ssl.evidence.findings).toContainEqual(expect.objectContaining({code: 'SSLMODE_VERIFY_SEMANTICS'}))
    expect(JSON.stringify(ssl)).toContain(
      'uselibpqcompat=true has no effect here: knex parses a string connection itself, with pg-connection-string 2.6.2',
    )

    const db2 = await scenario('knex_object_compat')
    const env2 = {DATABASE_URL: db2.url(CANARY_PASSWORD, q)}
    const objectApp = app({'knexfile.js': knexObject('undefined')})
    const knex2 = await runTool(objectApp, ['knex', 'migrate:latest'], {env: env2, database: db2})
    const d2 = await doctor(objectApp, env2)
    agree(knex2, d2)
    expect(knex2.connected, knex2.stderr).toBe(true)
    expect(checkOf(d2.report, 'tls').status).toBe('warn')
    expect(checkOf(d2.report, 'tls').evidence.modelled).toMatch(
      /^pg 8\.\d+\.\d+ → pg-connection-string 2\.1\d\.\d+ \(the app's\)/,
    )
    expect(checkOf(d2.report, 'auth').status).toBe('pass')
  })
})

describe('differential: passwords node-postgres reads as written (issue 8 item 4)', () => {
  it('an unencoded "@" (and a stray "%") in the password: knex and node-pg-migrate log in; db-doctor warns CONFIG_PASSWORD_ENCODING_LENIENT naming psql, and its own login passes', async () => {
    const {default: pgLib} = await import('pg')
    const role = `at_pw_${process.pid}`
    const password = `Pw@canary@7%zz-${process.pid}`
    const su = new pgLib.Client({
      host: pg.host,
      port: pg.port,
      user: pg.superuser.user,
      password: pg.superuser.password,
      database: 'postgres',
      ssl: {ca: pg.caPem, servername: 'localhost'},
    })
    await su.connect()
    try {
      await su.query(`create role "${role}" login password '${password}'`)
    } finally {
      await su.end()
    }
    try {
      const db = await createScenarioDatabase(pg, 'at_password', role)
      dbs.push(db)
      const url = `postgres://${role}:${password}@${pg.host}:${pg.port}/${db.name}?sslmode=verify-full&sslrootcert=${pg.caFile}`
      const env = {DATABASE_URL: url}
      const a = app({'knexfile.js': knexString})
      const knex = await runTool(a, ['knex', 'migrate:latest'], {env, database: db})
      expect(knex.connected, knex.stderr).toBe(true)
      const d = await doctor(a, env)
      for (const out of [d.text, JSON.stringify(d.report)]) expect(out).not.toContain(password.slice(3, 12))
      agree(knex, d)
      expect(d.report.summary.verdict).toBe('degraded')
      const config = checkOf(d.report, 'config')
      expect(config).toMatchObject({status: 'warn', code: 'CONFIG_PASSWORD_ENCODING_LENIENT'})
      expect(config.summary).toContain(
        'node-postgres (and knex) read them as written, so the app connects; psql, pg_dump and other libpq tools do not',
      )
      expect(checkOf(d.report, 'auth').status).toBe('pass')

      const db2 = await createScenarioDatabase(pg, 'at_password_npm', role)
      dbs.push(db2)
      const npmApp = app({'package.json': JSON.stringify({name: 'a', scripts: {migrate: 'node-pg-migrate up'}})}, [
        'node-pg-migrate',
        'pg',
      ])
      const npm = await runTool(
        npmApp,
        {script: 'migrate'},
        {env: {DATABASE_URL: url.replace(db.name, db2.name)}, database: db2},
      )
      expect(npm.connected, npm.stderr).toBe(true)

      // the stray "%" makes pg-connection-string re-encode the whole URL: an escaped sslrootcert
      // path ("%2Ftmp%2F…") is then read literally and the file is not found — both agree
      const escaped = {
        DATABASE_URL: url.replace(`sslrootcert=${pg.caFile}`, `sslrootcert=${encodeURIComponent(pg.caFile)}`),
      }
      const knex2 = await runTool(a, ['knex', 'migrate:latest'], {env: escaped, database: db})
      expect(`${knex2.stdout}\n${knex2.stderr}`).toContain('ENOENT')
      const d2 = await doctor(a, escaped)
      agree(knex2, d2)
      expect(checkOf(d2.report, 'ssl-config')).toMatchObject({status: 'fail', code: 'SSL_CERT_FILE_UNREADABLE'})
    } finally {
      for (const d of dbs.splice(dbs.length - 2)) await d.drop()
      const su2 = new pgLib.Client({
        host: pg.host,
        port: pg.port,
        user: pg.superuser.user,
        password: pg.superuser.password,
        database: 'postgres',
        ssl: {ca: pg.caPem, servername: 'localhost'},
      })
      await su2.connect()
      await su2.query(`drop role if exists "${role}"`).finally(() => su2.end())
    }
  })
})
