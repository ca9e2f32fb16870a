// The connection-URL parser the app really uses, resolved from the app's folder as Node would:
//   - knex parses a string `connection` itself with the pg-connection-string it depends on
//     (knex 3.x pins 2.6.2: no `uselibpqcompat`, sslmode prefer/require/verify-ca mean
//     verify-full), then hands pg an object; pg never sees the URL;
//   - `{connectionString}` (and every other source) reaches pg's own parser: the
//     pg-connection-string next to the app's pg (2.14 with pg 8.23: `uselibpqcompat` exists).
// The app's own copy is loaded when it is installed (it is a library of the app, as the knexfile
// is the app's code); otherwise db-doctor's own current release stands in, and a knex string is
// modelled as knex 3.x does it (no uselibpqcompat). `modelled` says which, as data for the evidence
// (src/catalogue/modelled.ts words it).
import {createRequire} from 'node:module'
import path from 'node:path'
import fs from 'node:fs'
import {parse as ownParse} from 'pg-connection-string'
import {withoutWarnings} from './connection-string.js'
import {findPackageDir} from '../models/packages.js'
import {readGuardedText} from '../core/files.js'

export interface UrlParserModel {
  by: 'knex' | 'pg'
  /** pg-connection-string's parse() as the app runs it (may read certificate files, may throw). */
  parse(url: string): Record<string, unknown>
  /** The pg-connection-string version modelled. */
  version: string
  /** Whether this parser knows `uselibpqcompat=true` (libpq sslmode meanings). */
  libpqCompat: boolean
  /** True when the app's own copy was loaded. */
  fromApp: boolean
  /** Which parser was modelled, for the evidence (src/catalogue/modelled.ts urlParserText). */
  modelled: UrlParserModelled
}

/**
 * Which pg-connection-string was modelled: the app's own copy, reached through its knex (`from`: where that
 * copy sits) or its pg, at their versions; or db-doctor's stand-in when `dir` has no knex / pg installed
 * (knex 3.x's pinned release read as knex 3.3 parses, or db-doctor's own current release).
 */
export type UrlParserModelled =
  | {by: 'knex'; fromApp: true; knexVersion: string; version: string; from: string; settings?: SettingsModelled}
  | {by: 'knex'; fromApp: false; version: string; dir: string}
  | {by: 'pg'; fromApp: true; pgVersion: string; version: string; settings?: SettingsModelled}
  | {by: 'pg'; fromApp: false; version: string; dir: string}

/**
 * Set when the app's pg is another release than db-doctor's: the parse is the app's, but what pg does with its
 * result (ConnectionParameters: PGSSLMODE, 'no-verify', sslnegotiation; the TLS options) is modelled as
 * db-doctor's pg does it (config/ssl.ts, config/pg-config.ts), not run from the app's pg.
 */
interface SettingsModelled {
  /** The app's pg. */
  pgVersion: string
  /** db-doctor's pg, whose steps are modelled. */
  modelledAs: string
}

/** The release knex 3.x pins, modelled when the app has no knex installed. */
const KNEX_PINNED = '2.6.2'

const ownRequire = createRequire(import.meta.url)
const cache = new Map<string, UrlParserModel>()

export type Parse = (url: string) => Record<string, unknown>

function versionAt(dir: string | undefined): string | undefined {
  if (!dir) return undefined
  try {
    const v = JSON.parse(readGuardedText(path.join(dir, 'package.json'), 'package.json')).version
    return typeof v === 'string' && /^[0-9A-Za-z.+-]{1,40}$/.test(v) ? v : undefined
  } catch {
    return undefined
  }
}

function load(dir: string): Parse | undefined {
  try {
    const mod = ownRequire(dir) as {parse?: Parse} & Parse
    const parse = typeof mod.parse === 'function' ? mod.parse : typeof mod === 'function' ? mod : undefined
    return parse
  } catch {
    return undefined // ESM-only or broken: fall back to db-doctor's own
  }
}

const compatKnown = new WeakMap<Parse, boolean>()

