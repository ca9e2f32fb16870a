// Codes of the `auth` check (a real login in a read-only session), and the check's words: the summaries
// and fixes of its outcomes, built from the params the check emits (src/checks/auth.ts holds data only).
import {isIP} from 'node:net'
import {connectionStringSnippet} from './snippets.js'
import type {Provenance} from '../config/types.js'
import type {Fix} from '../core/types.js'
import {sqlIdentifier} from '../core/sql.js'
import {define, messages} from './types.js'

/** The names the words use: the server's own (from its message) else the app's, else a placeholder. */
interface Names {
  /** The user, or "(default user)". */
  who: string
  /** The database, or "(default database)". */
  db: string
}

/** Where a setting comes from, as the check found it: "user ← DB_USER in .env" / "user (not set)". */
interface From {
  userFrom: string
  databaseFrom: string
  hostFrom: string
  portFrom: string
}

/** The label of the source to change a setting in (its own, else the connection string's, …). */
interface WhereToSet {
  passwordWhere: string
  userWhere: string
  databaseWhere: string
}

/** Pass and skip summaries of the auth check. */
/** The auth check's evidence lines that are words. */
export const authEvidence = messages({
  /** AUTH_SSL_REQUIRED: which pg_hba.conf answer asked for TLS */
  sslHbaRule: (p: {hbaRule: HbaRule | null}) =>
    p.hbaRule === 'reject-line'
      ? 'reject line (plaintext)'
      : p.hbaRule === 'service'
        ? 'service requires TLS'
        : 'no line for plaintext',
  databaseNotSet: () => '(not set: defaults to the user name)',
})

export const authSays = messages({
  /** the check's title in reports */
  title: () => 'Authentication and session',
  /** what the check establishes: its line in docs/codes.md's list of checks (`npm run docs`) */
  establishes: () =>
    'a real login with your settings (the same startup parameters, so it works through poolers), then `select version(), current_user, inet_server_addr()` in a `BEGIN READ ONLY` transaction',
  certUnreadable: (p: {reason: string}) =>
    `Skipped: node-postgres would refuse these settings before connecting (${p.reason}).`,
  loggedIn: (p: {
    user: string
    database: string | null
    version: string
    tlsProtocol: string | null | undefined
    tls: boolean
    rttMs: number
  }) =>
    `Logged in as "${p.user}" to ${p.database ? `"${p.database}" on ` : ''}${p.version}${p.tls ? ` over ${p.tlsProtocol}` : ' without TLS'}; round trip ${p.rttMs} ms.`,
  /** Appended to a refused login when the name's addresses are different servers (PG_TWO_SERVERS). */
  twoServers: (p: {appAddress: string; others: string[]}) =>
    ` This login went to ${p.appAddress}, where node-postgres connects; ${p.others.join(' and ')} is another server (PG_TWO_SERVERS in the postgres check), where these settings may be right.`,
})

/** A refused login's fix, with the first step for a name whose addresses are two servers (PG_TWO_SERVERS). */
export function twoServersFix(fix: Fix, p: {appAddress: string; others: string[]}): Fix {
  const first = `Two servers answer this name: the login reached the one on ${p.appAddress}. If your database is the one on ${p.others[0]}, connect to host=${p.others[0]} instead of changing anything here (see PG_TWO_SERVERS).`
  return {...fix, steps: [first, ...fix.steps]}
}

// ---------------------------------------------------------------------------------------------
// the password file (AUTH_PASSWORD_MISSING)

/** Why the password file that exists gave node-postgres no password (what the check found). */
export interface PgpassWhy {
  /** The file, as shown to people. */
  file: string
  /** PGPASSFILE chose it. */
  chosen: boolean
  status: 'insecure-permissions' | 'no-match' | 'not-a-file' | 'unreadable'
  mode: string | null
  /** host:port:database:user the line must match. */
  wanted: string
}

function pgpassWords(p: PgpassWhy): {
  summary: string
  evidence: string
  fix: string
  steps: string[]
  snippet?: {language: string; code: string}
} {
  const {file, wanted} = p
  const chosen = p.chosen ? ' (chosen by PGPASSFILE)' : ''
  switch (p.status) {
    case 'insecure-permissions':
      return {
        summary: `${file}${chosen} is ignored because its mode ${p.mode} gives group or other users access (node-postgres and libpq both require 0600 or less).`,
        evidence: `ignored: mode ${p.mode}`,
        fix: `Make ${file} readable by its owner only: chmod 600 ${file}.`,
        steps: [
          `Run chmod 600 ${file} as the user the app runs as; node-postgres then reads it when no password is set.`,
        ],
        snippet: {language: 'sh', code: `chmod 600 ${file}`},
      }
    case 'no-match':
      return {
        summary: `${file}${chosen} has no line for ${wanted}.`,
        evidence: `no line matches ${wanted}`,
        fix: `Add a line for ${wanted} to ${file}.`,
        steps: [
          `Add the line ${wanted}:your-password to ${file} (fields are host:port:database:user:password; * matches anything; the first matching line wins).`,
        ],
        snippet: {language: 'text', code: `${wanted}:your-password`},
      }
    case 'not-a-file':
    case 'unreadable':
      return {
        summary: `${file}${chosen} ${p.status === 'unreadable' ? 'cannot be read' : 'is not a regular file'}, so node-postgres gets no password from it.`,
        evidence: p.status === 'unreadable' ? 'ignored: cannot be read' : 'ignored: not a regular file',
        fix: `Make ${file} a regular file the app's user can read, with mode 0600.`,
        steps: [`Check ${file}: it must be a file owned by the app's user, mode 0600.`],
      }
  }
}

/** The evidence line for the password file node-postgres got nothing from. */
export function pgpassEvidence(p: PgpassWhy): string {
  return pgpassWords(p).evidence
}

// ---------------------------------------------------------------------------------------------
// TLS (AUTH_SSL_REQUIRED)

/** Does verify-full need an sslrootcert for this server? What the tls check's facts say. */
export type CaNeed = {
  /** The CA file name the provider publishes (global-bundle.pem, server-ca.pem) or ca.pem. */
  file: string
  provider: string | null
} & (
  | {kind: 'rootcert-set'; value: string; label: string}
  | {kind: 'not-judged'}
  | {kind: 'untrusted'; problem: string; rootIssuer: string | null; trustStore: string | null}
  | {kind: 'trusted'; other: string | null; trustStore: string | null}
)

/** The placeholder path of the CA file the user downloads. */
export function caPath(ca: CaNeed): string | null {
  return ca.kind === 'untrusted' ? `/path/to/${ca.file}` : null
}

/** The evidence line about the CA. */
export function caEvidence(ca: CaNeed): string {
  switch (ca.kind) {
    case 'rootcert-set':
      return `sslrootcert already set (${ca.label})`
    case 'not-judged':
      return 'unknown (the tls check did not judge the chain)'
    case 'untrusted':
      return `yes: the tls check found ${ca.problem} against ${ca.trustStore ?? "Node's default CAs"}`
    case 'trusted':
      return ca.other
        ? `no (chain trusted), but the tls check found ${ca.other}`
        : "no: the chain verifies against Node's default CAs"
  }
}

function caStep(ca: CaNeed, pjs?: PostgresJsTls | null): string {
  if (pjs && !pjs.readsCertParams && ca.kind === 'untrusted')
    return `The chain does not verify against Node's default CAs (${ca.problem}${ca.rootIssuer !== null ? `, root "${ca.rootIssuer}"` : ''}): get the CA certificate from the server's operator or provider (never copy it from the connection itself) and give it to Node as NODE_EXTRA_CA_CERTS=/path/to/${ca.file} in the environment the migration runs in (or as ssl.ca in code): postgres.js ${pjs.version} has no sslrootcert.`
  switch (ca.kind) {
    case 'rootcert-set':
      return `Keep sslrootcert=${ca.value} (${ca.label}): node-postgres reads it into ssl.ca.`
    case 'not-judged':
      return "If the server certificate comes from a private CA (not in Node's default list), add sslrootcert=/path/to/ca.pem (or ssl.ca) so it can be verified."
    case 'untrusted':
      return ca.provider === 'aws-rds'
        ? "The RDS CAs are not in Node's default list: download the RDS global bundle (global-bundle.pem, https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem) and point sslrootcert (or ssl.ca) at it."
        : `The chain does not verify against Node's default CAs (${ca.problem}${ca.rootIssuer !== null ? `, root "${ca.rootIssuer}"` : ''}): get the CA certificate from the server's operator or provider (never copy it from the connection itself) and point sslrootcert (or ssl.ca) at it.`
    case 'trusted':
      return ca.other
        ? `With verification on, node-postgres will then report ${ca.other}: see the tls check for that fix.`
        : `No CA file needed: the server's chain verifies against Node's default CAs (${ca.trustStore ?? 'as the tls check found'}).`
  }
}

