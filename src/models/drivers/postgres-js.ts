// postgres.js (npm `postgres`), read line for line from the installed sources, by version:
//   3.4 (src/index.js parseOptions/parseUrl, src/connection.js secure()) and
//   4.x (src/index.js parseOptions/parseUrl/certificates/withCertificates, src/socket.js
//   secureOptions, src/startup.js negotiate).
//
// What differs from node-postgres (config/ssl.ts, config/pg-config.ts):
//   - sslmode reads the other way round: `require`/`prefer`/`allow` mean TLS WITHOUT verification
//     ({rejectUnauthorized: false}); any other string (`verify-full`, `verify-ca`, `no-verify`,
//     `true`) reaches tls.connect without options, so Node verifies chain and host name;
//     `disable`/`false` are off. `prefer` (and in 4.x `allow`) go on in plaintext on the same socket
//     when the server answers 'N' to SSLRequest (3.4 connection.js secure(): `!canSSL && ssl ===
//     'prefer'`; 4.x startup.js negotiate(): `ssl !== 'prefer' && ssl !== 'allow'` throws). Neither
//     retries without TLS once the server said 'S': a handshake or a pg_hba line that fails over TLS
//     ("pg_hba.conf rejects connection … SSL encryption") is the error (libpq's prefer would retry).
//     With `sslnegotiation=direct` (option, URL, PGSSLNEGOTIATION) TLS starts at once: no fallback.
//     When the server answers 'N' and the mode does not fall back, 4.x throws SSL_NOT_SUPPORTED "The
//     server does not support SSL connections"; 3.4 starts TLS anyway on the plaintext socket, the
//     server closes it: ECONNRESET "Client network socket disconnected before secure TLS connection
//     was established" (checked against a server with ssl = off, test/differential/drizzle.test.ts).
//   - 4.x reads sslrootcert/sslcert/sslkey from the URL itself (fs.readFileSync when the client is
//     created); with a CA and a mode other than true/verify-full the host-name check is skipped
//     (checkServerIdentity: () => undefined) — verify-ca and require alike; without a mode the
//     files make it `PGSSLMODE || PGSSL || 'require'`. 3.4 knows none of them: they go to the
//     server like any unknown parameter (sslrootcert=system only switches to verify-full).
//   - every URL query parameter it does not use itself goes to the server as a startup
//     parameter: `schema`, `uselibpqcompat`, `pgbouncer`, `connection_limit` → FATAL
//     "unrecognized configuration parameter".
//   - the environment: PGSSL (3.4); PGSSLMODE, else PGSSL (4.x). Taken as written in 3.4
//     (PGSSL=disable is a truthy string: TLS with verification), disable/false are off in 4.x.
//   - URL user info: 4.x splits at the LAST '@' of the authority and keeps '#' in a password;
//     3.4 hands the URL to WHATWG URL (also the last '@'), where '#' starts the fragment: the authority
//     ends there, so the user info and host are what precedes it ("c@n#ry@…" → host "n": getaddrinfo
//     ENOTFOUND n, or "Invalid URL" when that is no host).
//   - connect_timeout 30 s; errors `write CONNECT_TIMEOUT host:port`, `CONNECTION_CLOSED`.
import {versionAtLeast, type DriverInput, type DriverModel, type DriverReading, type DriverTls} from './types.js'

const NODE_CA = "Node's built-in CA list"

/** Option keys parseOptions() takes from the query itself (the rest are startup parameters). */
const KNOWN_3 = [
  'max',
  'ssl',
  'sslnegotiation',
  'idle_timeout',
  'connect_timeout',
  'max_lifetime',
  'max_pipeline',
  'backoff',
  'keep_alive',
  'prepare',
  'debug',
  'fetch_types',
  'publications',
  'target_session_attrs',
]
const KNOWN_4 = [
  ...KNOWN_3,
  'min',
  'channel_binding',
  'require_auth',
  'queue_timeout',
  'query_timeout',
  'cancel_timeout',
  'scheduler',
  'infer',
  'slot',
  // not options, but taken out of the query before it becomes startup parameters
  'host',
  'port',
]

function is4(version: string): boolean {
  return versionAtLeast(version, '4.0.0')
}

/** 4.x reads sslrootcert / sslcert / sslkey in the URL; 3.4 sends them to the server as startup parameters. */
export function postgresJsReadsCertParams(version: string): boolean {
  return is4(version)
}

interface ParsedUrl {
  username: string
  password: string
  hostname: string
  port: string
  database: string
  query: Record<string, string>
}