/** Whether this parse() knows `uselibpqcompat=true` (libpq sslmode meanings): asked of the parser itself, once. */
export function knowsCompat(parse: Parse): boolean {
  const known = compatKnown.get(parse)
  if (known !== undefined) return known
  const answer = asksCompat(parse)
  compatKnown.set(parse, answer)
  return answer
}

function asksCompat(parse: Parse): boolean {
  try {
    const r = withoutWarnings(() => parse('postgres://h/d?uselibpqcompat=true&sslmode=prefer')) as {
      ssl?: {rejectUnauthorized?: boolean}
    }
    return typeof r.ssl === 'object' && r.ssl !== null && r.ssl.rejectUnauthorized === false
  } catch {
    return false
  }
}

let bundledCache: {parse: Parse; version: string} | undefined

/**
 * db-doctor's own pg-connection-string (the one its pg-config and connection-string.ts use): the module
 * bundled with them, not a second copy required from node_modules at run time; its version is read there.
 */
function bundled(): {parse: Parse; version: string} {
  if (bundledCache) return bundledCache
  const main = ownRequire.resolve('pg-connection-string')
  let dir = path.dirname(main)
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir)
  bundledCache = {parse: ownParse as Parse, version: versionAt(dir) ?? '?'}
  return bundledCache
}

let ownPgVersion: string | undefined

/** The pg release db-doctor bundles (its ConnectionParameters is the one pg-config.ts runs). */
function bundledPgVersion(): string {
  if (ownPgVersion !== undefined) return ownPgVersion
  let dir = path.dirname(ownRequire.resolve('pg'))
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir)
  ownPgVersion = versionAt(dir) ?? '?'
  return ownPgVersion
}

/** The app's pg at `pgVersion` when its steps after the parse are modelled as another release's; else nothing. */
function settingsOf(pgVersion: string | undefined): {settings: SettingsModelled} | Record<string, never> {
  const own = bundledPgVersion()
  return pgVersion && pgVersion !== own ? {settings: {pgVersion, modelledAs: own}} : {}
}

/**
 * The parser the app uses for the connection string of a resolved configuration: the one resolveConfig()
 * named (knex's own for a knex string, else the app's pg's); a configuration built by hand, pg's from the
 * working folder. pg-config.ts and target.ts's SSL analysis both ask here, so they parse with the same one.
 */
export function appUrlParser(config: {urlParser?: {by: 'knex' | 'pg'; dir: string}}): UrlParserModel {
  return urlParserModel(config.urlParser?.by ?? 'pg', config.urlParser?.dir ?? process.cwd())
}

/** The parser the app uses for a connection string parsed `by` knex or pg, from the app folder `dir`. */
export function urlParserModel(by: 'knex' | 'pg', dir: string): UrlParserModel {
  const key = `${by}\0${dir}`
  const hit = cache.get(key)
  if (hit) return hit
  const model = by === 'knex' ? knexModel(dir) : pgModel(dir)
  cache.set(key, model)
  return model
}

function knexModel(dir: string): UrlParserModel {
  const knexDir = findPackageDir('knex', dir)
  const knexVersion = versionAt(knexDir)
  const pcsDir = knexDir ? findPackageDir('pg-connection-string', knexDir) : undefined
  const own = pcsDir ? load(pcsDir) : undefined
  if (own && knexVersion) {
    const version = versionAt(pcsDir) ?? '?'
    return {
      by: 'knex',
      parse: own,
      version,
      libpqCompat: knowsCompat(own),
      fromApp: true,
      modelled: {
        by: 'knex',
        fromApp: true,
        knexVersion,
        version,
        from: displayDir(pcsDir!, dir),
        // the pg knex hands the parsed object to
        ...settingsOf(versionAt(findPackageDir('pg', knexDir!))),
      },
    }
  }
  // knex 3.x's own parser, without uselibpqcompat nor "sslnegotiation=direct turns ssl on" (2.6.2 predates both)
  const parse = asKnexPinned(bundled().parse)
  return {
    by: 'knex',
    parse,
    version: KNEX_PINNED,
    libpqCompat: false,
    fromApp: false,
    modelled: {by: 'knex', fromApp: false, version: KNEX_PINNED, dir},
  }
}

