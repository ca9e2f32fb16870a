import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {catalogue} from '../../src/checks/catalogue.js'
import {demoSays} from '../../src/catalogue/demo.js'
import {isSecretName, maskSecretForms, passwordsInText, redactor} from '../../src/core/redact.js'

describe('redaction', () => {
  it('secret names: DB_PASSWORD_PROD and its kin, glued and camelCase, not words merely ending in pass', () => {
    const secret = ['DB_PASSWORD_PROD', 'PROD_DB_PASSWORD', 'DB_PASS', 'DBPASS', 'PGPASS_PROD', 'dbPass', 'pgPwdProd']
    const more = ['MYSQL_ROOT_PW', 'ROOTPW', 'DB_PASSWD', 'DB_PASSPHRASE', 'API_TOKEN', 'X-Amz-Signature']
    for (const n of [...secret, ...more]) expect(isSecretName(n), n).toBe(true)
    for (const n of ['CACHE_BYPASS', 'COMPASS_URL', 'PGPASSFILE', 'PGHOST', 'DB_USER', 'PASSENGER', 'passive'])
      expect(isSecretName(n), n).toBe(false)
    expect(maskSecretForms('export DBPASS=S3kr1t-zq dbPass: "S3kr1t-zq"')).not.toContain('S3kr1t')
  })

  it('masks registered secrets in every spelling', () => {
    redactor.add('c@n#ry/p?ss')
    const encoded = encodeURIComponent('c@n#ry/p?ss')
    const text = `raw c@n#ry/p?ss enc ${encoded} json ${JSON.stringify({p: 'c@n#ry/p?ss'})}`
    const out = redactor.redact(text)
    expect(out).not.toContain('c@n#ry/p?ss')
    expect(out).not.toContain(encoded)
  })

  it('masks the password of any postgres URL, even unregistered and unencoded', () => {
    expect(redactor.redact('postgres://app:hunter2@db:5432/x')).toBe('postgres://app:****@db:5432/x')
    expect(redactor.redact('see postgresql://u:p%40ss@h/d?sslmode=require')).toBe(
      'see postgresql://u:****@h/d?sslmode=require',
    )
    expect(redactor.redact('postgres://nopass@h/d')).toBe('postgres://nopass@h/d')
  })

  it('a template in a URL (`${TOKEN}`, `<password>`) is no secret; a password merely starting with $ or < still is', () => {
    for (const t of ['postgres://user:${TOKEN}@host/db', 'postgres://user:<password>@host/db'])
      expect(redactor.redact(t)).toBe(t)
    expect(redactor.redact('postgres://user:$ecret@host/db')).toBe('postgres://user:****@host/db')
    expect(redactor.redact('postgres://user:${TOKEN}x@host/db')).toBe('postgres://user:****@host/db')
    expect(redactor.redact('postgres://user:<a>b<c>@host/db')).toBe('postgres://user:****@host/db')
    for (const t of ['postgres://user:<your-password>@host/db', 'postgres://user:<DB_PASSWORD>@host/db'])
      expect(redactor.redact(t)).toBe(t)
  })

  it('a password that starts with < and ends with > is masked unless it is placeholder words of one case', () => {
    // a generated password with < and > at its ends (1 in ~9000 over 94 symbols) read as a <placeholder>
    const inner = fc.stringMatching(/^[!-~]{1,38}$/).filter((s) => !/[<>@/?#]/.test(s))
    fc.assert(
      fc.property(inner, (s) => {
        const pw = `<${s}>`
        const placeholder = /^(?:[a-z]+(?:[_-][a-z]+)*|[A-Z]+(?:[_-][A-Z]+)*)$/.test(s)
        const out = redactor.redact(`connect postgres://app:${pw}@db:5432/x failed`)
        if (placeholder) expect(out).toContain(pw)
        else expect(out, pw).toBe('connect postgres://app:****@db:5432/x failed')
      }),
      {seed: Number(process.env.FUZZ_SEED ?? 20261207), numRuns: Number(process.env.FUZZ_RUNS ?? 300)},
    )
  })

  it('a quote or < inside a URL password, before its "@", is part of the password, not the end of the URL', () => {
    for (const pw of ['Tr<,0ub4dor', 'ab`;cdef', "S3c'ret,9x", 'S3c"ret)9x', 'x<]y', "a'/b"])
      expect(redactor.redact(`connect postgres://app:${pw}@db:5432/x failed`), pw).toBe(
        'connect postgres://app:****@db:5432/x failed',
      )
    // after the "@", a closing quote still ends the URL: what follows is no password
    expect(redactor.redact(`url: 'postgres://app:pw1@db/x', next: "a@b"`)).toBe(
      `url: 'postgres://app:****@db/x', next: "a@b"`,
    )
    expect(redactor.redact(`{"url":"postgres://app:pw1@db/x","mail":"a@b"}`)).toBe(
      `{"url":"postgres://app:****@db/x","mail":"a@b"}`,
    )
  })

  it('every output line is redacted by rule: the catalogue\'s own words pass unchanged ("the password: fine…" printed "****")', () => {
    const changed: string[] = []
    for (const e of catalogue)
      for (const t of [e.title, e.meaning, e.fix, ...e.causes])
        if (typeof t === 'string' && redactor.redact(t) !== t) changed.push(`${e.code}: ${t}`)
    for (const title of ['A wrong password', 'An unencoded # in the password'])
      for (const got of ['AUTH_PASSWORD_FAILED', 'CONFIG_PASSWORD_NOT_ENCODED, TLS_UNTRUSTED_ISSUER']) {
        const row = demoSays.summaryRow({title, got, ok: true})
        if (redactor.redact(row) !== row) changed.push(row)
      }
    expect(changed).toEqual([])
  })

  it('masks password= in libpq key=value strings', () => {
    expect(redactor.redact('host=db password=hunter2 user=x')).toBe('host=db password=**** user=x')
    expect(redactor.redact("host=db password='a b' user=x")).toBe('host=db password=**** user=x')
  })

  it('an RDS IAM token typed raw into a URL: its signature, session token and key id are masked, its public words are not', () => {
    const token =
      'mydb.cluster-abc.us-east-1.rds.amazonaws.com:5432/?Action=connect&DBUser=app&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLEKEY01%2F20261207%2Fus-east-1%2Frds-db%2Faws4_request&X-Amz-Date=20261207T120000Z&X-Amz-Expires=900&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEXAMPLE&X-Amz-SignedHeaders=host&X-Amz-Signature=5c1e0f3a9b7d2e4f6a8c0b1d3e5f7a9c2b4d6e8f0a1c3e5b7d9f1a3c5e7b9d0f'
    redactor.addFromConnectionString(`postgres://app:${token}@127.0.0.1:5432/db`)
    const words = 'field host, the port after the host "app", connect, region us-east-1, rds-db, aws4_request, 900'
    expect(redactor.redact(words)).toBe(words)
    const signature = /X-Amz-Signature=(\w+)/.exec(token)![1]!
    for (const secret of [signature, 'IQoJb3JpZ2luX2VjEXAMPLE', 'AKIAEXAMPLEKEY01'])
      expect(redactor.redact(`value ${secret} here`)).not.toContain(secret)
  })

  it('a shell command substitution is no password value: PGPASSWORD=$(cat …) stays as written', () => {
    expect(maskSecretForms('TOKEN_ENC=$(printf %s "$TOKEN" | jq -sRr @uri)')).toBe(
      'TOKEN_ENC=$(printf %s "$TOKEN" | jq -sRr @uri)',
    )
    expect(maskSecretForms('PGPASSWORD=hunter22 psql')).toBe('PGPASSWORD=**** psql')
  })

  it('finds passwords in unparseable URLs (unencoded @ and #)', () => {
    expect(passwordsInText('postgres://app:p@ss#word@db.example.com:5432/app')).toContain('p@ss#word')
    expect(passwordsInText("host=x password='it''s'").length).toBeGreaterThanOrEqual(1)
  })

  it('redacts deep values', () => {
    redactor.add('deep-secret-123')
    expect(redactor.redactValue({a: [{b: 'x deep-secret-123 y'}]})).toEqual({a: [{b: 'x **** y'}]})
  })
})

describe('redactValue', () => {
  it('keeps the structure when a key=value password ends a string (no JSON re-parse)', () => {
    const v = {a: 'x password=abc', b: "host=db password='abc", c: ['password=zz"']}
    const out = redactor.redactValue(v)
    // a quote ends an unquoted value (so JSON around it survives); registered secrets are masked whole anyway
    expect(out).toEqual({a: 'x password=****', b: 'host=db password=****', c: ['password=****"']})
  })
})

describe('redacting serialized output', () => {
  it('keeps JSON valid when a key=value string with a password is inside it', () => {
    const json = JSON.stringify(
      {connectionString: 'host=h port=1 password=abc', other: "password='a b'", n: 1},
      null,
      2,
    )
    const out = redactor.redact(json)
    expect(JSON.parse(out)).toEqual({connectionString: 'host=h port=1 password=****', other: 'password=****', n: 1})
  })
})
