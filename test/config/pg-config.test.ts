import fs from 'node:fs'
import {createRequire} from 'node:module'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {PgConfigError, resolvePgClientConfig, toPgClientConfig} from '../../src/config/pg-config.js'
import {resolveConfig} from '../../src/config/resolve.js'
import type {ResolvedConfig} from '../../src/config/types.js'
import {CANARY_PASSWORD} from '../helpers/constants.js'
import {sourceWords} from '../../src/catalogue/app-files.js'

const require = createRequire(import.meta.url)
const ConnectionParameters = require('pg/lib/connection-parameters.js') as new (c: unknown) => Record<string, unknown>

let dir: string
const saved: Record<string, string | undefined> = {}
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbd-pgconfig-'))
  // node-postgres reads process.env PG*; the comparison below runs pg with a clean one
  for (const k of Object.keys(process.env)) {
    if (!/^PG/.test(k)) continue
    saved[k] = process.env[k]
    delete process.env[k]
  }
})
afterAll(() => {
  fs.rmSync(dir, {recursive: true, force: true})
  Object.assign(process.env, saved)
})

async function resolved(opts: {connection?: string; env?: Record<string, string>}): Promise<ResolvedConfig> {
  const env = {USER: 'osuser', PGPASSFILE: path.join(dir, 'none'), ...opts.env}
  return resolveConfig({words: sourceWords, cwd: dir, env, envFileOf: () => undefined, connection: opts.connection})
}

async function client(opts: {connection?: string; env?: Record<string, string>; appSsl?: unknown}) {
  const config = await resolved(opts)
  if (opts.appSsl !== undefined)
    config.appSsl = {
      value: opts.appSsl,
      source: {kind: 'knexfile', name: 'connection.ssl', label: 'connection.ssl in knexfile.js'},
    }
  return resolvePgClientConfig(config, {USER: 'osuser', ...opts.env})
}

describe('toPgClientConfig: sslmode semantics are node-postgres own', () => {
  const cases: Array<[string, unknown]> = [
    ['sslmode=require', {}],
    ['sslmode=verify-full', {}],
    ['sslmode=prefer', {}],
    ['sslmode=disable', false],
    ['sslmode=no-verify', {rejectUnauthorized: false}],
    ['ssl=no-verify', {rejectUnauthorized: false}],
    ['ssl=true', true],
    ['ssl=0', false],
    ['uselibpqcompat=true&sslmode=require', {rejectUnauthorized: false}],
    ['uselibpqcompat=true&sslmode=prefer', {rejectUnauthorized: false}],
  ]
  for (const [query, ssl] of cases) {
    it(`?${query} → ssl ${JSON.stringify(ssl)}, identical to pg's ConnectionParameters`, async () => {
      const url = `postgres://app:${CANARY_PASSWORD}@db.internal:6543/appdb?${query}`
      const {config, sslOrigin, sslSource} = await client({connection: url})
      expect(config.ssl).toEqual(ssl)
      expect(sslOrigin).toBe('connection-string')
      expect(sslSource?.label).toBe('CONNECTION argument')
      const pg = new ConnectionParameters({connectionString: url})
      for (const k of ['host', 'port', 'database', 'user', 'ssl'] as const)
        expect((config as Record<string, unknown>)[k]).toEqual(pg[k])
      expect(config.password).toBe(pg.password)
    })
  }

  it('does not emit the pg-connection-string sslmode warning', async () => {
    const warnings: unknown[] = []
    const on = (w: unknown) => warnings.push(w)
    process.on('warning', on)
    try {
      await client({connection: 'postgres://u@h/db?sslmode=verify-ca'})
    } finally {
      process.off('warning', on)
    }
    expect(warnings).toEqual([])
  })
})

