// The exact pg.ClientConfig an app using node-postgres ends up with for a
// ResolvedConfig, computed with node-postgres' own code wherever possible:
//
//   - connection string: pg-connection-string's parse() (what ConnectionParameters
//     calls), merged the way ConnectionParameters does it:
//     `Object.assign({}, {ssl: appSsl}, parse(connectionString))`, so ssl params in
//     the URL (sslmode, ssl, sslrootcert…) REPLACE the app's ssl object; sslmode
//     semantics (verify-full aliases, uselibpqcompat, no-verify, disable) are pg's;
//   - no ssl anywhere: PGSSLMODE from `env` (not process.env), as
//     readSSLConfigFromEnvironment() does;
//   - host/port/user/database/password/application_name/options/sslnegotiation are
//     set explicitly from the resolved fields (which already follow pg's precedence:
//     string > PG* > defaults > pgpass), so pg never reads the real process.env;
//   - the result goes through pg's ConnectionParameters constructor once, so
//     pg's own validation (sslnegotiation, ssl='no-verify'/'true' normalization) applies.
//
// libpq key=value strings are not something node-postgres accepts as a
// connectionString; for those the fields are used and the string's ssl settings
// are run through pg-connection-string via an equivalent query string.
//
// Errors: toPgClientConfig never returns a half-built config silently. It THROWS a
// PgConfigError (secret-free message) that callers classify by `code`:
//   - 'SSL_CERT_FILE_UNREADABLE': sslrootcert/sslcert/sslkey names a file that
//     cannot be read (node-postgres would throw the same at connect time);
//     `field`, `path`, `errno` and `source` say which;
//   - 'PG_CONFIG_REJECTED': node-postgres' own code rejects the settings (bad URL,
//     invalid sslnegotiation, uselibpqcompat verify-ca without sslrootcert…).
//
// The returned config may hold the password and the private key (ssl.key): never print it.
import type {NoTlsError} from '../models/drivers/types.js'
import fs from 'node:fs'
import type {ClientConfig} from 'pg'
// pg's own ConnectionParameters, bundled: the very module the login's pg (src/probes/pg-load.ts) runs, not a
// second copy required from node_modules at run time (about 25 CommonJS files resolved and read on every run)
// @ts-expect-error -- no declaration reachable through pg's exports (@types/pg has one, not exported)
import ConnectionParameters from 'pg/lib/connection-parameters.js'
import {redactor} from '../core/redact.js'
import {
  SSL_FILE_PARAMS,
  SSL_PARAMS,
  classifyConnectionString,
  pgConnectionStringParse,
  withoutWarnings,
} from './connection-string.js'
import {appUrlParser, type UrlParserModelled} from './url-parser.js'

/**
 * What an ssl reading was modelled with: a pg-connection-string (node-postgres), or a driver that reads the
 * URL itself (postgres.js, Prisma's engine: config/driver-client.ts) with the setting it read and its TLS.
 */
export type ReadingModelled =
  | UrlParserModelled
  | {by: 'driver'; driver: string; version: string; setting: string; tls: 'verified' | 'not-verified' | 'none'}
import type {FieldName, Provenance, ResolvedConfig} from './types.js'
import {sameSource} from './util.js'

type PgConfigErrorCode = 'SSL_CERT_FILE_UNREADABLE' | 'PG_CONFIG_REJECTED'

export class PgConfigError extends Error {
  readonly code: PgConfigErrorCode
  /** For SSL_CERT_FILE_UNREADABLE: which setting named the file. */
  readonly field?: 'sslrootcert' | 'sslcert' | 'sslkey'
  /** For SSL_CERT_FILE_UNREADABLE: the path as configured. */
  readonly path?: string
  /** For SSL_CERT_FILE_UNREADABLE: ENOENT, EACCES, EISDIR… */
  readonly errno?: string
  /** Where the offending setting came from. */
  readonly source?: Provenance
  constructor(
    code: PgConfigErrorCode,
    message: string,
    extra: {field?: 'sslrootcert' | 'sslcert' | 'sslkey'; path?: string; errno?: string; source?: Provenance} = {},
  ) {
    super(redactor.redact(message))
    this.name = 'PgConfigError'
    this.code = code
    Object.assign(this, extra)
  }
}

