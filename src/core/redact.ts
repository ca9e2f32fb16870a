// The one redaction module: every rule about secrets, for the report, stray output and `explain`.
//
// Secrets are masked where they ENTER and at the LEAVES of what is printed, never over a
// serialized document:
// - entry: config resolution registers every password it reads (in every spelling a parser can
//   make of it); server text, app output and errors are redacted as free text;
// - leaves: a report is masked string value by string value (redactReport / redactValue), never
//   its keys, numbers, booleans or structure, and never the contract fields (check ids, codes,
//   statuses, verdicts): a password of `null`, `5432`, `name` or `postgres` cannot turn
//   `"code": null` into `"code": ****` or `<testsuites name=…>` into `<testsuites ****=…>`;
// - the rule set (maskSecretForms / secretsInText): a value after a secret keyword in any form
//   (URL user info, `?password=A&B=C`, libpq key=value with quoted values, `DB_PASS=`,
//   `PGPASSWORD=`, `pwd=`, `password => "…"`, JSON `"password": "…"`, YAML), every libpq secret
//   keyword (password, sslpassword, scram keys, oauth_client_secret), JWTs, SigV4 signatures and
//   credentials, Authorization headers. Linear in the text: keywords are found with one global
//   scan, values read by a bounded loop at that place, and the scan resumes after the value.
// stdout and stderr are wrapped so that anything else printed (oclif errors, Node warnings, app
// output, stray library output) passes through the same free-text redaction; a report already
// masked by structure is written past that wrapper (unredacted), so nothing re-masks its
// serialized form.

import {inspect} from 'node:util'
import {LIBPQ_KEYWORDS, POSTGRES_SCHEME, SECRET_KEYWORDS} from './secrets.js'

/** The scheme's pattern, to build the patterns below that find URLs in a text. */
const SCHEME = POSTGRES_SCHEME.source
/** A quoted postgres:// URL in source code (the quote, then the URL). */
const QUOTED_URL = new RegExp(`(['"\`])(${SCHEME}(?:\\\\.|(?!\\1)[^\\\\])*)\\1`, 'gi')
/** A URL up to a quote (a URL quoted in code), and up to whitespace only (a quote inside the password). */
const URL_TO_QUOTE = new RegExp(`${SCHEME}([^\\s'"]*)`, 'gi')
const URL_TO_SPACE = new RegExp(`${SCHEME}(\\S*)`, 'gi')
/** A URL's user name and the ":" after it. */
const URL_USER = new RegExp(`${SCHEME}([^\\s:@'"]*):`, 'gi')

export const MASK = '****'
/** The libpq keywords whose value is a secret, as a regex alternation (password, sslpassword…). */
const SECRET_KEY = `(?:${SECRET_KEYWORDS.join('|')})`
/** Shortest piece of a cut password that is masked on its own. */
const MIN_FRAGMENT = 4
/** Longest value read after a keyword (a JWT or a presigned token fits; the scan stays linear). */
const MAX_VALUE = 16_384

// ---------------------------------------------------------------------------------------------
// The rule set: where a secret stands in text

/** A secret found in text: its value (unquoted, to mask wherever else it appears) and its span. */
interface FoundSecret {
  value: string
  start: number
  end: number
}

/** Where an identifier that may name a secret is found (then read whole around the hit). */
const STEM = /pass|pwd|pw|secret|token|key|credential|signature|authori[sz]ation|:\/\/|eyJ/gi
const IDENT_CHAR = /[A-Za-z0-9_.-]/
/** Names whose value is a secret wherever they appear (a part of the name is enough). */
const SECRET_WORD = /password|passwd|passphrase|secret|credential|authori[sz]ation/
const SECRET_PART = new Set(['pass', 'pwd', 'pw', 'token', 'signature', 'apikey'])
/** A database word glued to pass/pwd/pw (DBPASS, PGPASS_PROD, ROOTPW), not any word ending so (BYPASS, COMPASS). */
const GLUED_PASS = /^(?:db|pg|psql|sql|mysql|postgres|database|root|admin|user|app|my)(?:pass|pwd|pw)$/
const KEY_QUALIFIER = new Set([
  'api',
  'private',
  'client',
  'server',
  'access',
  'secret',
  'signing',
  'session',
  'master',
])

