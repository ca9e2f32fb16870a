// AUTH_CHANNEL_BINDING from real state: a real postgres.js 4.2 script with channel_binding=require, run
// beside db-doctor in the same folder and environment, (1) through a real PgBouncer 1.18 (which offers
// SCRAM-SHA-256 only), (2) straight to the server as a role admitted by an md5 pg_hba line, (3) straight to
// the server over TLS with SCRAM (SCRAM-SHA-256-PLUS offered): the script fails exactly when db-doctor says
// it will, with the words it quotes.
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {checkOf, reportOf} from '../helpers/cli.js'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD, MD5_USER, PG_HOST} from '../helpers/constants.js'
import {makeApp, runDoctor, runTool, type App} from '../helpers/migration-tools.js'
import {pgbouncerSupport, startPgBouncer, type PgBouncer} from '../helpers/pgbouncer.js'

const pg = inject('pg')
const support = pgbouncerSupport()
let bouncer: PgBouncer | undefined
let app: App
let pgApp: App
let pgBindingApp: App
let pjs3App: App
/** An app whose connect.mjs logs in with node-postgres (a Client on DATABASE_URL, `options` added). */
function pgAppWith(options: string): App {
  return makeApp({
    files: {
      'connect.mjs': `import pg from 'pg'\nconst client = new pg.Client({connectionString: process.env.DATABASE_URL${options}})\nclient.connect().then(() => client.query('select 1')).then(() => { console.log('CONNECTED'); return client.end() }).then(() => process.exit(0), (e) => { console.error(e.message); process.exit(1) })\n`,
      'package.json': JSON.stringify({
        name: 'app',
        private: true,
        scripts: {connect: 'node connect.mjs'},
        dependencies: {pg: '*'},
      }),
    },
    packages: ['pg'],
  })
}
/** A script on postgres.js (`pkg`, as test/helpers/migration-tools.ts installs it) that logs in once. */
function postgresJsApp(pkg: string, range: string): App {
  return makeApp({
    files: {
      'connect.mjs':
        "import postgres from 'postgres'\nconst sql = postgres(process.env.DATABASE_URL, {max: 1, connect_timeout: 10})\nsql`select 1 as one`.then(() => { console.log('CONNECTED'); return sql.end() }).then(() => process.exit(0), (e) => { console.error(e.message); process.exit(1) })\n",
      'package.json': JSON.stringify({
        name: 'app',
        private: true,
        scripts: {connect: 'node connect.mjs'},
        dependencies: {postgres: range},
      }),
    },
    packages: [pkg],
  })
}
beforeAll(async () => {
  pgApp = pgAppWith('')
  pgBindingApp = pgAppWith(', enableChannelBinding: true')
  pjs3App = postgresJsApp('postgres-3 as postgres', '^3.4.0')
  app = postgresJsApp('postgres', '*')
  if (support.ok) bouncer = await startPgBouncer({pg, poolMode: 'session', users: [APP_USER]})
})
afterAll(async () => {
  await bouncer?.stop()
  for (const a of [app, pgApp, pgBindingApp, pjs3App]) a?.cleanup()
})

const TLS = `sslmode=verify-full&sslrootcert=${encodeURIComponent(pg.caFile)}`

async function both(url: string, on: App = app) {
  const env = {DATABASE_URL: url}
  const [tool, doctor] = await Promise.all([
    runTool(on, {script: 'connect'}, {env, timeoutMs: 30_000}),
    runDoctor(on, ['check', '--json', '--only', 'config,dns,tcp,postgres,tls,ssl-config,auth'], {env}),
  ])
  for (const s of [CANARY_PASSWORD, encodeURIComponent(CANARY_PASSWORD)]) {
    expect(doctor.stdout).not.toContain(s)
    expect(doctor.stderr).not.toContain(s)
  }
  const report = reportOf(doctor)
  const why = `${tool.command}: exit ${tool.code}\n${tool.stderr}\n--- db-doctor ${JSON.stringify(checkOf(report, 'auth'))}`
  return {tool, doctor, auth: checkOf(report, 'auth'), config: checkOf(report, 'config'), why}
}

describe('channel_binding=require against what the real login is offered (postgres.js 4.2)', () => {
  it.skipIf(!support.ok)(
    'through PgBouncer (SCRAM-SHA-256 only): the script fails with CHANNEL_BINDING_REQUIRED, as predicted',
    async () => {
      const url = `postgres://${APP_USER}:${CANARY_PASSWORD}@${bouncer!.host}:${bouncer!.port}/${APP_DATABASE}?channel_binding=require`
      const {tool, doctor, auth, why} = await both(url)
      expect(tool.code, why).toBe(1)
      expect(tool.stderr, why).toContain(
        'CHANNEL_BINDING_REQUIRED: channel_binding is require, but the server did not offer it',
      )
      expect(auth, why).toMatchObject({status: 'fail', code: 'AUTH_CHANNEL_BINDING'})
      expect(auth.evidence.authRequest, why).toEqual({method: 'sasl', mechanisms: ['SCRAM-SHA-256']})
      expect(auth.summary, why).toContain(
        '"CHANNEL_BINDING_REQUIRED: channel_binding is require, but the server did not offer it"',
      )
      expect(auth.summary, why).toContain('channel_binding=require (DATABASE_URL')
      expect(doctor.code).toBe(1)
    },
    60_000,
  )

  it('an md5 login fails with "asked for an MD5 password"; a SCRAM login over TLS binds, and db-doctor passes', async () => {
    const md5 = await both(
      `postgres://${MD5_USER}:${CANARY_PASSWORD}@${PG_HOST}:${pg.port}/${APP_DATABASE}?${TLS}&channel_binding=require`,
    )
    expect(md5.tool.code, md5.why).toBe(1)
    expect(md5.tool.stderr, md5.why).toContain('channel_binding is require, but the server asked for an MD5 password')
    expect(md5.auth, md5.why).toMatchObject({status: 'fail', code: 'AUTH_CHANNEL_BINDING'})
    expect(md5.auth.evidence.authRequest, md5.why).toEqual({method: 'md5', mechanisms: []})
    expect(md5.auth.summary, md5.why).toContain('but the server asked for an MD5 password')
    const ok = await both(
      `postgres://${APP_USER}:${CANARY_PASSWORD}@${PG_HOST}:${pg.port}/${APP_DATABASE}?${TLS}&channel_binding=require`,
    )
    expect(ok.tool.stdout.trim(), ok.why).toBe('CONNECTED')
    expect(ok.auth.status, ok.why).toBe('pass')
    expect(ok.auth.evidence.authRequest.mechanisms, ok.why).toContain('SCRAM-SHA-256-PLUS')
  }, 60_000)
})

