// The generators of the masking properties, shared by the report (test/core/masking.property.test.ts,
// test/commands/masking-structure.test.ts) and `explain` (test/explain/redaction.property.test.ts):
// passwords drawn from the report's own vocabulary, JWTs, SigV4-signed tokens, quoted forms and
// separators inside passwords, and every form a password is written in.
import fc from 'fast-check'
import {catalogue} from '../../src/checks/catalogue.js'
import {checks} from '../../src/checks/index.js'

/** Words and numbers a report is made of: a password equal to one must not change a single key or number. */
export const REPORT_VOCABULARY: readonly string[] = [
  'null',
  'true',
  'false',
  '5432',
  'name',
  'id',
  'code',
  'status',
  'summary',
  'evidence',
  'fix',
  'steps',
  'checks',
  'version',
  'tool',
  'target',
  'host',
  'port',
  'user',
  'pass',
  'fail',
  'warn',
  'skip',
  'failing',
  'healthy',
  'postgres',
  'app',
  'appdb',
  'testsuites',
  'testcase',
  'failure',
  'error',
  'warning',
  '127.0.0.1',
  '1',
  '0',
  '::',
  '**',
  '****',
  '"',
  '<',
  '&amp;',
  '|',
  ...checks.map((c) => c.id),
  ...catalogue.slice(0, 40).map((e) => e.code),
]

/** Two vocabulary words glued by a separator ("null:true", "id=5432"…), or one alone. */
export const vocabularyPassword: fc.Arbitrary<string> = fc.oneof(
  {weight: 3, arbitrary: fc.constantFrom(...REPORT_VOCABULARY.filter((w) => w.length >= 2))},
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...REPORT_VOCABULARY),
        fc.constantFrom(':', '=', ',', ' ', '"', '&'),
        fc.constantFrom(...REPORT_VOCABULARY),
      )
      .map(([a, s, b]) => `${a}${s}${b}`),
  },
)

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const b64url = (min: number, max: number) =>
  fc.array(fc.constantFrom(...B64URL), {minLength: min, maxLength: max}).map((a) => a.join(''))
const hex = (n: number) =>
  fc.array(fc.constantFrom(...'0123456789abcdef'), {minLength: n, maxLength: n}).map((a) => a.join(''))

/** A JWT (header.payload.signature), up to a few KB: a long one must be masked to its end. */
export const jwt: fc.Arbitrary<string> = fc
  .tuple(b64url(20, 60), b64url(40, 3000), b64url(43, 86))
  .map(([h, p, s]) => `eyJ${h}.eyJ${p}.${s}`)

/** An RDS IAM auth token (a SigV4 presigned URL without its scheme), as used as a password. */
export const sigV4Token: fc.Arbitrary<string> = fc
  .tuple(b64url(16, 16), hex(64), b64url(100, 400))
  .map(
    ([key, sig, session]) =>
      `db.cluster-abc.eu-west-1.rds.amazonaws.com:5432/?Action=connect&DBUser=app&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA${key.toUpperCase()}%2F20261207%2Feu-west-1%2Frds-db%2Faws4_request&X-Amz-Date=20261207T050000Z&X-Amz-Expires=900&X-Amz-Security-Token=${session}&X-Amz-SignedHeaders=host&X-Amz-Signature=${sig}`,
  )

/** Characters that end or split a value in some form: URL delimiters, quotes, escapes, separators. */
export const SEPARATORS = [
  ',',
  '\\"',
  '"',
  "'",
  '\\',
  '&',
  '#',
  '@',
  '%',
  '%2',
  '%41',
  '=',
  ';',
  ':',
  '/',
  '?',
  '}',
  '&B=C',
  '=>',
]

/** A canary holding separators: HEAD and TAIL are unique markers, so any leak shows. */
export const separatorCanary: fc.Arbitrary<string> = fc
  .tuple(fc.array(fc.constantFrom(...SEPARATORS), {minLength: 1, maxLength: 3}), fc.integer({min: 1000, max: 9999}))
  .map(([seps, n]) => `HEADmk${n}${seps.join('')}TAILmk${n}`)