/** Is this identifier (a key, an env variable, a query parameter) the name of a secret? */
export function isSecretName(ident: string): boolean {
  const name = ident.toLowerCase().replace(/^[-.]+/, '')
  if (SECRET_WORD.test(name)) return true
  // camelCase parts too (dbPass, pgPwdProd)
  const parts = ident
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[_.-]+/)
    .filter(Boolean)
  for (let i = 0; i < parts.length; i++) {
    if (SECRET_PART.has(parts[i]!) || GLUED_PASS.test(parts[i]!)) return true
    if (parts[i] === 'key' && i > 0 && KEY_QUALIFIER.has(parts[i - 1]!)) return true
  }
  return false
}

/** Parameters that end a `?password=…` value at `&name=` (anything else after `&` may be the password's own). */
const KNOWN_PARAMS = new Set<string>([...LIBPQ_KEYWORDS, 'ssl', 'schema', 'search_path', 'statement_timeout'])

/** Words a sentence puts after "password:" (the catalogue's prose), not values. */
const PROSE = new Set(['the', 'a', 'an', 'is', 'are', 'was', 'not', 'no', 'none', 'it', 'this', 'that', 'and', 'or'])

/** Values that stand for a password in docs and fixes (`DB_PASSWORD=your-password`, `password='PASSWORD'`, `$PGPASSWORD`): not secrets. */
const PLACEHOLDER =
  /^(?:your[-_]?password|password|<[^<>\s]{1,40}>|\$\{[^{}\s]{1,60}\}|\$[A-Za-z_][A-Za-z0-9_]{0,60}|\$\([^\s]{0,200}|…|\.\.\.)$/i

const SEPARATOR = /["'`]?[ \t]{0,10}(=>|:=|=|:)[ \t]{0,10}/y
const AUTH_SCHEME = /(?:Bearer|Basic|Token|Digest|Negotiate|AWS4-HMAC-SHA256)[ \t]{1,10}/iy
const JWT = /eyJ[A-Za-z0-9_-]{2,8192}\.[A-Za-z0-9_-]{2,8192}(?:\.[A-Za-z0-9_-]{0,8192})?/y

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v'
}

/** A quoted value from its opening quote: to the matching unescaped quote, or to the end of the line. */
function readQuoted(text: string, at: number): {start: number; end: number; value: string} {
  const q = text[at]!
  let i = at + 1
  const limit = Math.min(text.length, at + 1 + MAX_VALUE)
  while (i < limit) {
    const c = text[i]!
    if (c === '\\') i += 2
    else if (c === q || c === '\n') break
    else i++
  }
  const closed = text[i] === q
  const end = Math.min(closed ? i + 1 : i, text.length)
  return {start: at, end, value: text.slice(at + 1, Math.min(i, text.length))}
}

/**
 * An unquoted value: to whitespace; a quote ends it only where it closes something (followed by
 * a separator or the end), `&` only before a known parameter (`?password=A&B=C&sslmode=…`: "A&B=C"
 * is the password a URL parser cut in two).
 */
function readUnquoted(text: string, at: number, inQuery: boolean): {start: number; end: number; value: string} {
  let i = at
  const limit = Math.min(text.length, at + MAX_VALUE)
  while (i < limit) {
    const c = text[i]!
    if (isSpace(c)) break
    if (c === '\\') {
      i += 2
      continue
    }
    if (c === '"' || c === "'" || c === '`') {
      const next = text[i + 1]
      if (next === undefined || isSpace(next) || ',;)}]>&'.includes(next)) break
    }
    if (c === '&' && inQuery) {
      let j = i + 1
      while (j < limit && j - i < 64 && /[A-Za-z0-9_]/.test(text[j]!)) j++
      if (text[j] === '=' && KNOWN_PARAMS.has(text.slice(i + 1, j).toLowerCase())) break
    }
    i++
  }
  i = Math.min(i, text.length)
  return {start: at, end: i, value: text.slice(at, i)}
}

/** The value after a secret name ending at `at` (separator first); null when none follows. */
function readValueAfter(text: string, at: number, name: string, inQuery: boolean): FoundSecret | null {
  SEPARATOR.lastIndex = at
  const sep = SEPARATOR.exec(text)
  if (!sep) return null
  let from = at + sep[0].length
  if (/authori[sz]ation/i.test(name)) {
    AUTH_SCHEME.lastIndex = from
    const scheme = AUTH_SCHEME.exec(text)
    if (scheme) from += scheme[0].length
  }
  const c = text[from]
  if (c === undefined) return null
  let v: {start: number; end: number; value: string}
  if (c === '"' || c === "'" || c === '`') v = readQuoted(text, from)
  else {
    v = readUnquoted(text, from, inQuery)
    // "password: the server rejected…" is a sentence, not a value; `"password": null` is no secret
    if (sep[1] === ':' && (PROSE.has(v.value.toLowerCase()) || /^(?:null|undefined|true|false),?$/.test(v.value)))
      return null
  }
  const value = v.value
  if (!value || PLACEHOLDER.test(value)) return null
  // an already masked quoted value ('****') is shown as the bare mask, as every masked value is
  if (value === MASK) return v.end - v.start > MASK.length ? {value, start: v.start, end: v.end} : null
  return {value, start: v.start, end: v.end}
}

/**
 * `scheme://user:PASSWORD@host`: the password runs to the last "@" before whitespace or a closing
 * quote. `end` is where the scan may resume: past the whole run when it holds no "@" (no URL later in
 * the same run can have user info either), so that "://" repeated a million times stays linear.
 */
function readUrlPassword(text: string, at: number): {found: FoundSecret | null; end: number} {
  let i = at
  const userLimit = Math.min(text.length, at + 300)
  while (i < userLimit && !/[\s:/@'"]/.test(text[i]!)) i++
  if (text[i] !== ':') return {found: null, end: i}
  const from = i + 1
  let end = from
  let lastAt = -1
  const limit = Math.min(text.length, from + MAX_VALUE)
  while (end < limit && !isSpace(text[end]!)) {
    const c = text[end]!
    // a quote ends the URL where it closes one ('postgres://…', "…", "url": "…"), not inside a password: only
    // after the "@" of the user info (before it, `Tr<,0ub4dor` or ab`;cd is the password itself)
    if (
      lastAt >= 0 &&
      (c === '"' || c === "'" || c === '`' || c === '<') &&
      (end + 1 >= text.length || /[\s,;)}\]>/]/.test(text[end + 1]!))
    )
      break
    if (c === '@') lastAt = end
    end++
  }
  if (lastAt <= from) return {found: null, end}
  const value = text.slice(from, lastAt)
  // `postgres://user:${TOKEN}@host`, `postgres://user:<password>@host`: a template in docs and code, no secret.
  // A placeholder in angle brackets is words of one case (<password>, <your-password>, <DB_PASSWORD>): a real
  // password may start with < and end with > (<Tr0ub4dor&3>), and that one is masked.
  const template =
    /^(?:\$\{[A-Za-z_][A-Za-z0-9_.]{0,60}\}|<(?=[^>]{1,40}>$)(?:[a-z]+(?:[_-][a-z]+)*|[A-Z]+(?:[_-][A-Z]+)*)>)$/.test(
      value,
    )
  return {found: value === MASK || template ? null : {value, start: from, end: lastAt}, end: lastAt}
}

