// The connection pooler between the app and PostgreSQL (PgBouncer, Supavisor, RDS Proxy…), as far as
// it decides whether the app's login and its migration work. Always runs (it describes the
// connection path). Today: a pooler that refuses a startup parameter the app sends
// (POOLER_STARTUP_PARAMETER), read from the login of the run's shared session.
import type {Check, CheckContext, CheckOutcome, Evidence, Fix} from '../core/types.js'
import {migrationTools} from './tools.js'

/** PgBouncer: `unsupported startup parameter: options` (08P01); also its `: search_path`, `: statement_timeout`… */
const UNSUPPORTED_PARAMETER = /unsupported startup parameter:?\s*"?([A-Za-z_][A-Za-z0-9_.-]{0,62})"?/i

/** Supavisor's answer when the user name (or the SNI host) names no project: XX000 "Tenant or user not found". */
const TENANT_NOT_FOUND = /Tenant or user not found/i

/** Pure: a Supabase pooler host with a user lacking `.<project-ref>` (names only, nothing is resolved). */
export function supabaseTenantProblem(host: string | null, user: string | null): {host: string; user: string} | null {
  if (!host || !user) return null
  if (!/\.pooler\.supabase\.com$/i.test(host.trim())) return null
  if (/\.[a-z0-9]{6,}$/i.test(user)) return null
  return {host: host.trim(), user}
}

function tenantNotFound(ctx: CheckContext, summary: string, evidence: Evidence): CheckOutcome {
  const userFrom = ctx.config.fields.user?.source.label ?? ctx.config.connectionString?.source.label ?? "the app's connection settings"
  const user = ctx.config.fields.user?.value ?? 'postgres'
  const base = user.split('.')[0] || 'postgres'
  return {
    status: 'fail',
    code: 'POOLER_TENANT_NOT_FOUND',
    summary,
    evidence: {...evidence, userFrom},
    fix: {
      summary: `Use the pooler user name with the project ref: \`${base}.<project-ref>\`, in ${userFrom}.`,
      steps: [
        `Copy the connection string from the Supabase dashboard (Connect → the pooler "Session" or "Transaction" string): its user is \`${base}.<project-ref>\`; set that user in ${userFrom}.`,
        'Check that the host is the pooler host of the project\'s region shown there (a pooler of another region does not know the project).',
        'Or connect directly to db.<project-ref>.supabase.co:5432 (IPv6 unless the IPv4 add-on is enabled) with the plain user.',
      ],
    },
  }
}

/** Pure: the startup parameter a pooler refused, from the login error; null when it is not that error. */
export function refusedStartupParameter(error: {code?: string | null; message?: string | null}): string | null {
  const m = UNSUPPORTED_PARAMETER.exec(error.message ?? '')
  if (!m) return null
  if (error.code && error.code !== '08P01' && error.code !== 'XX000') return null
  return m[1]!
}

/** Where the app's settings send that parameter from (node-postgres startup parameters). */
function parameterSource(ctx: Pick<CheckContext, 'config'>, parameter: string): string {
  if (parameter === 'options') {
    const f = ctx.config.fields.options
    if (f) return f.source.label
    return 'the connection `options` (URL `options=` or PGOPTIONS)'
  }
  if (parameter === 'application_name') return ctx.config.fields.application_name?.source.label ?? 'the connection `application_name`'
  if (/^(statement_timeout|lock_timeout|idle_in_transaction_session_timeout)$/.test(parameter)) {
    return `the client config's \`${parameter}\` (node-postgres sends it as a startup parameter; e.g. a knexfile \`connection.${parameter}\`)`
  }
  if (parameter === 'search_path') return 'a client that sends `search_path` at startup (e.g. a `-c search_path=…` option or the driver\'s schema setting)'
  return ctx.config.connectionString?.source.label ?? ctx.config.primary?.label ?? "the app's connection settings"
}

