// Authentication and session: connect exactly as node-postgres would (same ClientConfig,
// read-only session) and, when the server says no, explain which setting to change and
// where it came from. The classification of server errors is pure (classifyAuthError).
// Data only: the words of every outcome are in src/catalogue/auth.ts.
import type {ClientConfig} from 'pg'
import {
  AUTH_CHANNEL_BINDING,
  AUTH_CHANNEL_BINDING_IGNORED,
  AUTH_CONNECTION_FAILED,
  AUTH_DATABASE_NOT_FOUND,
  AUTH_HBA_REJECTED,
  AUTH_PASSWORD_FAILED,
  AUTH_PASSWORD_MISSING,
  AUTH_PROTOCOL_VIOLATION,
  AUTH_ROLE_NOLOGIN,
  AUTH_NO_CONNECT_PRIVILEGE,
  AUTH_ROLE_NOT_FOUND,
  AUTH_SERVER_STARTING,
  AUTH_SSL_REQUIRED,
  AUTH_TOO_MANY_CONNECTIONS,
  authEvidence,
  authSays,
  caEvidence,
  caPath,
  pgpassEvidence,
  sslFrom,
  type CaNeed,
  type PgpassWhy,
  type SslFromParams,
  type PostgresJsTls,
  twoServersFix,
  authEntries,
} from '../catalogue/auth.js'
import {fieldSourceLabel} from '../config/provenance.js'
import {
  DEFAULT_PORT,
  urlWithParams,
  isUnixSocketHost,
  withPasswordSlot,
  isPostgresUrl,
} from '../config/connection-string.js'
import type {PgClientConfigResult} from '../config/pg-config.js'
import type {PgpassInspection} from '../config/pgpass.js'
import {targetOf} from '../config/target.js'
import {withServerAnswer} from '../config/driver-client.js'
import type {FieldName, Provenance} from '../config/types.js'
import {redact, redactOutcome, redactor} from '../core/redact.js'
import type {CheckOutcome, Evidence} from '../core/types.js'
import type {CheckContext, RegisteredCheck} from './types.js'
import type {PgProbeError, PgSessionResult, SessionOptions} from '../probes/pg-session.js'
import {poolerSays} from '../catalogue/pooler.js'
import {sessionErrorText} from '../catalogue/session.js'
import {messageName} from '../core/protocol-limit.js'
import {poolerRefusal} from './pooler-refusal.js'
import {channelBindingIgnored, channelBindingRefusal} from './channel-binding.js'
import {appSourceFiles} from '../config/app-source.js'
import {setsChannelBinding} from '../models/drivers/node-postgres.js'
import {postgresJs, postgresJsReadsCertParams} from '../models/drivers/postgres-js.js'

/** The auth check's login: whether it connected, and as whom to which server (or the error's code). */
interface AuthFacts {
  connected: boolean
  serverVersion?: string
  user?: string
  errorCode?: string | null
}

declare module '../core/facts.js' {
  interface Facts {
    auth?: AuthFacts
  }
}

type AuthCode =
  | 'AUTH_PASSWORD_FAILED'
  | 'AUTH_PASSWORD_MISSING'
  | 'AUTH_SSL_REQUIRED'
  | 'AUTH_HBA_REJECTED'
  | 'AUTH_ROLE_NOT_FOUND'
  | 'AUTH_ROLE_NOLOGIN'
  | 'AUTH_NO_CONNECT_PRIVILEGE'
  | 'AUTH_DATABASE_NOT_FOUND'
  | 'AUTH_TOO_MANY_CONNECTIONS'
  | 'AUTH_SERVER_STARTING'
  | 'AUTH_CONNECTION_FAILED'

interface AuthClassification {
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
  /** limit 'pooler': whose (Supavisor in session mode limits clients to the pool size). */
  pooler?: 'pgbouncer' | 'supavisor' | 'supavisor-session'
  /** AUTH_SERVER_STARTING: what the server is doing. */
  state?: 'starting' | 'shutting-down' | 'recovery' | 'not-accepting' | 'unknown'
}