/** Cap on keyword hits per text: a hostile paste of millions of keywords stays bounded. */
const MAX_HITS = 200_000

/** Every secret the rule set finds in the text, in order (spans do not overlap). */
function findSecrets(text: string): FoundSecret[] {
  const out: FoundSecret[] = []
  if (!text) return out
  const stem = new RegExp(STEM.source, 'gi')
  let hits = 0
  for (let m = stem.exec(text); m && hits++ < MAX_HITS; m = stem.exec(text)) {
    const hit = m.index
    const word = m[0].toLowerCase()
    let resume = hit + m[0].length
    if (word === '://') {
      const url = readUrlPassword(text, resume)
      if (url.found) out.push(url.found)
      resume = Math.max(resume, url.end)
    } else if (word === 'eyj') {
      JWT.lastIndex = hit
      const jwt = /[A-Za-z0-9_]/.test(text[hit - 1] ?? '') ? null : JWT.exec(text)
      if (jwt) {
        out.push({value: jwt[0], start: hit, end: hit + jwt[0].length})
        resume = hit + jwt[0].length
      } else {
        while (resume < text.length && /[A-Za-z0-9_.-]/.test(text[resume]!)) resume++
      }
    } else {
      // the whole identifier around the hit (bounded both ways)
      let s = hit
      while (s > 0 && hit - s < 64 && IDENT_CHAR.test(text[s - 1]!)) s--
      let e = resume
      while (e < text.length && e - resume < 64 && IDENT_CHAR.test(text[e]!)) e++
      resume = e
      const ident = text.slice(s, e)
      if (isSecretName(ident)) {
        const before = text[s - 1]
        const f = readValueAfter(text, e, ident, before === '?' || before === '&' || before === ';')
        if (f) {
          out.push(f)
          resume = f.end
        }
      }
    }
    stem.lastIndex = Math.max(resume, hit + 1)
  }
  return out
}

