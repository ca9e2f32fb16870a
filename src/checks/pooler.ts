// The connection pooler between the app and PostgreSQL (PgBouncer, Supavisor, RDS Proxy…), as far as
// it decides whether the app's login and its migration work. Always runs (it describes the
// connection path). Data only: the words are in src/catalogue/pooler.ts.
//   - a pooler that refuses the login before authentication: a startup parameter the app sends
//     (POOLER_STARTUP_PARAMETER) or a tenant it does not know (POOLER_TENANT_NOT_FOUND); the auth check
//     recognises the same answers (poolerRefusal) and skips, so this is the run's failure;
//   - transaction pooling (POOLER_TRANSACTION_MODE), and, for Prisma without `pgbouncer=true`, whether
//     the pooler carries named prepared statements (POOLER_PREPARED_STATEMENTS, measured read-only).
import {DEFAULT_PORT} from '../config/connection-string.js'
import {targetOf} from '../config/target.js'
import {withServerAnswer} from '../config/driver-client.js'
import {
  POOLER_PREPARED_STATEMENTS,
  POOLER_SECOND_LOGIN_FAILED,
  type SecondLoginReason,
  POOLER_STARTUP_PARAMETER,
  POOLER_TENANT_NOT_FOUND,
  POOLER_TRANSACTION_MODE,
  type ParameterSource,
  type PoolerHost,
  carryUnknownWords,
  poolerPreparedEvidence,
  poolerSays,
  poolerWords,
  poolerEntries,
} from '../catalogue/pooler.js'
import type {CheckOutcome, Evidence} from '../core/types.js'
import type {CheckContext, RegisteredCheck} from './types.js'
import type {PreparedCarry} from '../probes/prepared-statements.js'
import type {PgProbeError} from '../probes/pg-session.js'
import {classifyAuthError} from './auth.js'
import {failsFirst, foldFindings, type Finding} from './findings.js'
import {urlWithParamSnippet} from '../catalogue/snippets.js'
import {sessionErrorText} from '../catalogue/session.js'
import {messageName} from '../core/protocol-limit.js'
import {migrationTools} from './tools.js'
import {poolerRefusal, refusedStartupParameter} from './pooler-refusal.js'

export {poolerRefusal, refusedStartupParameter}

/** Pure: a Supabase pooler host with a user lacking `.<project-ref>` (names only, nothing is resolved). */
export function supabaseTenantProblem(host: string | null, user: string | null): {host: string; user: string} | null {
  if (!host || !user) return null
  if (!/\.pooler\.supabase\.com$/i.test(host.trim())) return null
  if (/\.[a-z0-9]{6,}$/i.test(user)) return null
  return {host: host.trim(), user}
}

function userFrom(ctx: CheckContext): string {
  const label = ctx.config.fields.user?.source.label ?? ctx.config.connectionString?.source.label
  return poolerWords.parameterSource(label !== undefined ? {kind: 'label', label} : {kind: 'app-settings'})
}

/** Where the app's settings send that parameter from (node-postgres startup parameters). */
function parameterSource(ctx: Pick<CheckContext, 'config'>, parameter: string): string {
  const fromLabel = (label: string | undefined, otherwise: ParameterSource): string =>
    poolerWords.parameterSource(label !== undefined ? {kind: 'label', label} : otherwise)
  if (parameter === 'options') return fromLabel(ctx.config.fields.options?.source.label, {kind: 'options'})
  if (parameter === 'application_name')
    return fromLabel(ctx.config.fields.application_name?.source.label, {kind: 'application-name'})
  if (/^(statement_timeout|lock_timeout|idle_in_transaction_session_timeout)$/.test(parameter))
    return poolerWords.parameterSource({kind: 'client-config', parameter})
  if (parameter === 'search_path') return poolerWords.parameterSource({kind: 'search-path'})
  return fromLabel(ctx.config.connectionString?.source.label ?? ctx.config.primary?.label, {kind: 'app-settings'})
}