export function startupParameterFix(parameter: string, source: string): Fix {
  const dropsSettings = parameter === 'options' || parameter === 'search_path'
  return {
    summary: `Stop sending \`${parameter}\` through the pooler, or let the pooler ignore it.`,
    steps: [
      `Remove \`${parameter}\` from ${source}${dropsSettings ? ', and set what it carried on the role instead (e.g. `ALTER ROLE app SET search_path = myschema;`) or with a `SET` after connecting' : ''}.`,
      `Or, on PgBouncer: add it to \`ignore_startup_parameters\` in pgbouncer.ini (e.g. \`ignore_startup_parameters = extra_float_digits,${parameter}\`) and reload PgBouncer${dropsSettings ? ' — the pooler then drops it silently, so the settings it carried no longer apply' : ''}.`,
      'Or connect the migration to the database directly (the direct host or port, not the pooler), which accepts every startup parameter.',
    ],
    snippet: {language: 'ini', code: `[pgbouncer]\nignore_startup_parameters = extra_float_digits,${parameter}`},
  }
}

export async function runPooler(ctx: CheckContext): Promise<CheckOutcome> {
  const broker = ctx.session
  if (!broker) return {status: 'skip', code: null, summary: 'Skipped: no database session in this run.', evidence: {}, fix: null}
  const tenant = supabaseTenantProblem(ctx.config.fields.host?.value ?? null, ctx.config.fields.user?.value ?? null)
  if (tenant) {
    // before connecting: Supavisor would answer "Tenant or user not found" to every login
    return tenantNotFound(ctx, `The host ${tenant.host} is Supabase's shared pooler (Supavisor), which finds the project from the user name: it must be \`${tenant.user}.<project-ref>\`, and "${tenant.user}" has no \`.<project-ref>\`. Every login fails with "Tenant or user not found" (XX000).`, {host: tenant.host, user: tenant.user, before: 'connecting'})
  }
  const opened = await broker.open()
  if (!opened.ok) {
    if (TENANT_NOT_FOUND.test(opened.error.message ?? '')) {
      return tenantNotFound(ctx, `The pooler answers the login with "${opened.error.message}" (${opened.error.code ?? 'no SQLSTATE'}): Supavisor does not know the project (tenant) from the user name and host, or the user.`, {sqlstate: opened.error.code ?? null, serverMessage: opened.error.message})
    }
    const parameter = refusedStartupParameter(opened.error)
    if (parameter) {
      const source = parameterSource(ctx, parameter)
      return {
        status: 'fail',
        code: 'POOLER_STARTUP_PARAMETER',
        summary: `The pooler refuses the startup parameter \`${parameter}\` the app sends ("${opened.error.message}", ${opened.error.code ?? 'no SQLSTATE'}): every connection of the app fails at login. It comes from ${source}.`,
        evidence: {parameter, source, sqlstate: opened.error.code ?? null, serverMessage: opened.error.message},
        fix: startupParameterFix(parameter, source),
      }
    }
    return {status: 'skip', code: null, summary: `Skipped: no session (the login failed${opened.error.code ? ` with ${opened.error.code}` : ''}; see the auth check).`, evidence: {loginError: opened.error.code}, fix: null}
  }
  return transactionMode(ctx, opened.session)
}

