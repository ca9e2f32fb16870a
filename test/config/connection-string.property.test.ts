// Properties of the connection-string module (fast-check, fixed seed): parse ∘ edit round trips
// (a parameter set or removed changes that parameter only, the rest of the URL byte for byte),
// masking (no password, encoded or raw, survives), and the single lists / socket detection.
// Pure logic: the module does no I/O; the real clients it models are covered by
// test/config/pg-config.test.ts, test/config/ssl.test.ts and test/lab/password-clients.test.ts.
import fc from 'fast-check'
import {afterEach, describe, expect, it} from 'vitest'
import {
  DEFAULT_PORT,
  SECRET_KEYWORDS,
  VALID_SSLMODES,
  editUrlParams,
  isUnixSocketHost,
  maskConnectionString,
  maskUrlPassword,
  paramsFromQuery,
  parseConnectionString,
  parseUrl,
  pgUrlParams,
  tokenizeKeyValue,
  unixSocketInConnectionString,
  withAuthority,
  withPasswordSlot,
} from '../../src/config/connection-string.js'
import {redactor} from '../../src/core/redact.js'

const SEED = Number(process.env.FUZZ_SEED ?? 20261130)
const RUNS = Number(process.env.FUZZ_RUNS ?? 200)
const opts = {seed: SEED, numRuns: RUNS}

afterEach(() => redactor.clear())

// ---------------------------------------------------------------- generators

const word = fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/)
/** Any password, as a user would type it (unicode, delimiters, quotes, controls). */
const anyPassword = fc.string({minLength: 1, maxLength: 24, unit: 'binary'}).filter((p) => !p.includes('\u0000'))
/** Parameter names that are no connection field (the parse of those is tested on its own). */
const paramName = word.map((w) => `p_${w}`)
const paramValue = fc.stringMatching(/^[A-Za-z0-9._~-]{0,8}$/)
const params = fc.uniqueArray(fc.tuple(paramName, paramValue), {maxLength: 4, selector: ([k]) => k})

interface UrlParts {
  scheme: string
  user: string
  password: string
  host: string
  port: number
  database: string
  params: Array<[string, string]>
}

const urlParts: fc.Arbitrary<UrlParts> = fc.record({
  scheme: fc.constantFrom('postgres://', 'postgresql://'),
  user: word,
  password: anyPassword,
  host: fc.oneof(
    word.map((w) => `${w}.internal`),
    fc.constant('127.0.0.1'),
    fc.constant('[::1]'),
  ),
  port: fc.integer({min: 1, max: 65535}),
  database: word,
  params,
})

function build(p: UrlParts): string {
  const query = p.params.length ? `?${p.params.map(([k, v]) => `${k}=${v}`).join('&')}` : ''
  return `${p.scheme}${p.user}:${encodeURIComponent(p.password)}@${p.host}:${p.port}/${p.database}${query}`
}

function without(obj: Record<string, string> | null, key: string): Record<string, string> {
  const out = {...(obj ?? {})}
  delete out[key]
  return out
}

// ---------------------------------------------------------------- parse

describe('parse (pg-connection-string): a URL built from its parts gives them back', () => {
  it('host, port, database, user and the password, decoded', () => {
    fc.assert(
      fc.property(urlParts, (p) => {
        const r = parseConnectionString(build(p))
        expect(r.ok).toBe(true)
        if (!r.ok) return
        expect(r.values.host).toBe(p.host.replace(/^\[|\]$/g, ''))
        expect(r.values.port).toBe(String(p.port))
        expect(r.values.database).toBe(p.database)
        expect(r.values.user).toBe(p.user)
        expect(r.values.password).toBe(p.password)
        expect(pgUrlParams(build(p))).toEqual(Object.fromEntries(p.params))
      }),
      opts,
    )
  })
})

// ---------------------------------------------------------------- parse ∘ edit

