import fs from 'node:fs'
import {createRequire} from 'node:module'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {
  describeDifference,
  disabledSettingText,
  libpqSettingText,
  sslRefusalText,
} from '../../src/catalogue/ssl-config.js'
import {analyzeSsl, describeSslObject, type SslInput} from '../../src/config/ssl.js'
import {keyValueParams as keywordParams, pgUrlParams} from '../../src/config/connection-string.js'
import type {Parse} from '../../src/config/url-parser.js'
import type {Provenance} from '../../src/config/types.js'

const require = createRequire(import.meta.url)
// The truth: node-postgres' own code, and the pg-connection-string each app really parses its URL with.
type CP = new (c: unknown) => {ssl: unknown}
const ConnectionParameters = require('pg/lib/connection-parameters.js') as CP
/** pg 8.23's own parser (2.14): what {connectionString} goes through. */
const pgParse = (require('pg-connection-string') as {parse: Parse}).parse
/** knex 3.3's pinned 2.6.2: what a knex string connection goes through. */
const knexParse = (require('knex/node_modules/pg-connection-string') as {parse: Parse}).parse
/** 0.1.3, the parser of pg 7.18.2 and 8.0.2. */
const oldParse = (require('pg-7/node_modules/pg-connection-string') as {parse: Parse}).parse

const URL_SRC: Provenance = {kind: 'env-file', name: 'DATABASE_URL', file: '.env', label: 'DATABASE_URL in .env'}
const OBJ_SRC: Provenance = {
  kind: 'knexfile',
  name: 'connection.ssl',
  file: 'knexfile.cjs',
  environment: 'development',
  label: 'knexfile.cjs (development) connection.ssl',
}
const BASE = 'postgres://app:secret@127.0.0.1:5432/appdb'

let dir: string
let ca: string
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdoc-ssl-'))
  ca = path.join(dir, 'ca.pem')
  fs.writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')
})
afterAll(() => fs.rmSync(dir, {recursive: true, force: true}))

function input(over: Partial<SslInput> & {url?: string; ssl?: unknown} = {}): SslInput {
  const {url, ssl, ...rest} = over
  return {
    connectionString: url === undefined ? undefined : {value: url, source: URL_SRC},
    appSsl: ssl === undefined ? undefined : {value: ssl, source: OBJ_SRC},
    fields: {},
    env: {},
    cwd: dir,
    homeDir: path.join(dir, 'home'),
    fileExists: (p) => fs.existsSync(p),
    parse: pgParse,
    ...rest,
  }
}

type Verdict = {error: string} | {encrypt: 'no'} | {encrypt: 'yes'; verifyChain: boolean; verifyHostname: boolean}

/** process.env as `env` says while `f` runs (PGSSLMODE, PGSSLNEGOTIATION, NODE_TLS_REJECT_UNAUTHORIZED unset else). */
function withEnv<T>(env: Record<string, string>, f: () => T): T {
  const saved = {...process.env}
  try {
    delete process.env.PGSSLMODE
    delete process.env.PGSSLNEGOTIATION
    delete process.env.NODE_TLS_REJECT_UNAUTHORIZED
    Object.assign(process.env, env)
    return f()
  } finally {
    process.env = saved
  }
}

/** pg 8's upgradeToSSL: tls.connect({rejectUnauthorized: NODE_TLS_REJECT_UNAUTHORIZED !== '0', ...ssl}). */
function pg8Tls(s: unknown): Verdict {
  if (!s) return {encrypt: 'no'}
  const opts: Record<string, unknown> = {
    rejectUnauthorized: process.env.NODE_TLS_REJECT_UNAUTHORIZED !== '0',
    ...(s === true ? {} : (s as object)),
  }
  const verifyChain = Boolean(opts.rejectUnauthorized)
  return {encrypt: 'yes', verifyChain, verifyHostname: verifyChain && opts.checkServerIdentity === undefined}
}

/** What pg 8.23 really does with {connectionString, ssl}: ConnectionParameters (pg's own parser), then upgradeToSSL. */
function pgOracle(url: string | undefined, ssl: unknown, env: Record<string, string>): Verdict {
  return withEnv(env, () => {
    try {
      return pg8Tls(new ConnectionParameters({connectionString: url, ...(ssl === undefined ? {} : {ssl})}).ssl)
    } catch (error) {
      return {error: (error as Error).message}
    }
  })
}

