// The connection-string module: the one place a connection string is parsed, masked and edited.
//   - parse: libpq key=value parsing, URL field extraction through pg-connection-string (the parser
//     node-postgres uses; URLs are never hand-parsed for their values; the app's own parser model,
//     config/url-parser.ts, is used where the client config is built), query parameters exactly as
//     pg-connection-string reads them (pgUrlParams);
//   - diagnose: broken strings from the raw text (where a URL breaks, here; unencoded user and password
//     characters and the raw URL's anatomy in config/url-anatomy.ts, re-exported here);
//   - masking: the string with its secrets shown as **** (feeds core/redact.ts);
//   - editing: a query parameter set or removed, the rest of the string kept byte for byte (fix
//     texts print the user's own URL with sslmode changed);
//   - the single lists (config/connection-keywords.ts, re-exported here): sslmodes, ssl parameters,
//     secret keywords, libpq keywords, the default port, Unix-socket detection.
// Pure: no I/O, no sockets.
//
// Words: none. A broken string is a `problem` (an id and the data its words need) and an encoding
// issue lists its `effects` by id; src/catalogue/connection-string.ts words both.
//
// Secrets: nothing returned here in a `problem` or `effects` contains the password or a fragment
// of it. Only `values.password` (and parsed params the caller must not print) hold it.
import {parse as pgParse} from 'pg-connection-string'
import {redactUrl} from '../core/redact.js'
import {POSTGRES_SCHEME} from '../core/secrets.js'
import {LIBPQ_KEYWORDS, SSL_FILE_PARAMS, isSecretKeyword} from './connection-keywords.js'
import type {FieldName} from './connection-keywords.js'
import {REENCODED, safeDecode, splitUrl} from './url-anatomy.js'

export * from './connection-keywords.js'
export {checkUrlEncoding, splitUrl, type EncodingEffect, type EncodingIssue} from './url-anatomy.js'

type ConnectionStringKind = 'url' | 'keyvalue' | 'socket' | 'unknown'

export type ConnectionValues = Partial<Record<FieldName, string>>

interface ParsedConnectionString {
  ok: true
  kind: ConnectionStringKind
  /** Non-empty settings, libpq names (dbname → database). Holds the password. */
  values: ConnectionValues
  /** Other parameters (URL query / key=value), password-free: e.g. {ssl: 'true', target_session_attrs: 'any'}. */
  params: Record<string, string>
}

/**
 * What is wrong with a connection string, secret-free: an id and the data its words need
 * (src/catalogue/connection-string.ts words it: a reason, and for most a hint).
 */
export type ConnectionStringProblem =
  | {id: 'keyvalue-not-url'}
  | {id: 'empty'}
  | {id: 'quoted'; quote: 'double' | 'single'}
  | {id: 'other-scheme'; scheme: string}
  | {id: 'not-a-connection-string'}
  | {id: 'outer-space'; at: 'starts' | 'ends'}
  | {id: 'url-port-not-a-number'; port: string}
  | {id: 'hostless'; empty: boolean}
  | {id: 'unexpanded'; name: string}
  | {id: 'host-space'}
  | {id: 'several-hosts'; hosts: string}
  | {id: 'ipv6-unbracketed'; address: string}
  | {id: 'malformed-escape'}
  | {id: 'port-after-host'; port: string; host: string}
  | {id: 'port-out-of-range'; port: string}
  | {id: 'no-host'}
  | {id: 'host-characters'; host: string}
  | {id: 'unparsable-url'; error: string}
  | {id: 'missing-equals'; key: string; position: number; afterSecret: boolean}
  | {id: 'unterminated-quote'; key: string; position: number}
  | {id: 'invalid-option'; key: string | null}
  | {id: 'keyvalue-port-not-a-number'; port: string}
  | {id: 'cut-by-dotenv'}