/** How the connection decided on TLS. */
export interface SslFromParams {
  /** pg-config's SslOrigin: 'connection-string' | 'app' | 'PGSSLMODE' | 'default'. */
  sslOrigin: string
  sslmode: {value: string; label: string} | null
  sslSourceLabel: string | null
  /** The app connects with postgres.js (its own TLS reading); null for node-postgres. */
  postgresJs?: PostgresJsTls | null
}

/** How postgres.js at the app's version takes TLS settings (src/models/drivers/postgres-js.ts). */
export interface PostgresJsTls {
  version: string
  /** 4.x reads sslrootcert/sslcert/sslkey in the URL; 3.4 sends them to the server (refused). */
  readsCertParams: boolean
  /** The variables it reads the mode from, in its order: PGSSLMODE, PGSSL (4.x) or PGSSL (3.4). */
  envVars: readonly string[]
  /** A TLS setting of the environment it does not read ("PGSSLMODE=require" for 3.4), else null. */
  ignoredEnv: string | null
}

/** "sslmode=disable ← DATABASE_URL in .env", "nothing turns TLS on (…)": evidence and summary. */
export function sslFrom(p: SslFromParams): string {
  const pjs = p.postgresJs
  if (pjs && p.sslOrigin === 'default')
    return `nothing turns TLS on (postgres.js default: no TLS${pjs.ignoredEnv ? `; postgres.js ${pjs.version} does not read ${pjs.ignoredEnv}, only ${pjs.envVars.join(' and ')}` : ''})`
  return p.sslOrigin === 'default'
    ? 'nothing turns TLS on (node-postgres default: no TLS)'
    : p.sslmode && p.sslOrigin !== 'app'
      ? `sslmode=${p.sslmode.value} ← ${p.sslmode.label}`
      : `ssl ← ${p.sslSourceLabel ?? p.sslOrigin}`
}

type HbaRule = 'no-entry' | 'reject-line' | 'unknown' | 'service'
type OverTls = 'admitted' | 'rejected' | 'no-tls' | 'unknown' | null

// ---------------------------------------------------------------------------------------------
// params of each code

type AuthPasswordFailedParams = Pick<Names, 'who'> &
  Pick<From, 'userFrom'> &
  Pick<WhereToSet, 'passwordWhere'> & {passwordFrom: string | null}

type AuthPasswordMissingParams = Pick<Names, 'who'> & {
  /** Where the password belongs: the connection string's source, DB_PASSWORD in .env, the primary source. */
  where: string | null
  /** The settings come from a connection string. */
  viaUrl: boolean
  /** The app's URL with a password slot (masked), when it is a URL with a user. */
  urlWithPassword: string | null
  urlSource: Provenance | null
  /** DB / DATABASE / SUPABASE_DB when the settings are a DB_* family. */
  family: string | null
  /** Why the existing password file gave nothing (null: no file to talk about). */
  pgpass: PgpassWhy | null
}

type AuthSslRequiredParams = Names &
  SslFromParams & {
    /** Where the ssl setting lives (or the connection settings). */
    src: string | null
    hbaRule: HbaRule | null
    overTls: OverTls
    /** The service's own answer (hbaRule 'service'). */
    message: string
    ca: CaNeed
    /** The app's URL with sslmode=verify-full (and sslrootcert when needed), masked; null when not a URL. */
    url: string | null
    urlSource: Provenance | null
  }

type AuthHbaRejectedParams = Names &
  Pick<From, 'userFrom' | 'databaseFrom'> & {
    hbaRule: HbaRule | null
    overTls: OverTls
    encryption: 'none' | 'ssl' | 'gss' | null
    /** The client address the server names. */
    clientHost: string | null
    message: string
    /** The server offers TLS (as far as the earlier checks know). */
    serverTls: boolean
    sslUsed: boolean
    /** The pg_hba.conf line to suggest. */
    line: {ssl: boolean; host: string; database: string; user: string}
  }

type AuthRoleNotFoundParams = Pick<Names, 'who'> & Pick<From, 'userFrom'> & Pick<WhereToSet, 'userWhere'>
type AuthRoleNologinParams = AuthRoleNotFoundParams
type AuthNoConnectPrivilegeParams = Pick<Names, 'who' | 'db'> & Pick<From, 'userFrom' | 'databaseFrom'>
type AuthDatabaseNotFoundParams = Pick<Names, 'db'> &
  Pick<From, 'databaseFrom'> &
  Pick<WhereToSet, 'databaseWhere'> & {owner: string | null}
type AuthTooManyConnectionsParams = Names & {
  limit: 'role' | 'database' | 'server' | 'reserved' | 'pooler'
  /** limit 'pooler': whose (Supavisor in session mode admits at most pool_size clients). */
  pooler?: 'pgbouncer' | 'supavisor' | 'supavisor-session' | null
  message: string
}
type AuthServerStartingParams = {
  state: 'starting' | 'shutting-down' | 'recovery' | 'not-accepting' | 'unknown'
  message: string
}
type AuthConnectionFailedParams =
  /** node-postgres refuses the settings before connecting */
  | {stage: 'config'; reason: string; settings: string}
  /** SSL asked for on a Unix socket */
  | {stage: 'unix-ssl'; message: string; socket: string; hostFrom: string}
  | ({
      stage: 'session'
      timedOut: boolean
      timeoutMs: number
      errorCode: string | null
      errorName: string
      message: string
    } & Pick<From, 'hostFrom' | 'portFrom'>)

// ---------------------------------------------------------------------------------------------

export const AUTH_PASSWORD_FAILED = define<AuthPasswordFailedParams>({
  code: 'AUTH_PASSWORD_FAILED',
  check: 'auth',
  status: 'fail',
  title: 'Password rejected',
  meaning: 'The server rejected the password (28P01). Under SCRAM a role that does not exist gets the same answer.',
  causes: [
    'a wrong or rotated password (or one set in another .env / secret)',
    'a password with special characters that was not percent-encoded in the URL',
    'a wrong user name (under SCRAM a missing role looks the same)',
    'an expired IAM / Entra token (AWS RDS, Azure)',
  ],
  fix: 'Correct the password where it came from (percent-encoded in URLs) and check the user name.',
  transient: false,
  matchers: [
    {re: /password authentication failed for user "[^"]{0,300}"/i, needle: 'password authentication failed'},
    'password authentication failed',
    '28P01',
    {re: /PAM authentication failed for user/i, needle: 'pam authentication failed'},
    'Authentication failed against database server',
    'P1000',
  ],
  examples: [
    {
      source: 'node-postgres',
      text: "error: password authentication failed for user \"app\"\n    at Parser.parseErrorMessage (node_modules/pg-protocol/dist/parser.js:285:98) { length: 102, severity: 'FATAL', code: '28P01' }",
    },
    {
      source: 'libpq',
      text: 'psql: error: connection to server at "127.0.0.1", port 5432 failed: FATAL:  password authentication failed for user "app"',
    },
    // Prisma P1000 (28P01 → AuthenticationFailed): template of IncorrectDatabaseCredentials, prisma-engines
    // libs/user-facing-errors/src/common.rs, as the CLI prints it ("Error: P1000: …").
    {
      source: 'prisma',
      text: 'Error: P1000: Authentication failed against database server at `db.example.com`, the provided database credentials for `app` are not valid.\n\nPlease make sure to provide valid database credentials for the database server at `db.example.com`.',
    },
    // RDS IAM: an expired or wrong token (PostgreSQL's PAM message, auth.c); as in https://github.com/haines/pg-aws_rds_iam/issues/639
    {
      source: 'aws-rds',
      text: 'psql: error: connection to server at "mydb.c9akciq32.us-east-1.rds.amazonaws.com" (10.0.1.12), port 5432 failed: FATAL:  PAM authentication failed for user "iam_user"',
    },
    // Supavisor answers a wrong password with PostgreSQL's 28P01 text (lib/supavisor/errors/wrong_password_error.ex)
    {source: 'supavisor', text: 'FATAL:  password authentication failed for user "postgres.abcdefghijklmnop"'},
    // Neon's proxy quotes the user in single quotes (https://neon.tech/docs/connect/connection-errors)
    {source: 'neon', text: "ERROR:  password authentication failed for user 'alex'"},
  ],
  summary: (p) =>
    `The server rejected the password for user "${p.who}" (28P01).${p.passwordFrom ? ` The password comes from ${p.passwordFrom}.` : ''}`,
  buildFix: (p) => ({
    summary: `Correct the password for "${p.who}" in ${p.passwordWhere}.`,
    steps: [
      `Check the password in ${p.passwordWhere}; inside a URL, special characters (@ # / ? : %) must be percent-encoded.`,
      `Check the user name too (${p.userFrom}): with SCRAM a role that does not exist gets the same 28P01 answer as a wrong password.`,
      'If you own the database, set a new password and put the same one in your settings.',
    ],
    snippet: {language: 'sql', code: `ALTER ROLE ${sqlIdentifier(p.who)} WITH PASSWORD 'new-password';`},
  }),
})