/** Every secret value the rule set finds in the text (to mask wherever else it appears), longest first. */
export function secretsInText(text: string): string[] {
  return [...new Set(findSecrets(text).map((f) => f.value))]
    .filter((v) => v !== MASK)
    .filter((v) => v.length >= 3)
    .sort((a, b) => b.length - a.length)
}

/** The text with every secret the rule set finds replaced by the mask (forms only: no registered values). */
export function maskSecretForms(text: string): string {
  const found = findSecrets(text)
  if (found.length === 0) return text
  let out = ''
  let last = 0
  for (const f of found) {
    if (f.start < last) continue
    out += text.slice(last, f.start) + MASK
    last = f.end
  }
  return out + text.slice(last)
}

/**
 * The part [from, to) of `text` with every secret that overlaps it masked, including one the cut
 * goes through (the tail of a long JWT after `password=`, the end of a presigned token): secrets
 * are found in a margin of MAX_VALUE around the window, by the rule set and by value. Bounded.
 */
export function maskWindow(text: string, from: number, to: number, values: readonly string[] = []): string {
  const m0 = Math.max(0, from - MAX_VALUE)
  const m1 = Math.min(text.length, to + MAX_VALUE)
  const margin = text.slice(m0, m1)
  const spans: [number, number][] = findSecrets(margin).map((f) => [f.start + m0, f.end + m0])
  for (const s of values.slice(0, 2000)) {
    if (!s) continue
    for (let i = margin.indexOf(s); i >= 0; i = margin.indexOf(s, i + s.length)) spans.push([i + m0, i + m0 + s.length])
  }
  spans.sort((a, b) => a[0] - b[0])
  // overlapping spans (a value and a shorter reading of it) are one masked run
  const merged: [number, number][] = []
  for (const [s, e] of spans) {
    const last = merged[merged.length - 1]
    if (last && s < last[1]) last[1] = Math.max(last[1], e)
    else merged.push([s, e])
  }
  let out = ''
  let pos = from
  for (const [s, e] of merged) {
    if (e <= pos || s >= to) continue
    out += text.slice(pos, Math.max(pos, s)) + MASK
    pos = Math.min(e, to)
  }
  return out + text.slice(pos, to)
}