describe('editUrlParams: parse ∘ edit round trips', () => {
  it('setting a parameter changes that parameter only', () => {
    fc.assert(
      fc.property(urlParts, paramName, paramValue, (p, key, value) => {
        const url = build(p)
        const edited = editUrlParams(url, {set: {[key]: value}})
        const before = parseUrl(url)
        const after = parseUrl(edited)
        expect(after.ok && before.ok).toBe(true)
        if (!after.ok || !before.ok) return
        expect(after.values).toEqual(before.values)
        expect(pgUrlParams(edited)?.[key]).toBe(value)
        expect(without(pgUrlParams(edited), key)).toEqual(without(pgUrlParams(url), key))
        // everything before the query is kept byte for byte
        expect(edited.slice(0, url.indexOf('?') >= 0 ? url.indexOf('?') : url.length)).toBe(url.split('?')[0])
      }),
      opts,
    )
  })

  it('an existing parameter is replaced in place; the order of the others is kept', () => {
    fc.assert(
      fc.property(
        urlParts.filter((p) => p.params.length > 0),
        fc.nat(),
        paramValue,
        (p, i, value) => {
          const url = build(p)
          const [key] = p.params[i % p.params.length]!
          const edited = editUrlParams(url, {set: {[key]: value}})
          const expected = p.params.map(([k, v]) => `${k}=${k === key ? value : v}`).join('&')
          expect(edited).toBe(`${url.split('?')[0]}?${expected}`)
        },
      ),
      opts,
    )
  })

  it('setting a new parameter, then removing it, gives back the URL byte for byte', () => {
    fc.assert(
      fc.property(urlParts, paramValue, (p, value) => {
        const url = build(p)
        const key = 'p_added_by_the_test'
        expect(editUrlParams(editUrlParams(url, {set: {[key]: value}}), {remove: [key]})).toBe(url)
        expect(editUrlParams(url, {})).toBe(url)
      }),
      opts,
    )
  })

  it('removing a parameter removes every occurrence and keeps the rest', () => {
    fc.assert(
      fc.property(
        urlParts.filter((p) => p.params.length > 0),
        fc.nat(),
        (p, i) => {
          const url = build(p)
          const [key] = p.params[i % p.params.length]!
          const edited = editUrlParams(`${url}&${key}=again`, {remove: [key.toUpperCase()]})
          expect(pgUrlParams(edited)).toEqual(without(pgUrlParams(url), key))
          const r = parseUrl(edited)
          expect(r.ok).toBe(true)
        },
      ),
      opts,
    )
  })

  it('sslmode set to any valid mode is what the parser reads', () => {
    fc.assert(
      fc.property(urlParts, fc.constantFrom(...VALID_SSLMODES), (p, mode) => {
        const edited = editUrlParams(build(p), {remove: ['ssl'], set: {sslmode: mode}})
        const r = parseUrl(edited)
        expect(r.ok).toBe(true)
        if (r.ok) expect(r.values.sslmode).toBe(mode)
      }),
      opts,
    )
  })

  it('a "?" or "&" in a raw (unencoded) password is not taken for the query', () => {
    const url = 'postgres://app:pa?ss&word=1@db.internal:5432/app?sslmode=require'
    expect(editUrlParams(url, {set: {sslmode: 'verify-full'}})).toBe(
      'postgres://app:pa?ss&word=1@db.internal:5432/app?sslmode=verify-full',
    )
    expect(editUrlParams('postgres://db/app', {set: {pgbouncer: 'true'}})).toBe('postgres://db/app?pgbouncer=true')
    expect(editUrlParams('postgres://db/app?a=1&&b=2#frag', {set: {c: '3'}})).toBe('postgres://db/app?a=1&b=2&c=3#frag')
    expect(paramsFromQuery('sslmode=verify-full&sslrootcert=./ca.pem')).toEqual({
      sslmode: 'verify-full',
      sslrootcert: './ca.pem',
    })
  })

  it('withAuthority changes host, port or user and keeps path and parameters', () => {
    fc.assert(
      fc.property(urlParts, word, fc.integer({min: 1, max: 65535}), (p, host, port) => {
        const url = build(p)
        const out = withAuthority(url, {host, port: String(port)})!
        const r = parseUrl(out)
        expect(r.ok).toBe(true)
        if (!r.ok) return
        expect(r.values.host).toBe(host)
        expect(r.values.port).toBe(String(port))
        expect(r.values.user).toBe(p.user)
        expect(r.values.password).toBe('****')
        expect(pgUrlParams(out)).toEqual(pgUrlParams(url))
      }),
      opts,
    )
  })
})

// ---------------------------------------------------------------- masking