function pgModel(dir: string): UrlParserModel {
  const pgDir = findPackageDir('pg', dir)
  const pgVersion = versionAt(pgDir)
  const pcsDir = pgDir ? findPackageDir('pg-connection-string', pgDir) : undefined
  const own = pcsDir ? load(pcsDir) : undefined
  if (own && pgVersion) {
    const version = versionAt(pcsDir) ?? '?'
    return {
      by: 'pg',
      parse: own,
      version,
      libpqCompat: knowsCompat(own),
      fromApp: true,
      modelled: {by: 'pg', fromApp: true, pgVersion, version, ...settingsOf(pgVersion)},
    }
  }
  const own2 = bundled()
  return {
    by: 'pg',
    parse: own2.parse,
    version: own2.version,
    libpqCompat: knowsCompat(own2.parse),
    fromApp: false,
    modelled: {by: 'pg', fromApp: false, version: own2.version, dir},
  }
}

/** A parse() that reads a URL as a release without uselibpqcompat does: the parameter is renamed away. */
export function withoutLibpqCompat(parse: Parse): Parse {
  return (url) => parse(url.replace(/([?&])uselibpqcompat=/gi, '$1dbdoctor_ignored_uselibpqcompat='))
}

/**
 * A parse() that reads a URL as knex 3.x's pinned 2.6.2 does: uselibpqcompat unknown (withoutLibpqCompat), and
 * sslnegotiation=direct left a plain parameter: later releases turn ssl on for it when nothing else set ssl, 2.6.2
 * leaves ssl unset (pg then takes PGSSLMODE, and refuses direct without SSL).
 */
function asKnexPinned(parse: Parse): Parse {
  const base = withoutLibpqCompat(parse)
  return (url) => {
    const config = base(url)
    if (config.ssl !== true || config.sslnegotiation === undefined || !/[?&]sslnegotiation=/i.test(url)) return config
    const without = base(url.replace(/([?&])sslnegotiation=/gi, '$1dbdoctor_ignored_sslnegotiation='))
    if (without.ssl === undefined) delete config.ssl
    return config
  }
}

/** What readFileSync returns for a certificate file parseWithoutReading() keeps unread: this, then the path. */
const UNREAD = '\u0000db-doctor unread file:'

/**
 * A parse() of pg-connection-string (the app's, or db-doctor's own) run on a connection URL without
 * reading a certificate file or printing its deprecation warning: while it runs, readFileSync of exactly
 * `files` (the URL's sslcert, sslkey and sslrootcert, as written) returns a placeholder instead of the
 * file, which unreadFile() turns back into the path. parse() is synchronous: nothing else runs while
 * readFileSync is replaced, and every other path is read as usual. Everything else parse() decides (the
 * ssl value, what replaces what, what it refuses) is its own. Throws what parse() throws.
 */
export function parseWithoutReading(parse: Parse, url: string, files: readonly string[]): Record<string, unknown> {
  const read = fs.readFileSync
  const unread = new Set(files)
  fs.readFileSync = ((file: unknown, ...rest: unknown[]) =>
    typeof file === 'string' && unread.has(file)
      ? UNREAD + file
      : (read as (...a: unknown[]) => unknown)(file, ...rest)) as typeof fs.readFileSync
  try {
    return withoutWarnings(() => parse(url))
  } finally {
    fs.readFileSync = read
  }
}

/** The path of a certificate file parseWithoutReading() kept unread, or undefined for any other value. */
export function unreadFile(value: unknown): string | undefined {
  return typeof value === 'string' && value.startsWith(UNREAD) ? value.slice(UNREAD.length) : undefined
}

function displayDir(abs: string, from: string): string {
  const rel = path.relative(from, abs)
  return rel && !rel.startsWith('..') ? rel : abs
}
