// Authentication and session: connect exactly as node-postgres would (same ClientConfig,
// read-only session) and, when the server says no, explain which setting to change and
// where it came from. The classification of server errors is pure (classifyAuthError).
import {isIP} from 'node:net'
import type {ClientConfig} from 'pg'
import {inspectPgpass, type PgpassInspection} from '../config/sources/pgpass.js'
import {fieldSourceLabel} from '../config/provenance.js'
import type {FieldName, Provenance} from '../config/types.js'
import {redact, redactUrl, redactor} from '../core/redact.js'
import type {Check, CheckContext, CheckOutcome, Evidence, Fix} from '../core/types.js'
import type {PgProbeError, PgSessionResult, SessionOptions} from '../probes/pg-session.js'
import {connectionStringSnippet} from './snippets.js'

export type AuthCode =
  | 'AUTH_PASSWORD_FAILED'
  | 'AUTH_PASSWORD_MISSING'
  | 'AUTH_SSL_REQUIRED'
  | 'AUTH_HBA_REJECTED'
  | 'AUTH_ROLE_NOT_FOUND'
  | 'AUTH_ROLE_NOLOGIN'
  | 'AUTH_DATABASE_NOT_FOUND'
  | 'AUTH_TOO_MANY_CONNECTIONS'
  | 'AUTH_SERVER_STARTING'
  | 'AUTH_CONNECTION_FAILED'

export interface AuthClassification {
  code: AuthCode
  /** Names the server put in its message (host is the client address as the server sees it). */
  host?: string
  user?: string
  database?: string
  /** pg_hba "no encryption" / "SSL encryption" / "GSS encryption", when the message says. */
  encryption?: 'none' | 'ssl' | 'gss'
  /**
   * Which pg_hba outcome: no line matched, a `reject` line matched (AUTH_HBA_REJECTED, or AUTH_SSL_REQUIRED
   * for a plaintext connection: `hostnossl … reject`), or a managed service's own "TLS required" answer.
   */
  hbaRule?: 'no-entry' | 'reject-line' | 'unknown' | 'service'
  /** AUTH_TOO_MANY_CONNECTIONS: which limit. */
  limit?: 'role' | 'database' | 'server' | 'reserved' | 'pooler'
  /** AUTH_SERVER_STARTING: what the server is doing. */
  state?: 'starting' | 'shutting-down' | 'recovery' | 'not-accepting' | 'unknown'
}

const HBA_NO_ENTRY = /no pg_hba\.conf entry for host "([^"]*)", user "([^"]*)", database "([^"]*)"(?:, (no encryption|SSL encryption|GSS encryption|SSL on|SSL off))?/
const HBA_REJECT = /pg_hba\.conf rejects connection for host "([^"]*)", user "([^"]*)", database "([^"]*)"(?:, (no encryption|SSL encryption|GSS encryption|SSL on|SSL off))?/
const ROLE_MISSING = /role "([^"]*)" does not exist/
const ROLE_NOLOGIN = /role "([^"]*)" is not permitted to log in/
const DB_MISSING = /database "([^"]*)" does not exist/
const PASSWORD_FAILED = /password authentication failed for user "([^"]*)"/
/** Managed services that refuse plaintext before pg_hba: Azure (28000), Neon. */
const SERVICE_SSL_REQUIRED = /SSL connection is required\. Please specify SSL options and retry|connection is insecure \(try using `sslmode=require`\)/i
const PASSWORD_MISSING = /client password must be a string|password must be a string|no password (?:was )?(?:provided|supplied)|empty password returned by client/i

function encryptionOf(text: string | undefined): AuthClassification['encryption'] {
  if (!text) return undefined
  if (text === 'no encryption' || text === 'SSL off') return 'none'
  if (text === 'GSS encryption') return 'gss'
  return 'ssl'
}

/**
 * Pure: what a failed session means. `passwordConfigured: false` (no password in the config the
 * app uses) turns a 28P01 into AUTH_PASSWORD_MISSING: with md5, node-postgres hashes "null" and
 * the server answers 28P01; with cleartext the server says "empty password returned by client".
 */