/** What pg 8.23 does with the object knex 3.3 parsed a string connection into (its 2.6.2), an ssl object beside it. */
function knexOracle(url: string | undefined, ssl: unknown, env: Record<string, string>): Verdict {
  return withEnv(env, () => {
    try {
      const parsed = url === undefined ? {} : knexParse(url)
      return pg8Tls(new ConnectionParameters({...(ssl === undefined ? {} : {ssl}), ...parsed}).ssl)
    } catch (error) {
      return {error: (error as Error).message}
    }
  })
}

/**
 * pg 7.18.2 and 8.0.2, each with its own ConnectionParameters (0.1.3 reads only ssl=true/1 of the URL; PGSSLMODE
 * knows no no-verify) and its own Connection: 7.18 hands tls.connect the ssl object's fields one by one
 * (rejectUnauthorized: undefined when unset, which Node 20 reads as verify whatever NODE_TLS_REJECT_UNAUTHORIZED
 * says), 8.0.2 spreads the object. Neither returns from connect() on Node 20 (CONFIG_DRIVER_TOO_OLD).
 */
function oldOracle(pkg: 'pg-7' | 'pg-8-0-2') {
  const OldCP = require(`${pkg}/lib/connection-parameters.js`) as CP
  return (url: string | undefined, ssl: unknown, env: Record<string, string>): Verdict =>
    withEnv(env, () => {
      let s: unknown
      try {
        s = new OldCP({connectionString: url, ...(ssl === undefined ? {} : {ssl})}).ssl
      } catch (error) {
        return {error: (error as Error).message}
      }
      if (!s) return {encrypt: 'no'}
      const o = (s && typeof s === 'object' ? s : {}) as Record<string, unknown>
      if (pkg === 'pg-8-0-2') return pg8Tls(typeof s === 'object' ? s : true)
      const verifyChain = o.rejectUnauthorized !== false
      return {encrypt: 'yes', verifyChain, verifyHostname: verifyChain && o.checkServerIdentity === undefined}
    })
}

type Case = {url?: string; ssl?: unknown; env: Record<string, string>}

/**
 * Where db-doctor's model departs from pg 7.18 / 8.0.2 (it models ConnectionParameters and upgradeToSSL as pg 8
 * does, after the old parser): PGSSLMODE=no-verify and ssl: 'no-verify' (unknown to the old releases), pg 7.18's
 * verification under NODE_TLS_REJECT_UNAUTHORIZED=0 and sslnegotiation=direct without SSL (pg 8 refuses it, the old
 * releases ignore the parameter). Neither old release connects on Node 20, and the config check says so.
 */
function modelledAsPg8(pkg: 'pg-7' | 'pg-8-0-2', c: Case): boolean {
  return (
    c.env.PGSSLMODE === 'no-verify' ||
    c.ssl === 'no-verify' ||
    (pkg === 'pg-7' && c.env.NODE_TLS_REJECT_UNAUTHORIZED === '0') ||
    (c.url?.includes('sslnegotiation=direct') ?? false) ||
    c.env.PGSSLNEGOTIATION !== undefined
  )
}

const PARSERS = [
  {name: "pg 8.23 {connectionString} (pg's pg-connection-string 2.14)", parse: pgParse, oracle: pgOracle},
  {
    name: 'knex 3.3 string connection (its pinned pg-connection-string 2.6.2) + pg 8.23',
    parse: knexParse,
    oracle: knexOracle,
  },
  {name: 'pg 7.18.2 (pg-connection-string 0.1.3)', parse: oldParse, oracle: oldOracle('pg-7'), old: 'pg-7' as const},
  {
    name: 'pg 8.0.2 (pg-connection-string 0.1.3)',
    parse: oldParse,
    oracle: oldOracle('pg-8-0-2'),
    old: 'pg-8-0-2' as const,
  },
]