const HBA_NO_ENTRY =
  /no pg_hba\.conf entry for host "([^"]*)", user "([^"]*)", database "([^"]*)"(?:, (no encryption|SSL encryption|GSS encryption|SSL on|SSL off))?/
const HBA_REJECT =
  /pg_hba\.conf rejects connection for host "([^"]*)", user "([^"]*)", database "([^"]*)"(?:, (no encryption|SSL encryption|GSS encryption|SSL on|SSL off))?/
const ROLE_MISSING = /role "([^"]*)" does not exist/
const ROLE_NOLOGIN = /role "([^"]*)" is not permitted to log in/
const DB_MISSING = /database "([^"]*)" does not exist/
const NO_CONNECT = /permission denied for database "([^"]*)"/
const PASSWORD_FAILED = /password authentication failed for user "([^"]*)"/
/** Managed services that refuse plaintext before pg_hba: Azure (28000), Neon. */
const SERVICE_SSL_REQUIRED =
  /SSL connection is required\. Please specify SSL options and retry|connection is insecure \(try using `sslmode=require`\)/i
const PASSWORD_MISSING =
  /client password must be a string|password must be a string|no password (?:was )?(?:provided|supplied)|empty password returned by client/i

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
    for (const [re, hbaRule] of [
      [HBA_NO_ENTRY, 'no-entry'],
      [HBA_REJECT, 'reject-line'],
    ] as const) {
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
  if (code === '42501') {
    const m = NO_CONNECT.exec(message)
    if (m) return {code: 'AUTH_NO_CONNECT_PRIVILEGE', database: m[1]}
  }
  if (code === '3D000') {
    const m = DB_MISSING.exec(message)
    return {code: 'AUTH_DATABASE_NOT_FOUND', ...(m ? {database: m[1]} : {})}
  }
  // PgBouncer "no more connections allowed (max_client_conn)" (08P01); Supavisor's client limits (XX000), in
  // the wordings of its source: before v2.9 "Max client connections reached" and "MaxClientsInSessionMode: max
  // clients reached - in Session mode max clients are limited to pool_size" (lib/supavisor/client_handler/
  // error.ex); since, "(EMAXCONN) max client connections reached, limit: N" and "(EMAXCONNSESSION) max clients
  // reached in session mode - max clients are limited to pool_size: N" (lib/supavisor/errors/max_connections_error.ex)
  if (/no more connections allowed|max_client_conn/i.test(message))
    return {code: 'AUTH_TOO_MANY_CONNECTIONS', limit: 'pooler', pooler: 'pgbouncer'}
  if (/MaxClientsInSessionMode|EMAXCONNSESSION|max clients reached in session mode/i.test(message)) {
    return {code: 'AUTH_TOO_MANY_CONNECTIONS', limit: 'pooler', pooler: 'supavisor-session'}
  }
  if (/max client connections reached|\(EMAXCONN\)/i.test(message))
    return {code: 'AUTH_TOO_MANY_CONNECTIONS', limit: 'pooler', pooler: 'supavisor'}
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

interface AuthCheckDeps {
  /** Defaults to src/probes/pg-session.ts pgSession. */
  session?: (config: ClientConfig, opts: SessionOptions) => Promise<PgSessionResult>
}

function createAuthCheck(deps: AuthCheckDeps = {}): RegisteredCheck<'auth'> {
  return {
    id: 'auth',
    title: authSays.title(),
    establishes: authSays.establishes(),
    codes: [authEntries],
    requires: ['config', 'dns', 'tcp', 'postgres', 'tls', 'ssl-config'],
    provides: ['auth'],
    uses: ['dns', 'postgres', 'tls'],
    // a pooler's refusal before authentication is the pooler check's finding when that check runs
    usesPlan: ['pooler'],
    usesSession: true,
    run: (ctx) => runAuth(ctx, deps),
  }
}

export const authCheck: RegisteredCheck<'auth'> = createAuthCheck()

interface Target {
  host: string
  port: number
  user: string | null
  database: string | null
  sslUsed: boolean
  sslSource: Provenance | undefined
  sslOrigin: string
  passwordConfigured: boolean
  /** The server answered N to SSLRequest (the postgres check's fact, or the login's own fallback). */
  serverHasNoTls: boolean
}

async function runAuth(ctx: CheckContext, deps: AuthCheckDeps): Promise<CheckOutcome> {
  const resolved = loginConfig(ctx)
  if ('status' in resolved) return resolved
  const config = resolved.config
  const target: Target = {
    host: config.host ?? 'localhost',
    port: config.port ?? DEFAULT_PORT,
    user: config.user ?? null,
    database: config.database ?? config.user ?? null,
    sslUsed: !!config.ssl,
    sslSource: resolved.sslSource,
    sslOrigin: resolved.sslOrigin,
    passwordConfigured: typeof config.password === 'string' || typeof config.password === 'function',
    serverHasNoTls: ctx.facts.postgres?.offersTls === false || ctx.facts.tls?.offered === false,
  }
  if (typeof config.password === 'string') redactor.add(config.password)
  // a driver that goes on in plaintext on the server's N whose answer is not known yet (no postgres check
  // in this run: --only/--skip) logs in as it would: with TLS, then without it on N
  const result = await logIn(ctx, deps, config, !!resolved.sslFallback)
  if (result.fellBack) {
    target.sslUsed = false
    target.serverHasNoTls = true
  }
  if (result.ok) return loggedIn(ctx, target, result)
  return refused(ctx, target, config, result)
}

/** The client config the app's driver logs in with, or the outcome when it cannot be built. */
function loginConfig(ctx: CheckContext): PgClientConfigResult | CheckOutcome {
  try {
    // a driver that goes on in plaintext when the server has no TLS (postgres.js `prefer`) logs in so
    return withServerAnswer(targetOf(ctx).pgClient(), ctx.facts.postgres?.answer)
  } catch (error) {
    const message = redact((error as Error).message)
    // An unreadable certificate file is the ssl-config check's finding; anything else
    // node-postgres refuses (pg-connection-string throws at connect) is reported here.
    if ((error as {code?: string}).code === 'SSL_CERT_FILE_UNREADABLE') {
      return {
        status: 'skip',
        code: null,
        summary: authSays.certUnreadable({reason: message}),
        evidence: {reason: message},
        fix: null,
      }
    }
    return AUTH_CONNECTION_FAILED.emit(
      {
        stage: 'config',
        reason: message,
        settings:
          ctx.config.connectionString?.source.label ?? ctx.config.primary?.label ?? 'PG* variables and defaults',
      },
      {stage: 'config', reason: message},
    )
  }
}

type LoginConfig = PgClientConfigResult['config']

/** The login itself. */
async function logIn(
  ctx: CheckContext,
  deps: AuthCheckDeps,
  config: LoginConfig,
  plaintextIfNoTls: boolean,
): Promise<PgSessionResult> {
  // The login resolves the host with the dns check's getaddrinfo answer for the same name (same
  // addresses, same order) instead of a second, uncancellable lookup in this process.
  const {abandonableNetLookup} = await import('../probes/dns.js')
  const dns = ctx.facts.dns
  const lookup = abandonableNetLookup({
    timeoutMs: ctx.options.timeoutMs,
    known: dns && !dns.literal ? {host: dns.host, addresses: dns.addresses} : undefined,
  })
  // The login opens the run's shared read-only session (owned and closed by the runner); the
  // later checks that query reuse it. Called directly (unit tests), a one-off session.
  const opts = {
    lookup,
    ...(plaintextIfNoTls ? {plaintextIfNoTls} : {}),
    limitRefusal: (e: Pick<PgProbeError, 'code' | 'message'>) =>
      classifyAuthError(e).code === 'AUTH_TOO_MANY_CONNECTIONS',
  }
  return deps.session
    ? await deps.session(config, {timeoutMs: ctx.options.timeoutMs, ...opts})
    : ctx.session
      ? await ctx.session.open(config, opts)
      : await (await import('../probes/pg-session.js')).pgSession(config, {timeoutMs: ctx.options.timeoutMs, ...opts})
}

/** The login succeeded: unless the app's own driver would be refused where db-doctor was not, a pass. */
function loggedIn(ctx: CheckContext, target: Target, result: PgSessionResult & {ok: true}): CheckOutcome {
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
    ...(result.authRequest ? {authRequest: result.authRequest} : {}),
  }
  // the login the app's driver makes would be refused where db-doctor's was not
  const binding = channelBindingRefusal({
    driver: ctx.config.stack?.driver ?? null,
    urlParams: targetOf(ctx).urlParams,
    urlSource: ctx.config.connectionString?.source.label ?? null,
    env: ctx.env,
    authRequest: result.authRequest,
    tls: !!result.tls,
  })
  if (binding) {
    return redactOutcome(
      AUTH_CHANNEL_BINDING.emit(
        binding,
        redactor.redactValue({
          ...evidence,
          channelBinding: 'require',
          channelBindingFrom: binding.source,
          driver: `postgres.js ${binding.driverVersion}`,
        }),
      ),
    )
  }
  // the URL asks for channel binding and the app's node-postgres will not enforce it (nothing fails)
  const driver = ctx.config.stack?.driver
  const ignored =
    driver?.versionSource === 'installed'
      ? channelBindingIgnored({
          driver,
          urlParams: targetOf(ctx).urlParams,
          urlSource: ctx.config.connectionString?.source.label ?? null,
          env: ctx.env,
          authRequest: result.authRequest,
          tls: !!result.tls,
          enableChannelBinding: () => appSourceFiles(ctx.cwd, setsChannelBinding).length > 0,
        })
      : null
  if (ignored) {
    return redactOutcome(
      AUTH_CHANNEL_BINDING_IGNORED.emit(
        ignored,
        redactor.redactValue({
          ...evidence,
          channelBinding: 'require',
          channelBindingFrom: ignored.source,
          driver: `pg ${ignored.driverVersion}`,
          enableChannelBinding: ignored.enableChannelBinding,
        }),
      ),
    )
  }
  const shortVersion = /^PostgreSQL [\d.]+(?:\w+)?/.exec(result.serverVersion)?.[0] ?? result.serverVersion
  const summary = authSays.loggedIn({
    user: result.user,
    database: target.database,
    version: shortVersion,
    tls: !!result.tls,
    tlsProtocol: result.tls?.protocol,
    rttMs: result.rttMs,
  })
  return {status: 'pass', code: null, summary, evidence: redactor.redactValue(evidence), fix: null}
}

