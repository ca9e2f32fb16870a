// The single lists about connection settings: sslmodes, ssl parameters, secret keywords, libpq
// keywords, the default port and Unix-socket detection. Part of the connection-string module
// (config/connection-string.ts re-exports all of it). The secret keywords live in core/secrets.ts
// (re-exported here): the redaction layer below uses them, and core imports nothing above it.
// Every other file imports these; none keeps its own copy.

/** PostgreSQL's (libpq's and node-postgres') default port. */
export const DEFAULT_PORT = 5432

/** The sslmode values libpq accepts. */
export const LIBPQ_SSLMODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const

/** Every sslmode a client db-doctor models accepts: libpq's six plus node-postgres' `no-verify`. */
export const VALID_SSLMODES = [...LIBPQ_SSLMODES, 'no-verify'] as const

/** The sslmodes Prisma 2–6's own engine knows (quaint); any other is read as prefer (src/models/drivers/prisma-engine.ts). */
export const PRISMA_ENGINE_SSLMODES = ['disable', 'prefer', 'require'] as const

/** The URL parameters that decide whether Prisma's engine verifies the server: the mode, the CA, the accept mode. */
export const PRISMA_ENGINE_VERIFY_PARAMS = ['sslmode', 'sslcert', 'sslaccept'] as const

/**
 * The URL parameters only Prisma's engine reads (quaint's parse_query_params): node-postgres ignores them, and
 * libpq (psql) refuses the URL for every one but `sslpassword` ("invalid URI query parameter"), which in a Prisma
 * URL is the password of the `sslidentity` PKCS#12 file, not of libpq's sslkey.
 */
export const PRISMA_ENGINE_ONLY_PARAMS = [
  'schema',
  'connection_limit',
  'pool_timeout',
  'socket_timeout',
  'pgbouncer',
  'statement_cache_size',
  'max_connection_lifetime',
  'max_idle_connection_lifetime',
  'sslaccept',
  'sslidentity',
  'sslpassword',
] as const

/** The sslmodes node-postgres 8 treats as verify-full unless the URL says uselibpqcompat=true. */
export const VERIFY_FULL_ALIASES = ['prefer', 'require', 'verify-ca'] as const

/**
 * The PGSSLMODE values pg's readSSLConfigFromEnvironment() knows (pg/lib/connection-parameters.js);
 * any other value (`allow`, a typo) leaves ssl at its default, false.
 */
export const PG_ENV_SSLMODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'] as const

/** Connection-string parameters about SSL, in the order evidence lists them. */
export const SSL_PARAMS = [
  'ssl',
  'sslmode',
  'sslrootcert',
  'sslcert',
  'sslkey',
  'sslnegotiation',
  'uselibpqcompat',
] as const

/** The SSL parameters that name a file a client reads. */
export const SSL_FILE_PARAMS = ['sslrootcert', 'sslcert', 'sslkey'] as const

/** The SSL parameters that decide whether and how the server certificate is verified (not the client certificate). */
export const SSL_VERIFY_PARAMS = ['ssl', 'sslmode', 'sslrootcert', 'uselibpqcompat'] as const

export {LIBPQ_KEYWORDS, SECRET_KEYWORDS, isSecretKeyword} from '../core/secrets.js'

/**
 * Is this (resolved, decoded) host a Unix-socket directory? libpq and node-postgres take a host
 * starting with "/" as one. In a connection string it may be written percent-encoded in the host
 * position or as a `host=` parameter: see unixSocketInConnectionString().
 */
export function isUnixSocketHost(host: string | null | undefined): boolean {
  return typeof host === 'string' && host.trim().startsWith('/')
}

/**
 * The raw connection string names a Unix socket: pg-connection-string's "/dir db" shorthand, a URL
 * whose host is a percent-encoded path (`postgres://%2Fvar%2Frun%2Fpostgresql/db`), a URL or
 * key=value `host=/dir`. From the text only; the parsed host answers the same for what parses.
 */
export function unixSocketInConnectionString(text: string): boolean {
  const s = text.trim()
  if (s.startsWith('/')) return true
  if (/^[a-z][a-z0-9+.-]*:\/\/(?:[^/?#]*@)?%2F/i.test(s)) return true
  return /(?:[?&]|^|\s)host\s*=\s*'?(?:\/|%2F)/i.test(s)
}

/** Connection settings db-doctor understands, libpq names. */
export type FieldName =
  | 'host'
  | 'port'
  | 'database'
  | 'user'
  | 'password'
  | 'sslmode'
  | 'sslrootcert'
  | 'sslcert'
  | 'sslkey'
  | 'sslnegotiation'
  | 'uselibpqcompat'
  | 'connect_timeout'
  | 'application_name'
  | 'options'