describe.each(PARSERS)('node-postgres side agrees with pg itself: $name', ({parse, oracle, old}) => {
  const modes = [undefined, 'disable', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify']
  const cases: Case[] = []
  for (const mode of modes)
    for (const compat of [false, true])
      for (const root of [false, true])
        for (const direct of [false, true])
          for (const ssl of [undefined, {rejectUnauthorized: false}, true])
            for (const env of [
              {},
              {PGSSLMODE: 'require'},
              {PGSSLMODE: 'no-verify'},
              {NODE_TLS_REJECT_UNAUTHORIZED: '0'},
            ] as Array<Record<string, string>>) {
              const q = [
                mode ? `sslmode=${mode}` : '',
                compat ? 'uselibpqcompat=true' : '',
                root ? `sslrootcert=${'CA'}` : '',
                direct ? 'sslnegotiation=direct' : '',
              ]
                .filter(Boolean)
                .join('&')
              cases.push({url: q ? `${BASE}?${q}` : BASE, ssl, env})
            }
  cases.push(
    {url: `${BASE}?ssl=true`, env: {}},
    {url: `${BASE}?ssl=0`, ssl: true, env: {}},
    {url: `${BASE}?ssl=no-verify`, env: {}},
    {url: `${BASE}?ssl=1&sslnegotiation=direct`, env: {}},
    {url: `${BASE}?ssl=0&sslnegotiation=direct`, env: {PGSSLMODE: 'require'}},
    {url: BASE, env: {PGSSLNEGOTIATION: 'direct'}},
    {url: BASE, env: {PGSSLNEGOTIATION: 'direct', PGSSLMODE: 'require'}},
    {url: undefined, ssl: {rejectUnauthorized: false}, env: {PGSSLNEGOTIATION: 'direct'}},
    {url: undefined, ssl: false, env: {PGSSLNEGOTIATION: 'direct', PGSSLMODE: 'require'}},
  )
  cases.push(
    {url: `${BASE}?ssl=`, ssl: {rejectUnauthorized: false}, env: {}},
    {url: undefined, ssl: 'no-verify', env: {}},
  )
  for (const m of ['disable', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify', 'bogus'])
    cases.push({url: BASE, env: {PGSSLMODE: m}})
  cases.push(
    {url: undefined, env: {PGSSLMODE: 'require'}},
    {url: undefined, ssl: {ca: 'x', checkServerIdentity: () => undefined}, env: {}},
  )

  it.each(
    cases.map(
      (c) =>
        [
          `${c.url?.replace(BASE, '') ?? '(no url)'} ssl=${JSON.stringify(c.ssl)} env=${JSON.stringify(c.env)}`,
          c,
        ] as const,
    ),
  )('%s', (_name, c) => {
    const url = c.url?.replace('sslrootcert=CA', `sslrootcert=${ca}`)
    // the departures of the pg 8 model from the old releases: the model answers as pg 8 would after the old parser
    const want =
      old && modelledAsPg8(old, c)
        ? withEnv(c.env, () => {
            try {
              const parsed = url === undefined ? {} : parse(url)
              return pg8Tls(new ConnectionParameters({...(c.ssl === undefined ? {} : {ssl: c.ssl}), ...parsed}).ssl)
            } catch (error) {
              return {error: (error as Error).message}
            }
          })
        : oracle(url, c.ssl, c.env)
    const got = analyzeSsl(input({url, ssl: c.ssl, env: c.env, parse})).nodePg
    if ('error' in want) {
      expect(got.error).toBeTruthy()
      return
    }
    expect(got.error).toBeUndefined()
    expect(got.encrypt).toBe(want.encrypt)
    if (want.encrypt === 'yes') {
      expect(got.verifyChain).toBe(want.verifyChain)
      expect(got.verifyHostname).toBe(want.verifyHostname)
    }
  })
})

describe('the field story', () => {
  it('URL sslmode=require replaces the knexfile ssl object; node verifies, libpq only encrypts', () => {
    const a = analyzeSsl(input({url: `${BASE}?sslmode=require`, ssl: {rejectUnauthorized: false}}))
    expect(a.nodePg).toMatchObject({
      encrypt: 'yes',
      verifyChain: true,
      verifyHostname: true,
      caFrom: "Node's built-in CA list",
    })
    expect(a.nodePg.sslmode).toMatchObject({value: 'require', source: 'DATABASE_URL in .env'})
    expect(a.nodePg.replaced).toMatchObject({
      urlParams: ['sslmode=require'],
      lostKeys: ['rejectUnauthorized'],
      changesVerification: true,
    })
    expect(a.nodePg.verificationDisabledBy).toEqual([])
    expect(a.libpq).toMatchObject({encrypt: 'yes', verifyChain: false, verifyHostname: false})
    expect(describeDifference(a.nodePg, a.libpq)).toMatch(
      /node-postgres treats sslmode=require \(DATABASE_URL in \.env\) as verify-full/,
    )
    expect(describeDifference(a.nodePg, a.libpq, false)).toMatch(/^psql connects; your Node app will not, because/)
  })

  it('without ssl params in the URL the object is kept', () => {
    const a = analyzeSsl(input({url: BASE, ssl: {rejectUnauthorized: false}}))
    expect(a.nodePg.replaced).toBeUndefined()
    expect(a.nodePg).toMatchObject({encrypt: 'yes', verifyChain: false})
    expect(a.nodePg.verificationDisabledBy[0]).toMatchObject({
      setting: 'rejectUnauthorized: false',
      source: OBJ_SRC.label,
    })
  })
})

describe('libpq side', () => {
  it('defaults to prefer and tries SSL', () => {
    const a = analyzeSsl(input({url: BASE}))
    expect(a.libpq).toMatchObject({
      encrypt: 'try',
      verifyChain: false,
      sslmode: {value: 'prefer', source: 'libpq default'},
    })
    expect(a.nodePg.encrypt).toBe('no')
    expect(describeDifference(a.nodePg, a.libpq)).toMatch(/your Node app connects without SSL/)
  })

  it('require + ~/.postgresql/root.crt present = verify-ca', () => {
    const home = path.join(dir, 'home-with-root')
    fs.mkdirSync(path.join(home, '.postgresql'), {recursive: true})
    fs.writeFileSync(path.join(home, '.postgresql', 'root.crt'), 'x')
    const a = analyzeSsl(input({url: `${BASE}?sslmode=require`, homeDir: home}))
    expect(a.libpq).toMatchObject({encrypt: 'yes', verifyChain: true, verifyHostname: false})
    expect(libpqSettingText(a.libpq)).toMatch(/acts as verify-ca/)
  })

  it('PGSSLMODE and PGSSLROOTCERT from the environment; node-postgres ignores PGSSLROOTCERT', () => {
    const a = analyzeSsl(input({url: BASE, env: {PGSSLMODE: 'verify-full', PGSSLROOTCERT: ca}}))
    expect(a.libpq).toMatchObject({
      encrypt: 'yes',
      verifyChain: true,
      verifyHostname: true,
      caFrom: `sslrootcert=${ca}`,
    })
    expect(a.libpq.sslmode.source).toBe('PGSSLMODE (environment)')
    expect(a.nodePg).toMatchObject({encrypt: 'yes', verifyChain: true, caFrom: "Node's built-in CA list"})
    expect(describeDifference(a.nodePg, a.libpq)).toMatch(/ignores PGSSLROOTCERT/)
    expect(a.files).toEqual([expect.objectContaining({param: 'sslrootcert', reader: 'libpq', path: ca})])
  })

  it('verify-full without a root certificate is refused by libpq', () => {
    const a = analyzeSsl(input({url: `${BASE}?sslmode=verify-full`}))
    expect(sslRefusalText(a.libpq.error!)).toMatch(/without a root certificate/)
  })

  it('libpq rejects no-verify and uselibpqcompat', () => {
    expect(sslRefusalText(analyzeSsl(input({url: `${BASE}?sslmode=no-verify`})).libpq.error!)).toMatch(
      /invalid sslmode/,
    )
    const a = analyzeSsl(input({url: `${BASE}?sslmode=require&uselibpqcompat=true`}))
    expect(sslRefusalText(a.libpq.error!)).toMatch(/uselibpqcompat/)
    expect(describeDifference(a.nodePg, a.libpq)).toMatch(/^psql will not connect/)
  })

  it('ssl=true in a URL is sslmode=require for libpq', () => {
    const a = analyzeSsl(input({url: `${BASE}?ssl=true`}))
    expect(a.libpq.error).toBeUndefined()
    expect(a.libpq.sslmode.value).toBe('require')
  })

  it('reads keyword connection strings', () => {
    expect(keywordParams("host=h sslmode=verify-ca sslrootcert='/a b/ca.pem'")).toEqual({
      host: 'h',
      sslmode: 'verify-ca',
      sslrootcert: '/a b/ca.pem',
    })
    const a = analyzeSsl(input({url: `host=127.0.0.1 sslmode=verify-ca sslrootcert=${ca}`}))
    expect(a.libpq).toMatchObject({encrypt: 'yes', verifyChain: true, verifyHostname: false})
    expect(a.nodePg.encrypt).toBe('no')
  })
})

describe('node-postgres specifics', () => {
  it('uselibpqcompat=true gives libpq semantics for require (and flags disabled verification)', () => {
    const a = analyzeSsl(input({url: `${BASE}?sslmode=require&uselibpqcompat=true`}))
    expect(a.nodePg).toMatchObject({encrypt: 'yes', verifyChain: false, libpqCompat: true})
    expect(a.nodePg.verificationDisabledBy[0].setting).toBe('sslmode=require&uselibpqcompat=true')
  })

  it('uselibpqcompat=true with verify-ca and no sslrootcert is an error in pg', () => {
    expect(
      sslRefusalText(analyzeSsl(input({url: `${BASE}?sslmode=verify-ca&uselibpqcompat=true`})).nodePg.error!),
    ).toMatch(/verify-ca/)
  })

  it('sslmode=no-verify and NODE_TLS_REJECT_UNAUTHORIZED=0 disable verification', () => {
    expect(analyzeSsl(input({url: `${BASE}?sslmode=no-verify`})).nodePg.verificationDisabledBy[0].setting).toBe(
      'sslmode=no-verify',
    )
    const a = analyzeSsl(input({url: `${BASE}?sslmode=verify-full`, env: {NODE_TLS_REJECT_UNAUTHORIZED: '0'}}))
    expect(a.nodePg.verifyChain).toBe(false)
    expect(a.nodePg.verificationDisabledBy[0]).toMatchObject({setting: 'NODE_TLS_REJECT_UNAUTHORIZED=0'})
    // an explicit rejectUnauthorized: true wins for pg but the variable is still reported
    const b = analyzeSsl(input({ssl: {rejectUnauthorized: true}, env: {NODE_TLS_REJECT_UNAUTHORIZED: '0'}}))
    expect(b.nodePg.verifyChain).toBe(true)
    expect(disabledSettingText(b.nodePg.verificationDisabledBy[0]!)).toMatch(
      /^NODE_TLS_REJECT_UNAUTHORIZED=0 \(overridden/,
    )
  })

  it('PGSSLMODE only applies when nobody set ssl', () => {
    expect(analyzeSsl(input({env: {PGSSLMODE: 'require'}})).nodePg).toMatchObject({
      encrypt: 'yes',
      verifyChain: true,
      sslmode: {value: 'require'},
    })
    expect(analyzeSsl(input({ssl: false, env: {PGSSLMODE: 'require'}})).nodePg.encrypt).toBe('no')
    expect(analyzeSsl(input({env: {PGSSLMODE: 'no-verify'}})).nodePg.verificationDisabledBy[0].setting).toBe(
      'PGSSLMODE=no-verify',
    )
  })

  it('sslrootcert in the URL is the CA and a file node-postgres reads', () => {
    const a = analyzeSsl(input({url: `${BASE}?sslmode=verify-full&sslrootcert=./ca.pem`}))
    expect(a.nodePg.caFrom).toBe('sslrootcert=./ca.pem')
    expect(a.files.find((f) => f.reader === 'node-postgres')).toMatchObject({param: 'sslrootcert', resolved: ca})
  })

  it("the URL's ssl value is pg-connection-string's own: its files are not read, its warning not printed", () => {
    const read = fs.readFileSync
    const warn = process.emitWarning
    const missing = path.join(dir, 'nowhere', 'ca.pem')
    const a = analyzeSsl(input({url: `${BASE}?sslmode=require&sslrootcert=${missing}&sslcert=${missing}`}))
    expect(a.nodePg).toMatchObject({encrypt: 'yes', verifyChain: true, caFrom: `sslrootcert=${missing}`})
    expect(a.files.filter((f) => f.reader === 'node-postgres').map((f) => f.param)).toEqual(['sslrootcert', 'sslcert'])
    expect(fs.readFileSync).toBe(read)
    expect(process.emitWarning).toBe(warn)
  })

  it('describes an ssl object without key, cert or passphrase contents', () => {
    const d = describeSslObject({
      ca: Buffer.from('CA'),
      key: '-----BEGIN PRIVATE KEY-----x',
      passphrase: 'pp-secret',
      rejectUnauthorized: false,
      servername: 'db',
    })
    expect(d).toBe('ssl: { ca: <set>, key: <set>, passphrase: <secret>, rejectUnauthorized: false, servername: "db" }')
    expect(describeSslObject(true)).toBe('ssl: true')
    expect(describeSslObject({})).toBe('ssl: {}')
  })

  it('a custom checkServerIdentity turns the host name check off', () => {
    const a = analyzeSsl(input({ssl: {ca: 'x', checkServerIdentity: () => undefined}}))
    expect(a.nodePg).toMatchObject({verifyChain: true, verifyHostname: false, caFrom: 'ssl.ca'})
  })

  it('parses URL params like pg-connection-string', () => {
    expect(pgUrlParams(`${BASE}?sslmode=require&x=1`)).toEqual({sslmode: 'require', x: '1'})
    expect(pgUrlParams('/var/run/postgresql db')).toEqual({})
  })
})
