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
beforeAll(async () => {
  app = makeApp({
    files: {
      'connect.mjs':
        "import postgres from 'postgres'\nconst sql = postgres(process.env.DATABASE_URL, {max: 1, connect_timeout: 10})\nsql`select 1 as one`.then(() => { console.log('CONNECTED'); return sql.end() }).then(() => process.exit(0), (e) => { console.error(e.message); process.exit(1) })\n",
      'package.json': JSON.stringify({
        name: 'app',
        private: true,
        scripts: {connect: 'node connect.mjs'},
        dependencies: {postgres: '*'},
      }),
    },
    packages: ['postgres'],
  })
  if (support.ok) bouncer = await startPgBouncer({pg, poolMode: 'session', users: [APP_USER]})
})
afterAll(async () => {
  await bouncer?.stop()
  app?.cleanup()
})

const TLS = `sslmode=verify-full&sslrootcert=${encodeURIComponent(pg.caFile)}`

async function both(url: string) {
  const env = {DATABASE_URL: url}
  const [tool, doctor] = await Promise.all([
    runTool(app, {script: 'connect'}, {env, timeoutMs: 30_000}),
    runDoctor(app, ['check', '--json', '--only', 'config,dns,tcp,postgres,tls,ssl-config,auth'], {env}),
  ])
  for (const s of [CANARY_PASSWORD, encodeURIComponent(CANARY_PASSWORD)]) {
    expect(doctor.stdout).not.toContain(s)
    expect(doctor.stderr).not.toContain(s)
  }
  const report = reportOf(doctor)
  const why = `${tool.command}: exit ${tool.code}\n${tool.stderr}\n--- db-doctor ${JSON.stringify(checkOf(report, 'auth'))}`
  return {tool, doctor, auth: checkOf(report, 'auth'), why}
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