/** The password as it may be printed: raw, percent-encoded, JSON-escaped. */
function spellings(password: string): string[] {
  return [password, encodeURIComponent(password), JSON.stringify(password).slice(1, -1)].filter((s) => s.length >= 2)
}

describe('masking: no password survives', () => {
  it('a URL, after the resolver registers it: the password slot is ****, no spelling of the password is left', () => {
    fc.assert(
      fc.property(urlParts, (p) => {
        // user, host and database come from another alphabet than the password's check
        const url = build({...p, user: 'USER', host: 'HOST', database: 'DB', params: []})
        redactor.addFromConnectionString(url)
        const masked = maskConnectionString(url)!
        expect(masked.startsWith(`${url.split('://')[0]}://USER:****@HOST:`)).toBe(true)
        for (const s of spellings(p.password))
          if (!/^[A-Z0-9:/@]+$/.test(s)) expect(masked.split('://')[1]).not.toContain(s)
        redactor.clear()
      }),
      opts,
    )
  })

  it('a URL not registered anywhere: the user info still shows ****', () => {
    fc.assert(
      fc.property(urlParts, (p) => {
        const url = build(p)
        const masked = maskUrlPassword(url)!
        const r = parseUrl(masked)
        expect(r.ok).toBe(true)
        if (r.ok) expect(r.values.password).toBe('****')
        expect(pgUrlParams(masked)).toEqual(pgUrlParams(url))
        expect(withPasswordSlot(url)).toBe(redactor.redact(masked))
      }),
      opts,
    )
  })

  it('a key=value string: every secret keyword reads **** and the other pairs are kept', () => {
    const quote = (v: string) => `'${v.replace(/['\\]/g, '\\$&')}'`
    fc.assert(
      fc.property(fc.constantFrom(...SECRET_KEYWORDS), anyPassword, word, (key, secret, db) => {
        const text = `host=HOST port=5432 ${key}=${quote(secret)} dbname=${db}`
        const masked = maskConnectionString(text)!
        const tokens = tokenizeKeyValue(masked)
        expect(tokens.ok).toBe(true)
        if (!tokens.ok) return
        expect(Object.fromEntries(tokens.pairs.map((t) => [t.key, t.value]))).toEqual({
          host: 'HOST',
          port: '5432',
          [key]: '****',
          dbname: db,
        })
        if (secret.length >= 2 && !'host=HOST port=5432 dbname= ****'.includes(secret) && !db.includes(secret))
          expect(masked).not.toContain(secret)
      }),
      opts,
    )
  })

  it('the redaction layer masks every secret keyword of a key=value string, unregistered', () => {
    for (const key of SECRET_KEYWORDS) {
      expect(redactor.redact(`host=h ${key}=S3cretValue dbname=d`)).toBe(`host=h ${key}=**** dbname=d`)
    }
  })
})

// ---------------------------------------------------------------- lists and sockets

describe('the single lists and Unix-socket detection', () => {
  it("the default port is PostgreSQL's", () => {
    expect(DEFAULT_PORT).toBe(5432)
  })

  it('a socket is a host starting with "/", a %2F host in a URL, a host= parameter', () => {
    expect(isUnixSocketHost('/var/run/postgresql')).toBe(true)
    expect(isUnixSocketHost(' /tmp')).toBe(true)
    expect(isUnixSocketHost('db.internal')).toBe(false)
    expect(isUnixSocketHost(undefined)).toBe(false)
    for (const text of [
      '/var/run/postgresql app',
      'postgres://%2Fvar%2Frun%2Fpostgresql/app',
      'postgres://app:pw@%2Ftmp/app',
      'postgres://app@/app?host=/var/run/postgresql',
      'postgres:///app?host=%2Ftmp',
      'host=/tmp dbname=app',
      "dbname=app host='/var/run/postgresql'",
    ]) {
      expect(unixSocketInConnectionString(text), text).toBe(true)
      const r = parseConnectionString(text)
      if (r.ok && r.values.host !== undefined) expect(isUnixSocketHost(r.values.host), text).toBe(true)
    }
    for (const text of ['postgres://db.internal/app', 'host=db dbname=app', 'postgres://app:%2Fpw@db/app']) {
      expect(unixSocketInConnectionString(text), text).toBe(false)
    }
  })
})