function decode(x: string): string {
  try {
    return decodeURIComponent(x)
  } catch {
    return x
  }
}

/** parseUrl() of the version; throws what the driver throws (3.4: "Invalid URL"). */
function postgresJsParseUrl(url: string, version: string): ParsedUrl {
  if (is4(version)) {
    const rest = url.slice(url.indexOf('://') + 3)
    const end = rest.search(/[/?]/)
    const authority = end === -1 ? rest : rest.slice(0, end)
    const at = authority.lastIndexOf('@')
    const userinfo = at === -1 ? '' : authority.slice(0, at)
    const colon = userinfo.indexOf(':')
    const tail = new URL('postgres://x' + (end === -1 ? '' : rest.slice(end)))
    const hostPart = authority.slice(at + 1).split(',')[0] ?? ''
    const m = /^\[([^\]]*)\](?::(\d*))?$/.exec(hostPart) ?? /^([^:]*)(?::(\d*))?$/.exec(hostPart)
    return {
      username: decode(colon === -1 ? userinfo : userinfo.slice(0, colon)),
      password: colon === -1 ? '' : decode(userinfo.slice(colon + 1)),
      hostname: decode(m?.[1] ?? hostPart),
      port: m?.[2] ?? '',
      database: decode(tail.pathname).slice(1),
      query: Object.fromEntries(tail.searchParams),
    }
  }
  // 3.4
  let host = url.slice(url.indexOf('://') + 3).split(/[?/]/)[0] ?? ''
  host = decodeURIComponent(host.slice(host.indexOf('@') + 1))
  const u = new URL(url.replace(host, host.split(',')[0] ?? ''))
  return {
    username: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    hostname: u.hostname,
    port: u.port,
    database: (u.pathname || '').slice(1),
    query: Object.fromEntries(u.searchParams),
  }
}

/**
 * The user info, host and database of a URL as postgres.js at `version` reads them (4.x: user info up to
 * the LAST '@', '#' kept in the password; 3.4: WHATWG URL, where '#' starts the fragment). Throws what the
 * driver throws (3.4: "Invalid URL" when what precedes a '#' is no host). Holds the password: for db-doctor's own login only.
 */
export function postgresJsUrlCredentials(
  url: string,
  version: string,
): {user: string; password: string; host: string; port: string; database: string} {
  const u = postgresJsParseUrl(url, version)
  return {user: u.username, password: u.password, host: u.hostname, port: u.port, database: u.database}
}

/** The effective connection settings postgres.js computes (parseOptions), without reading files. */
interface PostgresJsOptions {
  host: string
  port: number
  user: string
  database: string
  /** Whether a password is set (never the password). */
  hasPassword: boolean
  /** false, a mode string, true, or an object (key names only). */
  ssl: unknown
  /** Which setting decided ssl, in words, and where it came from. */
  sslSetting: string
  sslSource: string
  /** Certificate files named in the URL that 4.x reads (path as written). */
  files: {ca?: string; cert?: string; key?: string}
  startupParams: Record<string, string>
  connectTimeoutS: number
  /** sslnegotiation=direct: TLS first, no SSLRequest (so no fallback). */
  direct: boolean
}

/** parseOptions() of the version: URL, options object and environment merged as postgres.js does. */
export function postgresJsOptions(input: DriverInput, version: string): PostgresJsOptions {
  const env = input.env
  const o = input.options ?? {}
  const v4 = is4(version)
  const url = input.url ? postgresJsParseUrl(input.url, version) : undefined
  const query: Record<string, string> = {...(url?.query ?? {})}
  const {sslFrom, files} = urlSslParams(query, v4, env)
  const oHas = (k: string) => k in o && (!v4 || o[k] !== undefined)
  const decided = decideSsl({input, o, oHas, query, sslFrom, v4})
  const ssl = v4 ? withCertFiles(decided.ssl, files) : decided.ssl

  const known = v4 ? KNOWN_4 : KNOWN_3
  const startupParams: Record<string, string> = {}
  for (const [k, val] of Object.entries(query)) if (!known.includes(k)) startupParams[k] = val

  const rawTimeout = oHas('connect_timeout')
    ? o.connect_timeout
    : 'connect_timeout' in query
      ? query.connect_timeout
      : (env.PGCONNECT_TIMEOUT ?? 30)
  const negotiation = oHas('sslnegotiation')
    ? o.sslnegotiation
    : 'sslnegotiation' in query
      ? query.sslnegotiation
      : env.PGSSLNEGOTIATION
  return {
    ...endpoint(o, query, url, env, v4),
    ssl,
    sslSetting: decided.sslSetting,
    sslSource: decided.sslSource,
    files,
    startupParams,
    connectTimeoutS: Number(rawTimeout) || 0,
    direct: negotiation === 'direct',
  }
}