export const AUTH_PASSWORD_MISSING = define<AuthPasswordMissingParams>({
  code: 'AUTH_PASSWORD_MISSING',
  check: 'auth',
  status: 'fail',
  title: 'No password configured',
  meaning:
    'The server asked for a password and none is configured. When a password file exists (`~/.pgpass` or `PGPASSFILE`), says why it gave nothing: a mode with group/other access (node-postgres, like libpq, then ignores it), no line for host:port:database:user, or not a readable file.',
  causes: [
    'the password variable is not set where the app runs (another .env, a CI secret not passed)',
    '~/.pgpass is group/other-readable, so it is ignored',
    'no ~/.pgpass line matches host:port:database:user',
  ],
  fix: 'Add it to the URL, `DB_PASSWORD` / `PGPASSWORD`, or the password file; for an ignored file, `chmod 600` it, or add the missing line.',
  transient: false,
  matchers: [
    'fe_sendauth: no password supplied',
    'client password must be a string',
    'client password must be a non-empty string',
    'Password must be a string',
    {re: /password file "[^"]{0,300}" has group or world access/i, needle: 'has group or world access'},
  ],
  examples: [
    {
      source: 'node-postgres',
      text: 'Error: SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string\n    at Object.continueSession (node_modules/pg/lib/crypto/sasl.js:67:11)',
    },
    {
      source: 'libpq',
      text: 'psql: error: connection to server at "127.0.0.1", port 5432 failed: fe_sendauth: no password supplied',
    },
  ],
  summary: (p) =>
    `The server asked for a password for user "${p.who}" and none is configured${p.pgpass ? `: ${pgpassWords(p.pgpass).summary}` : '.'}`,
  buildFix: (p): Fix => {
    const snippet = p.urlWithPassword
      ? connectionStringSnippet(p.urlSource ?? undefined, p.urlWithPassword)
      : p.family
        ? {language: 'dotenv', code: `${p.family}_PASSWORD=your-password`}
        : {language: 'dotenv', code: 'PGPASSWORD=your-password'}
    const setIt =
      p.where && p.viaUrl
        ? `Put the password in the connection string in ${p.where}, after "${p.who}:" and before "@" (shown as **** below; percent-encode special characters).`
        : `Set the password next to the other settings${p.where ? ` in ${p.where}` : ''} (for example DB_PASSWORD or PGPASSWORD).`
    if (p.pgpass) {
      const why = pgpassWords(p.pgpass)
      return {summary: why.fix, steps: [...why.steps, `Or: ${setIt}`], snippet: why.snippet ?? snippet}
    }
    return {
      summary: `Add the password for "${p.who}"${p.where ? ` to ${p.where}` : ''}.`,
      steps: [
        setIt,
        'Or add a line host:port:database:user:password to ~/.pgpass (mode 0600); node-postgres reads it when no password is set.',
      ],
      snippet,
    }
  },
})

export const AUTH_SSL_REQUIRED = define<AuthSslRequiredParams>({
  code: 'AUTH_SSL_REQUIRED',
  check: 'auth',
  status: 'fail',
  title: 'The server only admits TLS connections',
  meaning:
    'The server only admits TLS connections and this one is plaintext: no pg_hba.conf line for plaintext ("no encryption" / "SSL off"), a `hostnossl … reject` line ("pg_hba.conf rejects connection … no encryption"; db-doctor confirms over TLS, without a password, that the line only hits plaintext), or a service\'s own refusal (Azure, Neon).',
  causes: [
    'the app connects without TLS (no sslmode, `ssl: false`, `sslmode=disable`) to a server with `hostssl` lines only or a `hostnossl … reject` line',
    'AWS RDS with `rds.force_ssl=1` (the default from PostgreSQL 15), Azure, Neon or Supabase requiring TLS',
  ],
  fix: "Turn TLS on where the ssl setting came from: `sslmode=verify-full`, plus `sslrootcert` when the tls check found the chain needs a CA. Never weaken the server's pg_hba.conf.",
  transient: false,
  matchers: [
    {
      re: /no pg_hba\.conf entry for host "[^"]{0,300}", user "[^"]{0,300}", database "[^"]{0,300}", (?:no encryption|SSL off)/i,
      needle: 'no pg_hba.conf entry',
    },
    {
      re: /pg_hba\.conf rejects connection for host "[^"]{0,300}", user "[^"]{0,300}", database "[^"]{0,300}", (?:no encryption|SSL off)/i,
      needle: 'pg_hba.conf rejects connection',
    },
    // Azure Database for PostgreSQL (28000), https://github.com/MicrosoftDocs/azure-docs/issues/49915
    'SSL connection is required',
    // Neon's proxy (proxy crate, ERR_INSECURE_CONNECTION; https://neon.tech/docs/connect/connection-errors)
    'connection is insecure (try using `sslmode=require`)',
    // PgBouncer with client_tls_sslmode = require (src/client.c)
    'SSL required',
    // Render's PostgreSQL (28000), as postgres.js and pgx print it
    'SSL/TLS required',
  ],
  examples: [
    {
      source: 'node-postgres',
      text: 'error: no pg_hba.conf entry for host "10.0.1.5", user "app", database "appdb", no encryption',
    },
    // Render's PostgreSQL to a client without TLS, as pgx prints it: https://github.com/bytebase/bytebase/pull/3534
    {source: 'postgres', text: 'FATAL: SSL/TLS required (SQLSTATE 28000)'},
    // RDS with rds.force_ssl = 1 (the default from PostgreSQL 15): PostgreSQL's own pg_hba wording, "no encryption" from
    // PostgreSQL 17 ("SSL off" before); https://github.com/DataDog/datadog-agent/issues/13318, https://github.com/pgbouncer/pgbouncer/issues/812
    {
      source: 'aws-rds',
      text: 'psql: error: connection to server at "mydb.c9akciq32.us-east-1.rds.amazonaws.com" (10.0.1.12), port 5432 failed: FATAL:  no pg_hba.conf entry for host "10.0.3.7", user "app", database "appdb", SSL off',
    },
    {
      source: 'postgres',
      text: 'FATAL:  pg_hba.conf rejects connection for host "10.0.0.9", user "app", database "appdb", no encryption',
    },
    {source: 'azure', text: 'FATAL:  SSL connection is required. Please specify SSL options and retry.'},
    {
      source: 'neon',
      text: 'psql: error: connection to server at "ep-cool-darkness-123456.us-east-2.aws.neon.tech" (3.18.6.96), port 5432 failed: ERROR:  connection is insecure (try using `sslmode=require`)',
    },
    {
      source: 'azure',
      text: 'Npgsql.PostgresException (0x80004005): 28000: SSL connection is required. Please specify SSL options and retry.',
    },
    {source: 'pgbouncer', text: 'FATAL:  SSL required'},
  ],
  summary: (p) => {
    const why =
      p.hbaRule === 'reject-line'
        ? `a pg_hba.conf reject line matches plaintext connections${p.overTls === 'admitted' ? ' only; over TLS, without a password, the server went on to authentication' : ''}`
        : p.hbaRule === 'service'
          ? `the service answers "${p.message}"`
          : 'pg_hba.conf has no line for plaintext connections'
    return `The server only accepts TLS connections for user "${p.who}", database "${p.db}" (${why}), and this connection does not use TLS (${sslFrom(p)}).`
  },
  buildFix: (p): Fix => {
    const rootcert = caPath(p.ca)
    const pjs = p.postgresJs ?? null
    // postgres.js 3.4 sends sslrootcert to the server as a startup parameter: the CA goes to NODE_EXTRA_CA_CERTS
    const urlCa = rootcert && (!pjs || pjs.readsCertParams) ? rootcert : null
    const steps: string[] = []
    let snippet: Fix['snippet']
    if (p.sslOrigin === 'app') {
      steps.push(
        `Set \`ssl: { rejectUnauthorized: true${rootcert ? `, ca: fs.readFileSync('${rootcert}', 'utf8')` : ''} }\` in ${p.src} (instead of \`ssl: false\` or no ssl).`,
      )
      snippet = {
        language: 'js',
        code: `ssl: { rejectUnauthorized: true${rootcert ? `, ca: fs.readFileSync('${rootcert}', 'utf8')` : ''} },`,
      }
    } else if (p.url) {
      steps.push(
        `Set sslmode=verify-full${urlCa ? ` and sslrootcert=${urlCa}` : ''} in the URL in ${p.src} (${pjs ? `postgres.js ${pjs.version} reads require as TLS without verification` : 'node-postgres treats require as verify-full as well'}).`,
      )
      snippet = connectionStringSnippet(p.urlSource ?? undefined, p.url)
    } else if (pjs) {
      const envVar = pjs.envVars[0] ?? 'PGSSL'
      steps.push(
        `Set ${envVar}=verify-full where ${p.src ?? 'the environment of the migration'} is defined (postgres.js ${pjs.version} reads ${pjs.envVars.join(', then ')}).`,
      )
      snippet = {language: 'dotenv', code: `${envVar}=verify-full`}
    } else {
      steps.push(
        p.sslOrigin === 'PGSSLMODE'
          ? `Set PGSSLMODE=verify-full where ${p.src} is defined.`
          : `Turn TLS on in ${p.src ?? 'your connection settings'}: PGSSLMODE=verify-full (node-postgres reads it when the config sets no ssl), or ssl: { rejectUnauthorized: true } in code.`,
      )
      if (rootcert) {
        steps.push(
          `node-postgres takes no CA from the environment (it ignores PGSSLROOTCERT): give it ${p.ca.file} as ssl.ca in code, or use a connection string with sslrootcert=${rootcert}.`,
        )
      }
      snippet = {language: 'dotenv', code: 'PGSSLMODE=verify-full'}
    }
    if (pjs?.ignoredEnv)
      steps.push(
        `postgres.js ${pjs.version} does not read ${pjs.ignoredEnv}: it takes the mode from ${pjs.envVars.join(' and ')} only.`,
      )
    steps.push(caStep(p.ca, pjs))
    steps.push(
      "Keep the server's TLS requirement: do not add a plaintext `host` line to pg_hba.conf" +
        (p.ca.provider === 'aws-rds'
          ? ' or set rds.force_ssl=0'
          : p.hbaRule === 'service'
            ? " or turn the service's TLS enforcement off"
            : '') +
        '; connect with TLS instead.',
    )
    return {
      summary: `Turn TLS on in ${p.src ?? 'your connection settings'}${rootcert ? `, with the CA (${urlCa ? `sslrootcert ${p.ca.file}` : `NODE_EXTRA_CA_CERTS ${p.ca.file}`})` : ''}: the server only admits TLS connections.`,
      steps,
      snippet,
    }
  },
})