async function runPooler(ctx: CheckContext): Promise<CheckOutcome> {
  const skip = (summary: string, evidence: Evidence = {}): CheckOutcome => ({
    status: 'skip',
    code: null,
    summary,
    evidence,
    fix: null,
  })
  const broker = ctx.session
  if (!broker) return skip(poolerSays.noSession())
  const tenant = supabaseTenantProblem(ctx.config.fields.host?.value ?? null, ctx.config.fields.user?.value ?? null)
  if (tenant) {
    // before connecting: Supavisor would answer "Tenant or user not found" to every login
    return POOLER_TENANT_NOT_FOUND.emit(
      {from: 'names', host: tenant.host, user: tenant.user, userFrom: userFrom(ctx)},
      {host: tenant.host, user: tenant.user, before: 'connecting', userFrom: userFrom(ctx)},
    )
  }
  const opened = await broker.open()
  if (!opened.ok) {
    const {code, message} = opened.error
    const refusal = poolerRefusal(opened.error)
    if (refusal?.kind === 'tenant') {
      const user = ctx.config.fields.user?.value ?? 'postgres'
      return POOLER_TENANT_NOT_FOUND.emit(
        {
          from: 'answer',
          host: ctx.config.fields.host?.value ?? null,
          user,
          message,
          sqlstate: code ?? null,
          userFrom: userFrom(ctx),
        },
        {sqlstate: code ?? null, serverMessage: message, userFrom: userFrom(ctx)},
      )
    }
    if (refusal?.kind === 'startup-parameter') {
      const source = parameterSource(ctx, refusal.parameter)
      return POOLER_STARTUP_PARAMETER.emit(
        {parameter: refusal.parameter, source, message, sqlstate: code ?? null},
        {parameter: refusal.parameter, source, sqlstate: code ?? null, serverMessage: message},
      )
    }
    return skip(poolerSays.loginFailed({sqlstate: code ?? null}), {loginError: code})
  }
  return transactionMode(ctx, opened.session)
}

/** Pure: what the host and port say about a pooler in front (names only, nothing is resolved). */
function poolerHost(host: string | null | undefined, port: number): PoolerHost | null {
  const h = (host ?? '').toLowerCase()
  if (/\.pooler\.supabase\.com$/.test(h)) return {kind: 'supabase', port}
  if (/-pooler\./.test(h) && /neon\.tech$/.test(h)) return {kind: 'neon'}
  if (/\.proxy-[a-z0-9]+\./.test(h) && /\.rds\.amazonaws\.com$/.test(h)) return {kind: 'rds-proxy'}
  if (port === 6432) return {kind: 'pgbouncer-port'}
  if (port === 6543) return {kind: 'supabase-port'}
  return null
}

/** Pure: that hint in words (the evidence's hostHint and the summaries' params). */
export function poolerHostHint(host: string | null | undefined, port: number): string | null {
  const hint = poolerHost(host, port)
  return hint ? poolerWords.hostHint(hint) : null
}

type Session = import('../probes/pg-session.js').PgSession

/** The first session's backend pid and the server's own port, read in the run's one catalog round trip. */
const POOLER_SQL = ['select pg_backend_pid() as pid, inet_server_port() as server_port']

/**
 * Transaction pooling, read-only: the shared session reads its backend pid and the server's port; when
 * something sits in between (the server's port is not the one the app connects to, or the host/port
 * look like a pooler), a second login of the same settings reads its backend pid while the first
 * client is idle between transactions. Behind a transaction pooler the second client gets the server
 * connection the first one just released (the same pid); behind a session pooler or none it cannot.
 */
async function transactionMode(ctx: CheckContext, session: Session): Promise<CheckOutcome> {
  const login = withServerAnswer(targetOf(ctx).pgClient(), ctx.facts.postgres?.answer)
  const config = login.config
  const port = config.port ?? DEFAULT_PORT
  const host = config.host ?? null
  const first = await readFirstSession(ctx)
  if ('status' in first) return first
  const hint = poolerHostHint(host, port)
  const proxied = first.serverPort !== null && first.serverPort !== port
  const evidence: Evidence = {host, port, serverPort: first.serverPort, backendPid: first.pid, hostHint: hint}
  if (!proxied && !hint) return {status: 'pass', code: null, summary: poolerSays.direct({port}), evidence, fix: null}

  const prisma = prismaClientModel(ctx)
  const second = await secondLogin(ctx, login, session, first.pid, prisma.readsUrl && !prisma.flagged)
  evidence.secondLoginBackendPid = second.pid
  if (!second.opened.ok) {
    return secondLoginFailed(second.opened, {port, serverPort: first.serverPort, proxied, hint, evidence}, ctx)
  }
  const shared = second.pid !== null && second.pid === first.pid
  if (!shared)
    return {
      status: 'pass',
      code: null,
      summary: poolerSays.ownConnection({port, serverPort: first.serverPort, proxied, hint}),
      evidence,
      fix: null,
    }
  return transactionPooled(ctx, {pid: first.pid, hint, evidence, prisma, carry: second.carry})
}