describe('toPgClientConfig: where ssl comes from', () => {
  it('the app ssl object is used when the URL has no ssl params', async () => {
    const r = await client({
      connection: 'postgres://u@h/db',
      appSsl: {rejectUnauthorized: false},
      env: {PGSSLMODE: 'disable'},
    })
    expect(r.config.ssl).toEqual({rejectUnauthorized: false})
    expect(r.sslOrigin).toBe('app')
  })

  it('URL ssl params REPLACE the app ssl object (node-postgres merge order)', async () => {
    const r = await client({connection: 'postgres://u@h/db?sslmode=require', appSsl: {rejectUnauthorized: false}})
    expect(r.config.ssl).toEqual({})
    expect(r.sslOrigin).toBe('connection-string')
  })

  it('no ssl anywhere: PGSSLMODE from the given env, never from process.env', async () => {
    expect((await client({connection: 'postgres://u@h/db', env: {PGSSLMODE: 'require'}})).config.ssl).toBe(true)
    expect((await client({connection: 'postgres://u@h/db', env: {PGSSLMODE: 'no-verify'}})).config.ssl).toEqual({
      rejectUnauthorized: false,
    })
    const r = await client({connection: 'postgres://u@h/db', env: {PGSSLMODE: 'verify-full'}})
    expect(r.sslOrigin).toBe('PGSSLMODE')
    expect(r.sslSource?.label).toBe('PGSSLMODE (environment)')
    process.env.PGSSLMODE = 'require'
    try {
      const d = await client({connection: 'postgres://u@h/db'})
      expect(d.config.ssl).toBe(false)
      expect(d.sslOrigin).toBe('default')
    } finally {
      delete process.env.PGSSLMODE
    }
  })

  it('the libpq key=value argument goes through the same sslmode semantics', async () => {
    const r = await client({connection: 'host=db port=5433 dbname=app user=u sslmode=no-verify'})
    expect(r.config).toMatchObject({
      host: 'db',
      port: 5433,
      database: 'app',
      user: 'u',
      ssl: {rejectUnauthorized: false},
    })
    const plain = await client({connection: 'host=db', env: {PGSSLMODE: 'require'}})
    expect(plain.config.ssl).toBe(true)
  })
})

describe('toPgClientConfig: fields', () => {
  it('fills host/port/user/database/password from PG* and defaults explicitly', async () => {
    const config = toPgClientConfig(
      await resolved({
        connection: 'postgres://urlhost/urldb',
        env: {PGPORT: '7000', PGPASSWORD: CANARY_PASSWORD, PGAPPNAME: 'a1'},
      }),
      {},
    )
    expect(config).toMatchObject({
      host: 'urlhost',
      port: 7000,
      database: 'urldb',
      user: 'osuser',
      password: CANARY_PASSWORD,
      application_name: 'a1',
      ssl: false,
    })
  })

  it('defaults only: localhost:5432, user and database from $USER', async () => {
    const config = toPgClientConfig(await resolved({}), {})
    expect(config).toMatchObject({host: 'localhost', port: 5432, user: 'osuser', database: 'osuser', ssl: false})
    expect(config.password).toBeUndefined()
  })
})

describe('toPgClientConfig: certificate files', () => {
  it('throws PgConfigError SSL_CERT_FILE_UNREADABLE naming the setting, the path and the source', async () => {
    const missing = path.join(dir, 'missing-ca.pem')
    const config = await resolved({
      connection: `postgres://u:${CANARY_PASSWORD}@h/db?sslmode=verify-full&sslrootcert=${missing}`,
    })
    let error: unknown
    try {
      toPgClientConfig(config, {})
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(PgConfigError)
    const e = error as PgConfigError
    expect(e.code).toBe('SSL_CERT_FILE_UNREADABLE')
    expect(e.field).toBe('sslrootcert')
    expect(e.path).toBe(missing)
    expect(e.errno).toBe('ENOENT')
    expect(e.source?.label).toBe('CONNECTION argument')
    expect(e.message).not.toContain(CANARY_PASSWORD)
  })

  it('reads an existing sslrootcert into ssl.ca, as node-postgres does', async () => {
    const ca = path.join(dir, 'ca.pem')
    fs.writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')
    const config = toPgClientConfig(
      await resolved({connection: `postgres://u@h/db?sslmode=verify-full&sslrootcert=${ca}`}),
      {},
    )
    expect(config.ssl).toMatchObject({ca: fs.readFileSync(ca, 'utf8')})
  })

  it('PG_CONFIG_REJECTED for settings node-postgres refuses (uselibpqcompat verify-ca without sslrootcert)', async () => {
    const config = await resolved({connection: 'postgres://u@h/db?uselibpqcompat=true&sslmode=verify-ca'})
    expect(() => toPgClientConfig(config, {})).toThrowError(PgConfigError)
    try {
      toPgClientConfig(config, {})
    } catch (e) {
      expect((e as PgConfigError).code).toBe('PG_CONFIG_REJECTED')
    }
  })
})