describe('channel_binding=require with drivers that will not do it: node-postgres ignores it, postgres.js 3.4 sends it', () => {
  const md5Url = `postgres://${MD5_USER}:${CANARY_PASSWORD}@${PG_HOST}:${pg.port}/${APP_DATABASE}?${TLS}&channel_binding=require`
  const scramUrl = `postgres://${APP_USER}:${CANARY_PASSWORD}@${PG_HOST}:${pg.port}/${APP_DATABASE}?${TLS}&channel_binding=require`

  it('pg 8.23: an md5 login that cannot be bound connects anyway; over TLS with SCRAM it is not bound without enableChannelBinding', async () => {
    const [md5, scram, withOption] = await Promise.all([
      both(md5Url, pgApp),
      both(scramUrl, pgApp),
      both(scramUrl, pgBindingApp),
    ])
    // the script logs in although the URL requires a binding this login cannot have
    expect(md5.tool.stdout.trim(), md5.why).toBe('CONNECTED')
    expect(md5.auth, md5.why).toMatchObject({status: 'warn', code: 'AUTH_CHANNEL_BINDING_IGNORED'})
    expect(md5.auth.evidence, md5.why).toMatchObject({
      authRequest: {method: 'md5', mechanisms: []},
      channelBindingFrom: expect.stringContaining('DATABASE_URL'),
      enableChannelBinding: false,
    })
    expect(md5.auth.summary).toContain('node-postgres 8.23')
    expect(md5.auth.summary).toContain(
      'This login was asked for an MD5 password, which cannot be bound: pg connects anyway, where libpq and postgres.js 4 refuse it.',
    )
    expect(md5.doctor.code, md5.why).toBe(0)
    // SCRAM-SHA-256-PLUS offered over TLS: pg binds only with enableChannelBinding: true in the app's code
    expect(scram.tool.stdout.trim(), scram.why).toBe('CONNECTED')
    expect(scram.auth, scram.why).toMatchObject({status: 'warn', code: 'AUTH_CHANNEL_BINDING_IGNORED'})
    expect(scram.auth.evidence.authRequest.mechanisms).toContain('SCRAM-SHA-256-PLUS')
    expect(scram.auth.summary).toContain(
      "which the app's code does not pass (not found in its source): this login is not bound",
    )
    expect(scram.auth.fix.snippet.code).toContain('enableChannelBinding: true')
    expect(withOption.tool.stdout.trim(), withOption.why).toBe('CONNECTED')
    expect(withOption.auth, withOption.why).toMatchObject({
      status: 'warn',
      code: 'AUTH_CHANNEL_BINDING_IGNORED',
      evidence: {enableChannelBinding: true},
    })
    expect(withOption.auth.summary).toContain("the app's code passes enableChannelBinding: true, so pg binds here")
  }, 60_000)

  it.skipIf(!support.ok)(
    'pg 8.23 through PgBouncer (SCRAM-SHA-256 only): connects unbound, and db-doctor says so',
    async () => {
      const url = `postgres://${APP_USER}:${CANARY_PASSWORD}@${bouncer!.host}:${bouncer!.port}/${APP_DATABASE}?channel_binding=require`
      const r = await both(url, pgApp)
      expect(r.tool.stdout.trim(), r.why).toBe('CONNECTED')
      expect(r.auth, r.why).toMatchObject({status: 'warn', code: 'AUTH_CHANNEL_BINDING_IGNORED'})
      expect(r.auth.summary).toContain('This login was offered SCRAM-SHA-256')
    },
    60_000,
  )

  it('postgres.js 3.4 sends channel_binding to the server as a setting: the login fails, CONFIG_UNKNOWN_SERVER_PARAMETER', async () => {
    // postgres.js 3.4 reads no sslrootcert from the URL (it would send that as a setting too): sslmode=require
    const r = await both(
      `postgres://${APP_USER}:${CANARY_PASSWORD}@${PG_HOST}:${pg.port}/${APP_DATABASE}?sslmode=require&channel_binding=require`,
      pjs3App,
    )
    expect(r.tool.code, r.why).toBe(1)
    expect(r.tool.stderr, r.why).toContain('unrecognized configuration parameter "channel_binding"')
    expect(r.config, r.why).toMatchObject({status: 'fail', code: 'CONFIG_UNKNOWN_SERVER_PARAMETER'})
    expect(r.config.summary, r.why).toContain('channel_binding')
    expect(r.config.summary, r.why).not.toContain('sslmode')
  }, 60_000)
})
