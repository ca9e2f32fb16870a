import {describe, expect, it} from 'vitest'
import {passwordsInText, redactor} from '../../src/core/redact.js'

describe('redaction', () => {
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
    expect(redactor.redact('see postgresql://u:p%40ss@h/d?sslmode=require')).toBe('see postgresql://u:****@h/d?sslmode=require')
    expect(redactor.redact('postgres://nopass@h/d')).toBe('postgres://nopass@h/d')
  })

  it('masks password= in libpq key=value strings', () => {
    expect(redactor.redact("host=db password=hunter2 user=x")).toBe('host=db password=**** user=x')
    expect(redactor.redact("host=db password='a b' user=x")).toBe('host=db password=**** user=x')
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
    const json = JSON.stringify({connectionString: "host=h port=1 password=abc", other: "password='a b'", n: 1}, null, 2)
    const out = redactor.redact(json)
    expect(JSON.parse(out)).toEqual({connectionString: 'host=h port=1 password=****', other: 'password=****', n: 1})
  })
})