interface ConnectionStringError {
  ok: false
  kind: ConnectionStringKind
  /** Secret-free: what is wrong and roughly where (worded by the catalogue). */
  problem: ConnectionStringProblem
  /** 1-based character position, when known (key=value). */
  position?: number
  /** Set when the string holds a ${VAR} reference nobody expanded (the variable name). */
  unexpanded?: string
  /** Set for a URL without a host (`postgres://`), which node-postgres would send to localhost:5432. */
  hostless?: boolean
}

export type ConnectionStringResult = ParsedConnectionString | ConnectionStringError

/** The postgres:// / postgresql:// scheme (any case), written once in core/secrets.ts: anywhere in a text… */
export {POSTGRES_SCHEME}
/** …and at the start of a connection string. */
const URL_SCHEME = new RegExp(`^${POSTGRES_SCHEME.source}`, 'i')

/** Whether a connection string is a postgres:// or postgresql:// URL (surrounding spaces ignored). */
export function isPostgresUrl(text: string): boolean {
  return startsWithPostgresScheme(text.trim())
}

/**
 * Whether the text itself starts with the scheme, a leading space not ignored: pg-connection-string reads
 * " postgres://…" as no URL at all, so the URL's own rules (its raw characters) do not apply to it.
 */
export function startsWithPostgresScheme(text: string): boolean {
  return URL_SCHEME.test(text)
}

export function classifyConnectionString(text: string): ConnectionStringKind {
  const s = text.trim()
  if (URL_SCHEME.test(s)) return 'url'
  if (s.startsWith('/')) return 'socket'
  if (/^[A-Za-z_][A-Za-z0-9_]*\s*=/.test(s)) return 'keyvalue'
  return 'unknown'
}

/** Parse any connection string the CONNECTION argument accepts. */
export function parseConnectionString(text: string, opts: {allowKeyValue?: boolean} = {}): ConnectionStringResult {
  const allowKeyValue = opts.allowKeyValue ?? true
  const kind = classifyConnectionString(text)
  if (kind === 'url') return parseUrl(text)
  if (kind === 'keyvalue') {
    if (!allowKeyValue) {
      return {ok: false, kind, problem: {id: 'keyvalue-not-url'}}
    }
    return parseKeyValue(text)
  }
  if (kind === 'socket') return parseSocket(text)
  return {ok: false, kind, problem: describeUnknown(text)}
}

