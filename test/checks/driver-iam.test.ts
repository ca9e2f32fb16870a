// The config check's app-state findings from real files: the pg a real app folder has installed (the
// old pg packages themselves, devDependencies pg-7 = 7.18.2 and pg-8-0-2 = 8.0.2, installed as `pg`),
// proven against the real driver on the test server; and RDS IAM tokens built with the documented
// SigV4 query format (no AWS traffic: the token is only read).
import {createHash, createHmac} from 'node:crypto'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, inject, it} from 'vitest'
import {configCheck} from '../../src/checks/config.js'
import {loadEnv} from '../../src/config/env.js'
import {diagnose} from '../../src/app/diagnose.js'
import type {CheckResult} from '../../src/core/types.js'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD, PG_HOST} from '../helpers/constants.js'
import {appPackageJson, makeApp, runTool, type App} from '../helpers/migration-tools.js'

const info = inject('pg')
const apps: App[] = []
const dirs: string[] = []
afterAll(() => {
  for (const a of apps) a.cleanup()
  for (const d of dirs) rmSync(d, {recursive: true, force: true})
})

async function configOf(cwd: string, env: Record<string, string>): Promise<CheckResult> {
  const {env: e, envFileOf} = loadEnv({cwd, processEnv: {PGPASSFILE: join(cwd, 'none'), HOME: cwd, ...env}})
  const report = await diagnose({
    cwd,
    env: e,
    envFileOf,
    options: {timeoutMs: 5000, verbose: false, dnsServers: []},
    tool: 'db-doctor@test',
    checks: [configCheck],
    strictFacts: true,
  })
  return report.checks[0]!
}

const KNEXFILE = "module.exports = {client: 'pg', connection: process.env.DATABASE_URL}\n"
const url = `postgres://${APP_USER}:${CANARY_PASSWORD}@${PG_HOST}:${info.port}/${APP_DATABASE}?sslmode=verify-full&sslrootcert=${info.caFile}`

/** The app's own pg, required from the app folder: does connect() settle within 4 s? */
const PROBE = `const pg = require('pg')
const c = new pg.Client({host: '${PG_HOST}', port: ${info.port}, user: '${APP_USER}', password: process.env.PW, database: '${APP_DATABASE}', ssl: {ca: require('fs').readFileSync(${JSON.stringify(info.caFile)}, 'utf8'), servername: 'localhost'}})
const t = setTimeout(() => { console.log('PENDING'); process.exit(0) }, 4000)
c.connect().then(() => { console.log('CONNECTED'); clearTimeout(t); return c.end() }, (e) => { console.log('ERROR ' + e.message); clearTimeout(t) })
`

describe('the installed driver (config check)', () => {
  it('pg 7.18.2 and 8.0.2 on this Node: CONFIG_DRIVER_TOO_OLD, and the real driver never returns from connect()', async () => {
    for (const [alias, version] of [
      ['pg-7', '7.18.2'],
      ['pg-8-0-2', '8.0.2'],
    ] as const) {
      const app = makeApp({
        files: {'knexfile.js': KNEXFILE, 'probe.js': PROBE, 'package.json': appPackageJson({probe: 'node probe.js'})},
        packages: ['knex', `${alias} as pg`],
      })
      apps.push(app)
      const check = await configOf(app.dir, {DATABASE_URL: url})
      expect(check, JSON.stringify(check)).toMatchObject({status: 'fail', code: 'CONFIG_DRIVER_TOO_OLD'})
      expect(check.summary).toContain(`pg ${version} is installed (the driver knex loads)`)
      expect(check.fix?.snippet?.code).toContain('npm install pg@^8')
      // the prediction, against the real old driver and the real server
      const probe = await runTool(app, {script: 'probe'}, {env: {PW: CANARY_PASSWORD}, timeoutMs: 20_000})
      expect(probe.stdout.trim(), probe.stderr).toBe('PENDING')
    }
    // the current pg: no finding, and the same probe connects
    const ok = makeApp({
      files: {'knexfile.js': KNEXFILE, 'probe.js': PROBE, 'package.json': appPackageJson({probe: 'node probe.js'})},
      packages: ['knex', 'pg'],
    })
    apps.push(ok)
    expect((await configOf(ok.dir, {DATABASE_URL: url})).status).toBe('pass')
    const probe = await runTool(ok, {script: 'probe'}, {env: {PW: CANARY_PASSWORD}, timeoutMs: 20_000})
    expect(probe.stdout.trim(), probe.stderr).toBe('CONNECTED')
  }, 60_000)

  it('knex without pg: CONFIG_DRIVER_NOT_INSTALLED, as the real knex CLI says', async () => {
    const app = makeApp({files: {'knexfile.js': KNEXFILE}, packages: ['knex']})
    apps.push(app)
    const check = await configOf(app.dir, {DATABASE_URL: url})
    expect(check, JSON.stringify(check)).toMatchObject({status: 'fail', code: 'CONFIG_DRIVER_NOT_INSTALLED'})
    expect(check.summary).toMatch(/^knex 3\.\d+\.\d+ is installed here but pg is not/)
    expect(check.fix?.snippet?.code).toBe('npm install pg')
    const real = await runTool(app, ['knex', 'migrate:latest'], {env: {DATABASE_URL: url}, timeoutMs: 30_000})
    expect(real.code).not.toBe(0)
    expect(`${real.stdout}\n${real.stderr}`).toContain('Knex: run')
  }, 60_000)
})