/** The login failed: what the server's answer means (asking it once more over TLS when a reject line may be TLS-only). */
async function refused(
  ctx: CheckContext,
  target: Target,
  config: LoginConfig,
  result: PgSessionResult & {ok: false},
): Promise<CheckOutcome> {
  ctx.facts.auth = {connected: false, errorCode: result.error.code}
  // its message as quoted: the catalogue's words where db-doctor ended the login (a protocol limit, a timeout)
  const error: PgProbeError = {...result.error, message: sessionErrorText(result.error)}
  // The peer broke a protocol limit (a 2 GB ErrorResponse, a notice flood): db-doctor ended the
  // connection, and nothing the peer said is a login result.
  const limit = error.protocolLimit
  if (limit && limit.kind !== 'deadline') {
    const server = `${target.host}:${target.port}`
    const params = {
      kind: limit.kind,
      messageName: messageName(limit.messageType),
      messageType: limit.messageType,
      amount: limit.amount,
      limit: limit.limit,
      server,
      stage: error.stage,
    }
    return AUTH_PROTOCOL_VIOLATION.emit(params, {...params, code: error.code, ms: result.ms})
  }
  // A pooler that refuses the client before any authentication (a startup parameter, an unknown tenant):
  // no password was checked, and the pooler check, which runs in this run, reports it with its own code.
  if (poolerRefusal(error) && ctx.planned?.has('pooler')) {
    return {
      status: 'skip',
      code: null,
      summary: redact(poolerSays.refusedBeforeAuth({message: error.message, sqlstate: error.code ?? null})),
      evidence: {refusedBy: 'pooler', sqlstate: error.code ?? null, serverMessage: redact(error.message)},
      fix: null,
    }
  }
  let c = classifyAuthError(error, {passwordConfigured: target.passwordConfigured})
  let overTls: TlsAdmission | undefined
  const serverHasNoTls = target.serverHasNoTls
  // "no encryption" from a server that offers no TLS at all: TLS cannot be the fix
  if (c.code === 'AUTH_SSL_REQUIRED' && c.hbaRule === 'no-entry' && serverHasNoTls)
    c = {...c, code: 'AUTH_HBA_REJECTED'}
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
  return redactOutcome(withTwoServers(ctx, explainFailure(ctx, target, c, error, result.ms, overTls)))
}

