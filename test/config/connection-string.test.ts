import {describe, expect, it} from 'vitest'
import {
  connectionStringHint,
  connectionStringReason,
  encodingEffectText,
} from '../../src/catalogue/connection-string.js'
import * as cs from '../../src/config/connection-string.js'
import {checkUrlEncoding, classifyConnectionString, splitUrl} from '../../src/config/connection-string.js'
import {CANARY_PASSWORD, CANARY_SPECIAL} from '../helpers/constants.js'

const noCanary = (value: unknown, canary = CANARY_SPECIAL) => {
  const text = JSON.stringify(value)
  expect(text).not.toContain(canary)
  expect(text).not.toContain(encodeURIComponent(canary))
}

/** A parse result as the config check shows it: the problem's reason and hint in the catalogue's words. */
type Worded<R> = R extends {ok: false; problem: cs.ConnectionStringProblem} ? R & {reason: string; hint?: string} : R
function worded<R extends {ok: boolean}>(r: R): Worded<R> {
  if (!('problem' in r)) return r as Worded<R>
  const problem = r.problem as cs.ConnectionStringProblem
  return {...r, reason: connectionStringReason(problem), hint: connectionStringHint(problem)} as Worded<R>
}
const parseUrl = (text: string) => worded(cs.parseUrl(text))
const parseKeyValue = (text: string) => worded(cs.parseKeyValue(text))
const tokenizeKeyValue = (text: string) => worded(cs.tokenizeKeyValue(text))
const parseConnectionString = (text: string, opts?: {allowKeyValue?: boolean}) =>
  worded(cs.parseConnectionString(text, opts))

describe('classifyConnectionString', () => {
  it('tells URLs, key=value strings, sockets and garbage apart', () => {
    expect(classifyConnectionString('postgres://h/db')).toBe('url')
    expect(classifyConnectionString('postgresql://h/db')).toBe('url')
    expect(classifyConnectionString('  host=db port=5432')).toBe('keyvalue')
    expect(classifyConnectionString('/var/run/postgresql mydb')).toBe('socket')
    expect(classifyConnectionString('mysql://h/db')).toBe('unknown')
    expect(classifyConnectionString('localhost:5432')).toBe('unknown')
  })
})