/** Where the effective `ssl` of the client config comes from. */
type SslOrigin = 'connection-string' | 'app' | 'PGSSLMODE' | 'default'

export interface PgClientConfigResult {
  config: ClientConfig
  sslOrigin: SslOrigin
  /** Provenance of the setting that decided `ssl` (undefined for the default). */
  sslSource?: Provenance
  /**
   * Set when NODE_TLS_REJECT_UNAUTHORIZED=0 in the app's environment turns verification off (the
   * ssl options say nothing about rejectUnauthorized, so Node's default follows the variable).
   * `config.ssl` then says rejectUnauthorized: false explicitly: db-doctor's own process does not
   * have the variable, and must connect the way the app does.
   */
  verifyOffByEnv?: boolean
  /** NODE_TLS_REJECT_UNAUTHORIZED=0 is only in the env file, which the migration tool's launch does not load: not applied. */
  nodeTlsNotLoaded?: boolean
  /**
   * What the ssl reading was modelled with, when a URL was parsed: the URL parser node-postgres gets (knex
   * 3.3.0's pg-connection-string 2.6.2, the app's…), or the app's other driver (config/driver-client.ts).
   */
  urlParser?: ReadingModelled
  /**
   * The app's driver goes on without TLS when the server answers N to SSLRequest (postgres.js
   * ssl: 'prefer', 4.x 'allow'): the words of the driver model. node-postgres never does.
   */
  sslFallback?: {driver: string; ssl: string}
  /** The error the app's driver (when not node-postgres) shows when the server offers no TLS (a catalogue key). */
  noTlsError?: {driver: string; error: NoTlsError}
  /** Set by withServerAnswer(): the server answered N and the driver went on in plaintext (config.ssl is false). */
  fellBack?: boolean
}

/** The ssl settings of a key=value string, as pg-connection-string reads them from a URL query. */
const KEY_VALUE_SSL_PARAMS = SSL_PARAMS.filter((p): p is Exclude<(typeof SSL_PARAMS)[number], 'ssl'> => p !== 'ssl')
const SSL_FILE_FIELDS = SSL_FILE_PARAMS

/** pg/lib/connection-parameters.js readSSLConfigFromEnvironment(), on `env` instead of process.env. */
export function sslFromPgsslmode(pgsslmode: string | undefined): ClientConfig['ssl'] {
  switch (pgsslmode) {
    case 'disable':
      return false
    case 'prefer':
    case 'require':
    case 'verify-ca':
    case 'verify-full':
      return true
    case 'no-verify':
      return {rejectUnauthorized: false}
  }
  return false // pg/lib/defaults.js ssl
}

/** Check the certificate files a config names, before pg-connection-string reads them. */
function checkSslFiles(config: ResolvedConfig, names: Partial<Record<(typeof SSL_FILE_FIELDS)[number], string>>): void {
  for (const field of SSL_FILE_FIELDS) {
    const file = names[field]
    if (!file) continue
    try {
      fs.accessSync(file, fs.constants.R_OK)
      if (fs.statSync(file).isDirectory()) throw Object.assign(new Error('is a directory'), {code: 'EISDIR'})
    } catch (error) {
      const errno = (error as NodeJS.ErrnoException).code ?? 'EIO'
      const source = config.fields[field]?.source ?? config.connectionString?.source
      throw new PgConfigError(
        'SSL_CERT_FILE_UNREADABLE',
        `${field} file ${file}${source ? ` (from ${source.label})` : ''} cannot be read: ${errno}`,
        {field, path: file, errno, ...(source ? {source} : {})},
      )
    }
  }
}

function pgParseOrThrow(
  text: string,
  parse: (s: string) => Record<string, unknown> = pgConnectionStringParse,
): Record<string, unknown> {
  try {
    return withoutWarnings(() => parse(text) as Record<string, unknown>)
  } catch (error) {
    const err = error as NodeJS.ErrnoException
    if (err.code && err.path) {
      throw new PgConfigError('SSL_CERT_FILE_UNREADABLE', `a certificate file cannot be read: ${err.code}`, {
        path: err.path,
        errno: err.code,
      })
    }
    const safe =
      err?.name === 'TypeError' && err.code === 'ERR_INVALID_URL' ? 'Invalid URL' : (err?.message ?? String(error))
    throw new PgConfigError('PG_CONFIG_REJECTED', `node-postgres rejects the connection string: ${safe}`)
  }
}