/** The shared session's backend pid and the server's own port, or the skip when that read fails. */
async function readFirstSession(ctx: CheckContext): Promise<{pid: number; serverPort: number | null} | CheckOutcome> {
  try {
    const [rows] = await ctx.session!.shared('pooler', POOLER_SQL)
    const r = rows?.[0] ?? {}
    return {
      pid: Number(r.pid),
      serverPort: r.server_port === null || r.server_port === undefined ? null : Number(r.server_port),
    }
  } catch (error) {
    const e = error as {code?: string; message?: string}
    return {
      status: 'skip',
      code: null,
      summary: poolerSays.queryFailed({sqlstate: e.code ?? null, message: e.message ? sessionErrorText(error) : ''}),
      evidence: {sqlstate: e.code ?? null},
      fix: null,
    }
  }
}

/** How Prisma Client reads the URL checked: whether its named prepared statements reach the pooler. */
interface PrismaClientModel {
  /** Where the URL checked came from. */
  urlFrom: string | null
  /** The installed Prisma version, when one is. */
  installed: string | undefined
  /** Prisma ≤ 6's query engine reads this URL (named statements s0, s1, …). */
  readsUrl: boolean
  /** Prisma's `pgbouncer=true` (Prisma reads only "true"), as the URL's parameters read. */
  flagged: boolean
}

function prismaClientModel(ctx: CheckContext): PrismaClientModel {
  const prisma = migrationTools(ctx).find((t) => t.name === 'prisma') ?? null
  const urlFrom = ctx.config.connectionString?.source.label ?? ctx.config.primary?.label ?? null
  // Prisma Client reads the datasource `url`; when a directUrl is set, the URL checked is that one
  // (migrate only), whose prepared statements do not matter beside the migration's own failure. Prisma 7
  // (its URL in prisma.config.*, or 7+ installed) connects its Client through a driver adapter
  // (node-postgres, unnamed statements): the named statements s0, s1, … are Prisma 6's query engine's.
  const installed = ctx.config.launch?.installed.prisma ?? ctx.config.launch?.installed['@prisma/client']
  const prisma7 =
    (ctx.config.primary?.kind === 'prisma' &&
      /prisma\.config|\.config[\\/]prisma/.test(ctx.config.primary.file ?? '')) ||
    (!!installed && Number.parseInt(installed, 10) >= 7)
  const readsUrl = !!prisma && !prisma.directUrl && !prisma7
  const flagged = targetOf(ctx).urlParams?.pgbouncer === 'true'
  return {urlFrom, installed, readsUrl, flagged}
}

/**
 * A second login of the same settings while the shared session is idle between transactions: its backend pid,
 * and, when it got the shared session's server connection and `probeCarry`, whether the pooler carries a
 * named prepared statement from one to the other.
 */
async function secondLogin(
  ctx: CheckContext,
  login: ReturnType<typeof withServerAnswer>,
  session: Session,
  firstPid: number,
  probeCarry: boolean,
): Promise<{
  opened: Awaited<ReturnType<typeof import('../probes/pg-session.js').openSession>>
  pid: number | null
  carry: PreparedCarry | null
}> {
  const {openSession} = await import('../probes/pg-session.js')
  // the login's own info query (one round trip) reads its backend pid
  const second = await openSession(login.config, {
    timeoutMs: ctx.options.timeoutMs,
    ...(login.sslFallback ? {plaintextIfNoTls: true} : {}),
  })
  let pid: number | null = null
  let carry: PreparedCarry | null = null
  if (second.ok) {
    try {
      pid = second.backendPid
      if (pid === firstPid && probeCarry) {
        // the prober is the second login, the holder the shared session (its transaction ends normally
        // even when the prober's query times out)
        const {preparedStatementCarry} = await import('../probes/prepared-statements.js')
        carry = await preparedStatementCarry(second.session, session)
      }
    } catch {}
    await second.session.close()
  }
  return {opened: second, pid, carry}
}