describe('parseUrl (pg-connection-string)', () => {
  it('extracts every field and keeps non-field params', () => {
    const r = parseUrl(
      `postgres://app:${CANARY_PASSWORD}@db.internal:6543/appdb?sslmode=verify-full&application_name=web&ssl=true&target_session_attrs=any`,
    )
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.values).toEqual({
      host: 'db.internal',
      port: '6543',
      database: 'appdb',
      user: 'app',
      password: CANARY_PASSWORD,
      sslmode: 'verify-full',
      application_name: 'web',
    })
    expect(r.params).toMatchObject({ssl: 'true', target_session_attrs: 'any', sslmode: 'verify-full'})
    expect(JSON.stringify(r.params)).not.toContain(CANARY_PASSWORD)
  })

  it('decodes a percent-encoded password and leaves missing parts unset', () => {
    const r = parseUrl(`postgresql://special:${encodeURIComponent(CANARY_SPECIAL)}@127.0.0.1/appdb`)
    expect(r.ok && r.values).toEqual({host: '127.0.0.1', database: 'appdb', user: 'special', password: CANARY_SPECIAL})
    const socket = parseUrl('postgres:///appdb?host=/var/run/postgresql')
    expect(socket.ok && socket.values).toEqual({host: '/var/run/postgresql', database: 'appdb'})
  })

  it('a URL with no host is not usable (node-postgres would silently use localhost:5432)', () => {
    for (const u of ['postgres://', 'postgresql://', 'postgres://:@/', 'postgres:///appdb', 'postgres://app@/appdb']) {
      const r = parseUrl(u)
      expect(r, u).toMatchObject({ok: false, kind: 'url', hostless: true})
    }
    expect(parseUrl('postgres://')).toMatchObject({reason: 'it is empty: no host, user or database after "://"'})
    expect(parseUrl('postgres:///appdb')).toMatchObject({
      reason: expect.stringMatching(/names no host/),
      hint: expect.stringMatching(/localhost:5432/),
    })
  })

  it('does not read certificate files nor warn about sslmode aliases', () => {
    const warnings: unknown[] = []
    const onWarning = (w: unknown) => warnings.push(w)
    process.on('warning', onWarning)
    try {
      const r = parseUrl(
        'postgres://h/db?sslmode=require&sslrootcert=/nonexistent/ca.pem&sslcert=/nonexistent/c.pem&sslkey=/nonexistent/k.pem',
      )
      expect(r.ok && r.values).toMatchObject({
        sslmode: 'require',
        sslrootcert: '/nonexistent/ca.pem',
        sslcert: '/nonexistent/c.pem',
        sslkey: '/nonexistent/k.pem',
      })
      const compat = parseUrl('postgres://h/db?uselibpqcompat=true&sslmode=verify-ca')
      expect(compat.ok && compat.values).toMatchObject({uselibpqcompat: 'true', sslmode: 'verify-ca'})
    } finally {
      process.off('warning', onWarning)
    }
    expect(warnings).toEqual([])
  })

  it('query host/port override the authority, as in node-postgres', () => {
    const r = parseUrl('postgres://u@ignored:1/db?host=/var/run/postgresql&port=5433')
    expect(r.ok && r.values).toMatchObject({host: '/var/run/postgresql', port: '5433'})
  })

  it('IPv6 literals in brackets are fine; bare ones are located', () => {
    const ok = parseUrl('postgres://u@[::1]:5432/db')
    expect(ok.ok && ok.values.host).toBe('::1')
    const bad = parseUrl('postgres://u@::1/db')
    expect(bad.ok).toBe(false)
    if (!bad.ok) expect(bad.reason).toContain('IPv6')
  })

  it('says where a URL breaks: port, unexpanded ${VAR}, malformed escapes', () => {
    const port = parseUrl('postgres://u:pw@db:54x2/app')
    expect(port.ok).toBe(false)
    if (!port.ok) expect(port.reason).toMatch(/port "54x2".*host "db"/)
    const ref = parseUrl('postgres://${DB_USER}:${DB_PASSWORD}@db/app')
    expect(!ref.ok && ref.unexpanded).toBe('DB_USER')
    const multi = parseUrl('postgres://h1:5432,h2:5433/db')
    expect(!multi.ok && multi.reason).toMatch(/several hosts \(h1:5432,h2:5433\)/)
    const range = parseUrl('postgres://u:pw@db:99999/app')
    expect(!range.ok && range.reason).toBe('the port 99999 is out of range (1-65535)')
    const esc = parseUrl('postgres://u@db/app%E0%A4%A')
    expect(esc.ok).toBe(false)
  })
})

describe('parseConnectionString', () => {
  it('rejects other schemes and plain host:port', () => {
    const my = parseConnectionString('mysql://u:p@h/db')
    expect(!my.ok && my.reason).toContain('mysql://')
    const hp = parseConnectionString('localhost:5432')
    expect(!hp.ok && hp.reason).toMatch(/does not start with postgres/)
    const empty = parseConnectionString('   ')
    expect(!empty.ok && empty.reason).toBe('it is empty')
  })

  it('refuses key=value where node-postgres wants a URL', () => {
    const r = parseConnectionString('host=db port=5432', {allowKeyValue: false})
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.reason).toMatch(/key=value/)
  })

  it('parses the socket shorthand', () => {
    const r = parseConnectionString('/var/run/postgresql mydb')
    expect(r.ok && r.values).toEqual({host: '/var/run/postgresql', database: 'mydb'})
  })
})