/** The client's ssl after the app's setting and the connection string, merged as ConnectionParameters does. */
interface SslReading {
  /** The app's ssl, then what node-postgres' parse of the string gives (its ssl and sslnegotiation count). */
  merged: Record<string, unknown>
  origin?: SslOrigin
  source?: Provenance
  urlParser?: UrlParserModelled
}

/** Same as toPgClientConfig, plus where the effective ssl setting came from. */
export function resolvePgClientConfig(
  config: ResolvedConfig,
  env: Record<string, string | undefined>,
): PgClientConfigResult {
  const reading = appSsl(config)
  const cs = config.connectionString
  if (cs) {
    const kind = classifyConnectionString(cs.value)
    if (kind === 'url' || kind === 'socket') readUrl(config, cs, reading)
    else if (kind === 'keyvalue') readKeyValueSsl(config, cs, reading)
  }
  const ssl = effectiveSsl(reading, config.fields, env)
  const out = clientFields(config.fields, reading.merged, ssl)
  // pg's own normalization and validation (ssl 'true' / 'no-verify', sslnegotiation)
  const cp = validateWithPg(out)
  out.ssl = cp.ssl
  const nodeTls = nodeTlsEnv(config, env, out)
  const sslObj = out.ssl as {key?: unknown} | undefined
  if (sslObj && typeof sslObj === 'object' && typeof sslObj.key === 'string') redactor.add(sslObj.key)
  if (typeof out.password === 'string') redactor.add(out.password)
  return {
    config: out as ClientConfig,
    sslOrigin: reading.origin ?? 'default',
    ...(reading.source ? {sslSource: reading.source} : {}),
    ...(nodeTls.verifyOffByEnv ? {verifyOffByEnv: true} : {}),
    ...(reading.urlParser ? {urlParser: reading.urlParser} : {}),
    ...(nodeTls.notLoaded ? {nodeTlsNotLoaded: true} : {}),
  }
}

/** The app's own ssl option (a knexfile's `ssl`, a config's `ssl`): where the merge starts. */
function appSsl(config: ResolvedConfig): SslReading {
  if (!config.appSsl || config.appSsl.value === undefined) return {merged: {}}
  return {merged: {ssl: config.appSsl.value}, origin: 'app', source: config.appSsl.source}
}

/**
 * A URL (or socket path) string: parsed by the parser the app really uses (knex's own for a knex string, else the
 * app's pg's), its settings replacing the app's, its certificate files checked first.
 */
function readUrl(config: ResolvedConfig, cs: {value: string; source: Provenance}, reading: SslReading): void {
  checkSslFiles(config, fileNamesFromString(config, cs.source))
  const model = appUrlParser(config)
  reading.urlParser = model.modelled
  const parsed = pgParseOrThrow(cs.value.trim(), model.parse)
  reading.merged = Object.assign({}, reading.merged, parsed)
  if (parsed.ssl !== undefined) {
    reading.origin = 'connection-string'
    reading.source = cs.source
  }
}

/** A key=value string: its ssl settings, read by pg-connection-string as the equivalent URL query. */
function readKeyValueSsl(config: ResolvedConfig, cs: {value: string; source: Provenance}, reading: SslReading): void {
  const q = new URLSearchParams()
  for (const name of KEY_VALUE_SSL_PARAMS) {
    const field = config.fields[name as FieldName]
    if (field && sameSource(field.source, cs.source)) q.set(name, field.value)
  }
  if ([...q.keys()].length === 0) return
  checkSslFiles(config, fileNamesFromString(config, cs.source))
  const parsed = pgParseOrThrow(`postgres://localhost/?${q.toString()}`)
  if (parsed.ssl !== undefined) {
    reading.merged.ssl = parsed.ssl
    reading.origin = 'connection-string'
    reading.source = cs.source
  }
}