/** A refused login on a name whose addresses are different servers: say which one refused it. */
function withTwoServers(ctx: CheckContext, outcome: CheckOutcome): CheckOutcome {
  const servers = ctx.facts.postgres?.servers
  const refusals = ['AUTH_PASSWORD_FAILED', 'AUTH_ROLE_NOT_FOUND', 'AUTH_DATABASE_NOT_FOUND', 'AUTH_HBA_REJECTED']
  if (servers?.verdict !== 'different' || !servers.appAddress || !refusals.includes(outcome.code ?? '')) return outcome
  const p = {appAddress: servers.appAddress, others: servers.others}
  return {
    ...outcome,
    summary: outcome.summary + authSays.twoServers(p),
    evidence: {...outcome.evidence, serverAddress: servers.appAddress, otherServers: servers.others},
    fix: outcome.fix ? twoServersFix(outcome.fix, p) : outcome.fix,
  }
}

type TlsAdmission = import('../probes/pg-session.js').TlsAdmission

// ---------------------------------------------------------------------------------------------
// what the words need: where each setting comes from, the app's URL rewritten, the CA, the password file

/** "user ← DB_USER in .env" / "user (not set: default)" */
function settingFrom(ctx: CheckContext, field: FieldName): string {
  const label = fieldSourceLabel(ctx.config, field)
  return label ? `${field} ← ${label}` : `${field} (not set)`
}