export const AUTH_HBA_REJECTED = define<AuthHbaRejectedParams>({
  code: 'AUTH_HBA_REJECTED',
  check: 'auth',
  status: 'fail',
  title: 'pg_hba.conf rejects the connection',
  meaning:
    'No pg_hba.conf line admits this host/user/database, or a `reject` line matches (over TLS; over plaintext too when the server offers no TLS or rejects the same login over TLS). The suggested line is `hostssl` whenever the server offers TLS; a reject line gets no suggested line (it is deliberate).',
  causes: [
    "no pg_hba.conf line for this client's address (a new subnet, a container network)",
    'the server requires a client certificate (Cloud SQL "trusted client certificate required", a `cert` pg_hba line)',
    'the user or database is not the one the lines name',
    'a `reject` line matches first',
  ],
  fix: 'Use the right user/database, or add the pg_hba.conf line the report shows and reload.',
  transient: false,
  matchers: [
    {
      re: /no pg_hba\.conf entry for (?:host|replication connection from host) "[^"]{0,300}", user "[^"]{0,300}"(?:, database "[^"]{0,300}")?, (?:SSL encryption|SSL on|GSS encryption)/i,
      needle: 'no pg_hba.conf entry',
    },
    {
      re: /pg_hba\.conf rejects connection for (?:host|replication connection from host) "[^"]{0,300}", user "[^"]{0,300}"(?:, database "[^"]{0,300}")?, (?:SSL encryption|SSL on|GSS encryption)/i,
      needle: 'pg_hba.conf rejects connection',
    },
    // Prisma's P1010 ("User `x` was denied access on the database `db.schema`") is every 28000 answer —
    // pg_hba no entry or reject, a NOLOGIN role, a missing role under trust — so it is an explain hint
    // (src/catalogue/hints.ts, prisma-access-denied) listing this code first, not a matcher here.
    'connection requires a valid client certificate',
  ],
  examples: [
    {
      source: 'postgres',
      text: 'FATAL:  no pg_hba.conf entry for host "172.18.0.4", user "app", database "appdb", SSL encryption',
    },
    {
      source: 'postgres',
      text: 'FATAL:  pg_hba.conf rejects connection for host "10.0.0.9", user "blocked", database "appdb", SSL encryption',
    },
    // PostgreSQL's clientcert message (auth.c): Cloud SQL with "Require trusted client certificates",
    // https://github.com/dbeaver/dbeaver/issues/5302, https://github.com/db-migrate/pg/pull/59
    {source: 'google-cloud-sql', text: 'FATAL:  connection requires a valid client certificate'},
  ],
  summary: (p) => {
    const seenAs = p.clientHost ? ` from ${p.clientHost}` : ''
    if (p.hbaRule === 'reject-line')
      return `A pg_hba.conf line explicitly rejects user "${p.who}" on database "${p.db}"${seenAs}${
        p.overTls === 'rejected' ? ', with or without TLS' : p.overTls === 'no-tls' ? ' (the server offers no TLS)' : ''
      }.`
    return p.hbaRule === 'unknown'
      ? `The server refused the login (28000): ${p.message}`
      : `No pg_hba.conf line admits user "${p.who}" to database "${p.db}"${seenAs}${p.encryption === 'ssl' ? ' over TLS' : ''}.`
  },
  buildFix: (p): Fix => {
    const seenAs = p.clientHost ? ` from ${p.clientHost}` : ''
    if (p.hbaRule === 'reject-line') {
      return {
        summary: `The server's pg_hba.conf has a "reject" line for "${p.who}" on "${p.db}": use another user or ask the administrator to change it.`,
        steps: [
          `If "${p.who}" is the wrong user, change it: ${p.userFrom}.`,
          'Otherwise only the administrator can decide: a reject line is deliberate. They can narrow it (another user, database or address) and reload: SELECT pg_reload_conf();',
          ...(p.overTls === 'rejected'
            ? [
                'db-doctor asked the same question over TLS, without sending a password: the server rejected it there too, so turning TLS on does not help.',
              ]
            : []),
        ],
      }
    }
    const l = p.line
    const mask = isIP(l.host) === 6 ? '128' : isIP(l.host) === 4 ? '32' : null
    return {
      summary: `Ask the administrator to allow "${p.who}" on "${p.db}"${seenAs} in pg_hba.conf, or connect with a user/database it already allows.`,
      steps: [
        `The user and database come from: ${p.userFrom}; ${p.databaseFrom}. Check they are the ones you meant.`,
        `Add a line like the one below to pg_hba.conf, above any broader line, then reload: SELECT pg_reload_conf();`,
        ...(p.serverTls && !p.sslUsed
          ? ['The line is a hostssl line (the server offers TLS): turn TLS on in the client too (sslmode=verify-full).']
          : []),
        ...(p.clientHost
          ? [
              `The server sees the client as ${p.clientHost}: behind NAT, a proxy or Docker this is not your machine's own address.`,
            ]
          : []),
      ],
      snippet: {
        language: 'pg_hba.conf',
        code: `${l.ssl ? 'hostssl' : 'host'} ${l.database} ${l.user} ${mask ? `${l.host}/${mask}` : l.host} scram-sha-256`,
      },
    }
  },
})