/**
 * The URL's TLS parameters, as postgres.js reads them: sslmode becomes ssl; 4.x takes sslrootcert, sslcert
 * and sslkey out as certificate files (TLS by default when there are some); sslrootcert=system is
 * verify-full. Edits `query`; returns which parameter set ssl (in words) and the files.
 */
function urlSslParams(
  query: Record<string, string>,
  v4: boolean,
  env: DriverInput['env'],
): {sslFrom: string; files: PostgresJsOptions['files']} {
  let sslFrom = ''
  if (query.sslmode) {
    query.ssl = query.sslmode
    delete query.sslmode
    sslFrom = `sslmode=${query.ssl}`
  } else if ('ssl' in query) sslFrom = `ssl=${query.ssl}`
  const files: PostgresJsOptions['files'] = {}
  if (v4) {
    const {sslrootcert, sslcert, sslkey} = query
    delete query.sslrootcert
    delete query.sslcert
    delete query.sslkey
    if (sslrootcert === 'system') {
      query.ssl = 'verify-full'
      sslFrom = 'sslrootcert=system'
    }
    if (sslrootcert && sslrootcert !== 'system') files.ca = sslrootcert
    if (sslcert) files.cert = sslcert
    if (sslkey) files.key = sslkey
    if (Object.keys(files).length && !query.ssl) {
      query.ssl = env.PGSSLMODE || env.PGSSL || 'require'
      sslFrom = env.PGSSLMODE
        ? `PGSSLMODE=${env.PGSSLMODE}`
        : env.PGSSL
          ? `PGSSL=${env.PGSSL}`
          : 'sslrootcert/sslcert/sslkey (require)'
    }
  } else if (query.sslrootcert === 'system') {
    query.ssl = 'verify-full'
    sslFrom = 'sslrootcert=system'
  }
  return {sslFrom, files}
}

/** The ssl value that wins (options object, then URL, then the environment, else none), and where it came from. */
function decideSsl(p: {
  input: DriverInput
  o: Record<string, unknown>
  oHas: (k: string) => boolean
  query: Record<string, string>
  sslFrom: string
  v4: boolean
}): {ssl: unknown; sslSetting: string; sslSource: string} {
  const {input, o, query, sslFrom, v4} = p
  const env = input.env
  if (p.oHas('ssl'))
    return {
      ssl: o.ssl,
      sslSetting: `ssl: ${typeof o.ssl === 'string' ? `'${o.ssl}'` : typeof o.ssl === 'object' && o.ssl ? '{…}' : String(o.ssl)}`,
      sslSource: input.optionsSource ?? 'the options object',
    }
  if ('ssl' in query)
    return {
      ssl: query.ssl === 'disable' || query.ssl === 'false' ? false : query.ssl,
      sslSetting: sslFrom,
      sslSource: sslFrom.startsWith('PGSSL')
        ? `${sslFrom.split('=')[0]} (environment)`
        : (input.urlSource ?? 'the connection URL'),
    }
  const envName = v4 ? (env.PGSSLMODE ? 'PGSSLMODE' : env.PGSSL ? 'PGSSL' : undefined) : env.PGSSL ? 'PGSSL' : undefined
  const raw = envName ? env[envName] : undefined
  if (raw !== undefined && raw !== '')
    return {
      ssl: v4 && (raw === 'disable' || raw === 'false') ? false : raw,
      sslSetting: `${envName}=${raw}`,
      sslSource: `${envName} (environment)`,
    }
  return {ssl: false, sslSetting: 'default (no ssl)', sslSource: 'postgres.js default (ssl: false)'}
}

/** 4.x: the URL's certificate files join the ssl value (an object, or the mode's own checks). */
function withCertFiles(ssl: unknown, files: PostgresJsOptions['files']): unknown {
  if (!ssl || ssl === 'disable' || !Object.keys(files).length) return ssl
  return typeof ssl === 'object'
    ? {...files, ...(ssl as object)}
    : ssl === true || ssl === 'true' || ssl === 'verify-full'
      ? {...files}
      : files.ca
        ? {...files, checkServerIdentity: 'noop'}
        : {...files, rejectUnauthorized: false}
}

