// Raw URL anatomy, for diagnosis (a part of the connection-string module, config/connection-string.ts, which
// re-exports it): a URL split the way a person meant it (splitUrl, never used to read values), and the
// characters of its user info that must be percent-encoded, with what each does to the URL (checkUrlEncoding).
// Words: none (the catalogue words each effect by id). Pure: no I/O.
import {redactUrl} from '../core/redact.js'

interface UrlParts {
  scheme: string
  /** Everything between "://" and the last "@" of the authority, raw; undefined when there is no "@". */
  userinfo?: string
  /** host[:port] as written (after the last "@"). */
  hostport: string
  /** "/database?query" as written. */
  rest: string
}

/**
 * Split a URL the way a person meant it, for diagnosis: the credentials end at the
 * last "@" before the query string, even when an unencoded "#", "/" or "?" in the
 * password would make a real URL parser stop earlier. Never used to read values.
 */
export function splitUrl(text: string): UrlParts | null {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)/.exec(text)
  if (!m) return null
  const scheme = m[1]
  const body = text.slice(scheme.length)
  // the query starts at the first "?name=", or at the first "?" with no "@" after it
  let queryStart = body.length
  for (let i = body.indexOf('?'); i >= 0; i = body.indexOf('?', i + 1)) {
    const after = body.slice(i)
    if (/^\?[A-Za-z_][A-Za-z0-9_]*=/.test(after) || !after.includes('@')) {
      queryStart = i
      break
    }
  }
  const authorityAndPath = body.slice(0, queryStart)
  const query = body.slice(queryStart)
  const at = authorityAndPath.lastIndexOf('@')
  const userinfo = at >= 0 ? authorityAndPath.slice(0, at) : undefined
  const afterAt = at >= 0 ? authorityAndPath.slice(at + 1) : authorityAndPath
  const slash = afterAt.search(/[/#]/)
  const hostport = slash >= 0 ? afterAt.slice(0, slash) : afterAt
  const rest = (slash >= 0 ? afterAt.slice(slash) : '') + query
  return userinfo === undefined ? {scheme, hostport, rest} : {scheme, userinfo, hostport, rest}
}

export interface EncodingIssue {
  /** Which part holds unencoded characters. */
  parts: Array<'user' | 'password'>
  /** Offending characters, described: "'#'", "space", "'%' not followed by two hex digits". */
  characters: string[]
  /** What each does to the URL (the catalogue words each in one sentence). */
  effects: EncodingEffect[]
  /** The URL with the user correctly encoded and the password shown as ****. */
  maskedUrl: string
  /**
   * True when a character changes what node-postgres (and knex's own parser) read ("#", "/", "?",
   * tabs and line breaks, an escape a re-encoded URL misreads). False when node-postgres reads
   * every one of them as written: then the app connects, and only psql/libpq (`libpqBreaks`) or
   * strict URL parsers read the URL differently.
   */
  breaking: boolean
  /** Characters node-postgres reads as written but libpq (psql, pg_dump) does not: "@", a "%" not followed by two hex digits. */
  libpqBreaks: string[]
}

const USERINFO_OK = /[A-Za-z0-9\-._~!$&'()*+,;=]/

/**
 * What an unencoded character does to the URL, by id (the catalogue words each): a character with an
 * effect of its own ("#", "/", "?", "@", "%", tabs and line breaks), an escape misread after re-encoding,
 * another character a URL does not allow (breaking) or one only strict parsers reject (lenient).
 */
export type EncodingEffect =
  | {id: 'fragment' | 'ends-host' | 'starts-query' | 'at-sign' | 'percent' | 'line-break'}
  | {id: 'misread-escape'; escape: string}
  | {id: 'not-allowed' | 'lenient'; character: string}

const EFFECTS: Readonly<Record<string, EncodingEffect['id']>> = {
  '#': 'fragment',
  '/': 'ends-host',
  '?': 'starts-query',
  '@': 'at-sign',
  '%': 'percent',
  '\t': 'line-break',
  '\n': 'line-break',
  '\r': 'line-break',
}

function effectOf(c: string): EncodingEffect {
  const own = EFFECTS[c]
  if (own) return {id: own} as EncodingEffect
  if (c.length === 3 && c.startsWith('%')) return {id: 'misread-escape', escape: c}
  return {id: isBreaking(c) ? 'not-allowed' : 'lenient', character: describeChar(c)}
}

/**
 * Characters that change what node-postgres (pg-connection-string, WHATWG URL) and knex's pinned
 * parser read from the user info. Measured against the real clients (test/lab/password-clients.test.ts):
 * "@" (split at the last one) and a "%" not followed by two hex digits (the URL is re-encoded)
 * reach the server as written; libpq breaks on both (LIBPQ_BREAKING).
 */
const BREAKING = new Set(['#', '/', '?', '\t', '\n', '\r'])
const LIBPQ_BREAKING = new Set(['@', '%'])

function isBreaking(c: string): boolean {
  return BREAKING.has(c) || (c.startsWith('%') && c.length === 3) || c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f
}

function describeChar(c: string): string {
  if (c === ' ') return 'space'
  if (/\s/.test(c)) return 'whitespace'
  return `"${c}"`
}

function scanComponent(raw: string, allowColon: boolean, allowAt: boolean): string[] {
  const bad: string[] = []
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]
    if (c === '%') {
      if (/^[0-9a-fA-F]{2}$/.test(raw.slice(i + 1, i + 3))) {
        i += 2
        continue
      }
      bad.push('%')
      continue
    }
    if (c === ':' && allowColon) continue
    if (c === '@' && allowAt) continue
    if (!USERINFO_OK.test(c)) bad.push(c)
  }
  return bad
}