export const AUTH_ROLE_NOT_FOUND = define<AuthRoleNotFoundParams>({
  code: 'AUTH_ROLE_NOT_FOUND',
  check: 'auth',
  status: 'fail',
  title: 'Role does not exist',
  meaning: 'The role does not exist.',
  causes: [
    'a typo in the user name',
    '`POSTGRES_USER` changed after the Docker volume was first created',
    'a pooler user format not used (Azure Single Server `user@server`; Supabase\'s pooler answers "Tenant or user not found" instead: POOLER_TENANT_NOT_FOUND)',
  ],
  fix: 'Fix the user name, or `CREATE ROLE`; `POSTGRES_USER` only applies when a Docker volume is first created.',
  transient: false,
  matchers: [
    {re: /role "[^"]{0,300}" does not exist/i, needle: 'does not exist'},
    // Azure Single Server (retired 2025): https://github.com/ckan/ckan/issues/4153, https://github.com/brianc/node-postgres/issues/2288
    'Invalid Username specified',
  ],
  examples: [
    {source: 'postgres', text: 'FATAL:  role "postgress" does not exist'},
    {
      source: 'azure',
      text: 'FATAL:  Invalid Username specified. Please check the Username and retry connection. The Username should be in <username@hostname> format.',
    },
  ],
  summary: (p) => `The role "${p.who}" does not exist on the server.`,
  buildFix: (p) => ({
    summary: `Fix the user name in ${p.userWhere}, or create the role "${p.who}".`,
    steps: [
      `The user comes from ${p.userFrom}: check its spelling.`,
      'Or create the role as an administrator (see below).',
      'With the official Docker image, POSTGRES_USER only takes effect when the data volume is first created: an existing volume keeps its old roles.',
    ],
    snippet: {language: 'sql', code: `CREATE ROLE ${sqlIdentifier(p.who)} LOGIN PASSWORD 'new-password';`},
  }),
})