export function classifyAuthError(
  error: Pick<PgProbeError, 'code' | 'message'>,
  context: {passwordConfigured?: boolean} = {},
): AuthClassification {
  const {code, message} = error
  if (code === '28P01' && (context.passwordConfigured === false || PASSWORD_MISSING.test(message))) {
    const m = PASSWORD_FAILED.exec(message)
    return {code: 'AUTH_PASSWORD_MISSING', ...(m ? {user: m[1]} : {})}
  }
  if (code === '28P01') {
    const m = PASSWORD_FAILED.exec(message)
    return {code: 'AUTH_PASSWORD_FAILED', ...(m ? {user: m[1]} : {})}
  }
  if (code === '28000') {
    // A reject line that matched a plaintext connection is usually `hostnossl all all all reject`, the
    // common way to force TLS (the auth check confirms it with a credential-free TLS startup).
    for (const [re, hbaRule] of [[HBA_NO_ENTRY, 'no-entry'], [HBA_REJECT, 'reject-line']] as const) {
      const m = re.exec(message)
      if (!m) continue
      const encryption = encryptionOf(m[4])
      return {
        code: encryption === 'none' ? 'AUTH_SSL_REQUIRED' : 'AUTH_HBA_REJECTED',
        host: m[1],
        user: m[2],
        database: m[3],
        ...(encryption ? {encryption} : {}),
        hbaRule,
      }
    }
    let m: RegExpExecArray | null
    if (SERVICE_SSL_REQUIRED.test(message)) return {code: 'AUTH_SSL_REQUIRED', encryption: 'none', hbaRule: 'service'}
    if ((m = ROLE_MISSING.exec(message))) return {code: 'AUTH_ROLE_NOT_FOUND', user: m[1]}
    if ((m = ROLE_NOLOGIN.exec(message))) return {code: 'AUTH_ROLE_NOLOGIN', user: m[1]}
    // a 28000 we cannot read (translated messages…): most often pg_hba
    return {code: 'AUTH_HBA_REJECTED', hbaRule: 'unknown'}
  }
  if (code === '3D000') {
    const m = DB_MISSING.exec(message)
    return {code: 'AUTH_DATABASE_NOT_FOUND', ...(m ? {database: m[1]} : {})}
  }
  // PgBouncer "no more connections allowed (max_client_conn)" (08P01), Supavisor's client limit
  if (/no more connections allowed|max_client_conn|Max client connections reached/i.test(message)) return {code: 'AUTH_TOO_MANY_CONNECTIONS', limit: 'pooler'}
  if (code === '53300') {
    const role = /too many connections for role "([^"]*)"/.exec(message)
    if (role) return {code: 'AUTH_TOO_MANY_CONNECTIONS', limit: 'role', user: role[1]}
    const db = /too many connections for database "([^"]*)"/.exec(message)
    if (db) return {code: 'AUTH_TOO_MANY_CONNECTIONS', limit: 'database', database: db[1]}
    if (/reserved/.test(message)) return {code: 'AUTH_TOO_MANY_CONNECTIONS', limit: 'reserved'}
    return {code: 'AUTH_TOO_MANY_CONNECTIONS', limit: 'server'}
  }
  if (code === '57P03') {
    const state = /starting up/.test(message)
      ? 'starting'
      : /shutting down/.test(message)
        ? 'shutting-down'
        : /recovery/.test(message)
          ? 'recovery'
          : /not (?:yet )?accepting connections/.test(message)
            ? 'not-accepting'
            : 'unknown'
    return {code: 'AUTH_SERVER_STARTING', state}
  }
  if (PASSWORD_MISSING.test(message)) return {code: 'AUTH_PASSWORD_MISSING'}
  if (SERVICE_SSL_REQUIRED.test(message)) return {code: 'AUTH_SSL_REQUIRED', encryption: 'none', hbaRule: 'service'}
  return {code: 'AUTH_CONNECTION_FAILED'}
}

// ---------------------------------------------------------------------------------------------

export interface AuthCheckDeps {
  /** Defaults to src/probes/pg-session.ts pgSession. */
  session?: (config: ClientConfig, opts: SessionOptions) => Promise<PgSessionResult>
}

export function createAuthCheck(deps: AuthCheckDeps = {}): Check {
  return {
    id: 'auth',
    title: 'Authentication and session',
    requires: ['config', 'dns', 'tcp', 'postgres', 'tls', 'ssl-config'],
    provides: ['auth'],
    uses: ['dns', 'postgres', 'tls'],
    run: (ctx) => runAuth(ctx, deps),
  }
}

export const authCheck: Check = createAuthCheck()

interface Target {
  host: string
  port: number
  user: string | null
  database: string | null
  sslUsed: boolean
  sslSource: Provenance | undefined
  sslOrigin: string
  passwordConfigured: boolean
}