/**
 * pg-connection-string re-encodes a URL that contains a space (encodeURI), then restores only
 * the escapes made of two digits: "%2F" or "%3A" in such a URL reach node-postgres as the three
 * characters "%2F". The escapes of `part` that this turns into other characters.
 */
function misreadEscapes(url: string, part: string): string[] {
  if (!REENCODED.test(url)) return []
  return [...part.matchAll(/%[0-9a-fA-F]{2}/g)].map((m) => m[0]).filter((e) => /[a-fA-F]/.test(e))
}

/** pg-connection-string (2.6 and 2.14) re-encodes the URL when this matches: a space or a "%" that is not an escape. */
export const REENCODED = / |%[^a-f0-9]|%[a-f0-9][^a-f0-9]/i

export function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/**
 * Detect user/password characters that must be percent-encoded, from the raw string.
 * Returns null for URLs whose credentials are correctly encoded (or absent).
 */
export function checkUrlEncoding(text: string): EncodingIssue | null {
  const parts = splitUrl(text.trim())
  if (!parts || parts.userinfo === undefined) return null
  const info = parts.userinfo
  const colon = info.indexOf(':')
  const user = colon >= 0 ? info.slice(0, colon) : info
  const password = colon >= 0 ? info.slice(colon + 1) : undefined
  const userBad = [...scanComponent(user, false, false), ...misreadEscapes(text, user)]
  // RFC 3986 allows ":" in the user info: after the first one, it is part of the password
  const passBad =
    password === undefined ? [] : [...scanComponent(password, true, false), ...misreadEscapes(text, password)]
  if (userBad.length === 0 && passBad.length === 0) return null
  const chars = [...new Set([...userBad, ...passBad])]
  const where: Array<'user' | 'password'> = []
  if (userBad.length) where.push('user')
  if (passBad.length) where.push('password')
  const encodedUser = encodeURIComponent(safeDecode(user))
  const masked = `${parts.scheme}${encodedUser}${password === undefined ? '' : ':****'}@${parts.hostport}${parts.rest}`
  return {
    parts: where,
    characters: chars.map(describeChar),
    effects: chars.map(effectOf),
    maskedUrl: redactUrl(masked),
    breaking: chars.some(isBreaking),
    libpqBreaks: chars.filter((c) => LIBPQ_BREAKING.has(c)).map(describeChar),
  }
}

/** An encoding issue as the CONFIG_PASSWORD_* problems take it: their words and their evidence. */
export function describeEncoding(e: EncodingIssue): {
  words: {parts: EncodingIssue['parts']; part: string; characters: string[]; maskedUrl: string}
  details: Record<string, unknown>
} {
  const part = e.parts.join(', ')
  return {
    words: {parts: e.parts, part, characters: e.characters, maskedUrl: e.maskedUrl},
    details: {part, characters: e.characters.join(' '), effects: e.effects, maskedUrl: e.maskedUrl},
  }
}