function describeUnknown(text: string): ConnectionStringProblem {
  const s = text.trim()
  if (s === '') return {id: 'empty'}
  const quoted = /^(["'])(.*)\1$/s.exec(s)
  if (quoted && URL_SCHEME.test(quoted[2].trim())) return {id: 'quoted', quote: quoted[1] === '"' ? 'double' : 'single'}
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(s)
  if (scheme) return {id: 'other-scheme', scheme: scheme[1]}
  return {id: 'not-a-connection-string'}
}

// ---------------------------------------------------------------- URL

/** Query parameters whose presence makes pg-connection-string read files or emit warnings. */
const NEUTRALIZED = ['sslmode', ...SSL_FILE_PARAMS, 'uselibpqcompat'] as const
const PREFIX = 'dbdoctor_'

const URL_FIELD_PARAMS: ReadonlyArray<[FieldName, string]> = [
  ['sslmode', 'sslmode'],
  ['sslrootcert', 'sslrootcert'],
  ['sslcert', 'sslcert'],
  ['sslkey', 'sslkey'],
  ['uselibpqcompat', 'uselibpqcompat'],
  ['sslnegotiation', 'sslnegotiation'],
  ['connect_timeout', 'connect_timeout'],
  ['application_name', 'application_name'],
  ['options', 'options'],
]

/** The URL with the file-reading / warning-emitting ssl params renamed, so parse() only extracts. */
function neutralize(url: string): string {
  const names = NEUTRALIZED.join('|')
  return url.replace(new RegExp(`([?&])(${names})=`, 'g'), `$1${PREFIX}$2=`)
}

/**
 * Field extraction from a postgres:// URL with pg-connection-string's own parse(),
 * on a copy whose sslmode/sslrootcert/sslcert/sslkey/uselibpqcompat params are
 * renamed, so it neither reads certificate files nor calls process.emitWarning.
 */
export function parseUrl(url: string): ConnectionStringResult {
  // The WHATWG URL parser drops outer tabs and newlines, but pg-connection-string first
  // turns spaces into %20, so an outer space ends up in the database name (or breaks the URL).
  const outer = url.replace(/^[\t\r\n]+|[\t\r\n]+$/g, '')
  if (/^\s|\s$/.test(outer)) {
    return {ok: false, kind: 'url', problem: {id: 'outer-space', at: /^\s/.test(outer) ? 'starts' : 'ends'}}
  }
  const text = url.trim()
  const diag = diagnoseUrl(text)
  if (diag) return diag
  let parsed: Record<string, unknown>
  try {
    parsed = withoutWarnings(() => pgParse(neutralize(text)) as Record<string, unknown>)
  } catch (error) {
    return {ok: false, kind: 'url', problem: locateUrlError(text, error)}
  }
  const values: ConnectionValues = {}
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined)
  const set = (f: FieldName, v: unknown) => {
    const s = str(v)
    if (s !== undefined) values[f] = s
  }
  set('host', parsed.host)
  set('port', parsed.port)
  set('database', parsed.database)
  set('user', parsed.user)
  set('password', parsed.password)
  for (const [field, param] of URL_FIELD_PARAMS) {
    const key = (NEUTRALIZED as readonly string[]).includes(param) ? PREFIX + param : param
    set(field, parsed[key])
  }
  const params: Record<string, string> = {}
  const skip = new Set(['host', 'port', 'database', 'user', 'password', 'client_encoding'])
  for (const [k, v] of Object.entries(parsed)) {
    if (skip.has(k) || v === undefined || v === null) continue
    const name = k.startsWith(PREFIX) ? k.slice(PREFIX.length) : k
    if (name === 'ssl') params.ssl = typeof v === 'object' ? 'true' : String(v)
    else if (typeof v === 'string') params[name] = v
  }
  if (values.port !== undefined && !/^\d+$/.test(values.port)) {
    return {ok: false, kind: 'url', problem: {id: 'url-port-not-a-number', port: values.port}}
  }
  if (values.host === undefined) {
    // `postgres://`, `postgres://:@/`, `postgres:///db`: node-postgres silently connects to localhost:5432 (psql to
    // the local Unix socket). Almost always variables that expanded to nothing, never the server meant.
    const empty = !values.user && !values.database && !values.port && !values.password
    return {ok: false, kind: 'url', problem: {id: 'hostless', empty}, hostless: true}
  }
  return {ok: true, kind: 'url', values, params}
}

/** Problems visible in the raw text before parsing (secret-free). */
function diagnoseUrl(text: string): ConnectionStringError | null {
  const unexpanded = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(text)
  if (unexpanded) {
    return {ok: false, kind: 'url', problem: {id: 'unexpanded', name: unexpanded[1]}, unexpanded: unexpanded[1]}
  }
  const parts = splitUrl(text)
  if (parts && /\s/.test(parts.hostport)) {
    return {ok: false, kind: 'url', problem: {id: 'host-space'}}
  }
  if (parts && parts.hostport.includes(',')) {
    return {ok: false, kind: 'url', problem: {id: 'several-hosts', hosts: parts.hostport}}
  }
  if (parts && /^[0-9a-f]*:[0-9a-f]*:[0-9a-f:.]*$/i.test(parts.hostport) && !parts.hostport.startsWith('[')) {
    return {ok: false, kind: 'url', problem: {id: 'ipv6-unbracketed', address: parts.hostport}}
  }
  return null
}

function locateUrlError(text: string, error: unknown): ConnectionStringProblem {
  const err = error as {code?: string; name?: string}
  const parts = splitUrl(text)
  if (err?.name === 'URIError') return {id: 'malformed-escape'}
  if (parts) {
    const hp = parts.hostport
    const m = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(hp)
    if (m && m[2] !== undefined && !/^\d*$/.test(m[2])) return {id: 'port-after-host', port: m[2], host: m[1]}
    if (m && m[2] !== undefined && /^\d+$/.test(m[2]) && Number(m[2]) > 65535)
      return {id: 'port-out-of-range', port: m[2]}
    if (m && m[1] === '' && parts.userinfo === undefined) return {id: 'no-host'}
    if (/[^A-Za-z0-9.\-_~%!$&'()*+,;=[\]:]/.test(hp)) return {id: 'host-characters', host: hp}
  }
  return {id: 'unparsable-url', error: err?.code ?? err?.name ?? 'Invalid URL'}
}

/** Run fn with process.emitWarning silenced (pg-connection-string warns about sslmode aliases). */
export function withoutWarnings<T>(fn: () => T): T {
  const original = process.emitWarning
  process.emitWarning = (() => {}) as typeof process.emitWarning
  try {
    return fn()
  } finally {
    process.emitWarning = original
  }
}

/**
 * The settings a URL with unencoded credentials was meant to carry: the host, port,
 * database and parameters after the last "@", the user, and the raw password as
 * written. For display and for pointing at the right server; node-postgres itself
 * reads something else (see checkUrlEncoding). Null when even that does not parse.
 */
export function intendedUrlValues(text: string): ConnectionValues | null {
  const parts = splitUrl(text.trim())
  if (!parts || parts.userinfo === undefined) return null
  const colon = parts.userinfo.indexOf(':')
  const user = colon >= 0 ? parts.userinfo.slice(0, colon) : parts.userinfo
  const password = colon >= 0 ? parts.userinfo.slice(colon + 1) : undefined
  const rebuilt = `${parts.scheme}${encodeURIComponent(safeDecode(user))}@${parts.hostport}${parts.rest}`
  const r = parseUrl(rebuilt)
  if (!r.ok) return null
  const values: ConnectionValues = {...r.values}
  delete values.password
  if (password) values.password = password
  return values
}

// ---------------------------------------------------------------- libpq key=value

const KV_FIELDS: Record<string, FieldName> = {
  host: 'host',
  port: 'port',
  dbname: 'database',
  user: 'user',
  password: 'password',
  sslmode: 'sslmode',
  sslrootcert: 'sslrootcert',
  sslcert: 'sslcert',
  sslkey: 'sslkey',
  sslnegotiation: 'sslnegotiation',
  uselibpqcompat: 'uselibpqcompat',
  connect_timeout: 'connect_timeout',
  application_name: 'application_name',
  options: 'options',
}

interface KeyValuePair {
  key: string
  value: string
}

/**
 * Tokenize a libpq key=value string with libpq's rules (conninfo_parse): whitespace
 * separates pairs, spaces around "=" are allowed, a value is either single-quoted
 * (backslash escapes any character) or runs to the next whitespace (backslash escapes too).
 */
export function tokenizeKeyValue(text: string): {ok: true; pairs: KeyValuePair[]} | ConnectionStringError {
  const pairs: KeyValuePair[] = []
  let i = 0
  const n = text.length
  const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c)
  let previousKey: string | undefined
  while (i < n) {
    while (isSpace(text[i])) i++
    if (i >= n) break
    const keyStart = i
    while (i < n && !isSpace(text[i]) && text[i] !== '=') i++
    const key = text.slice(keyStart, i)
    while (isSpace(text[i])) i++
    if (text[i] !== '=') {
      const afterSecret = previousKey !== undefined && isSecretKeyword(previousKey)
      return {
        ok: false,
        kind: 'keyvalue',
        position: keyStart + 1,
        // after a secret keyword, the key read is a piece of its value: name the keyword instead
        problem: {id: 'missing-equals', key: afterSecret ? previousKey! : key, position: keyStart + 1, afterSecret},
      }
    }
    i++ // '='
    while (isSpace(text[i])) i++
    let value = ''
    if (text[i] === "'") {
      const open = i
      i++
      let closed = false
      while (i < n) {
        const c = text[i]
        if (c === '\\' && i + 1 < n) {
          value += text[i + 1]
          i += 2
          continue
        }
        if (c === "'") {
          closed = true
          i++
          break
        }
        value += c
        i++
      }
      if (!closed) {
        return {
          ok: false,
          kind: 'keyvalue',
          position: open + 1,
          problem: {id: 'unterminated-quote', key, position: open + 1},
        }
      }
    } else {
      while (i < n && !isSpace(text[i])) {
        if (text[i] === '\\' && i + 1 < n) {
          value += text[i + 1]
          i += 2
          continue
        }
        value += text[i]
        i++
      }
    }
    pairs.push({key, value})
    previousKey = key
  }
  return {ok: true, pairs}
}

export function parseKeyValue(text: string): ConnectionStringResult {
  const tokens = tokenizeKeyValue(text)
  if (!tokens.ok) return tokens
  const values: ConnectionValues = {}
  const params: Record<string, string> = {}
  for (const {key, value} of tokens.pairs) {
    if (!LIBPQ_KEYWORDS.has(key)) {
      const known = /^[A-Za-z_][A-Za-z0-9_]{0,40}$/.test(key)
      return {ok: false, kind: 'keyvalue', problem: {id: 'invalid-option', key: known ? key : null}}
    }
    const field = KV_FIELDS[key]
    if (field) {
      if (value !== '') values[field] = value
    } else if (!isSecretKeyword(key)) params[key] = value
  }
  if (values.port !== undefined && !/^\d+$/.test(values.port)) {
    return {ok: false, kind: 'keyvalue', problem: {id: 'keyvalue-port-not-a-number', port: values.port}}
  }
  return {ok: true, kind: 'keyvalue', values, params}
}

/** Secrets in a key=value string, even one that does not tokenize cleanly. */
export function keyValueSecrets(text: string): string[] {
  const tokens = tokenizeKeyValue(text)
  if (!tokens.ok) return []
  return tokens.pairs.filter((p) => isSecretKeyword(p.key) && p.value !== '').map((p) => p.value)
}

// ---------------------------------------------------------------- socket form

/** "/var/run/postgresql dbname": pg-connection-string's unix socket shorthand. */
function parseSocket(text: string): ConnectionStringResult {
  const parsed = pgParse(text.trim()) as {host?: string | null; database?: string | null}
  const values: ConnectionValues = {}
  if (parsed.host) values.host = parsed.host
  if (parsed.database) values.database = parsed.database
  return {ok: true, kind: 'socket', values, params: {}}
}

// ---------------------------------------------------------------- query parameters as the clients read them

/** Is this a string node-postgres parses as a URL (rather than a libpq key=value string)? */
export function isUrlConnectionString(s: string): boolean {
  return isPostgresUrl(s) || /^socket:\/\//i.test(s.trim()) || s.startsWith('/')
}

/**
 * Query parameters exactly as pg-connection-string reads them (its own URL steps: the re-encoding
 * of a URL with a space or a stray "%", WHATWG URL against a dummy base, the "@/" host
 * workaround), without parse()'s side effects (certificate files read, warnings); null when the
 * URL does not parse. The Unix-socket shorthand ("/dir db") has none.
 */
export function pgUrlParams(str: string): Record<string, string> | null {
  if (str.charAt(0) === '/') return {}
  let s = str
  if (REENCODED.test(s)) s = encodeURI(s).replace(/%25(\d\d)/g, '%$1')
  let url: URL
  try {
    try {
      url = new URL(s, 'postgres://base')
    } catch {
      url = new URL(s.replace('@/', '@___DUMMY___/'), 'postgres://base')
    }
  } catch {
    return null
  }
  const params: Record<string, string> = {}
  for (const [k, v] of url.searchParams.entries()) params[k] = v
  return params
}

/**
 * libpq key=value parameters (quotes and backslash escapes, libpq's rules); for a string that
 * does not tokenize, the pairs that can still be read.
 */
export function keyValueParams(str: string): Record<string, string> {
  const out: Record<string, string> = {}
  const tokens = tokenizeKeyValue(str)
  if (tokens.ok) {
    for (const {key, value} of tokens.pairs) out[key] = value
    return out
  }
  for (const m of str.matchAll(/(?<![A-Za-z_])([A-Za-z_]+)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/g)) {
    let v = m[2]
    if (v.startsWith("'")) v = v.slice(1, -1).replace(/\\(.)/g, '$1')
    out[m[1]] = v
  }
  return out
}

/** The parameters of any connection string: URL query parameters, or key=value pairs; null for a URL that does not parse. */
export function connectionParams(str: string): Record<string, string> | null {
  return isUrlConnectionString(str) ? pgUrlParams(str.trim()) : keyValueParams(str)
}

/**
 * db-doctor's own pg-connection-string parse() (the release its node-postgres uses), warnings
 * silenced. It may read certificate files and may throw: callers that build a client config
 * (config/pg-config.ts) classify that; for field extraction use parseConnectionString().
 */
export function pgConnectionStringParse(text: string): Record<string, unknown> {
  return withoutWarnings(() => pgParse(text) as Record<string, unknown>)
}

// ---------------------------------------------------------------- masking

const MASK = '****'

/** The URL with the password in its user info shown as ****, from the raw text (no redactor needed); null when not a URL. */
export function maskUrlPassword(url: string): string | null {
  const parts = splitUrl(url)
  if (!parts) return null
  const info = parts.userinfo
  const colon = info === undefined ? -1 : info.indexOf(':')
  const userinfo = info === undefined ? '' : colon >= 0 ? `${info.slice(0, colon)}:${MASK}@` : `${info}@`
  return `${parts.scheme}${userinfo}${parts.hostport}${parts.rest}`
}

/** The URL with a password slot (shown as ****) after its user; null when not a URL or when it names no user. */
export function withPasswordSlot(url: string): string | null {
  const parts = splitUrl(url.trim())
  if (!parts || !parts.userinfo) return null
  const colon = parts.userinfo.indexOf(':')
  const user = colon >= 0 ? parts.userinfo.slice(0, colon) : parts.userinfo
  if (!user) return null
  return redactUrl(`${parts.scheme}${user}:${MASK}@${parts.hostport}${parts.rest}`)
}

/** The connection string with its secrets masked; undefined when it cannot be shown safely. */
export function maskConnectionString(text: string): string | undefined {
  const kind = classifyConnectionString(text)
  if (kind === 'url' || kind === 'socket') return redactUrl(text.trim())
  if (kind !== 'keyvalue') return undefined
  const tokens = tokenizeKeyValue(text)
  if (!tokens.ok) return undefined
  return (
    tokens.pairs
      // quoted mask: the redaction layer's key=value rule then keeps the JSON intact
      .map(
        ({key, value}) =>
          `${key}=${isSecretKeyword(key) ? `'${MASK}'` : /[\s'\\]/.test(value) || value === '' ? `'${value.replace(/['\\]/g, '\\$&')}'` : value}`,
      )
      .join(' ')
  )
}