async function runAuth(ctx: CheckContext, deps: AuthCheckDeps): Promise<CheckOutcome> {
  const {resolvePgClientConfig} = await import('../config/pg-config.js')
  let resolved: ReturnType<typeof resolvePgClientConfig>
  try {
    resolved = resolvePgClientConfig(ctx.config, ctx.env)
  } catch (error) {
    const message = redact((error as Error).message)
    // An unreadable certificate file is the ssl-config check's finding; anything else
    // node-postgres refuses (pg-connection-string throws at connect) is reported here.
    if ((error as {code?: string}).code === 'SSL_CERT_FILE_UNREADABLE') {
      return {status: 'skip', code: null, summary: `Skipped: node-postgres would refuse these settings before connecting (${message}).`, evidence: {reason: message}, fix: null}
    }
    return {
      status: 'fail',
      code: 'AUTH_CONNECTION_FAILED',
      summary: `node-postgres refuses these settings before connecting: ${message.replace(/^node-postgres rejects the [^:]*: /, '')}`,
      evidence: {stage: 'config', reason: message},
      fix: {
        summary: 'Change the settings node-postgres refuses, as its message says, where they are set.',
        steps: [`Connection settings: ${ctx.config.connectionString?.source.label ?? ctx.config.primary?.label ?? 'PG* variables and defaults'}.`],
      },
    }
  }
  const config = resolved.config
  const target: Target = {
    host: config.host ?? 'localhost',
    port: config.port ?? 5432,
    user: config.user ?? null,
    database: config.database ?? config.user ?? null,
    sslUsed: !!config.ssl,
    sslSource: resolved.sslSource,
    sslOrigin: resolved.sslOrigin,
    passwordConfigured: typeof config.password === 'string' || typeof config.password === 'function',
  }
  if (typeof config.password === 'string') redactor.add(config.password)

  // The login resolves the host with the dns check's getaddrinfo answer for the same name (same
  // addresses, same order) instead of a second, uncancellable lookup in this process.
  const {abandonableNetLookup} = await import('../probes/dns.js')
  const dns = ctx.facts.dns
  const lookup = abandonableNetLookup({timeoutMs: ctx.options.timeoutMs, known: dns && !dns.literal ? {host: dns.host, addresses: dns.addresses} : undefined})
  // The login opens the run's shared read-only session (owned and closed by the runner); the
  // later checks that query reuse it. Called directly (unit tests), a one-off session.
  const result: PgSessionResult = deps.session
    ? await deps.session(config, {timeoutMs: ctx.options.timeoutMs, lookup})
    : ctx.session
      ? await ctx.session.open(config, {lookup})
      : await (await import('../probes/pg-session.js')).pgSession(config, {timeoutMs: ctx.options.timeoutMs, lookup})
  if (result.ok) {
    ctx.facts.auth = {connected: true, serverVersion: result.serverVersion, user: result.user}
    const evidence: Evidence = {
      serverVersion: result.serverVersion,
      user: result.user,
      database: target.database,
      serverAddress: result.serverAddr ?? `${target.host} (Unix socket)`,
      port: target.port,
      tls: result.tls ? `${result.tls.protocol ?? '?'} ${result.tls.cipher ?? ''}`.trim() : 'not used',
      ...(result.tls ? {tlsProtocol: result.tls.protocol, tlsCipher: result.tls.cipher} : {}),
      readOnlySession: result.readOnly,
      roundTripMs: result.rttMs,
      connectMs: result.connectMs,
    }
    const shortVersion = /^PostgreSQL [\d.]+(?:\w+)?/.exec(result.serverVersion)?.[0] ?? result.serverVersion
    return {
      status: 'pass',
      code: null,
      summary: `Logged in as "${result.user}" to ${target.database ? `"${target.database}" on ` : ''}${shortVersion}${
        result.tls ? ` over ${result.tls.protocol}` : ' without TLS'
      }; round trip ${result.rttMs} ms.`,
      evidence: redactor.redactValue(evidence),
      fix: null,
    }
  }
  ctx.facts.auth = {connected: false, errorCode: result.error.code}
  let c = classifyAuthError(result.error, {passwordConfigured: target.passwordConfigured})
  let overTls: TlsAdmission | undefined
  const serverHasNoTls = ctx.facts.postgres?.offersTls === false || ctx.facts.tls?.offered === false
  // "no encryption" from a server that offers no TLS at all: TLS cannot be the fix
  if (c.code === 'AUTH_SSL_REQUIRED' && c.hbaRule === 'no-entry' && serverHasNoTls) c = {...c, code: 'AUTH_HBA_REJECTED'}
  if (c.code === 'AUTH_SSL_REQUIRED' && c.hbaRule === 'reject-line' && !target.sslUsed) {
    // Does the reject line only hit plaintext (`hostnossl … reject`) or this user whatever the transport
    // (`host … reject`)? Ask the server over TLS, without any password (see probes/pg-session.ts hbaOverTls).
    if (serverHasNoTls) {
      overTls = {outcome: 'no-tls'}
    } else {
      const {hbaOverTls} = await import('../probes/pg-session.js')
      overTls = await hbaOverTls(config, {timeoutMs: ctx.options.timeoutMs})
    }
    if (overTls.outcome === 'rejected' || overTls.outcome === 'no-tls') c = {...c, code: 'AUTH_HBA_REJECTED'}
  }
  return redactor.redactValue(explainFailure(ctx, target, c, result.error, result.ms, overTls))
}

type TlsAdmission = import('../probes/pg-session.js').TlsAdmission

// ---------------------------------------------------------------------------------------------
// explanations