function whereToSet(ctx: CheckContext, field: FieldName): string {
  return (
    fieldSourceLabel(ctx.config, field) ??
    ctx.config.connectionString?.source.label ??
    ctx.config.primary?.label ??
    'your connection settings'
  )
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

/** A copy of the app's URL with sslmode set, password masked; null when it is not a URL. */
function urlWithSslmode(ctx: CheckContext, mode: string, sslrootcert?: string | null): string | null {
  const cs = ctx.config.connectionString?.value
  if (!cs || !isPostgresUrl(cs)) return null
  const params = targetOf(ctx).urlParams
  if (!params) return null
  // a readable path: pg-connection-string reads sslrootcert=/path/to/ca.pem as written
  return urlWithParams(cs, {
    remove: ['ssl'],
    set: {sslmode: mode, ...(sslrootcert && params.sslrootcert === undefined ? {sslrootcert} : {})},
  })
}

/** The app's URL with a password slot, shown masked (****) like every URL password. */
function urlWithPassword(ctx: CheckContext): string | null {
  const cs = ctx.config.connectionString?.value
  if (!cs || !isPostgresUrl(cs) || !targetOf(ctx).urlParams) return null
  return withPasswordSlot(cs)
}

const UNTRUSTED = new Set(['TLS_SELF_SIGNED_CHAIN', 'TLS_UNTRUSTED_ISSUER', 'TLS_SELF_SIGNED_CERT'])

/**
 * Does verify-full need an sslrootcert for this server? From the tls check's facts (it judges the chain the
 * server presents against Node's default CAs when the app does not use TLS). Never verify-full without the
 * CA the chain needs.
 */
function caNeed(ctx: CheckContext): CaNeed {
  const t = ctx.facts.tls
  const provider = t?.provider ?? null
  const file = provider === 'aws-rds' ? 'global-bundle.pem' : provider === 'gcp-cloudsql' ? 'server-ca.pem' : 'ca.pem'
  const rootcert = ctx.config.fields.sslrootcert
  if (rootcert) return {file, provider, kind: 'rootcert-set', value: rootcert.value, label: rootcert.source.label}
  if (!t || t.offered !== true || t.verifiedAsApp === undefined) return {file, provider, kind: 'not-judged'}
  const untrusted = (t.problems ?? []).find((p) => UNTRUSTED.has(p))
  if (untrusted) {
    const root = t.chain?.at(-1)
    return {
      file,
      provider,
      kind: 'untrusted',
      problem: untrusted,
      rootIssuer: root ? root.issuer : null,
      trustStore: t.trustStore ?? null,
    }
  }
  return {file, provider, kind: 'trusted', other: t.problems?.[0] ?? null, trustStore: t.trustStore ?? null}
}

/** Why the password file that exists gave node-postgres no password (null: no file to talk about). */
function pgpassWhy(p: PgpassInspection, wanted: string): PgpassWhy | null {
  switch (p.status) {
    case 'insecure-permissions':
    case 'no-match':
    case 'not-a-file':
    case 'unreadable':
      return {file: p.display, chosen: p.fromPgpassfile, status: p.status, mode: p.mode ?? null, wanted}
    default:
      return null
  }
}

/** What the words of a failed login are built from: the classification, the error, the settings. */
interface Failure {
  ctx: CheckContext
  target: Target
  c: AuthClassification
  error: PgProbeError
  overTls?: TlsAdmission
  /** the user and database the server names (else the app's settings) */
  who: string
  db: string
  /** The evidence every failure shows, then the case's own. */
  withBase: (evidence: Evidence) => Evidence
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
  const withBase = (evidence: Evidence): Evidence => ({...base, ...evidence})
  const f: Failure = {ctx, target, c, error, ...(overTls ? {overTls} : {}), who, db, withBase}

  switch (c.code) {
    case 'AUTH_PASSWORD_FAILED': {
      const pw = fieldSourceLabel(ctx.config, 'password')
      return AUTH_PASSWORD_FAILED.emit(
        {who, passwordFrom: pw, passwordWhere: whereToSet(ctx, 'password'), userFrom: settingFrom(ctx, 'user')},
        withBase({passwordFrom: pw ?? '(not set)', userFrom: fieldSourceLabel(ctx.config, 'user') ?? '(not set)'}),
      )
    }
    case 'AUTH_PASSWORD_MISSING':
      return passwordMissing(f)
    case 'AUTH_SSL_REQUIRED':
      return sslRequired(f)
    case 'AUTH_HBA_REJECTED':
      return hbaRejected(f)
    case 'AUTH_ROLE_NOT_FOUND':
    case 'AUTH_ROLE_NOLOGIN':
      return (c.code === 'AUTH_ROLE_NOT_FOUND' ? AUTH_ROLE_NOT_FOUND : AUTH_ROLE_NOLOGIN).emit(
        {who, userWhere: whereToSet(ctx, 'user'), userFrom: settingFrom(ctx, 'user')},
        withBase({userFrom: fieldSourceLabel(ctx.config, 'user') ?? '(not set)'}),
      )
    case 'AUTH_NO_CONNECT_PRIVILEGE':
      return AUTH_NO_CONNECT_PRIVILEGE.emit(
        {
          who,
          db,
          userFrom: settingFrom(ctx, 'user'),
          databaseFrom: settingFrom(ctx, 'database'),
        },
        withBase({}),
      )
    case 'AUTH_DATABASE_NOT_FOUND':
      return AUTH_DATABASE_NOT_FOUND.emit(
        {
          db,
          databaseWhere: whereToSet(ctx, 'database'),
          databaseFrom: settingFrom(ctx, 'database'),
          owner: target.user,
        },
        withBase({databaseFrom: fieldSourceLabel(ctx.config, 'database') ?? authEvidence.databaseNotSet()}),
      )
    case 'AUTH_TOO_MANY_CONNECTIONS':
      return AUTH_TOO_MANY_CONNECTIONS.emit(
        {who, db, limit: c.limit ?? 'server', pooler: c.pooler ?? null, message: error.message},
        withBase({limit: c.limit ?? 'server', ...(c.pooler ? {pooler: c.pooler} : {})}),
      )
    case 'AUTH_SERVER_STARTING':
      return AUTH_SERVER_STARTING.emit(
        {state: c.state ?? 'unknown', message: error.message},
        withBase({serverState: c.state ?? 'unknown'}),
      )
    case 'AUTH_CONNECTION_FAILED':
    default:
      return connectionFailed(f)
  }
}

/** No password reached the server: where it belongs, and why the password file gave none when there is one. */
function passwordMissing({ctx, who, withBase}: Failure): CheckOutcome {
  const primary = ctx.config.primary
  const family = (primary && /^(DB|DATABASE|SUPABASE_DB)_\*$/.exec(primary.name)?.[1]) || null
  const where =
    ctx.config.connectionString?.source.label ??
    (family ? `${family}_PASSWORD${primary?.file ? ` in ${primary.file}` : ''}` : (primary?.label ?? null))
  // node-postgres falls back to the password file: say why it gave nothing when there is one.
  const f = ctx.config.fields
  const pgpass = targetOf(ctx).pgpass
  const why = pgpassWhy(
    pgpass,
    `${f.host?.value ?? 'localhost'}:${f.port?.value ?? DEFAULT_PORT}:${f.database?.value ?? who}:${who}`,
  )
  const params = {
    who,
    where,
    viaUrl: !!ctx.config.connectionString,
    urlWithPassword: urlWithPassword(ctx),
    urlSource: ctx.config.connectionString?.source ?? null,
    family,
    pgpass: why,
  }
  return AUTH_PASSWORD_MISSING.emit(
    params,
    withBase(
      why
        ? {passwordFrom: '(not set)', pgpassFile: pgpass.display, pgpass: pgpassEvidence(why)}
        : {passwordFrom: '(not set)'},
    ),
  )
}

/** The server wants TLS for this login: where the ssl setting comes from, and the CA verify-full needs. */
function sslRequired({ctx, target, c, error, overTls, who, db, withBase}: Failure): CheckOutcome {
  const pjs = postgresJsTls(ctx)
  // a PGSSLMODE postgres.js does not read is not where the setting lives: the URL (or the config) is
  const sslmode = pjs?.ignoredEnv ? undefined : ctx.config.fields.sslmode
  const src =
    sslmode?.source.label ??
    target.sslSource?.label ??
    ctx.config.connectionString?.source.label ??
    ctx.config.primary?.label ??
    null
  const ca = caNeed(ctx)
  const how: SslFromParams = {
    sslOrigin: target.sslOrigin,
    sslmode: sslmode ? {value: sslmode.value, label: sslmode.source.label} : null,
    sslSourceLabel: target.sslSource?.label ?? null,
    postgresJs: pjs,
  }
  return AUTH_SSL_REQUIRED.emit(
    {
      who,
      db,
      ...how,
      src,
      hbaRule: c.hbaRule ?? null,
      overTls: overTls?.outcome ?? null,
      message: error.message,
      ca,
      url: urlWithSslmode(ctx, 'verify-full', pjs && !pjs.readsCertParams ? null : caPath(ca)),
      urlSource: ctx.config.connectionString?.source ?? null,
    },
    withBase({
      hbaClientAddress: c.host ?? null,
      hbaRule: authEvidence.sslHbaRule({hbaRule: c.hbaRule ?? null}),
      ...(overTls ? {overTls: overTls.outcome} : {}),
      sslFrom: sslFrom(how),
      caNeeded: caEvidence(ca),
    }),
  )
}

/** The app's postgres.js and how it takes TLS settings; null when it connects with another driver. */
function postgresJsTls(ctx: CheckContext): PostgresJsTls | null {
  const driver = ctx.config.stack?.driver
  if (driver?.name !== 'postgres.js') return null
  const envVars = postgresJs.sslEnv(driver.version)
  const field = ctx.config.fields.sslmode
  const ignored =
    field &&
    (field.source.kind === 'env' || field.source.kind === 'env-file') &&
    /^PGSSL(?:MODE)?$/.test(field.source.name) &&
    !envVars.includes(field.source.name)
      ? `${field.source.name}=${field.value}`
      : null
  return {
    version: driver.version,
    readsCertParams: postgresJsReadsCertParams(driver.version),
    envVars,
    ignoredEnv: ignored,
  }
}

/** pg_hba.conf has no line for this login, or a reject line: the line to add. */
function hbaRejected({ctx, target, c, error, overTls, who, db, withBase}: Failure): CheckOutcome {
  // a line for TLS unless the server has no TLS at all: never suggest a line weaker than needed
  const serverTls = !target.serverHasNoTls
  const params = {
    who,
    db,
    userFrom: settingFrom(ctx, 'user'),
    databaseFrom: settingFrom(ctx, 'database'),
    hbaRule: c.hbaRule ?? null,
    overTls: overTls?.outcome ?? null,
    encryption: c.encryption ?? null,
    clientHost: c.host ?? null,
    message: error.message,
    serverTls,
    sslUsed: target.sslUsed,
    line: {
      ssl: serverTls || target.sslUsed || c.encryption === 'ssl',
      host: c.host ?? target.host,
      database: c.database ?? target.database ?? 'all',
      user: c.user ?? target.user ?? 'all',
    },
  }
  if (c.hbaRule === 'reject-line')
    return AUTH_HBA_REJECTED.emit(
      params,
      withBase({
        hbaRule: 'reject line',
        clientAddressSeenByServer: c.host ?? null,
        ...(overTls ? {overTls: overTls.outcome} : {}),
      }),
    )
  return AUTH_HBA_REJECTED.emit(
    params,
    withBase({
      hbaRule: c.hbaRule === 'unknown' ? 'unrecognised message' : 'no matching line',
      clientAddressSeenByServer: c.host ?? null,
    }),
  )
}

/** The session did not come up for another reason: TLS over a Unix socket, a timeout, a network error. */
function connectionFailed({ctx, error, withBase}: Failure): CheckOutcome {
  const host = ctx.config.fields.host?.value
  if (host !== undefined && isUnixSocketHost(host) && /does not support SSL/i.test(error.message)) {
    return AUTH_CONNECTION_FAILED.emit(
      {stage: 'unix-ssl', message: error.message, socket: host, hostFrom: settingFrom(ctx, 'host')},
      withBase({stage: error.stage, unixSocket: host}),
    )
  }
  return AUTH_CONNECTION_FAILED.emit(
    {
      stage: 'session',
      timedOut: error.timedOut,
      timeoutMs: ctx.options.timeoutMs,
      errorCode: error.code,
      errorName: error.name,
      message: error.message,
      hostFrom: settingFrom(ctx, 'host'),
      portFrom: settingFrom(ctx, 'port'),
    },
    withBase({
      stage: error.stage,
      ...(error.errors
        ? {
            attempts: error.errors.map((e) => ({
              address: e.address ?? '',
              port: e.port ?? '',
              code: e.code ?? '',
              message: e.message,
            })),
          }
        : {}),
    }),
  )
}