// ---------------------------------------------------------------------------------------------
// RDS IAM tokens, built as the AWS SDK's Signer builds them (SigV4 query signing, service rds-db)

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest()

function iamToken(o: {host: string; port: number; region: string; user: string; at: Date; expires?: number}): string {
  const amzDate = o.at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '')
  const day = amzDate.slice(0, 8)
  const scope = `${day}/${o.region}/rds-db/aws4_request`
  const query = [
    ['Action', 'connect'],
    ['DBUser', o.user],
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `AKIDEXAMPLE00000000/${scope}`],
    ['X-Amz-Date', amzDate],
    ['X-Amz-Expires', String(o.expires ?? 900)],
    ['X-Amz-SignedHeaders', 'host'],
  ]
    .map(([k, v]) => `${encodeURIComponent(k!)}=${encodeURIComponent(v!)}`)
    .join('&')
  const canonical = [
    'GET',
    '/',
    query,
    `host:${o.host}:${o.port}\n`,
    'host',
    createHash('sha256').update('').digest('hex'),
  ].join('\n')
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n')
  const key = ['rds-db', 'aws4_request'].reduce(
    (k, part) => hmac(k, part),
    hmac(hmac(`AWS4${'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'}`, day), o.region),
  )
  return `${o.host}:${o.port}/?${query}&X-Amz-Signature=${createHmac('sha256', key).update(toSign).digest('hex')}`
}

describe('RDS IAM tokens as the password (config check, offline)', () => {
  const host = 'db-1.c9akciq32xyz.eu-west-1.rds.amazonaws.com'
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'dbd-iam-'))
    dirs.push(d)
    return d
  }
  const env = (token: string, extra: Record<string, string> = {}) => ({
    PGHOST: host,
    PGPORT: '5432',
    PGUSER: 'iam_app',
    PGDATABASE: 'app',
    PGPASSWORD: token,
    ...extra,
  })

  it('an expired token: CONFIG_IAM_TOKEN_EXPIRED with its dates, never its signature', async () => {
    const token = iamToken({
      host,
      port: 5432,
      region: 'eu-west-1',
      user: 'iam_app',
      at: new Date(Date.now() - 3600_000),
    })
    const check = await configOf(dir(), env(token))
    expect(check, JSON.stringify(check)).toMatchObject({status: 'fail', code: 'CONFIG_IAM_TOKEN_EXPIRED'})
    expect(check.summary).toMatch(/expired at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, (44|45) min ago/)
    const out = JSON.stringify(check)
    expect(out).not.toContain(token.split('X-Amz-Signature=')[1]!)
    expect(out).not.toContain('AKIDEXAMPLE')
  })

  it('a fresh token signed for another host, region and user: CONFIG_IAM_TOKEN_MISMATCH names each', async () => {
    const other = 'db-1.c9akciq32xyz.us-east-1.rds.amazonaws.com'
    const token = iamToken({host: other, port: 5433, region: 'us-east-1', user: 'admin', at: new Date()})
    const check = await configOf(dir(), env(token))
    expect(check, JSON.stringify(check)).toMatchObject({status: 'fail', code: 'CONFIG_IAM_TOKEN_MISMATCH'})
    expect(check.summary).toContain(`host ${other}, port 5433, region us-east-1, user admin`)
    expect(check.fix?.snippet?.code).toBe(
      `aws rds generate-db-auth-token --hostname ${host} --port 5432 --region eu-west-1 --username iam_app`,
    )
    // the right token passes
    const good = iamToken({host, port: 5432, region: 'eu-west-1', user: 'iam_app', at: new Date()})
    expect((await configOf(dir(), env(good))).status).toBe('pass')
  })

  it('a token pasted raw into DATABASE_URL: CONFIG_IAM_TOKEN_NOT_URL_ENCODED', async () => {
    const token = iamToken({host, port: 5432, region: 'eu-west-1', user: 'iam_app', at: new Date()})
    const check = await configOf(dir(), {
      DATABASE_URL: `postgres://iam_app:${token}@${host}:5432/app?sslmode=verify-full`,
    })
    expect(check, JSON.stringify(check)).toMatchObject({code: 'CONFIG_IAM_TOKEN_NOT_URL_ENCODED', status: 'fail'})
    // percent-encoded, it is read as the password
    const encoded = await configOf(dir(), {
      DATABASE_URL: `postgres://iam_app:${encodeURIComponent(token)}@${host}:5432/app?sslmode=verify-full`,
    })
    expect(encoded.status, JSON.stringify(encoded)).toBe('pass')
  })
})
