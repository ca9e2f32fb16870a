// The postgres.js model against the real postgres.js code, both installed versions (4.2 as
// `postgres`, 3.4.10 as `postgres-3`): for a matrix of URLs, options and environments, the
// settings the model computes equal what the library's own parseOptions() builds (sql.options;
// creating a client does not connect). Pure: no socket is opened.
import fs from 'node:fs'
import {createRequire} from 'node:module'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import postgres4 from 'postgres'
import {postgresJs, postgresJsOptions} from '../../src/models/drivers/postgres-js.js'

const require = createRequire(import.meta.url)
const postgres3 = require('postgres-3') as typeof postgres4
const versionOf = (pkg: string) =>
  (JSON.parse(fs.readFileSync(path.join('node_modules', pkg, 'package.json'), 'utf8')) as {version: string}).version
const v3 = versionOf('postgres-3')
const v4 = versionOf('postgres')

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbd-pgjs-'))
const ca = path.join(dir, 'ca.pem')
fs.writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')
afterAll(() => fs.rmSync(dir, {recursive: true, force: true}))

interface Case {
  url?: string
  options?: Record<string, unknown>
  env?: Record<string, string>
}

const CASES: Case[] = [
  {url: 'postgres://u:pw@db.example:5433/app?sslmode=require'},
  {url: 'postgres://u:pw@db.example/app?sslmode=prefer'},
  {url: 'postgres://u:pw@db.example/app?sslmode=allow'},
  {url: 'postgres://u:pw@db.example/app?sslmode=verify-full'},
  {url: 'postgres://u:pw@db.example/app?sslmode=verify-ca'},
  {url: 'postgres://u:pw@db.example/app?sslmode=no-verify'},
  {url: 'postgres://u:pw@db.example/app?sslmode=disable'},
  {url: 'postgres://u:pw@db.example/app?ssl=true'},
  {url: 'postgres://u:pw@db.example/app?ssl=false'},
  {url: 'postgres://u:pw@db.example/app?schema=public&pgbouncer=true&connection_limit=1'},
  {url: 'postgres://u:pw@db.example/app?sslmode=require&uselibpqcompat=true'},
  {url: `postgres://u:pw@db.example/app?sslmode=verify-ca&sslrootcert=${ca}`},
  {url: `postgres://u:pw@db.example/app?sslmode=verify-full&sslrootcert=${ca}`},
  {url: `postgres://u:pw@db.example/app?sslmode=require&sslrootcert=${ca}`},
  {url: `postgres://u:pw@db.example/app?sslrootcert=${ca}`},
  {url: 'postgres://u:pw@db.example/app?sslrootcert=system'},
  {url: 'postgres://u:p@ss@db.example/app'},
  {url: 'postgres://u:pw@db.example/app?connect_timeout=7&application_name=x'},
  {url: 'postgres://u:pw@db.example/app', env: {PGSSLMODE: 'require'}},
  {url: 'postgres://u:pw@db.example/app', env: {PGSSL: 'require'}},
  {url: 'postgres://u:pw@db.example/app', env: {PGSSL: 'disable'}},
  {url: 'postgres://u:pw@db.example/app?sslmode=verify-full', env: {PGSSLMODE: 'disable'}},
  {options: {host: 'db.example', port: 5433, user: 'u', password: 'pw', database: 'app'}},
  {options: {host: 'db.example', user: 'u', password: 'pw', database: 'app', ssl: 'require'}},
  {options: {host: 'db.example', user: 'u', password: 'pw', database: 'app', ssl: true}},
  {options: {host: 'db.example', user: 'u', password: 'pw', database: 'app'}, env: {PGSSLMODE: 'require'}},
  {url: 'postgres://u:pw@db.example/app?sslmode=require', options: {ssl: false}},
]

/** What the real client built, in the model's terms. */
function real(lib: typeof postgres4, c: Case) {
  const saved = {...process.env}
  for (const k of ['PGSSLMODE', 'PGSSL', 'PGHOST', 'PGPORT', 'PGUSER', 'PGDATABASE', 'PGPASSWORD', 'PGAPPNAME'])
    delete process.env[k]
  Object.assign(process.env, c.env ?? {})
  try {
    const sql = c.url ? lib(c.url, {...c.options}) : lib({...c.options})
    const o = sql.options as unknown as Record<string, unknown>
    const ssl = o.ssl
    const sslNorm =
      ssl && typeof ssl === 'object'
        ? Object.fromEntries(
            Object.entries(ssl as object).map(([k, v]) => [
              k,
              k === 'checkServerIdentity' ? 'noop' : Buffer.isBuffer(v) ? 'file' : v,
            ]),
          )
        : ssl
    const conn = {...(o.connection as Record<string, string>)}
    delete conn.application_name
    void sql.end({timeout: 0})
    return {
      host: (o.host as string[])[0],
      port: (o.port as number[])[0],
      user: o.user,
      database: o.database,
      ssl: sslNorm,
      startup: conn,
      timeout: o.connect_timeout,
    }
  } catch (error) {
    return {error: (error as Error).message}
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
    Object.assign(process.env, saved)
  }
}