/** Host, port, user, database and whether there is a password: options object, URL, environment, defaults. */
function endpoint(
  o: Record<string, unknown>,
  query: Record<string, string>,
  url: ParsedUrl | undefined,
  env: DriverInput['env'],
  v4: boolean,
): Pick<PostgresJsOptions, 'host' | 'port' | 'user' | 'database' | 'hasPassword'> {
  const host = String(
    o.hostname ?? o.host ?? (v4 ? query.host : undefined) ?? (url?.hostname || env.PGHOST || 'localhost'),
  )
  const port = Number(o.port ?? (v4 ? query.port : url?.port) ?? (url?.port || env.PGPORT || 5432)) || 5432
  const user = String(o.user ?? o.username ?? (url?.username || env.PGUSERNAME || env.PGUSER || ''))
  const password = o.pass ?? o.password ?? (url?.password || env.PGPASSWORD || '')
  return {
    host,
    port,
    user,
    database: String(o.database ?? o.db ?? (url?.database || env.PGDATABASE || user)),
    hasPassword: typeof password === 'string' ? password !== '' : Boolean(password),
  }
}

/** The TLS postgres.js negotiates for its effective ssl value. */
function postgresJsTls(opts: PostgresJsOptions, version: string): DriverTls {
  const ssl = opts.ssl
  const base0 = {setting: opts.sslSetting, source: opts.sslSource}
  if (!ssl || ssl === 'disable')
    return {...base0, encrypt: 'no', verifyChain: false, verifyHostname: false, caFrom: '-', tlsOptions: false}
  const fallsBack = !opts.direct && (ssl === 'prefer' || (is4(version) && ssl === 'allow'))
  const encrypt = fallsBack ? 'try' : 'yes'
  const base = {
    ...base0,
    ...(fallsBack
      ? {fallback: {ssl: String(ssl)}}
      : opts.direct
        ? {}
        : {noTlsError: is4(version) ? ('ssl-not-supported' as const) : ('tls-on-plaintext' as const)}),
  }
  if (ssl === 'require' || ssl === 'allow' || ssl === 'prefer')
    return {
      ...base,
      encrypt,
      verifyChain: false,
      verifyHostname: false,
      caFrom: `${NODE_CA} (not checked)`,
      tlsOptions: {rejectUnauthorized: false, servernameCheck: false},
    }
  if (ssl && typeof ssl === 'object') {
    const obj = ssl as Record<string, unknown>
    const reject = obj.rejectUnauthorized !== false
    const hostCheck = reject && obj.checkServerIdentity === undefined
    const caFile = typeof obj.ca === 'string' ? obj.ca : undefined
    const caFrom =
      caFile && opts.files.ca === caFile ? `sslrootcert=${caFile}` : obj.ca !== undefined ? 'ssl.ca' : NODE_CA
    return {
      ...base,
      encrypt,
      verifyChain: reject,
      verifyHostname: hostCheck,
      caFrom: reject ? caFrom : `${caFrom} (not checked)`,
      tlsOptions: {
        rejectUnauthorized: reject,
        servernameCheck: hostCheck,
        ...(opts.files.ca ? {caFile: opts.files.ca} : {}),
        ...(opts.files.cert ? {certFile: opts.files.cert} : {}),
        ...(opts.files.key ? {keyFile: opts.files.key} : {}),
      },
    }
  }
  // true, 'true', 'verify-full', 'verify-ca', 'no-verify', any other string: tls.connect without options
  return {
    ...base,
    encrypt,
    verifyChain: true,
    verifyHostname: true,
    caFrom: NODE_CA,
    tlsOptions: {rejectUnauthorized: true, servernameCheck: true},
  }
}

export const postgresJs: DriverModel = {
  name: 'postgres.js',
  packages: ['postgres'],
  currentRelease: '3.4.7',
  sslEnv: (version) => (is4(version) ? ['PGSSLMODE', 'PGSSL'] : ['PGSSL']),
  read(input: DriverInput, version: string): DriverReading {
    const opts = postgresJsOptions(input, version)
    return {
      driver: 'postgres.js',
      version,
      tls: postgresJsTls(opts, version),
      startupParams: opts.startupParams,
      connectTimeoutS: opts.connectTimeoutS || null,
    }
  },
  errors: {timeout: 'write CONNECT_TIMEOUT', closed: 'CONNECTION_CLOSED'},
  // src/index.js parseOptions: `max: globalThis.Cloudflare ? 3 : 10`
  // src/index.js: idle_timeout null by default (seconds; a connection is kept however long it idles)
  pool: {
    option: 'max',
    defaultMax: 10,
    describe: 'postgres.js (max, default 10)',
    idle: {option: 'idle_timeout', defaultMs: null},
  },
}