/** The ssl the merge gives, else PGSSLMODE of the app's environment (readSSLConfigFromEnvironment), else pg's default. */
function effectiveSsl(
  reading: SslReading,
  f: ResolvedConfig['fields'],
  env: Record<string, string | undefined>,
): unknown {
  if (reading.merged.ssl !== undefined) return reading.merged.ssl
  const mode = env.PGSSLMODE
  if (mode) {
    reading.origin = 'PGSSLMODE'
    reading.source =
      f.sslmode?.source.name === 'PGSSLMODE'
        ? f.sslmode.source
        : {kind: 'env', name: 'PGSSLMODE', label: 'PGSSLMODE (environment)'}
  } else reading.origin = 'default'
  return sslFromPgsslmode(mode)
}

/** The resolved fields set explicitly (they already follow pg's precedence), so pg never reads process.env. */
function clientFields(
  f: ResolvedConfig['fields'],
  merged: Record<string, unknown>,
  ssl: unknown,
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (f.host) out.host = f.host.value
  if (f.port) out.port = Number.parseInt(f.port.value, 10)
  if (f.database) out.database = f.database.value
  if (f.user) out.user = f.user.value
  if (f.password) out.password = f.password.value
  if (f.application_name) out.application_name = f.application_name.value
  if (f.options) out.options = f.options.value
  const negotiation = (merged.sslnegotiation as string | undefined) || f.sslnegotiation?.value
  if (negotiation) (out as {sslnegotiation?: string}).sslnegotiation = negotiation
  out.ssl = ssl
  return out
}

/**
 * NODE_TLS_REJECT_UNAUTHORIZED=0 in the app's environment. Node's tls.connect: {rejectUnauthorized:
 * NODE_TLS_REJECT_UNAUTHORIZED !== '0', ...options}, read at every connect (so a variable dotenv puts in
 * process.env before connecting counts too): with ssl options silent on rejectUnauthorized, `out.ssl` says
 * rejectUnauthorized: false (verifyOffByEnv). Only in the env file (db-doctor's own process does not have it)
 * while the migration tool is launched without loading that file: the tool's process never sees the variable
 * (notLoaded).
 */
function nodeTlsEnv(
  config: ResolvedConfig,
  env: Record<string, string | undefined>,
  out: Record<string, unknown>,
): {verifyOffByEnv: boolean; notLoaded: boolean} {
  const onlyInEnvFile = process.env.NODE_TLS_REJECT_UNAUTHORIZED !== '0'
  const toolSkipsEnvFile = config.launch?.tool?.readsEnvFile === false
  const set = env.NODE_TLS_REJECT_UNAUTHORIZED === '0'
  const notLoaded = set && onlyInEnvFile && toolSkipsEnvFile
  if (!set || notLoaded || !out.ssl || (out.ssl !== true && typeof out.ssl !== 'object'))
    return {verifyOffByEnv: false, notLoaded}
  const o = out.ssl === true ? {} : (out.ssl as Record<string, unknown>)
  if (Object.prototype.hasOwnProperty.call(o, 'rejectUnauthorized')) return {verifyOffByEnv: false, notLoaded}
  out.ssl = {...o, rejectUnauthorized: false}
  return {verifyOffByEnv: true, notLoaded}
}

/** The pg.ClientConfig an app using node-postgres ends up with. Throws PgConfigError (see above). */
export function toPgClientConfig(config: ResolvedConfig, env: Record<string, string | undefined>): ClientConfig {
  return resolvePgClientConfig(config, env).config
}

function fileNamesFromString(
  config: ResolvedConfig,
  source: Provenance,
): Partial<Record<(typeof SSL_FILE_FIELDS)[number], string>> {
  const out: Partial<Record<(typeof SSL_FILE_FIELDS)[number], string>> = {}
  for (const field of SSL_FILE_FIELDS) {
    const v = config.fields[field]
    if (v && sameSource(v.source, source)) out[field] = v.value
  }
  return out
}

type ConnectionParametersCtor = new (config: Record<string, unknown>) => {ssl: unknown}

function validateWithPg(config: Record<string, unknown>): {ssl: unknown} {
  try {
    return new (ConnectionParameters as unknown as ConnectionParametersCtor)(config)
  } catch (error) {
    throw new PgConfigError('PG_CONFIG_REJECTED', `node-postgres rejects the settings: ${(error as Error).message}`)
  }
}