describe('libpq key=value', () => {
  it('follows libpq quoting: spaces around =, single quotes, backslash escapes', () => {
    const t = tokenizeKeyValue(
      `host = db  port=5432 password='it\\'s a \\\\secret' application_name=my\\ app dbname=''`,
    )
    expect(t.ok && t.pairs).toEqual([
      {key: 'host', value: 'db'},
      {key: 'port', value: '5432'},
      {key: 'password', value: "it's a \\secret"},
      {key: 'application_name', value: 'my app'},
      {key: 'dbname', value: ''},
    ])
  })

  it('maps libpq keywords to fields', () => {
    const r = parseKeyValue(
      `host=db port=5432 dbname=app user=u password=${CANARY_PASSWORD} sslmode=require sslrootcert=/x/ca.pem target_session_attrs=read-write`,
    )
    expect(r.ok && r.values).toEqual({
      host: 'db',
      port: '5432',
      database: 'app',
      user: 'u',
      password: CANARY_PASSWORD,
      sslmode: 'require',
      sslrootcert: '/x/ca.pem',
    })
    expect(r.ok && r.params).toEqual({target_session_attrs: 'read-write'})
  })

  it('reports an unterminated quote with its position', () => {
    const r = parseKeyValue(`host=db password='${CANARY_PASSWORD}`)
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.position).toBe(18)
    expect(r.reason).toMatch(/unterminated quoted string.*"password"/)
    noCanary(r, CANARY_PASSWORD)
  })

  it('a password with an unquoted space: no fragment of it is echoed', () => {
    const r = parseKeyValue('host=db password=first secondhalf')
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.reason).toMatch(/missing "=".*after the password value/)
    expect(r.hint).toMatch(/single-quoted/)
    expect(JSON.stringify(r)).not.toContain('secondhalf')
    expect(JSON.stringify(r)).not.toContain('first')
  })

  it('rejects unknown keywords like libpq, with a hint for common mistakes', () => {
    const r = parseKeyValue('host=db database=app')
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.reason).toBe('invalid connection option "database"')
      expect(r.hint).toMatch(/dbname/)
    }
    const m = parseKeyValue('host=db noequals')
    expect(!m.ok && m.reason).toMatch(/missing "=" after "noequals"/)
  })
})

describe('checkUrlEncoding', () => {
  // breaking: node-postgres (and knex's parser) read something else. lenient: node-postgres reads
  // it as written; "@" and a stray "%" break psql only. Measured against the real clients in
  // test/lab/password-clients.test.ts.
  const cases: Array<[string, string, string, boolean]> = [
    ['#', 'pa#ss', '"#"', true],
    ['@', 'p@ss', '"@"', false],
    ['/', 'pa/ss', '"/"', true],
    ['?', 'pa?ss', '"?"', true],
    ['%', 'pa%zz', '"%"', false],
    ['tab', 'pa\tss', 'whitespace', true],
    ['space', 'pa ss', 'space', false],
    ['quote', 'pa"ss', '"""', false],
    ['caret', 'pa^ss', '"^"', false],
    ['bracket', 'pa[ss', '"["', false],
    ['backslash', 'pa\\ss', '"\\"', false],
    ['non-ASCII letter', 'päss', '"ä"', false],
  ]
  for (const [name, pw, described, breaking] of cases) {
    it(`flags an unencoded ${name} in the password (${breaking ? 'breaking' : 'lenient'}), masks it and encodes the rest`, () => {
      const url = `postgres://app:${pw}@db.example:5432/appdb?sslmode=require`
      const issue = checkUrlEncoding(url)
      expect(issue).not.toBeNull()
      expect(issue!.breaking).toBe(breaking)
      expect(issue!.parts).toEqual(['password'])
      expect(issue!.characters).toContain(described)
      expect(issue!.maskedUrl).toBe('postgres://app:****@db.example:5432/appdb?sslmode=require')
      expect(issue!.effects.length).toBeGreaterThan(0)
      expect(JSON.stringify(issue)).not.toContain(pw)
    })
  }

  it('accepts correctly encoded passwords and URLs without credentials', () => {
    expect(checkUrlEncoding(`postgres://app:${encodeURIComponent(CANARY_SPECIAL)}@db/app`)).toBeNull()
    expect(checkUrlEncoding(`postgres://app:${CANARY_PASSWORD}@db/app`)).toBeNull()
    expect(checkUrlEncoding("postgres://app:a!$&'()*+,;=~._-b@db/app")).toBeNull()
    expect(checkUrlEncoding('postgres://app:pa:ss:word@db/app')).toBeNull() // RFC 3986 allows ":" there
    expect(checkUrlEncoding('postgres://db:5432/app?application_name=a@b')).toBeNull()
    expect(checkUrlEncoding('postgres://u:p@db/app?application_name=a@b')).toBeNull()
  })

  it('flags an e-mail style user name and encodes it in the masked URL', () => {
    const issue = checkUrlEncoding('postgres://me@corp.example:pw@db/app')
    expect(issue!.parts).toEqual(['user'])
    expect(issue!.maskedUrl).toBe('postgres://me%40corp.example:****@db/app')
  })

  it('never echoes the canary full of special characters', () => {
    const issue = checkUrlEncoding(`postgresql://special:${CANARY_SPECIAL}@127.0.0.1:5432/appdb`)
    expect(issue!.characters).toEqual(expect.arrayContaining(['"@"', '"#"', '"/"', '"?"']))
    expect(issue!.maskedUrl).toBe('postgresql://special:****@127.0.0.1:5432/appdb')
    noCanary(issue)
  })

  it('splitUrl finds the intended host even when # / ? cut the URL', () => {
    expect(splitUrl(`postgres://special:${CANARY_SPECIAL}@127.0.0.1:5432/appdb?sslmode=disable`)).toEqual({
      scheme: 'postgres://',
      userinfo: `special:${CANARY_SPECIAL}`,
      hostport: '127.0.0.1:5432',
      rest: '/appdb?sslmode=disable',
    })
  })
})