/** Pure: what the host and port say about a pooler in front (names only, nothing is resolved). */
export function poolerHostHint(host: string | null | undefined, port: number): string | null {
  const h = (host ?? '').toLowerCase()
  if (/\.pooler\.supabase\.com$/.test(h)) return port === 6543 ? 'Supabase pooler (Supavisor), transaction port 6543' : `Supabase pooler (Supavisor), port ${port}`
  if (/-pooler\./.test(h) && /neon\.tech$/.test(h)) return 'Neon pooled endpoint (-pooler: PgBouncer in transaction mode)'
  if (/\.proxy-[a-z0-9]+\./.test(h) && /\.rds\.amazonaws\.com$/.test(h)) return 'Amazon RDS Proxy endpoint'
  if (port === 6432) return 'port 6432 (PgBouncer\'s default port)'
  if (port === 6543) return 'port 6543 (the transaction-pooler port of Supabase)'
  return null
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
  const {resolvePgClientConfig} = await import('../config/pg-config.js')
  const config = resolvePgClientConfig(ctx.config, ctx.env).config
  const port = config.port ?? 5432
  const host = config.host ?? null
  let first: {pid: number; serverPort: number | null}
  try {
    const [rows] = await ctx.session!.shared('pooler', POOLER_SQL)
    const r = rows?.[0] ?? {}
    first = {pid: Number(r.pid), serverPort: r.server_port === null || r.server_port === undefined ? null : Number(r.server_port)}
  } catch (error) {
    const e = error as {code?: string; message?: string}
    return {status: 'skip', code: null, summary: `Skipped: the query failed (${e.code ?? 'error'}: ${e.message}).`, evidence: {sqlstate: e.code ?? null}, fix: null}
  }
  const hint = poolerHostHint(host, port)
  const proxied = first.serverPort !== null && first.serverPort !== port
  const evidence: Evidence = {host, port, serverPort: first.serverPort, backendPid: first.pid, hostHint: hint}
  if (!proxied && !hint) {
    return {status: 'pass', code: null, summary: `No pooler in between: the server listens on the port the app connects to (${port}).`, evidence, fix: null}
  }
  const {openSession} = await import('../probes/pg-session.js')
  // the login's own info query (one round trip) reads its backend pid
  const second = await openSession(config, {timeoutMs: ctx.options.timeoutMs})
  let secondPid: number | null = null
  if (second.ok) {
    secondPid = second.backendPid
    await second.session.close()
  }
  evidence.secondLoginBackendPid = secondPid
  const shared = secondPid !== null && secondPid === first.pid
  if (!shared) {
    return {
      status: 'pass',
      code: null,
      summary: `${proxied ? `A proxy or pooler sits in between (the app connects to port ${port}, the server listens on ${first.serverPort})` : `The host looks like a pooler (${hint})`}, and a second login got its own server connection: no sign of transaction pooling.`,
      evidence,
      fix: null,
    }
  }
  const tools = migrationTools(ctx)
  const tool = tools[0] ?? null
  // Prisma migrate really fails through it; the knex and node-pg-migrate CLIs connect and migrate
  // (test/differential/pooler.test.ts), so for them it is a warning about what the pool does to
  // locks and session settings, not a predicted failure.
  const throughIt = tool ? !(tool.name === 'prisma' && tool.directUrl) : false
  const fails = throughIt && tool?.name === 'prisma'
  const why =
    tool?.name === 'prisma'
      ? tool.directUrl
        ? 'Prisma migrate uses directUrl, not this URL'
        : 'Prisma migrate runs through it (no directUrl): its advisory lock 72707369 and prepared statements break ("P1002", "prepared statement \"s0\" already exists")'
      : tool?.name === 'knex'
        ? 'knex runs through it: its migrations work (its lock is a row in the lock table), but session settings such as a knexfile `searchPath` are lost between transactions and leak to other clients of the pool'
        : tool
          ? `${tool.name} runs through it: its migrations work, but its advisory lock is taken on whatever server connection the pooler hands out, so it no longer keeps two concurrent runs apart (or is left held for another client)`
        : 'no migration tool was found; a migration run through it loses advisory locks and session settings between transactions'
  return {
    status: fails ? 'fail' : 'warn',
    code: 'POOLER_TRANSACTION_MODE',
    summary: `Transaction pooling: two separate logins got the same server connection (backend pid ${first.pid})${hint ? ` — ${hint}` : ''}; ${why}.`,
    evidence: {...evidence, migrationTool: tool?.name ?? null, directUrl: tool?.directUrl ?? null},
    fix: {
      summary: 'Run migrations on a session connection: the direct host, the pooler\'s session port, or (Prisma) directUrl.',
      steps: [
        tool?.name === 'prisma'
          ? 'Set `directUrl = env("DIRECT_URL")` in the datasource of schema.prisma, with DIRECT_URL pointing at the database directly (or at the session port); keep the pooled URL for the app.'
          : "Point the migration's URL at the database directly, or at the pooler's session-mode port (Supabase: 5432 on the pooler host; Neon: the host without -pooler).",
        'Or set `pool_mode = session` for this database in pgbouncer.ini (a `[databases]` entry with pool_mode=session).',
      ],
    },
  }
}

export const poolerCheck: Check = {
  id: 'pooler',
  title: 'Connection pooler',
  requires: ['tcp', 'postgres'],
  provides: [],
  uses: [],
  queries: () => POOLER_SQL,
  run: runPooler,
}