/** A canary without separators (the common case). */
export const plainCanary: fc.Arbitrary<string> = fc
  .tuple(b64url(4, 8), fc.integer({min: 1000, max: 9999}))
  .map(([s, n]) => `Cnry${n}x${s.replace(/[-_]/g, 'q')}`)

/** Every kind of unique canary (pieces of it must appear nowhere). */
export const canaryPassword: fc.Arbitrary<string> = fc.oneof(separatorCanary, plainCanary, jwt, sigV4Token)

const jsonString = (pw: string) => JSON.stringify(pw)
const libpqQuoted = (pw: string) => `'${pw.replace(/['\\]/g, '\\$&')}'`

/** Every form a password is written in, in configs, logs, errors and pasted text. */
export const FORMS: readonly {name: string; text: (pw: string) => string}[] = [
  {name: 'URL user info (encoded)', text: (pw) => `postgres://app:${encodeURIComponent(pw)}@db.internal:5432/appdb`},
  {name: 'URL user info (raw)', text: (pw) => `connecting to postgresql://app:${pw}@db.internal:5432/appdb failed`},
  {name: '?password= (raw, the piece after & too)', text: (pw) => `postgres://app@db:5432/appdb?password=${pw}`},
  {
    name: '?password= then a known parameter',
    text: (pw) => `postgres://app@db:5432/appdb?password=${encodeURIComponent(pw)}&sslmode=require`,
  },
  {
    name: '?sslpassword=',
    text: (pw) => `postgres://app@db/appdb?sslmode=verify-full&sslpassword=${encodeURIComponent(pw)}`,
  },
  {name: 'key=value quoted', text: (pw) => `host=db user=app password=${libpqQuoted(pw)} sslmode=require`},
  {name: 'key=value sslpassword quoted', text: (pw) => `host=db sslkey=/k.pem sslpassword=${libpqQuoted(pw)}`},
  {name: 'DB_PASS=', text: (pw) => `DB_HOST=db DB_PASS=${jsonString(pw)} npm run migrate`},
  {name: 'PGPASSWORD= (env dump)', text: (pw) => `PGHOST=db\nPGPASSWORD=${jsonString(pw)}\nPGUSER=app`},
  {name: 'DB_PASSWORD_PROD=', text: (pw) => `export DB_PASSWORD_PROD=${jsonString(pw)}`},
  {name: 'pwd=', text: (pw) => `Server=db;Database=appdb;Uid=app;Pwd=${jsonString(pw)};`},
  {name: 'password => "…"', text: (pw) => `{ host => "db", password => ${jsonString(pw)}, port => 5432 }`},
  {name: 'JSON "password": "…"', text: (pw) => JSON.stringify({host: 'db', password: pw, port: 5432})},
  {
    name: 'util.inspect (console.error(config))',
    text: (pw) => `{ connection: { host: 'db', password: ${jsonString(pw)} } }`,
  },
  {name: 'YAML password:', text: (pw) => `production:\n  host: db\n  password: ${jsonString(pw)}\n  port: 5432`},
  {name: 'Authorization header', text: (pw) => `Authorization: Bearer ${pw.replace(/\s/g, '')}`},
]

/**
 * Every piece of `pw` of 4+ characters (for a long token, its 8-character windows: any longer
 * piece contains one), except pieces of digits only (a duration or a port can show them by chance).
 */
export function piecesOf(pw: string): string[] {
  const out = new Set<string>()
  const lengths = pw.length <= 64 ? [4, 5, 6, 8, 12] : [8]
  for (const l of lengths) for (let i = 0; i + l <= pw.length; i++) out.add(pw.slice(i, i + l))
  if (pw.length >= 4) out.add(pw)
  return [...out].filter((p) => !/^[\d.:]+$/.test(p))
}

/** The pieces of `pw` that show in `text` but not in `benign` (the same output without the password). */
export function leakedPieces(pw: string, text: string, benign = ''): string[] {
  return piecesOf(pw).filter((p) => text.includes(p) && !benign.includes(p))
}