/**
 * A URL dotenv cut at a "#" (unquoted value), masked. When the cut falls inside the password,
 * what is left after "user:" is the start of the password, which no parser recognises as one
 * ("postgres://app:start-of-pass" reads as host "app", port "start-of-pass"): mask it all.
 */
export function maskCutUrl(text: string): string | undefined {
  const m = /^([a-z][a-z0-9+.-]*:\/\/[^:@/?#]*:)[^@]*$/i.exec(text.trim())
  return m ? `${m[1]}${MASK}` : maskConnectionString(text)
}

// ---------------------------------------------------------------- editing

interface UrlParamEdits {
  /** Parameters removed (every occurrence; names compared case-insensitively). */
  remove?: readonly string[]
  /**
   * Parameters set, values written as given (the caller encodes what needs encoding): the first
   * occurrence left after `remove` is replaced in place and the others dropped (URLSearchParams.set);
   * a parameter not present is appended, in the order given.
   */
  set?: Record<string, string>
}

/**
 * The URL with query parameters removed or set; everything else (scheme, user info, host, path,
 * the other parameters, their order and spelling) kept byte for byte. Works on a masked URL as on
 * a raw one: the query starts after the user info (splitUrl), so a "?" in a raw password is not
 * taken for it. Empty `a&&b` segments are dropped.
 */
export function editUrlParams(url: string, edits: UrlParamEdits): string {
  const parts = splitUrl(url)
  const head = parts ? url.length - parts.rest.length : 0
  const q = url.indexOf('?', head)
  const base = q >= 0 ? url.slice(0, q) : url
  let query = q >= 0 ? url.slice(q + 1) : ''
  let fragment = ''
  const hash = query.indexOf('#')
  if (hash >= 0) {
    fragment = query.slice(hash)
    query = query.slice(0, hash)
  }
  const nameOf = (segment: string) => {
    const eq = segment.indexOf('=')
    return eq >= 0 ? segment.slice(0, eq) : segment
  }
  const removed = new Set((edits.remove ?? []).map((k) => k.toLowerCase()))
  let segments = query.split('&').filter((kv) => kv && !removed.has(nameOf(kv).toLowerCase()))
  for (const [key, value] of Object.entries(edits.set ?? {})) {
    const first = segments.findIndex((kv) => nameOf(kv) === key)
    const segment = `${key}=${value}`
    if (first < 0) segments.push(segment)
    else segments = segments.flatMap((kv, i) => (i === first ? [segment] : nameOf(kv) === key ? [] : [kv]))
  }
  return `${base}${segments.length ? `?${segments.join('&')}` : ''}${fragment}`
}

/**
 * The one edited URL every fix shows: the connection string in play (`target`) with query parameters
 * removed or set (editUrlParams), its password shown as **** and secret parameters redacted. Null when
 * the target is not a URL.
 */
export function urlWithParams(target: string, edits: UrlParamEdits): string | null {
  const masked = maskUrlPassword(target.trim())
  return masked === null ? null : redactUrl(editUrlParams(masked, edits))
}

/** `a=1&b=2` as edits for editUrlParams' `set`. */
export function paramsFromQuery(query: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const kv of query.split('&')) {
    if (!kv) continue
    const eq = kv.indexOf('=')
    out[eq >= 0 ? kv.slice(0, eq) : kv] = eq >= 0 ? kv.slice(eq + 1) : ''
  }
  return out
}

/**
 * The URL with its user, host or port replaced and the password shown as ****; the path and
 * parameters kept byte for byte. Null when the text is not a URL. (Fix texts: the app's own URL,
 * pointed at another host, port or user.)
 */
export function withAuthority(url: string, changes: {host?: string; port?: string; user?: string}): string | null {
  const parts = splitUrl(url.trim())
  if (!parts) return null
  const info = parts.userinfo
  const colon = info === undefined ? -1 : info.indexOf(':')
  const oldUser = info === undefined ? '' : colon >= 0 ? info.slice(0, colon) : info
  const user = changes.user ?? oldUser
  const pw = colon >= 0 ? `:${MASK}` : ''
  const m = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(parts.hostport)
  const host = changes.host ?? m?.[1] ?? parts.hostport
  const port = changes.port ?? m?.[2]
  return `${parts.scheme}${user || pw ? `${user}${pw}@` : ''}${host}${port ? `:${port}` : ''}${parts.rest}`
}