/** Replace every occurrence of the given values (longest first), then every form of the rule set. */
export function maskValues(text: string, values: readonly string[]): string {
  let out = text
  for (const s of values) if (s && out.includes(s)) out = out.split(s).join(MASK)
  return out
}

class Redactor {
  private readonly secrets = new Set<string>()
  private readonly fragments = new Set<string>()

  /** Register a secret in every spelling it may be printed in. */
  add(secret: string | undefined | null): void {
    if (!secret || secret.length < 2) return
    const forms = new Set<string>([secret])
    try {
      forms.add(encodeURIComponent(secret))
    } catch {}
    try {
      forms.add(encodeURI(secret))
    } catch {}
    try {
      forms.add(decodeURIComponent(secret))
    } catch {}
    forms.add(JSON.stringify(secret).slice(1, -1))
    // as written back into a quoted libpq key=value string
    forms.add(secret.replace(/['\\]/g, '\\$&'))
    for (const f of forms) if (f.length >= 2) this.secrets.add(f)
    this.sortedCache = null
  }

  /**
   * Also register the password embedded in a connection string, parsed or not: as typed, and
   * every piece a URL parser can make of it when it holds a raw delimiter. In
   * `postgres://app:S3cret?x=1@host/db` WHATWG parsing ends the authority at "?" and reads
   * "S3cret" as the port and "x" / "1@host/db" as a parameter; "#" starts a fragment, "/" the
   * database, "&" and "=" split parameters, ";" and "," split hosts or values elsewhere.
   */
  addFromConnectionString(text: string | undefined | null): void {
    if (!text) return
    // every value the rule set finds too: `?password=A&B=C` (a URL parser's "A" and "B=C"), sslpassword=…
    for (const p of [...passwordsInText(text), ...secretsInText(text)]) {
      this.add(p)
      // Pieces of 1–3 characters are not masked: they would mask words of the report itself
      // ("pass", "app", "db") and a fragment that short gives little away.
      for (const piece of passwordFragments(p)) if (piece.length >= MIN_FRAGMENT) this.addFragment(piece)
    }
    // A URL (any scheme: "pg://", "postgres:", none) cut before its "@" (dotenv at a line break or "#", a shell at a space) leaves
    // "user:PIECE" where the port goes: a non-numeric "port" is a piece of the password. So does
    // a user name holding an "@" ("x@y:PIECE"): the part after its "@" reads as host:port. Not
    // when the user info already has a password ("user:password@host:port", a template).
    for (const m of text.matchAll(
      /(?:postgres(?:ql)?:\/*|[A-Za-z][A-Za-z0-9+.-]{0,63}:\/+|^\s*)([^\s'"/?#]*)(?=$|[\s'"/?#])/gi,
    )) {
      const authority = m[1]
      const at = authority.lastIndexOf('@')
      if (at >= 0 && authority.slice(0, at).includes(':')) continue
      const hostPort = authority.slice(at + 1)
      // everything after the host's first ":" ("HEAD:" of a password "HEAD:\nTAIL"), and each ":" piece
      const port = hostPort.startsWith('[') ? /\]:(.*)$/.exec(hostPort)?.[1] : /:(.*)$/.exec(hostPort)?.[1]
      for (const piece of port === undefined ? [] : [port, ...port.split(':')]) {
        if (!/^\d*$/.test(piece) && piece.length >= MIN_FRAGMENT) this.addFragment(piece)
      }
    }
  }

  /**
   * A piece of a cut password: masked where it stands on its own (not inside a longer word), so
   * that "word" from "p@ss#word" does not turn "password" in the report into "pass****".
   */
  addFragment(piece: string): void {
    const forms = new Set<string>([piece])
    try {
      forms.add(decodeURIComponent(piece))
    } catch {}
    try {
      forms.add(encodeURIComponent(piece))
    } catch {}
    for (const f of forms) if (f.length >= MIN_FRAGMENT && !this.secrets.has(f)) this.fragments.add(f)
  }

  /**
   * Free text (a string leaf, a server message, a line of app output, an error): every registered
   * secret in every spelling, the pieces of cut passwords, then every form of the rule set.
   * Never call it on serialized JSON, XML or Markdown: mask the values before serializing.
   */
  redact(text: string): string {
    if (!text) return text
    // Registered secrets first, longest first so that a secret containing another is masked
    // whole; then the rule set (which reads a value to its end and would otherwise leave the end
    // of a registered secret behind).
    let out = maskValues(text, this.sorted())
    for (const f of [...this.fragments].sort((a, b) => b.length - a.length)) {
      if (!out.includes(f)) continue
      const escaped = f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      out = out.replace(new RegExp(`(?<![A-Za-z0-9])${escaped}(?![A-Za-z0-9])`, 'g'), MASK)
    }
    return maskSecretForms(out)
  }

  private sortedCache: string[] | null = null
  private sorted(): string[] {
    if (!this.sortedCache || this.sortedCache.length !== this.secrets.size)
      this.sortedCache = [...this.secrets].sort((a, b) => b.length - a.length)
    return this.sortedCache
  }

  /**
   * Mask a JSON-like value by structure: every string VALUE on its own (free-text redaction);
   * keys, numbers, booleans, null and the shape are never touched.
   */
  redactValue<T>(value: T): T {
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return this.redact(v)
      if (Array.isArray(v)) return v.map((x) => walk(x))
      if (v !== null && typeof v === 'object') {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]))
      }
      return v
    }
    return walk(value) as T
  }

  clear(): void {
    this.sortedCache = null
    this.secrets.clear()
    this.fragments.clear()
  }
}

export const redactor = new Redactor()

/**
 * Register the secrets written literally in an app file's source (knexfile, prisma.config.ts)
 * before running it: `password: '…'` / `password = "…"` literals and URLs with credentials. A
 * file that throws or prints before returning its configuration then cannot show them.
 */
export function registerSecretsInSource(source: string): void {
  const literal = /pass(?:word)?['"]?\s*[:=]\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/gi
  for (const m of source.matchAll(literal)) if (m[2] && !m[2].includes('${')) redactor.add(m[2].replace(/\\(.)/g, '$1'))
  for (const m of source.matchAll(QUOTED_URL)) redactor.addFromConnectionString(m[2])
}

export function redact(text: string): string {
  return redactor.redact(text)
}

/**
 * user:password@ in anything URL-shaped, and password=… in libpq key=value strings.
 * Covers unencoded passwords too: everything between the first ':' after '//' and the last '@'
 * before the host part.
 */
export function passwordsInText(text: string): string[] {
  const found: string[] = []
  // up to a quote (a URL quoted in code), and up to whitespace only (a quote inside the password)
  for (const m of [...text.matchAll(URL_TO_QUOTE), ...text.matchAll(URL_TO_SPACE)]) {
    const rest = m[1]
    const at = rest.lastIndexOf('@')
    if (at < 0) continue
    const userinfo = rest.slice(0, at)
    const colon = userinfo.indexOf(':')
    if (colon >= 0) found.push(userinfo.slice(colon + 1))
  }
  // a password holding whitespace or a line break: from the URL's first ":" to the text's last "@"
  // (linear: the last "@" and the last blank before it are found once; a few URLs are enough, each
  // later candidate is a suffix of an earlier one)
  const last = text.lastIndexOf('@')
  let lastBlank = -1
  for (let i = last - 1; i >= 0; i--) {
    if (/\s/.test(text[i]!)) {
      lastBlank = i
      break
    }
  }
  let spaced = 0
  for (const m of text.matchAll(URL_USER)) {
    const from = (m.index ?? 0) + m[0].length
    if (last > from && lastBlank >= from) found.push(text.slice(from, last))
    if (++spaced >= MAX_CANDIDATE_URLS) break
  }
  // Anything else with an "@" (no scheme, a wrong scheme, "postgres:/", spaces or quotes in the
  // password): every candidate after a ":" before the last "@" (over-registering is safe).
  const at = text.lastIndexOf('@')
  if (at > 0 && found.length === 0) {
    // a scheme ("postgres:", "pg://", "x+y:/") is not a user name
    const before = text.slice(0, at).replace(/^\s*['"]?(?:[A-Za-z][A-Za-z0-9+.-]*:\/+|postgres(?:ql)?:)/i, '')
    let from = 0
    for (let n = 0; n < 4; n++) {
      const colon = before.indexOf(':', from)
      if (colon < 0) break
      found.push(before.slice(colon + 1))
      from = colon + 1
    }
  }
  const kv = new RegExp(String.raw`(?:^|\s)${SECRET_KEY}\s*=\s*('(?:[^'\\]|\\.)*'|\S+)`, 'gi')
  for (const m of text.matchAll(kv)) {
    let v = m[1]
    if (v.startsWith("'")) {
      // as typed too (escapes kept): a parse error quotes the raw text, cut at whitespace
      found.push(v.slice(1, -1))
      v = v.slice(1, -1).replace(/\\(.)/g, '$1')
    } else if (v.includes('\\')) found.push(v.replace(/\\(.)/g, '$1')) // libpq unescapes unquoted values too
    found.push(v)
    // libpq reads an unquoted value up to whitespace; what follows until the next key=value
    // (an unquoted password with a space or a line break in it) is shown in parse errors.
    // Tokens are read one at a time from the end of the match (linear: the scan stops at the next setting).
    const tokens = /\S+/g
    tokens.lastIndex = (m.index ?? 0) + m[0].length
    for (let t = tokens.exec(text); t; t = tokens.exec(text)) {
      const token = t[0]
      // the next setting (libpq keywords are lower-case words); anything else ("_=…", "=…") may
      // still be the password, and so may the value after its "="
      if (/^[a-z][a-z0-9_]{2,}\s*=/.test(token)) break
      found.push(token)
      const eq = token.indexOf('=')
      if (eq >= 0 && eq < token.length - 1) found.push(token.slice(eq + 1))
    }
  }
  return found.filter((p) => p.length > 0)
}

/**
 * Where a parser may cut a raw password: URL delimiters, whitespace, and the quotes and
 * backslashes of libpq key=value strings and .env lines.
 */
const URL_CUTS = /[?#/&=;,@\s'"\\]/
/** Bounds that keep registering a hostile value linear (see passwordFragments, passwordsInText). */
const MAX_PIECES = 64
const MAX_CUTS = 8
const MAX_CANDIDATE_URLS = 8

/**
 * The pieces a parser can make of a password typed raw into a URL: split at every URL delimiter,
 * plus each prefix up to a delimiter and each suffix after one (a cut keeps one side whole).
 * Empty when the password holds no delimiter (nothing to cut).
 */
function passwordFragments(password: string): string[] {
  if (SIGV4_TOKEN.test(password)) return sigv4SecretPieces(password)
  if (!URL_CUTS.test(password)) return []
  const out = new Set<string>()
  // the longest pieces, at most MAX_PIECES: a typed password has a few delimiters, and a text with
  // thousands (a hostile value) must not register thousands of fragments each report line is searched for
  const pieces = password.split(new RegExp(URL_CUTS.source, 'g')).filter((p) => p)
  for (const piece of pieces.length > MAX_PIECES
    ? pieces.sort((a, b) => b.length - a.length).slice(0, MAX_PIECES)
    : pieces)
    out.add(piece)
  // each prefix up to a cut and each suffix after one, for the first and last MAX_CUTS cuts only (linear)
  const cuts: number[] = []
  for (let i = 0; i < password.length; i++) if (URL_CUTS.test(password[i]!)) cuts.push(i)
  const used = cuts.length > 2 * MAX_CUTS ? [...cuts.slice(0, MAX_CUTS), ...cuts.slice(-MAX_CUTS)] : cuts
  for (const i of used) {
    const before = password.slice(0, i)
    const after = password.slice(i + 1)
    if (before) out.add(before)
    if (after) out.add(after)
  }
  out.delete(password)
  return [...out]
}

/** An RDS IAM auth token (a SigV4-presigned query string) used as a password. */
const SIGV4_TOKEN = /[?&]X-Amz-Signature=/i

/**
 * The secret pieces of an RDS IAM token cut by a URL parser: its signature, its session token and
 * the access key id of its credential. Its other pieces are public words of the report itself
 * ("host" of X-Amz-SignedHeaders, "connect", the user, the region and endpoint the IAM findings
 * compare), and masking them would corrupt the report.
 */
function sigv4SecretPieces(token: string): string[] {
  const out = new Set<string>()
  for (const m of token
    .slice(0, 64 * 1024)
    .matchAll(/X-Amz-(Signature|Security-Token|Credential)=([^&\s#]{1,8192})/gi)) {
    const value = m[1]!.toLowerCase() === 'credential' ? m[2]!.split(/\/|%2F/i)[0]! : m[2]!
    out.add(value)
    try {
      out.add(decodeURIComponent(value))
    } catch {}
  }
  return [...out].filter((v) => v.length >= MIN_FRAGMENT)
}

/** A connection string with its password masked, for evidence and fixes. */
export function redactUrl(text: string): string {
  return redact(text)
}

// ---------------------------------------------------------------------------------------------
// Reports: masked by structure

/**
 * A check's outcome or result masked by structure: its summary, evidence and fix string by
 * string; its id, title, status, code and numbers as they are.
 */
export function redactOutcome<T extends object>(outcome: T): T {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(outcome)) {
    if (k === 'id' || k === 'title' || k === 'status' || k === 'code') out[k] = v
    // every finding of the check: its code and status are contract fields too
    else if (k === 'findings' && Array.isArray(v))
      out[k] = v.map((f: unknown) => (f && typeof f === 'object' ? redactOutcome(f) : f))
    else out[k] = redactor.redactValue(v)
  }
  return out as T
}

/** One target's report, or a fleet of them, masked by structure (see redactOutcome). */
export function redactReport<T>(doc: T): T {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return redactor.redactValue(doc)
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    if (k === 'version' || k === 'tool' || k === 'summary') out[k] = v
    else if (k === 'checks' && Array.isArray(v))
      out[k] = v.map((c) => (c && typeof c === 'object' ? redactOutcome(c) : c))
    else if (k === 'reports' && Array.isArray(v)) out[k] = v.map((r) => redactReport(r))
    else out[k] = redactor.redactValue(v)
  }
  return out as T
}

let installed = false
let verbatim = 0

/**
 * Run `write` (which writes text already masked by structure: a rendered report) past the output
 * redaction: re-masking its serialized form could change a key, a number or the markup around a
 * value. Other wrappers of the streams (the GitHub Actions neutraliser) still apply.
 */
export function unredacted<T>(write: () => T): T {
  verbatim++
  try {
    return write()
  } finally {
    verbatim--
  }
}

/** Wrap process.stdout/stderr so that every byte printed (except under unredacted()) passes through the redactor. */
export function installOutputRedaction(): void {
  if (installed) return
  installed = true
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream) as (...args: unknown[]) => boolean
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (verbatim === 0) {
        if (typeof chunk === 'string') chunk = redactor.redact(chunk)
        else if (chunk instanceof Uint8Array) chunk = redactor.redact(Buffer.from(chunk).toString('utf8'))
      }
      return original(chunk, ...rest)
    }) as typeof stream.write
  }
  // Node prints an uncaught exception (an unhandled rejection too) itself, past process.stderr.write and so
  // past the masks: print it here, as Node would (util.inspect), through them, and exit 1 as Node does. A
  // listener of its own (pg-session turns a crash inside node-postgres into the session's error) handles it.
  process.on('uncaughtException', (error) => {
    if (process.listenerCount('uncaughtException') > 1) return
    process.stderr.write(`${inspect(error)}\n`)
    process.exit(1)
  })
}