/** "user ← DB_USER in .env" / "user (not set: default)" */
function settingFrom(ctx: CheckContext, field: FieldName): string {
  const label = fieldSourceLabel(ctx.config, field)
  return label ? `${field} ← ${label}` : `${field} (not set)`
}

function whereToSet(ctx: CheckContext, field: FieldName): string {
  return fieldSourceLabel(ctx.config, field) ?? ctx.config.connectionString?.source.label ?? ctx.config.primary?.label ?? 'your connection settings'
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

function sourcesTable(ctx: CheckContext): {setting: string; value: string; from: string}[] {
  const rows: {setting: string; value: string; from: string}[] = []
  for (const field of ['host', 'port', 'database', 'user', 'password', 'sslmode'] as FieldName[]) {
    const f = ctx.config.fields[field]
    if (!f) continue
    rows.push({setting: field, value: field === 'password' ? '****' : f.value, from: f.source.label})
  }
  return rows
}

function hbaLine(c: AuthClassification, target: Target, ssl: boolean): string {
  const host = c.host ?? target.host
  const mask = isIP(host) === 6 ? '128' : isIP(host) === 4 ? '32' : null
  const address = mask ? `${host}/${mask}` : host
  return `${ssl ? 'hostssl' : 'host'} ${c.database ?? target.database ?? 'all'} ${c.user ?? target.user ?? 'all'} ${address} scram-sha-256`
}

/** A copy of the app's URL with sslmode set, password masked; null when it is not a URL. */
function urlWithSslmode(ctx: CheckContext, mode: string, sslrootcert?: string | null): string | null {
  const cs = ctx.config.connectionString?.value
  if (!cs || !/^postgres(?:ql)?:\/\//i.test(cs.trim())) return null
  try {
    const url = new URL(cs.trim())
    if (url.password) url.password = '****'
    url.searchParams.delete('ssl')
    url.searchParams.set('sslmode', mode)
    if (sslrootcert && !url.searchParams.has('sslrootcert')) url.searchParams.set('sslrootcert', sslrootcert)
    let text = url.toString().replace('%2A%2A%2A%2A', '****')
    // a readable path: pg-connection-string reads sslrootcert=/path/to/ca.pem as written
    if (sslrootcert) text = text.replace(`sslrootcert=${encodeURIComponent(sslrootcert).replace(/%20/g, '+')}`, `sslrootcert=${sslrootcert}`)
    return redactUrl(text)
  } catch {
    return null
  }
}

/** The app's URL with a password slot, shown masked (****) like every URL password. */
function urlWithPassword(ctx: CheckContext): string | null {
  const cs = ctx.config.connectionString?.value
  if (!cs || !/^postgres(?:ql)?:\/\//i.test(cs.trim())) return null
  try {
    const url = new URL(cs.trim())
    if (!url.username) return null
    url.password = 'your-password'
    return redactUrl(url.toString())
  } catch {
    return null
  }
}

const UNTRUSTED = new Set(['TLS_SELF_SIGNED_CHAIN', 'TLS_UNTRUSTED_ISSUER', 'TLS_SELF_SIGNED_CERT'])

/**
 * Does verify-full need an sslrootcert for this server? From the tls check's facts (it judges the chain the
 * server presents against Node's default CAs when the app does not use TLS). Never verify-full without the
 * CA the chain needs.
 */
function caNeed(ctx: CheckContext): {needed: boolean; file: string; step: string; evidence: string; provider?: string} {
  const t = ctx.facts.tls
  const provider = t?.provider
  const file = provider === 'aws-rds' ? 'global-bundle.pem' : provider === 'gcp-cloudsql' ? 'server-ca.pem' : 'ca.pem'
  const rootcert = ctx.config.fields.sslrootcert
  if (rootcert) {
    return {needed: false, file, provider, evidence: `sslrootcert already set (${rootcert.source.label})`, step: `Keep sslrootcert=${rootcert.value} (${rootcert.source.label}): node-postgres reads it into ssl.ca.`}
  }
  if (!t || t.offered !== true || t.verifiedAsApp === undefined) {
    return {
      needed: false,
      file,
      provider,
      evidence: 'unknown (the tls check did not judge the chain)',
      step: 'If the server certificate comes from a private CA (not in Node\'s default list), add sslrootcert=/path/to/ca.pem (or ssl.ca) so it can be verified.',
    }
  }
  const untrusted = (t.problems ?? []).find((p) => UNTRUSTED.has(p))
  if (untrusted) {
    const root = t.chain?.at(-1)
    return {
      needed: true,
      file,
      provider,
      evidence: `yes: the tls check found ${untrusted} against ${t.trustStore ?? "Node's default CAs"}`,
      step:
        provider === 'aws-rds'
          ? 'The RDS CAs are not in Node\'s default list: download the RDS global bundle (global-bundle.pem, https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem) and point sslrootcert (or ssl.ca) at it.'
          : `The chain does not verify against Node's default CAs (${untrusted}${root ? `, root "${root.issuer}"` : ''}): get the CA certificate from the server's operator or provider (never copy it from the connection itself) and point sslrootcert (or ssl.ca) at it.`,
    }
  }
  const other = t.problems?.[0]
  return {
    needed: false,
    file,
    provider,
    evidence: other ? `no (chain trusted), but the tls check found ${other}` : 'no: the chain verifies against Node\'s default CAs',
    step: other
      ? `With verification on, node-postgres will then report ${other}: see the tls check for that fix.`
      : `No CA file needed: the server's chain verifies against Node's default CAs (${t.trustStore ?? 'as the tls check found'}).`,
  }
}

function explainFailure(
  ctx: CheckContext,
  target: Target,
  c: AuthClassification,
  error: PgProbeError,
  ms: number,
  overTls?: TlsAdmission,
): CheckOutcome {
  const who = c.user ?? target.user ?? '(default user)'
  const db = c.database ?? target.database ?? '(default database)'
  const base: Evidence = {
    code: error.code,
    message: error.message,
    ...(error.detail ? {detail: error.detail} : {}),
    ...(error.hint ? {hint: error.hint} : {}),
    server: `${target.host}:${target.port}`,
    user: target.user,
    database: target.database,
    tls: target.sslUsed ? 'used' : 'not used',
    ms,
    settings: sourcesTable(ctx),
  }
  const fail = (summary: string, evidence: Evidence, fix: Fix): CheckOutcome => ({
    status: 'fail',
    code: c.code,
    summary,
    evidence: {...base, ...evidence},
    fix,
  })

  switch (c.code) {
    case 'AUTH_PASSWORD_FAILED': {
      const pw = fieldSourceLabel(ctx.config, 'password')
      return fail(
        `The server rejected the password for user "${who}" (28P01).${pw ? ` The password comes from ${pw}.` : ''}`,
        {passwordFrom: pw ?? '(not set)', userFrom: fieldSourceLabel(ctx.config, 'user') ?? '(not set)'},
        {
          summary: `Correct the password for "${who}" in ${whereToSet(ctx, 'password')}.`,
          steps: [
            `Check the password in ${whereToSet(ctx, 'password')}; inside a URL, special characters (@ # / ? : %) must be percent-encoded.`,
            `Check the user name too (${settingFrom(ctx, 'user')}): with SCRAM a role that does not exist gets the same 28P01 answer as a wrong password.`,
            'If you own the database, set a new password and put the same one in your settings.',
          ],
          snippet: {language: 'sql', code: `ALTER ROLE ${quoteIdent(who)} WITH PASSWORD 'new-password';`},
        },
      )
    }
    case 'AUTH_PASSWORD_MISSING': {
      const primary = ctx.config.primary
      const family = primary && /^(DB|DATABASE|SUPABASE_DB)_\*$/.exec(primary.name)?.[1]
      const where =
        ctx.config.connectionString?.source.label ??
        (family ? `${family}_PASSWORD${primary?.file ? ` in ${primary.file}` : ''}` : (primary?.label ?? null))
      const withPw = urlWithPassword(ctx)
      const snippet = withPw
        ? connectionStringSnippet(ctx.config.connectionString?.source, withPw)
        : family
          ? {language: 'dotenv', code: `${family}_PASSWORD=your-password`}
          : {language: 'dotenv', code: 'PGPASSWORD=your-password'}
      const setIt =
        where && ctx.config.connectionString
          ? `Put the password in the connection string in ${where}, after "${who}:" and before "@" (shown as **** below; percent-encode special characters).`
          : `Set the password next to the other settings${where ? ` in ${where}` : ''} (for example DB_PASSWORD or PGPASSWORD).`
      // node-postgres falls back to the password file: say why it gave nothing when there is one.
      const f = ctx.config.fields
      const pgpass = inspectPgpass(ctx.env, {host: f.host?.value, port: f.port?.value, database: f.database?.value, user: f.user?.value}, ctx.cwd)
      const why = pgpassWhy(pgpass, `${f.host?.value ?? 'localhost'}:${f.port?.value ?? '5432'}:${f.database?.value ?? who}:${who}`)
      if (why) {
        return fail(
          `The server asked for a password for user "${who}" and none is configured: ${why.summary}`,
          {passwordFrom: '(not set)', pgpassFile: pgpass.display, pgpass: why.evidence},
          {summary: why.fix, steps: [...why.steps, `Or: ${setIt}`], snippet: why.snippet ?? snippet},
        )
      }
      return fail(
        `The server asked for a password for user "${who}" and none is configured.`,
        {passwordFrom: '(not set)'},
        {
          summary: `Add the password for "${who}"${where ? ` to ${where}` : ''}.`,
          steps: [setIt, 'Or add a line host:port:database:user:password to ~/.pgpass (mode 0600); node-postgres reads it when no password is set.'],
          snippet,
        },
      )
    }
    case 'AUTH_SSL_REQUIRED': {
      const sslmode = ctx.config.fields.sslmode
      const src =
        sslmode?.source.label ?? target.sslSource?.label ?? ctx.config.connectionString?.source.label ?? ctx.config.primary?.label ?? null
      const ca = caNeed(ctx)
      const rootcert = ca.needed ? `/path/to/${ca.file}` : null
      const url = urlWithSslmode(ctx, 'verify-full', rootcert)
      const sslFrom =
        target.sslOrigin === 'default'
          ? 'nothing turns TLS on (node-postgres default: no TLS)'
          : sslmode && target.sslOrigin !== 'app'
            ? `sslmode=${sslmode.value} ← ${sslmode.source.label}`
            : `ssl ← ${target.sslSource?.label ?? target.sslOrigin}`
      const steps: string[] = []
      let snippet: Fix['snippet']
      if (target.sslOrigin === 'app') {
        steps.push(
          `Set \`ssl: { rejectUnauthorized: true${rootcert ? `, ca: fs.readFileSync('${rootcert}', 'utf8')` : ''} }\` in ${src} (instead of \`ssl: false\` or no ssl).`,
        )
        snippet = {language: 'js', code: `ssl: { rejectUnauthorized: true${rootcert ? `, ca: fs.readFileSync('${rootcert}', 'utf8')` : ''} },`}
      } else if (url) {
        steps.push(
          `Set sslmode=verify-full${rootcert ? ` and sslrootcert=${rootcert}` : ''} in the URL in ${src} (node-postgres treats require as verify-full as well).`,
        )
        snippet = connectionStringSnippet(ctx.config.connectionString?.source, url)
      } else {
        steps.push(
          target.sslOrigin === 'PGSSLMODE'
            ? `Set PGSSLMODE=verify-full where ${src} is defined.`
            : `Turn TLS on in ${src ?? 'your connection settings'}: PGSSLMODE=verify-full (node-postgres reads it when the config sets no ssl), or ssl: { rejectUnauthorized: true } in code.`,
        )
        if (rootcert) {
          steps.push(
            `node-postgres takes no CA from the environment (it ignores PGSSLROOTCERT): give it ${ca.file} as ssl.ca in code, or use a connection string with sslrootcert=${rootcert}.`,
          )
        }
        snippet = {language: 'dotenv', code: 'PGSSLMODE=verify-full'}
      }
      steps.push(ca.step)
      steps.push(
        'Keep the server\'s TLS requirement: do not add a plaintext `host` line to pg_hba.conf' +
          (ca.provider === 'aws-rds' ? ' or set rds.force_ssl=0' : c.hbaRule === 'service' ? ' or turn the service\'s TLS enforcement off' : '') +
          '; connect with TLS instead.',
      )
      const why =
        c.hbaRule === 'reject-line'
          ? `a pg_hba.conf reject line matches plaintext connections${overTls?.outcome === 'admitted' ? ' only; over TLS, without a password, the server went on to authentication' : ''}`
          : c.hbaRule === 'service'
            ? `the service answers "${error.message}"`
            : 'pg_hba.conf has no line for plaintext connections'
      return fail(
        `The server only accepts TLS connections for user "${who}", database "${db}" (${why}), and this connection does not use TLS (${sslFrom}).`,
        {
          hbaClientAddress: c.host ?? null,
          hbaRule: c.hbaRule === 'reject-line' ? 'reject line (plaintext)' : c.hbaRule === 'service' ? 'service requires TLS' : 'no line for plaintext',
          ...(overTls ? {overTls: overTls.outcome} : {}),
          sslFrom,
          caNeeded: ca.evidence,
        },
        {
          summary: `Turn TLS on in ${src ?? 'your connection settings'}${rootcert ? `, with the CA (sslrootcert ${ca.file})` : ''}: the server only admits TLS connections.`,
          steps,
          snippet,
        },
      )
    }
    case 'AUTH_HBA_REJECTED': {
      // a line for TLS unless the server has no TLS at all: never suggest a line weaker than needed
      const serverTls = ctx.facts.postgres?.offersTls !== false && ctx.facts.tls?.offered !== false
      const line = hbaLine(c, target, serverTls || target.sslUsed || c.encryption === 'ssl')
      const seenAs = c.host ? ` from ${c.host}` : ''
      if (c.hbaRule === 'reject-line') {
        const both = overTls?.outcome === 'rejected'
        return fail(
          `A pg_hba.conf line explicitly rejects user "${who}" on database "${db}"${seenAs}${
            both ? ', with or without TLS' : overTls?.outcome === 'no-tls' ? ' (the server offers no TLS)' : ''
          }.`,
          {hbaRule: 'reject line', clientAddressSeenByServer: c.host ?? null, ...(overTls ? {overTls: overTls.outcome} : {})},
          {
            summary: `The server's pg_hba.conf has a "reject" line for "${who}" on "${db}": use another user or ask the administrator to change it.`,
            steps: [
              `If "${who}" is the wrong user, change it: ${settingFrom(ctx, 'user')}.`,
              'Otherwise only the administrator can decide: a reject line is deliberate. They can narrow it (another user, database or address) and reload: SELECT pg_reload_conf();',
              ...(both ? ['db-doctor asked the same question over TLS, without sending a password: the server rejected it there too, so turning TLS on does not help.'] : []),
            ],
          },
        )
      }
      return fail(
        c.hbaRule === 'unknown'
          ? `The server refused the login (28000): ${error.message}`
          : `No pg_hba.conf line admits user "${who}" to database "${db}"${seenAs}${c.encryption === 'ssl' ? ' over TLS' : ''}.`,
        {hbaRule: c.hbaRule === 'unknown' ? 'unrecognised message' : 'no matching line', clientAddressSeenByServer: c.host ?? null},
        {
          summary: `Ask the administrator to allow "${who}" on "${db}"${seenAs} in pg_hba.conf, or connect with a user/database it already allows.`,
          steps: [
            `The user and database come from: ${settingFrom(ctx, 'user')}; ${settingFrom(ctx, 'database')}. Check they are the ones you meant.`,
            `Add a line like the one below to pg_hba.conf, above any broader line, then reload: SELECT pg_reload_conf();`,
            ...(serverTls && !target.sslUsed ? ['The line is a hostssl line (the server offers TLS): turn TLS on in the client too (sslmode=verify-full).'] : []),
            ...(c.host ? [`The server sees the client as ${c.host}: behind NAT, a proxy or Docker this is not your machine's own address.`] : []),
          ],
          snippet: {language: 'pg_hba.conf', code: line},
        },
      )
    }
    case 'AUTH_ROLE_NOT_FOUND':
      return fail(
        `The role "${who}" does not exist on the server.`,
        {userFrom: fieldSourceLabel(ctx.config, 'user') ?? '(not set)'},
        {
          summary: `Fix the user name in ${whereToSet(ctx, 'user')}, or create the role "${who}".`,
          steps: [
            `The user comes from ${settingFrom(ctx, 'user')}: check its spelling.`,
            'Or create the role as an administrator (see below).',
            'With the official Docker image, POSTGRES_USER only takes effect when the data volume is first created: an existing volume keeps its old roles.',
          ],
          snippet: {language: 'sql', code: `CREATE ROLE ${quoteIdent(who)} LOGIN PASSWORD 'new-password';`},
        },
      )
    case 'AUTH_ROLE_NOLOGIN':
      return fail(
        `The role "${who}" exists but may not log in (NOLOGIN).`,
        {userFrom: fieldSourceLabel(ctx.config, 'user') ?? '(not set)'},
        {
          summary: `Use a role that can log in in ${whereToSet(ctx, 'user')}, or give "${who}" the LOGIN attribute.`,
          steps: [`The user comes from ${settingFrom(ctx, 'user')}: a group role cannot be used to connect.`, 'Or, as an administrator: ALTER ROLE … LOGIN.'],
          snippet: {language: 'sql', code: `ALTER ROLE ${quoteIdent(who)} LOGIN;`},
        },
      )
    case 'AUTH_DATABASE_NOT_FOUND':
      return fail(
        `The database "${db}" does not exist on the server (3D000).`,
        {databaseFrom: fieldSourceLabel(ctx.config, 'database') ?? '(not set: defaults to the user name)'},
        {
          summary: `Fix the database name in ${whereToSet(ctx, 'database')}, or create the database "${db}".`,
          steps: [
            `The database comes from ${settingFrom(ctx, 'database')}: check its spelling (names are case-sensitive when quoted).`,
            'Or create it as an administrator (see below), then run your migrations.',
            'With the official Docker image, POSTGRES_DB only takes effect when the data volume is first created.',
          ],
          snippet: {language: 'sql', code: `CREATE DATABASE ${quoteIdent(db)}${target.user ? ` OWNER ${quoteIdent(target.user)}` : ''};`},
        },
      )
    case 'AUTH_TOO_MANY_CONNECTIONS': {
      const steps =
        c.limit === 'role'
          ? [
              `The role "${who}" has a CONNECTION LIMIT that is already used up (0 means it may never connect).`,
              'Close idle sessions or lower your pool size (pg.Pool max), or raise the limit as an administrator.',
            ]
          : c.limit === 'database'
            ? [`The database "${db}" has a CONNECTION LIMIT that is used up.`, 'Close idle sessions, lower your pool size, or raise the limit.']
            : c.limit === 'pooler'
              ? [
                  'The pooler in front of PostgreSQL reached its own client limit (PgBouncer max_client_conn, Supavisor max clients), not the server\'s max_connections.',
                  'Raise max_client_conn in pgbouncer.ini (and the file-descriptor limit to match), or lower the pool size (pg.Pool max) of the apps that connect through it.',
                ]
              : [
                'The server has reached max_connections (the remaining slots are reserved for administrators).',
                'Lower the pool size (pg.Pool max) of every app that uses this server, close idle sessions, or put a pooler (PgBouncer) in front.',
                'See who holds the connections: SELECT usename, application_name, state, count(*) FROM pg_stat_activity GROUP BY 1,2,3;',
              ]
      return fail(
        c.limit === 'pooler'
          ? `The pooler refused the session: ${error.message.slice(0, 200)}.`
          : `The server refused the session: too many connections${c.limit === 'role' ? ` for role "${who}"` : c.limit === 'database' ? ` for database "${db}"` : ''} (53300).`,
        {limit: c.limit ?? 'server'},
        {
          summary:
            c.limit === 'role'
              ? `Raise the connection limit of "${who}" or use fewer connections.`
              : c.limit === 'database'
                ? `Raise the connection limit of "${db}" or use fewer connections.`
                : c.limit === 'pooler'
                  ? 'Raise the pooler\'s client limit (PgBouncer max_client_conn) or use fewer client connections.'
                  : 'Use fewer connections (smaller pools) or raise max_connections.',
          steps,
          snippet:
            c.limit === 'role'
              ? {language: 'sql', code: `ALTER ROLE ${quoteIdent(who)} CONNECTION LIMIT 20;`}
              : c.limit === 'database'
                ? {language: 'sql', code: `ALTER DATABASE ${quoteIdent(db)} CONNECTION LIMIT 20;`}
                : {language: 'js', code: 'const pool = new pg.Pool({max: 5})'},
        },
      )
    }
    case 'AUTH_SERVER_STARTING': {
      const what =
        c.state === 'starting'
          ? 'is starting up'
          : c.state === 'shutting-down'
            ? 'is shutting down'
            : c.state === 'recovery'
              ? 'is in recovery'
              : 'is running but not accepting connections (for example a standby with hot_standby = off)'
      return fail(
        `The server ${what} (57P03): "${error.message}".`,
        {serverState: c.state ?? 'unknown'},
        {
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
        },
      )
    }
    case 'AUTH_CONNECTION_FAILED':
    default: {
      const timedOut = error.timedOut
      const host = ctx.config.fields.host?.value
      if (host?.startsWith('/') && /does not support SSL/i.test(error.message)) {
        return fail(
          `node-postgres could not open a session: ${error.message}. The host ${host} is a Unix socket directory, where PostgreSQL never offers SSL, and the settings ask for SSL.`,
          {stage: error.stage, unixSocket: host},
          {
            summary: 'Turn SSL off for the Unix-socket connection (see the ssl-config check, SSL_UNIX_SOCKET), or connect over TCP to keep TLS.',
            steps: [`Target: ${settingFrom(ctx, 'host')}.`, 'psql ignores sslmode on a Unix socket, which is why it connects with the same settings.'],
          },
        )
      }
      return fail(
        timedOut
          ? `node-postgres got no ready session within ${ctx.options.timeoutMs} ms (${error.code ?? error.name}).`
          : `node-postgres could not open a session: ${error.code ? `${error.code}: ` : ''}${error.message}`,
        {
          stage: error.stage,
          ...(error.errors ? {attempts: error.errors.map((e) => ({address: e.address ?? '', port: e.port ?? '', code: e.code ?? '', message: e.message}))} : {}),
        },
        {
          summary: timedOut
            ? 'The connection did not complete in time: see the network and TLS checks above, or raise --timeout.'
            : 'The connection failed below authentication: see the DNS, TCP and TLS checks above for the cause.',
          steps: [
            `Target: ${settingFrom(ctx, 'host')}; ${settingFrom(ctx, 'port')}.`,
            'Fix what the earlier checks report first; this check repeats the connection exactly as node-postgres makes it.',
          ],
        },
      )
    }
  }
}

/** Why the password file that exists gave node-postgres no password (null: no file to talk about). */
function pgpassWhy(
  p: PgpassInspection,
  wanted: string,
): {summary: string; evidence: string; fix: string; steps: string[]; snippet?: {language: string; code: string}} | null {
  const file = p.display
  const chosen = p.fromPgpassfile ? ' (chosen by PGPASSFILE)' : ''
  switch (p.status) {
    case 'insecure-permissions':
      return {
        summary: `${file}${chosen} is ignored because its mode ${p.mode} gives group or other users access (node-postgres and libpq both require 0600 or less).`,
        evidence: `ignored: mode ${p.mode}`,
        fix: `Make ${file} readable by its owner only: chmod 600 ${file}.`,
        steps: [`Run chmod 600 ${file} as the user the app runs as; node-postgres then reads it when no password is set.`],
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
    default:
      return null
  }
}