function model(version: string, c: Case) {
  try {
    const o = postgresJsOptions({url: c.url, options: c.options, env: c.env ?? {}}, version)
    const ssl =
      o.ssl && typeof o.ssl === 'object'
        ? Object.fromEntries(
            Object.entries(o.ssl as object).map(([k, v]) => [
              k,
              k === 'ca' || k === 'cert' || k === 'key' ? 'file' : v,
            ]),
          )
        : o.ssl
    const startup = {...o.startupParams}
    delete startup.application_name
    return {
      host: o.host,
      port: o.port,
      user: o.user,
      database: o.database,
      ssl,
      startup,
      timeout: o.connectTimeoutS,
    }
  } catch (error) {
    return {error: (error as Error).message}
  }
}

describe.each([
  ['4.x', postgres4, v4],
  ['3.4', postgres3, v3],
])('postgres.js %s model = the real parseOptions()', (_label, lib, version) => {
  it.each(CASES.map((c) => [c.url ?? JSON.stringify(c.options), c] as const))('%s', (_name, c) => {
    expect(model(version, c)).toEqual(real(lib, c))
  })
})

describe('postgres.js TLS semantics', () => {
  const tls = (url: string, version: string, env: Record<string, string> = {}) =>
    postgresJs.read({url, env}, version).tls
  it('sslmode=require does not verify; verify-full, no-verify and true do', () => {
    for (const v of [v3, v4]) {
      expect(tls('postgres://h/d?sslmode=require', v)).toMatchObject({encrypt: 'yes', verifyChain: false})
      expect(tls('postgres://h/d?sslmode=prefer', v)).toMatchObject({encrypt: 'try', verifyChain: false})
      for (const m of ['verify-full', 'no-verify', 'true', 'verify-ca'])
        expect(tls(`postgres://h/d?sslmode=${m}`, v)).toMatchObject({
          encrypt: 'yes',
          verifyChain: true,
          verifyHostname: true,
        })
    }
  })
  it("prefer (4.x: also allow) goes on without TLS on the server's N, never with sslnegotiation=direct; the others name their error", () => {
    expect(tls('postgres://h/d?sslmode=allow', v4)).toMatchObject({encrypt: 'try'})
    expect(tls('postgres://h/d?sslmode=allow', v3)).toMatchObject({
      encrypt: 'yes',
      noTlsError: 'tls-on-plaintext',
    })
    expect(tls('postgres://h/d?sslmode=require', v4).noTlsError).toBe('ssl-not-supported')
    for (const v of [v3, v4]) {
      expect(tls('postgres://h/d?sslmode=prefer', v).fallback).toEqual({ssl: 'prefer'})
      expect(tls('postgres://h/d?sslmode=prefer&sslnegotiation=direct', v)).toMatchObject({encrypt: 'yes'})
      expect(tls('postgres://h/d?sslmode=prefer', v, {PGSSLNEGOTIATION: 'direct'})).toMatchObject({encrypt: 'yes'})
    }
  })
  it('4.x: verify-ca (or require) with sslrootcert checks the chain against the file, not the host name', () => {
    expect(tls(`postgres://h/d?sslmode=verify-ca&sslrootcert=${ca}`, v4)).toMatchObject({
      verifyChain: true,
      verifyHostname: false,
      caFrom: `sslrootcert=${ca}`,
    })
    expect(tls(`postgres://h/d?sslmode=verify-full&sslrootcert=${ca}`, v4)).toMatchObject({
      verifyChain: true,
      verifyHostname: true,
    })
  })
  it('3.4 sends sslrootcert to the server; 4.x reads it', () => {
    expect(postgresJs.read({url: `postgres://h/d?sslrootcert=${ca}`, env: {}}, v3).startupParams).toEqual({
      sslrootcert: ca,
    })
    expect(postgresJs.read({url: `postgres://h/d?sslrootcert=${ca}`, env: {}}, v4).startupParams).toEqual({})
  })
  it('PGSSL in 3.4, PGSSLMODE then PGSSL in 4.x', () => {
    expect(postgresJs.sslEnv(v3)).toEqual(['PGSSL'])
    expect(postgresJs.sslEnv(v4)).toEqual(['PGSSLMODE', 'PGSSL'])
  })
})