export const AUTH_ROLE_NOLOGIN = define<AuthRoleNologinParams>({
  code: 'AUTH_ROLE_NOLOGIN',
  check: 'auth',
  status: 'fail',
  title: 'Role may not log in',
  meaning: 'The role exists but may not log in.',
  causes: ['a group role (NOLOGIN) used as the user', 'a role created with CREATE ROLE instead of CREATE USER'],
  fix: 'Use a login role, or `ALTER ROLE … LOGIN`.',
  transient: false,
  matchers: [{re: /role "[^"]{0,300}" is not permitted to log in/i, needle: 'is not permitted to log in'}],
  examples: [{source: 'postgres', text: 'FATAL:  role "readers" is not permitted to log in'}],
  summary: (p) => `The role "${p.who}" exists but may not log in (NOLOGIN).`,
  buildFix: (p) => ({
    summary: `Use a role that can log in in ${p.userWhere}, or give "${p.who}" the LOGIN attribute.`,
    steps: [
      `The user comes from ${p.userFrom}: a group role cannot be used to connect.`,
      'Or, as an administrator: ALTER ROLE … LOGIN.',
    ],
    snippet: {language: 'sql', code: `ALTER ROLE ${sqlIdentifier(p.who)} LOGIN;`},
  }),
})

export const AUTH_NO_CONNECT_PRIVILEGE = define<AuthNoConnectPrivilegeParams>({
  code: 'AUTH_NO_CONNECT_PRIVILEGE',
  check: 'auth',
  status: 'fail',
  title: 'Role may not connect to this database',
  meaning: 'The password was accepted, but the role lacks the CONNECT privilege on the database (42501).',
  causes: [
    'CONNECT revoked from PUBLIC on the database (`REVOKE CONNECT ON DATABASE … FROM PUBLIC`, a common hardening step) and never granted to this role',
    'a new role for the app, created after that hardening',
    'the right role, pointed at another database of the same server',
  ],
  fix: '`GRANT CONNECT ON DATABASE … TO …`, as the database owner; or connect to the database the role may use.',
  transient: false,
  matchers: [
    // PostgreSQL src/backend/utils/init/postinit.c CheckMyDatabase(): FATAL 42501, with errdetail
    // "User does not have CONNECT privilege." (the CREATE SCHEMA wording has no quotes: privileges.ts)
    {re: /permission denied for database "[^"]{0,300}"/i, needle: 'permission denied for database'},
    'does not have CONNECT privilege',
  ],
  examples: [
    {
      source: 'postgres',
      text: 'FATAL:  permission denied for database "appdb"\nDETAIL:  User does not have CONNECT privilege.',
    },
    {source: 'node-postgres', text: 'error: permission denied for database "appdb" { code: \'42501\' }'},
  ],
  summary: (p) =>
    `The server accepted the password of "${p.who}", then refused the session: the role lacks the CONNECT privilege on the database "${p.db}" (42501).`,
  buildFix: (p) => ({
    summary: `Grant "${p.who}" CONNECT on "${p.db}" (as the database owner or an administrator), or connect to a database it may use.`,
    steps: [
      'Run the GRANT below as the database owner or an administrator: nothing else changes (the password, pg_hba.conf and the other privileges stay as they are).',
      `Or, when "${p.db}" is not the database meant, fix ${p.databaseFrom}; the user comes from ${p.userFrom}.`,
    ],
    snippet: {language: 'sql', code: `GRANT CONNECT ON DATABASE ${sqlIdentifier(p.db)} TO ${sqlIdentifier(p.who)};`},
  }),
})

export const AUTH_DATABASE_NOT_FOUND = define<AuthDatabaseNotFoundParams>({
  code: 'AUTH_DATABASE_NOT_FOUND',
  check: 'auth',
  status: 'fail',
  title: 'Database does not exist',
  meaning: 'The database does not exist (3D000).',
  causes: [
    'a typo in the database name (or the user name used as the default database)',
    '`POSTGRES_DB` changed after the Docker volume was first created',
    'the database was never created (migrations do not create it)',
  ],
  fix: 'Fix the name, or `CREATE DATABASE`; same `POSTGRES_DB` caveat.',
  transient: false,
  matchers: [
    {re: /database "[^"]{0,300}" does not exist/i, needle: 'does not exist'},
    '3D000',
    {re: /Database `[^`]{0,300}` does not exist/i, needle: 'does not exist'},
    'P1003',
    {re: /no such database: \S{1,100}/i, needle: 'no such database'},
  ],
  examples: [
    {source: 'node-postgres', text: 'error: database "appdb" does not exist { code: \'3D000\' }'},
    // Prisma P1003 (3D000 → DatabaseDoesNotExist::Postgres), prisma-engines libs/user-facing-errors/src/common.rs
    {
      source: 'prisma',
      text: 'Error: P1003: Database `appdb` does not exist on the database server at `localhost:5432`.',
    },
    // PgBouncer src/objects.c (a database with no [databases] entry and no '*' fallback); FATAL since 1.16
    {source: 'pgbouncer', text: 'FATAL:  no such database: appdb'},
  ],
  summary: (p) => `The database "${p.db}" does not exist on the server (3D000).`,
  buildFix: (p) => ({
    summary: `Fix the database name in ${p.databaseWhere}, or create the database "${p.db}".`,
    steps: [
      `The database comes from ${p.databaseFrom}: check its spelling (names are case-sensitive when quoted).`,
      'Or create it as an administrator (see below), then run your migrations.',
      'With the official Docker image, POSTGRES_DB only takes effect when the data volume is first created.',
    ],
    snippet: {
      language: 'sql',
      code: `CREATE DATABASE ${sqlIdentifier(p.db)}${p.owner ? ` OWNER ${sqlIdentifier(p.owner)}` : ''};`,
    },
  }),
})

export const AUTH_TOO_MANY_CONNECTIONS = define<AuthTooManyConnectionsParams>({
  code: 'AUTH_TOO_MANY_CONNECTIONS',
  check: 'auth',
  status: 'fail',
  title: 'Connection limit reached',
  meaning: 'A role, database or server connection limit is reached (53300).',
  causes: [
    'pools too large for max_connections (pool size × instances × pods)',
    'leaked or idle sessions',
    "a role's or database's CONNECTION LIMIT",
    "a pooler's client limit (PgBouncer max_client_conn, Supavisor pool_size)",
  ],
  fix: 'Smaller pools, close idle sessions, raise the limit.',
  transient: true,
  matchers: [
    'sorry, too many clients already',
    {re: /too many connections for (?:role|database) "[^"]{0,300}"/i, needle: 'too many connections for'},
    'remaining connection slots are reserved',
    '53300',
    'no more connections allowed',
    'Max client connections reached',
    'max clients reached',
    'MaxClientsInSessionMode',
    'Too many database connections opened',
    'P2037',
  ],
  examples: [
    {source: 'postgres', text: 'FATAL:  sorry, too many clients already'},
    // PostgreSQL 16+ (postinit.c); 15 and older said "… for non-replication superuser connections"
    {
      source: 'postgres',
      text: 'FATAL:  remaining connection slots are reserved for roles with the SUPERUSER attribute',
    },
    {
      source: 'postgres',
      text: 'FATAL:  remaining connection slots are reserved for non-replication superuser connections',
    },
    {source: 'postgres', text: 'FATAL:  too many connections for role "app"'},
    // PgBouncer src/client.c (FATAL since 1.16, src/proto.c send_pooler_error)
    {source: 'pgbouncer', text: 'FATAL:  no more connections allowed (max_client_conn)'},
    // Prisma P2037 (53300 → TooManyConnections; the server error shown as "<severity>: <message>", quaint
    // connector/postgres/error.rs); the same wording with MySQL's text is in prisma/prisma's client tests.
    {
      source: 'prisma',
      text: 'Invalid `prisma.user.findMany()` invocation:\n\n\nToo many database connections opened: FATAL: sorry, too many clients already',
    },
    // Supavisor before v2.9: lib/supavisor/client_handler/error.ex (FATAL XX000)
    {source: 'supavisor', text: 'FATAL:  Max client connections reached'},
    {
      source: 'supavisor',
      text: 'FATAL:  MaxClientsInSessionMode: max clients reached - in Session mode max clients are limited to pool_size',
    },
    // Supavisor v2.9+: lib/supavisor/errors/max_connections_error.ex, the code prefixed by lib/supavisor/error.ex
    {source: 'supavisor', text: 'FATAL:  (EMAXCONN) max client connections reached, limit: 200'},
    {
      source: 'supavisor',
      text: 'FATAL:  (EMAXCONNSESSION) max clients reached in session mode - max clients are limited to pool_size: 15',
    },
  ],
  summary: (p) =>
    p.limit === 'pooler'
      ? `The pooler refused the session: ${p.message.slice(0, 200)}.`
      : `The server refused the session: too many connections${p.limit === 'role' ? ` for role "${p.who}"` : p.limit === 'database' ? ` for database "${p.db}"` : ''} (53300).`,
  buildFix: (p) => {
    const steps =
      p.limit === 'role'
        ? [
            `The role "${p.who}" has a CONNECTION LIMIT that is already used up (0 means it may never connect).`,
            'Close idle sessions or lower your pool size (pg.Pool max), or raise the limit as an administrator.',
          ]
        : p.limit === 'database'
          ? [
              `The database "${p.db}" has a CONNECTION LIMIT that is used up.`,
              'Close idle sessions, lower your pool size, or raise the limit.',
            ]
          : p.limit === 'pooler'
            ? p.pooler === 'supavisor-session'
              ? [
                  "Supavisor in session mode (Supabase pooler port 5432) gives each client a server connection of its own, so it admits at most pool_size clients, and they are all in use — not the server's max_connections.",
                  'Connect the app through the transaction port (6543 on the same pooler host), which shares server connections; keep session mode for migrations only.',
                  'Or lower the pool size (pg.Pool max) of the apps and jobs using the session port, or raise the pool size in the Supabase dashboard (Database → Connection pooling).',
                ]
              : p.pooler === 'supavisor'
                ? [
                    "Supavisor reached its client limit for this project (max client connections, set by the compute size), not the server's max_connections.",
                    'Lower the pool size (pg.Pool max) or the number of instances of the apps connecting through it, close idle clients, or move to a larger compute size.',
                  ]
                : [
                    "The pooler in front of PostgreSQL reached its own client limit (PgBouncer max_client_conn), not the server's max_connections.",
                    'Raise max_client_conn in pgbouncer.ini (and the file-descriptor limit to match), or lower the pool size (pg.Pool max) of the apps that connect through it.',
                  ]
            : [
                'The server has reached max_connections (the remaining slots are reserved for administrators).',
                'Lower the pool size (pg.Pool max) of every app that uses this server, close idle sessions, or put a pooler (PgBouncer) in front.',
                'See who holds the connections: SELECT usename, application_name, state, count(*) FROM pg_stat_activity GROUP BY 1,2,3;',
              ]
    return {
      summary:
        p.limit === 'role'
          ? `Raise the connection limit of "${p.who}" or use fewer connections.`
          : p.limit === 'database'
            ? `Raise the connection limit of "${p.db}" or use fewer connections.`
            : p.limit === 'pooler'
              ? p.pooler === 'supavisor-session'
                ? 'Use the transaction port (6543) for the app, or fewer clients on the session port (its limit is pool_size).'
                : p.pooler === 'supavisor'
                  ? "Use fewer client connections through Supavisor (its limit follows the project's compute size)."
                  : "Raise the pooler's client limit (PgBouncer max_client_conn) or use fewer client connections."
              : 'Use fewer connections (smaller pools) or raise max_connections.',
      steps,
      snippet:
        p.limit === 'role'
          ? {language: 'sql', code: `ALTER ROLE ${sqlIdentifier(p.who)} CONNECTION LIMIT 20;`}
          : p.limit === 'database'
            ? {language: 'sql', code: `ALTER DATABASE ${sqlIdentifier(p.db)} CONNECTION LIMIT 20;`}
            : {language: 'js', code: 'const pool = new pg.Pool({max: 5})'},
    }
  },
})

export const AUTH_SERVER_STARTING = define<AuthServerStartingParams>({
  code: 'AUTH_SERVER_STARTING',
  check: 'auth',
  status: 'fail',
  title: 'Server starting, stopping or in recovery',
  meaning: 'The server is starting, shutting down, in recovery, or a standby without hot standby (57P03).',
  causes: [
    'the server (or its container) is still starting: the app started first',
    'a restart, failover or maintenance in progress',
    'a standby without hot_standby',
  ],
  fix: 'Wait and retry; in compose, gate on a `pg_isready` healthcheck.',
  transient: true,
  matchers: [
    'the database system is starting up',
    'the database system is shutting down',
    'the database system is in recovery mode',
    'the database system is not yet accepting connections',
    'the database system is not accepting connections',
    '57P03',
    // Neon's proxy while a suspended compute starts (proxy/src/compute.rs COULD_NOT_CONNECT; https://neon.tech/docs/connect/connection-errors)
    "Couldn't connect to compute node",
  ],
  examples: [
    // PostgreSQL postmaster/postinit messages (57P03), checked in the PostgreSQL 18 server binary
    {source: 'postgres', text: 'FATAL:  the database system is starting up'},
    {source: 'neon', text: "ERROR:  Couldn't connect to compute node"},
    {source: 'node-postgres', text: "error: the database system is not yet accepting connections { code: '57P03' }"},
  ],
  summary: (p) => {
    const what =
      p.state === 'starting'
        ? 'is starting up'
        : p.state === 'shutting-down'
          ? 'is shutting down'
          : p.state === 'recovery'
            ? 'is in recovery'
            : 'is running but not accepting connections (for example a standby with hot_standby = off)'
    return `The server ${what} (57P03): "${p.message}".`
  },
  buildFix: () => ({
    summary: 'Wait until the server accepts connections, or find out why it does not.',
    steps: [
      'If it has just been started, retry in a few seconds; make your app wait for it (retry on 57P03, or a health check such as `pg_isready`).',
      'In Docker Compose, start the app only once the database is healthy (depends_on with condition: service_healthy).',
      'If it stays like this, read the server log: a standby with hot_standby = off, or a long crash recovery, refuses sessions.',
    ],
    snippet: {
      language: 'yaml',
      code: [
        'services:',
        '  db:',
        '    healthcheck:',
        '      test: ["CMD-SHELL", "pg_isready -U postgres"]',
        '      interval: 2s',
        '  app:',
        '    depends_on:',
        '      db:',
        '        condition: service_healthy',
      ].join('\n'),
    },
  }),
})

export const AUTH_CONNECTION_FAILED = define<AuthConnectionFailedParams>({
  code: 'AUTH_CONNECTION_FAILED',
  check: 'auth',
  status: 'fail',
  title: 'Connection failed below authentication',
  meaning:
    'The connection failed below authentication; the raw code and message are shown (redacted) — the dns, tcp and tls checks explain most of these.',
  causes: [
    'a network or TLS problem that appeared between the checks',
    'settings node-postgres refuses before connecting',
  ],
  fix: 'See those checks, or raise `--timeout`.',
  transient: true,
  // PgBouncer src/objects.c: "pgbouncer cannot connect to server" up to 1.16, "server login has been failing, try again
  // later (server_login_retry)" in 1.17–1.23, "server login has been failing, cached error: <the server's error>
  // (server_login_retry)" from 1.24 (the cached error is matched on its own).
  matchers: ['server login has been failing', 'pgbouncer cannot connect to server'],
  examples: [
    {source: 'pgbouncer', text: 'FATAL:  server login has been failing, try again later (server_login_retry)'},
    {
      source: 'pgbouncer',
      text: 'FATAL:  server login has been failing, cached error: connect failed (server_login_retry)',
    },
    {source: 'pgbouncer', text: 'ERROR:  pgbouncer cannot connect to server'},
  ],
  summary: (p) => {
    switch (p.stage) {
      case 'config':
        return `node-postgres refuses these settings before connecting: ${p.reason.replace(/^node-postgres rejects the [^:]*: /, '')}`
      case 'unix-ssl':
        return `node-postgres could not open a session: ${p.message}. The host ${p.socket} is a Unix socket directory, where PostgreSQL never offers SSL, and the settings ask for SSL.`
      case 'session':
        return p.timedOut
          ? `node-postgres got no ready session within ${p.timeoutMs} ms (${p.errorCode ?? p.errorName}).`
          : `node-postgres could not open a session: ${p.errorCode ? `${p.errorCode}: ` : ''}${p.message}`
    }
  },
  buildFix: (p) => {
    switch (p.stage) {
      case 'config':
        return {
          summary: 'Change the settings node-postgres refuses, as its message says, where they are set.',
          steps: [`Connection settings: ${p.settings}.`],
        }
      case 'unix-ssl':
        return {
          summary:
            'Turn SSL off for the Unix-socket connection (see the ssl-config check, SSL_UNIX_SOCKET), or connect over TCP to keep TLS.',
          steps: [
            `Target: ${p.hostFrom}.`,
            'psql ignores sslmode on a Unix socket, which is why it connects with the same settings.',
          ],
        }
      case 'session':
        return {
          summary: p.timedOut
            ? 'The connection did not complete in time: see the network and TLS checks above, or raise --timeout.'
            : 'The connection failed below authentication: see the DNS, TCP and TLS checks above for the cause.',
          steps: [
            `Target: ${p.hostFrom}; ${p.portFrom}.`,
            'Fix what the earlier checks report first; this check repeats the connection exactly as node-postgres makes it.',
          ],
        }
    }
  },
})

/** What the peer sent that broke a protocol limit (src/probes/pg-framing.ts). */
interface AuthProtocolViolationParams {
  kind: 'message-too-long' | 'bad-length' | 'byte-budget' | 'notice-count'
  /** "ErrorResponse", "DataRow"… ('' for the byte budget). */
  messageName: string
  /** The type byte, as a character. */
  messageType: string
  /** The declared length, the bytes or the notices received. */
  amount: number
  limit: number
  /** host:port as configured. */
  server: string
  stage: 'connect' | 'query'
}

/** What a peer sent that broke a protocol limit (src/probes/pg-framing.ts), as a phrase: "a ErrorResponse ('E') declaring …". */
export function protocolLimitWhat(p: {
  kind: string
  messageName: string
  messageType: string
  amount: number
  limit: number
}): string {
  const a = /^[AEIOU]/.test(p.messageName) ? 'an' : 'a'
  return p.kind === 'byte-budget'
    ? `more than ${p.limit} bytes in one step`
    : p.kind === 'notice-count'
      ? `more than ${p.limit} notices in one step`
      : p.kind === 'bad-length'
        ? `${a} ${p.messageName} ('${p.messageType}') with an impossible length of ${p.amount} bytes`
        : `${a} ${p.messageName} ('${p.messageType}') declaring ${p.amount} bytes, where ${p.limit} is the most it can need`
}

export const AUTH_PROTOCOL_VIOLATION = define<AuthProtocolViolationParams>({
  code: 'AUTH_PROTOCOL_VIOLATION',
  check: 'auth',
  status: 'fail',
  title: 'The server broke the PostgreSQL protocol',
  meaning:
    'What answered the login sent a message no PostgreSQL server or pooler sends (a length far beyond its type, more data or notices than the step can need); db-doctor closed the connection instead of buffering it. No login result is known.',
  causes: [
    'a broken or hostile proxy, load balancer or pooler between the app and the database',
    'a port that belongs to another service which happens to answer the startup message',
    'a man-in-the-middle on the path to the database',
  ],
  fix: 'Find what listens at host:port (the postgres check shows its first answer) and connect to the real PostgreSQL server or pooler.',
  transient: false,
  matchers: [],
  examples: [
    {
      source: 'db-doctor',
      text: 'AUTH_PROTOCOL_VIOLATION: ErrorResponse declares 2147483632 bytes (limit 16384); db-doctor closed the connection.',
    },
  ],
  summary: (p) => {
    const what = protocolLimitWhat(p)
    return `${p.server} broke the PostgreSQL protocol ${p.stage === 'connect' ? 'during the login' : 'answering a read-only query after the login'}: it sent ${what}. db-doctor closed the connection${p.stage === 'connect' ? '; no login result is known' : ''}.`
  },
  buildFix: (p) => ({
    summary:
      'Connect to the real PostgreSQL server or pooler: what answers at this address is not speaking the protocol.',
    steps: [
      `Find what listens at ${p.server} (a proxy, load balancer, pooler or another service) and check its logs and version.`,
      'Compare with a direct connection to the database (psql or db-doctor against the server itself).',
      'node-postgres would buffer such a message whole: the app could hang or run out of memory on the same connection.',
    ],
  }),
})

/** What postgres.js 4.x says after `channel_binding is require, but ` (src/startup.js unbound()). */
const UNBOUND: Record<ChannelBindingParams['reason'], string> = {
  md5: 'the server asked for an MD5 password',
  cleartext: 'the server asked for a cleartext password',
  'not-offered': 'the server did not offer it',
  'no-tls': 'the server certificate could not be hashed for it',
  unbound: 'the server authenticated without it',
}

export interface ChannelBindingParams {
  /** What the login met: the request that cannot be bound, no SCRAM-SHA-256-PLUS, or no SCRAM at all. */
  reason: 'md5' | 'cleartext' | 'not-offered' | 'no-tls' | 'unbound'
  /** Where `channel_binding=require` is set: the connection string's source label, or PGCHANNELBINDING. */
  source: string
  /** The installed postgres.js. */
  driverVersion: string
  /** The SASL mechanisms the peer offered (empty without SASL). */
  mechanisms: string[]
  tls: boolean
}

export const AUTH_CHANNEL_BINDING = define<ChannelBindingParams>({
  code: 'AUTH_CHANNEL_BINDING',
  check: 'auth',
  status: 'fail',
  title: 'channel_binding=require cannot be met',
  meaning:
    'The client requires SCRAM channel binding (`channel_binding=require`, Neon and Supabase URLs carry it) and this connection cannot do it: no TLS, a server that authenticated without SCRAM (trust, md5, or a pooler that terminates TLS and authenticates itself), or a driver that does not implement SCRAM-SHA-256-PLUS. The auth check reads what the real login was offered (the SASL mechanisms, or the password request) and, for postgres.js 4 (which reads `channel_binding` from its option, the URL or PGCHANNELBINDING), says whether its login will be refused. node-postgres never requires binding (only its `enableChannelBinding` option turns it on); postgres.js 3.4 sends the parameter to the server instead.',
  causes: [
    'a pooler or proxy between client and server (PgBouncer, Supavisor) that does not offer SCRAM-SHA-256-PLUS',
    'the role has an md5 password, or pg_hba uses trust/md5',
    'a URL without TLS, or a driver without channel binding support',
  ],
  fix: 'Keep channel binding where the path supports it (direct TLS to the server, a SCRAM password); through a pooler that cannot, use `channel_binding=prefer` with `sslmode=verify-full` rather than dropping TLS verification.',
  transient: false,
  matchers: [{re: /channel.binding (?:is )?required/i, needle: 'binding'}, 'channel_binding is require'],
  examples: [
    // libpq 15+ fe-auth.c, checked in libpq.so of the embedded PostgreSQL 18
    {
      source: 'libpq',
      text: 'psql: error: connection to server at "127.0.0.1", port 6432 failed: channel binding required, but server authenticated client without channel binding',
    },
    // postgres.js 4.2 src/startup.js:384 (unbound); produced live through PgBouncer 1.18 in test/checks/channel-binding.test.ts
    {
      source: 'postgres.js',
      text: 'Error: CHANNEL_BINDING_REQUIRED: channel_binding is require, but the server did not offer it',
    },
  ],
  summary: (p) =>
    `channel_binding=require (${p.source}) and this login cannot be bound: ${
      p.reason === 'not-offered' || p.reason === 'no-tls'
        ? `the server offered ${p.mechanisms.join(', ') || 'no SASL mechanism'}${p.tls ? '' : ' on a connection without TLS'}, not SCRAM-SHA-256-PLUS`
        : p.reason === 'unbound'
          ? 'the server let the login in without any password exchange (trust)'
          : `the server asked for ${p.reason === 'md5' ? 'an MD5' : 'a cleartext'} password, not SCRAM`
    }. postgres.js ${p.driverVersion} refuses it: "CHANNEL_BINDING_REQUIRED: channel_binding is require, but ${UNBOUND[p.reason]}".`,
  buildFix: (p) => ({
    summary:
      p.reason === 'not-offered' || p.reason === 'no-tls'
        ? 'Connect where SCRAM-SHA-256-PLUS is offered (TLS straight to PostgreSQL 13+ with a SCRAM password), or lower the requirement to channel_binding=prefer for this path, keeping sslmode=verify-full.'
        : "Give the role a SCRAM password and a scram-sha-256 pg_hba line (ask the server's administrator), or lower the requirement to channel_binding=prefer, keeping sslmode=verify-full.",
    steps: [
      `Where: ${p.source}.`,
      'A pooler (PgBouncer, Supavisor) authenticates clients itself and offers no SCRAM-SHA-256-PLUS: channel binding cannot be required through it.',
      "With channel_binding=prefer postgres.js still binds whenever the server offers it; sslmode=verify-full keeps the server's identity checked.",
    ],
  }),
})

export interface ChannelBindingIgnoredParams {
  /** Where `channel_binding=require` is set: the connection string's source label, or PGCHANNELBINDING. */
  source: string
  /** The installed pg. */
  driverVersion: string
  /** The installed pg has the enableChannelBinding option (8.14.0 and later). */
  hasOption: boolean
  /** The app's code sets enableChannelBinding: true (found in its source). */
  enableChannelBinding: boolean
  /** Why this login cannot be bound; null: it can (SCRAM-SHA-256-PLUS offered over TLS). */
  reason: ChannelBindingParams['reason'] | null
  mechanisms: string[]
  tls: boolean
}

/** What the login met, after "this login " (AUTH_CHANNEL_BINDING_IGNORED). */
function loginMet(p: ChannelBindingIgnoredParams): string {
  switch (p.reason) {
    case null:
      return 'was offered SCRAM-SHA-256-PLUS over TLS'
    case 'md5':
    case 'cleartext':
      return `was asked for ${p.reason === 'md5' ? 'an MD5' : 'a cleartext'} password, which cannot be bound`
    case 'unbound':
      return 'was let in without any password exchange (trust), which cannot be bound'
    default:
      return `was offered ${p.mechanisms.join(', ') || 'no SASL mechanism'}${p.tls ? '' : ' without TLS'}, not SCRAM-SHA-256-PLUS`
  }
}

export const AUTH_CHANNEL_BINDING_IGNORED = define<ChannelBindingIgnoredParams>({
  code: 'AUTH_CHANNEL_BINDING_IGNORED',
  check: 'auth',
  status: 'warn',
  title: 'channel_binding=require is ignored by node-postgres',
  meaning:
    "The connection string (or PGCHANNELBINDING) asks for `channel_binding=require`, and the app connects with node-postgres, which never requires channel binding: pg-connection-string copies the parameter into the config and pg never reads it, nor PGCHANNELBINDING. pg 8.14 and later bind only when the app's code passes `enableChannelBinding: true`, and then only where the server offers SCRAM-SHA-256-PLUS: a login that cannot be bound (a pooler, an md5 or trust pg_hba line) still goes through, where libpq and postgres.js 4 refuse it. The auth check reads the installed pg, where the URL sets the parameter, whether the app's source passes `enableChannelBinding: true` (read as text), and what the real login was offered. Nothing fails: the URL promises a protection the driver does not give.",
  causes: [
    'a Neon or Supabase connection string (they carry channel_binding=require) used with pg, knex, TypeORM, sequelize, drizzle or Prisma 7 (adapter-pg)',
    "a pg before 8.14 (no channel binding at all), or no `enableChannelBinding: true` in the app's code",
  ],
  fix: "Keep `sslmode=verify-full` (pg checks the server's certificate and host name, the identity channel binding also proves) and pass `enableChannelBinding: true` (pg 8.14 or later) so pg binds where the server offers it; a driver that refuses unbound logins is postgres.js 4 or libpq.",
  transient: false,
  matchers: [],
  examples: [{source: 'db-doctor', text: '! Authentication and session AUTH_CHANNEL_BINDING_IGNORED (12 ms)'}],
  summary: (p) =>
    `channel_binding=require (${p.source}) is not enforced: node-postgres ${p.driverVersion} ${
      p.hasOption
        ? 'reads no channel_binding parameter'
        : 'has no channel binding at all (enableChannelBinding arrived in pg 8.14)'
    } and logs in whether or not the login is bound. This login ${loginMet(p)}${
      p.reason
        ? ': pg connects anyway, where libpq and postgres.js 4 refuse it'
        : p.enableChannelBinding
          ? "; the app's code passes enableChannelBinding: true, so pg binds here, but it would go on unbound wherever binding is not offered"
          : p.hasOption
            ? "; pg binds only with enableChannelBinding: true, which the app's code does not pass (not found in its source): this login is not bound"
            : ': pg does not bind it'
    }.`,
  buildFix: (p) => ({
    summary: p.hasOption
      ? "Pass enableChannelBinding: true to the Pool or Client (or the tool's connection options) and keep sslmode=verify-full; pg still never refuses an unbound login."
      : 'Upgrade pg to 8.14 or later and pass enableChannelBinding: true; keep sslmode=verify-full meanwhile.',
    steps: [
      `Where channel_binding=require is set: ${p.source}. node-postgres does not read it; it only documents an intent.`,
      "sslmode=verify-full (pg's reading of sslmode=require too, unless uselibpqcompat=true) verifies the server's certificate and host name: a man in the middle without the server's key is refused either way.",
      ...(p.reason
        ? [
            'This path cannot be bound (a pooler such as PgBouncer or Supavisor authenticates clients itself; md5 and trust have no SCRAM): with a driver that enforces the requirement the login fails here.',
          ]
        : []),
    ],
    snippet: {
      language: 'js',
      code: 'const pool = new Pool({connectionString: process.env.DATABASE_URL, enableChannelBinding: true})',
    },
  }),
})

export const authEntries = [
  AUTH_PASSWORD_FAILED,
  AUTH_PASSWORD_MISSING,
  AUTH_SSL_REQUIRED,
  AUTH_HBA_REJECTED,
  AUTH_ROLE_NOT_FOUND,
  AUTH_ROLE_NOLOGIN,
  AUTH_NO_CONNECT_PRIVILEGE,
  AUTH_DATABASE_NOT_FOUND,
  AUTH_TOO_MANY_CONNECTIONS,
  AUTH_SERVER_STARTING,
  AUTH_CONNECTION_FAILED,
  AUTH_PROTOCOL_VIOLATION,
  AUTH_CHANNEL_BINDING,
  AUTH_CHANNEL_BINDING_IGNORED,
]
