// The one redaction layer every output passes through. Secrets are registered
// as soon as they are read (config resolution registers every password it sees);
// stdout and stderr are wrapped so that even oclif's error printing, Node
// warnings and stray library output cannot leak one.

import {SECRET_KEYWORDS} from '../config/connection-keywords.js'

const MASK = '****'
/** The libpq keywords whose value is a secret, as a regex alternation (password, sslpassword…). */
const SECRET_KEY = `(?:${SECRET_KEYWORDS.join('|')})`
/** Shortest piece of a cut password that is masked on its own. */
const MIN_FRAGMENT = 4

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
    for (const p of passwordsInText(text)) {
      this.add(p)
      // Pieces of 1–3 characters are not masked: they would mask words of the report itself
      // ("pass", "app", "db") and a fragment that short gives little away.
      for (const piece of passwordFragments(p)) if (piece.length >= MIN_FRAGMENT) this.addFragment(piece)
    }
    // A URL (any scheme: "pg://", "postgres:", none) cut before its "@" (dotenv at a line break or "#", a shell at a space) leaves
    // "user:PIECE" where the port goes: a non-numeric "port" is a piece of the password. So does
    // a user name holding an "@" ("x@y:PIECE"): the part after its "@" reads as host:port. Not
    // when the user info already has a password ("user:password@host:port", a template).
    for (const m of text.matchAll(/(?:postgres(?:ql)?:\/*|[A-Za-z][A-Za-z0-9+.-]*:\/+|^\s*)([^\s'"/?#]*)(?=$|[\s'"/?#])/gi)) {
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

  redact(text: string): string {
    let out = text
    // Registered secrets first, longest first so that a secret containing another is masked
    // whole; then the generic masks (which stop at a backslash or a quote, and would otherwise
    // leave the end of a registered secret behind).
    const list = [...this.secrets].sort((a, b) => b.length - a.length)
    for (const s of list) if (out.includes(s)) out = out.split(s).join(MASK)
    for (const f of [...this.fragments].sort((a, b) => b.length - a.length)) {
      if (!out.includes(f)) continue
      const escaped = f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      out = out.replace(new RegExp(`(?<![A-Za-z0-9])${escaped}(?![A-Za-z0-9])`, 'g'), MASK)
    }
    return maskUrlPasswords(out)
  }

  /** Deep-redact any JSON-like value: every string (keys included) on its own. */
  redactValue<T>(value: T): T {
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return this.redact(v)
      if (Array.isArray(v)) return v.map(walk)
      if (v !== null && typeof v === 'object') {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [this.redact(k), walk(x)]))
      }
      return v
    }
    return walk(value) as T
  }

  clear(): void {
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
  for (const m of source.matchAll(/(['"`])(postgres(?:ql)?:\/\/(?:\\.|(?!\1)[^\\])*)\1/gi)) redactor.addFromConnectionString(m[2])
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
  const url = /postgres(?:ql)?:\/\/([^\s'"]*)/gi
  const unquoted = /postgres(?:ql)?:\/\/(\S*)/gi
  for (const m of [...text.matchAll(url), ...text.matchAll(unquoted)]) {
    const rest = m[1]
    const at = rest.lastIndexOf('@')
    if (at < 0) continue
    const userinfo = rest.slice(0, at)
    const colon = userinfo.indexOf(':')
    if (colon >= 0) found.push(userinfo.slice(colon + 1))
  }
  // a password holding whitespace or a line break: from the URL's first ":" to the text's last "@"
  for (const m of text.matchAll(/postgres(?:ql)?:\/\/([^\s:@'"]*):/gi)) {
    const from = (m.index ?? 0) + m[0].length
    const last = text.lastIndexOf('@')
    if (last > from && /\s/.test(text.slice(from, last))) found.push(text.slice(from, last))
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
    const rest = text.slice((m.index ?? 0) + m[0].length).split(/\s+/)
    for (const token of rest) {
      if (!token) continue
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

/**
 * The pieces a parser can make of a password typed raw into a URL: split at every URL delimiter,
 * plus each prefix up to a delimiter and each suffix after one (a cut keeps one side whole).
 * Empty when the password holds no delimiter (nothing to cut).
 */
function passwordFragments(password: string): string[] {
  if (!URL_CUTS.test(password)) return []
  const out = new Set<string>()
  for (const piece of password.split(new RegExp(URL_CUTS.source, 'g'))) if (piece) out.add(piece)
  for (let i = 0; i < password.length; i++) {
    if (!URL_CUTS.test(password[i]!)) continue
    const before = password.slice(0, i)
    const after = password.slice(i + 1)
    if (before) out.add(before)
    if (after) out.add(after)
  }
  out.delete(password)
  return [...out]
}

const SECRET_KV = new RegExp(String.raw`((?:^|[\s"])${SECRET_KEY}\s*=\s*)('(?:[^'\\"\n]|\\.)*'|'?[^\s'"\\]+)`, 'gi')

function maskUrlPasswords(text: string): string {
  return text
    .replace(/(postgres(?:ql)?:\/\/[^\s'":/@]*:)([^\s'"]*)@/gi, (_m, head: string, pw: string) =>
      pw === MASK ? `${head}${pw}@` : `${head}${MASK}@`,
    )
    // unquoted values stop at quotes and backslashes, so JSON around them stays intact
    .replace(SECRET_KV, `$1${MASK}`)
}

/** A connection string with its password masked, for evidence and fixes. */
export function redactUrl(text: string): string {
  return redact(text)
}

let installed = false

/** Wrap process.stdout/stderr so that every byte printed passes through the redactor. */
export function installOutputRedaction(): void {
  if (installed) return
  installed = true
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream) as (...args: unknown[]) => boolean
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk === 'string') chunk = redactor.redact(chunk)
      else if (chunk instanceof Uint8Array) chunk = redactor.redact(Buffer.from(chunk).toString('utf8'))
      return original(chunk, ...rest)
    }) as typeof stream.write
  }
}