describe('values as they arrive from environments', () => {
  it('a URL wrapped in literal quotes says so', () => {
    const r = parseConnectionString(`"postgres://app:${CANARY_PASSWORD}@db/app"`)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.reason).toMatch(/wrapped in double quotes/)
    noCanary(r, CANARY_PASSWORD)
  })

  it('an outer space breaks node-postgres; an outer newline does not', () => {
    const space = parseUrl('postgres://u@db/app ')
    expect(!space.ok && space.reason).toMatch(/ends with a space/)
    const newline = parseUrl('postgres://u@db/app\n')
    expect(newline.ok && newline.values.database).toBe('app')
  })
})

describe('checkUrlEncoding: escapes node-postgres misreads in a URL with a space', () => {
  it('what pg-connection-string does: a space makes it re-encode the URL, "%2F" stays three characters', async () => {
    const {parse} = await import('pg-connection-string')
    expect(parse('postgres://app:x%2Fy z@db/app').password).toBe('x%2Fy z')
    expect(parse('postgres://app:x%2Fy%20z@db/app').password).toBe('x/y z')
    expect(parse('postgres://app:x%40y z@db/app').password).toBe('x@y z') // two digits: restored
  })

  it('flags such escapes as breaking, only when the URL has a space', () => {
    const issue = checkUrlEncoding('postgres://app:x%2Fy z@db/app')
    expect(issue).toMatchObject({parts: ['password'], breaking: true, maskedUrl: 'postgres://app:****@db/app'})
    expect(issue!.characters).toEqual(['space', '"%2F"'])
    expect(encodingEffectText(issue!.effects[1])).toMatch(/read literally/)
    expect(checkUrlEncoding('postgres://app:x%2Fy%20z@db/app')).toBeNull()
    expect(checkUrlEncoding('postgres://app:x%40y z@db/app')).toMatchObject({breaking: false, characters: ['space']})
    expect(checkUrlEncoding('postgres://app:x%2Fy@db/app?options=a b')).toMatchObject({
      breaking: true,
      characters: ['"%2F"'],
    })
  })
})