/** Not measured: the second login itself failed, which an app pool's second connection would too. */
async function secondLoginFailed(
  second: {ok: false; error: PgProbeError; ms: number},
  at: {port: number; serverPort: number | null; proxied: boolean; hint: string | null; evidence: Evidence},
  ctx: CheckContext,
): Promise<CheckOutcome> {
  const e = second.error
  const reason = secondLoginReason(e)
  const message = sessionErrorText(e).slice(0, 300)
  const limit =
    reason === 'protocol' && e.protocolLimit
      ? {...e.protocolLimit, messageName: messageName(e.protocolLimit.messageType)}
      : null
  return POOLER_SECOND_LOGIN_FAILED.emit(
    {
      reason,
      message,
      protocolLimit: limit,
      sqlstate: e.code,
      port: at.port,
      serverPort: at.serverPort,
      proxied: at.proxied,
      hint: at.hint,
      timeoutMs: ctx.options.timeoutMs,
    },
    {
      ...at.evidence,
      secondLogin: {
        code: e.code,
        message,
        stage: e.stage,
        timedOut: e.timedOut,
        ms: second.ms,
        protocolLimit: e.protocolLimit ?? null,
      },
    },
  )
}

/** Two logins got one server connection: transaction pooling, and what it does to the tool and to Prisma. */
function transactionPooled(
  ctx: CheckContext,
  m: {pid: number; hint: string | null; evidence: Evidence; prisma: PrismaClientModel; carry: PreparedCarry | null},
): CheckOutcome {
  const {pid, hint, evidence, prisma, carry} = m
  const {urlFrom, flagged} = prisma
  const tool = migrationTools(ctx)[0] ?? null
  // Prisma migrate really fails through it; the knex and node-pg-migrate CLIs connect and migrate
  // (test/differential/pooler.test.ts), so for them it is a warning about what the pool does to
  // locks and session settings, not a predicted failure. For Prisma the URL checked is always the
  // one migrate uses (directUrl when set, else url).
  const toolName =
    tool?.name === 'knex' || tool?.name === 'prisma' || tool?.name === 'node-pg-migrate' ? tool.name : null
  const directUrl =
    tool?.name === 'prisma' && tool.directUrl ? (ctx.config.primary?.kind === 'prisma' ? 'checked' : 'elsewhere') : null
  const findings: Finding[] = [
    POOLER_TRANSACTION_MODE.finding(
      {pid, hint, tool: toolName, directUrl, urlFrom},
      {...evidence, migrationTool: toolName, directUrl: tool?.directUrl ?? null},
      {status: toolName === 'prisma' && directUrl !== 'elsewhere' ? 'fail' : 'warn'},
    ),
  ]
  if (prisma.readsUrl) {
    const prepared: Evidence = {
      pgbouncerParameter: flagged,
      modelled: poolerPreparedEvidence.modelled({version: prisma.installed ?? '≤ 6'}),
      measured: poolerPreparedEvidence.measured({flagged, carry}),
    }
    findings[0]!.evidence.preparedStatements = prepared
    if (!flagged && carry?.outcome !== 'carried') {
      const measured = carry?.outcome === 'not-carried'
      findings.push(
        POOLER_PREPARED_STATEMENTS.finding(
          {
            urlFrom: urlFrom ?? 'the datasource url',
            snippet: urlWithParamSnippet(ctx.config, 'pgbouncer', 'true'),
            measured,
            ...(carry?.outcome === 'not-carried'
              ? {sqlstate: carry.sqlstate, message: carry.message}
              : {reason: carry?.outcome === 'inconclusive' ? carryUnknownWords(carry.why) : 'no second session'}),
            hint,
          },
          {preparedStatements: prepared},
        ),
      )
    }
  }
  return foldFindings(findings.sort(failsFirst), {})
}

/** Why the second login failed: the pooler's client limit, a protocol violation, no answer in time, or else. */
function secondLoginReason(e: PgProbeError): SecondLoginReason {
  // the step deadline is enforced on the socket as a protocol limit of its own: that is no answer in time
  if (e.timedOut || e.protocolLimit?.kind === 'deadline') return 'timeout'
  if (e.protocolLimit) return 'protocol'
  if (classifyAuthError(e).code === 'AUTH_TOO_MANY_CONNECTIONS') return 'client-limit'
  return 'other'
}

export const poolerCheck: RegisteredCheck<'pooler'> = {
  id: 'pooler',
  title: poolerSays.title(),
  establishes: poolerSays.establishes(),
  codes: [poolerEntries],
  // not auth: a pooler's refusal of the login is this check's finding (auth skips for it). But a TLS
  // handshake the app's settings cannot complete means no login at all: nothing to ask the pooler.
  requires: ['tcp', 'postgres', 'tls', 'ssl-config'],
  provides: [],
  // the server's answer to SSLRequest: its client connects as the app's driver would (withServerAnswer)
  uses: ['postgres'],
  usesSession: true,
  queries: () => POOLER_SQL,
  run: runPooler,
}
