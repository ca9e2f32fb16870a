// Server state that decides whether a migration can run on this connection, read in the shared
// read-only session (in the run's one catalog round trip, see probes/session.ts): a standby / read-only default, statement and lock timeouts
// as the app's session has them (and where they are set), free connection slots.
// Always runs; without a migration tool its findings only warn.
// Data only: the words of every outcome are in src/catalogue/server.ts.
import os from 'node:os'
import {DEFAULT_PORT} from '../config/connection-string.js'
import {targetOf} from '../config/target.js'
import {appSourceFiles} from '../config/app-source.js'
import {importsPg, poolsInCode} from '../models/drivers/node-postgres.js'
import {appPoolFailing, modelIdleEnd, modelPool, type AppPool, type IdleEnd} from '../models/pool.js'
import {poolerHostHint} from './pooler.js'
import {urlWithParamSnippet} from '../catalogue/snippets.js'
import {
  SERVER_CONNECTION_BUDGET,
  SERVER_CONNECTIONS_EXHAUSTED,
  SERVER_IDLE_SESSION_TIMEOUT,
  SERVER_LONG_TRANSACTION,
  SERVER_NO_LOCK_TIMEOUT,
  SERVER_READ_ONLY,
  SERVER_STATEMENT_TIMEOUT,
  humanMs,
  idleEndWords,
  serverSays,
  type SettingSource,
  serverEntries,
} from '../catalogue/server.js'
import {sessionErrorText, sessionSays} from '../catalogue/session.js'
import {poolerRefusal} from './pooler-refusal.js'
import type {ResolvedConfig} from '../config/types.js'
import type {CheckOutcome, Evidence, Snippet} from '../core/types.js'
import type {CheckContext, RegisteredCheck} from './types.js'
import {foldFindings, type Finding} from './findings.js'
import {migrationTools} from './tools.js'
import type {ToolName} from '../models/tools/names.js'

/** What the server check read in the shared session. */
interface ServerFacts {
  inRecovery: boolean
  defaultReadOnly: boolean
  user: string
  database: string
  superuser: boolean
  createdb: boolean
  /** current_schemas(false): the search path as resolved for this role. */
  searchPath: string[]
  serverVersionNum: number
  backendPid: number
  /** inet_server_port(): the server's own port (another than the app's: something in between). */
  serverPort: number | null
}

declare module '../core/facts.js' {
  interface Facts {
    server?: ServerFacts
  }
}

type Row = Record<string, unknown>

interface OpenTransaction {
  pid: number
  user: string | null
  application_name: string | null
  state: string | null
  xactAgeSeconds: number
}

interface SettingRow {
  name: string
  /** milliseconds for timeouts, 'on'/'off' for booleans */
  setting: string
  source: SettingSource
  rawSource: string
}

interface ServerSnapshot {
  facts: ServerFacts
  settings: Record<string, SettingRow>
  /** pg_db_role_setting entries that apply to this role and database. */
  scoped: {
    scope: 'role' | 'database' | 'role-in-database' | 'all'
    role: string | null
    database: string | null
    name: string
    value: string
  }[]
  /** Open transactions of other sessions in this database, oldest first (at most 20). */
  transactions: OpenTransaction[]
  connections: {
    max: number
    superuserReserved: number
    reserved: number
    used: number
    roleLimit: number
    roleUsed: number
    databaseLimit: number
    databaseUsed: number
  }
}

const WATCHED = [
  'default_transaction_read_only',
  'statement_timeout',
  'lock_timeout',
  'idle_in_transaction_session_timeout',
  'transaction_timeout',
  'idle_session_timeout',
]

const SERVER_SQL = [
  `select pg_is_in_recovery() as in_recovery, current_setting('default_transaction_read_only') as dtro,
    current_user as "user", current_database() as database,
    r.rolsuper as superuser, r.rolcreatedb as createdb, r.rolconnlimit as role_limit,
    d.datconnlimit as db_limit, current_schemas(false)::text[] as search_path,
    current_setting('server_version_num')::int as version_num, pg_backend_pid() as pid, inet_server_port() as server_port,
    current_setting('max_connections')::int as max_connections,
    current_setting('superuser_reserved_connections')::int as su_reserved,
    coalesce(current_setting('reserved_connections', true), '0')::int as reserved,
    (select count(*) from pg_stat_activity where backend_type = 'client backend')::int as used,
    (select count(*) from pg_stat_activity where backend_type = 'client backend' and usename = current_user)::int as role_used,
    (select count(*) from pg_stat_activity where backend_type = 'client backend' and datname = current_database())::int as db_used
   from pg_roles r, pg_database d where r.rolname = current_user and d.datname = current_database()`,
  `select name, setting, source from pg_settings where name in (${WATCHED.map((n) => `'${n}'`).join(', ')})`,
  `select r.rolname as role, d.datname as database, s.setconfig::text[] as config from pg_db_role_setting s
    left join pg_roles r on r.oid = s.setrole left join pg_database d on d.oid = s.setdatabase
   where (s.setrole = 0 or r.rolname = current_user) and (s.setdatabase = 0 or d.datname = current_database())`,
  // the oldest open transactions of other client sessions in this database (state and times are visible
  // for this role's own sessions, or with pg_read_all_stats); no query text: it may hold secrets
  `select a.pid, a.usename as "user", a.application_name, a.state,
    extract(epoch from now() - a.xact_start)::int as xact_age
   from pg_stat_activity a where a.datname = current_database() and a.backend_type = 'client backend'
    and a.pid <> pg_backend_pid() and a.xact_start is not null order by a.xact_start limit 20`,
]

function sourceOf(raw: string): SettingSource {
  switch (raw) {
    case 'default':
      return 'default'
    case 'configuration file':
    case 'command line':
    case 'environment variable':
    case 'override':
      return 'server'
    case 'database':
      return 'database'
    case 'user':
      return 'role'
    case 'database user':
      return 'role-in-database'
    case 'client':
      return 'client'
    default:
      return 'other'
  }
}

function pgArray(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String)
  if (typeof v !== 'string') return []
  const inner = v.replace(/^\{|\}$/g, '')
  if (!inner) return []
  return inner.split(',').map((s) => s.replace(/^"|"$/g, '').replace(/\\(.)/g, '$1'))
}

/** Pure: the three result sets of SERVER_SQL → a snapshot. */
function parseServerSnapshot(results: Row[][]): ServerSnapshot {
  const r = (results[0]?.[0] ?? {}) as Record<string, unknown>
  const n = (v: unknown) => (v === null || v === undefined ? -1 : Number(v))
  const settings: Record<string, SettingRow> = {}
  for (const row of results[1] ?? []) {
    const name = String(row.name)
    settings[name] = {
      name,
      setting: String(row.setting),
      source: sourceOf(String(row.source)),
      rawSource: String(row.source),
    }
  }
  const scoped: ServerSnapshot['scoped'] = []
  for (const row of results[2] ?? []) {
    const role = (row.role as string | null) ?? null
    const database = (row.database as string | null) ?? null
    const scope = role && database ? 'role-in-database' : role ? 'role' : database ? 'database' : 'all'
    for (const entry of pgArray(row.config)) {
      const eq = entry.indexOf('=')
      if (eq < 0) continue
      scoped.push({scope, role, database, name: entry.slice(0, eq), value: entry.slice(eq + 1)})
    }
  }
  return {
    facts: {
      inRecovery: r.in_recovery === true,
      defaultReadOnly: r.dtro === 'on',
      user: String(r.user ?? ''),
      database: String(r.database ?? ''),
      superuser: r.superuser === true,
      createdb: r.createdb === true,
      searchPath: pgArray(r.search_path),
      serverVersionNum: n(r.version_num),
      backendPid: n(r.pid),
      serverPort: r.server_port === null || r.server_port === undefined ? null : Number(r.server_port),
    },
    settings,
    scoped,
    transactions: (results[3] ?? []).map((row) => ({
      pid: Number(row.pid),
      user: (row.user as string | null) ?? null,
      application_name: (row.application_name as string | null) || null,
      state: (row.state as string | null) ?? null,
      xactAgeSeconds: Number(row.xact_age ?? 0),
    })),
    connections: {
      max: n(r.max_connections),
      superuserReserved: n(r.su_reserved),
      reserved: n(r.reserved),
      used: n(r.used),
      roleLimit: n(r.role_limit),
      roleUsed: n(r.role_used),
      databaseLimit: n(r.db_limit),
      databaseUsed: n(r.db_used),
    },
  }
}

/** Timeouts at or below these cancel ordinary DDL (an index build, a table rewrite, a lock wait behind traffic). */
const STATEMENT_TIMEOUT_RISK_MS = 60_000
const LOCK_TIMEOUT_RISK_MS = 2_000

function ms(v: string): number {
  const n = Number(v)
  return Number.isFinite(n) ? n : 0
}

/** A transaction open this long holds its locks this long: a migration's lock queues behind it. */
const LONG_TRANSACTION_S = 60

interface ServerEvaluationOptions {
  tool: string | null
  host: string | null
  longTransactionS?: number
  idleEnd?: IdleEnd
}

/** Pure: what the snapshot means for a migration. `tool`: a migration tool was found or named. */
function evaluateServer(s: ServerSnapshot, opts: ServerEvaluationOptions): Finding[] {
  return [
    readOnly(s, opts),
    statementTimeouts(s),
    idleSessionTimeout(s, opts),
    ...longTransactions(s, opts),
    connectionsExhausted(s),
  ].filter((f): f is Finding => f !== null)
}

/** The server (in recovery) or the session (default_transaction_read_only) accepts no writes. */
function readOnly(s: ServerSnapshot, opts: ServerEvaluationOptions): Finding | null {
  const f = s.facts
  const hard = opts.tool ? 'fail' : 'warn'
  if (f.inRecovery) {
    const aurora = !!opts.host && /\.cluster-ro-/.test(opts.host)
    return SERVER_READ_ONLY.finding(
      {cause: 'recovery', tool: opts.tool, host: opts.host, aurora},
      {pg_is_in_recovery: true, host: opts.host},
      {status: hard},
    )
  }
  if (!f.defaultReadOnly) return null
  const row = s.settings.default_transaction_read_only
  const source = row?.source ?? 'other'
  return SERVER_READ_ONLY.finding(
    {cause: 'default', tool: opts.tool, source, user: f.user, database: f.database},
    {
      default_transaction_read_only: 'on',
      setBy: source,
      pgSettingsSource: row?.rawSource ?? null,
      scoped: s.scoped.filter((x) => x.name === 'default_transaction_read_only'),
    },
    {status: hard},
  )
}

/** statement_timeout / lock_timeout short enough to cancel ordinary DDL. */
function statementTimeouts(s: ServerSnapshot): Finding | null {
  const f = s.facts
  const risky: {name: string; value: number; source: SettingSource; rawSource: string}[] = []
  for (const [name, limit] of [
    ['statement_timeout', STATEMENT_TIMEOUT_RISK_MS],
    ['lock_timeout', LOCK_TIMEOUT_RISK_MS],
  ] as const) {
    const row = s.settings[name]
    if (!row) continue
    const v = ms(row.setting)
    if (v > 0 && v <= limit) risky.push({name, value: v, source: row.source, rawSource: row.rawSource})
  }
  if (!risky.length) return null
  return SERVER_STATEMENT_TIMEOUT.finding(
    {
      risky: risky.map((r) => ({name: r.name, value: r.value, source: r.source})),
      user: f.user,
      database: f.database,
    },
    {
      settings: risky.map((r) => ({
        setting: r.name,
        value: humanMs(r.value),
        setBy: r.source,
        pgSettingsSource: r.rawSource,
      })),
      scoped: s.scoped.filter((x) => risky.some((r) => r.name === x.name)),
    },
  )
}

/**
 * The server ends idle sessions: only node-postgres' Pool in the app's own code fails on it (an 'error'
 * event that ends a process without a listener); the tools' pools and postgres.js reconnect (measured).
 */
function idleSessionTimeout(s: ServerSnapshot, opts: ServerEvaluationOptions): Finding | null {
  const f = s.facts
  const idle = s.settings.idle_session_timeout
  const idleMs = idle ? ms(idle.setting) : 0
  const end = opts.idleEnd
  // the Pools the app's source creates, when read: the first one the timeout brings down; else the
  // model's Pool with pg-pool's defaults
  const failing =
    idle && idleMs > 0 && end?.onEnd === 'error-event'
      ? end.pools?.length
        ? appPoolFailing(end.pools, idleMs)
        : idleMs < (end.idleMs ?? 0)
          ? {pool: null, keptMs: end.idleMs!}
          : null
      : null
  if (!idle || !end || !failing) return null
  return SERVER_IDLE_SESSION_TIMEOUT.finding(
    {
      timeoutMs: idleMs,
      source: idle.source,
      user: f.user,
      database: f.database,
      tool: opts.tool,
      poolIdleMs: failing.keptMs,
      pool: failing.pool ? {at: failing.pool.at, idleTimeoutMillis: failing.pool.idleTimeoutMillis} : null,
    },
    {
      idle_session_timeout: humanMs(idleMs),
      setBy: idle.source,
      pgSettingsSource: idle.rawSource,
      poolModelled: idleEndWords(end),
      ...(end.pools ? {appPools: end.pools} : {}),
      scoped: s.scoped.filter((x) => x.name === 'idle_session_timeout'),
    },
  )
}

/** Transactions open long enough that a migration's lock queues behind them, and no lock_timeout to stop the wait. */
function longTransactions(s: ServerSnapshot, opts: ServerEvaluationOptions): Finding[] {
  const f = s.facts
  const threshold = opts.longTransactionS ?? LONG_TRANSACTION_S
  const long = s.transactions.filter((t) => t.xactAgeSeconds >= threshold)
  if (!long.length) return []
  const lockRow = s.settings.lock_timeout
  const lockTimeoutMs = lockRow ? ms(lockRow.setting) : 0
  const out = [
    SERVER_LONG_TRANSACTION.finding(
      {sessions: long, thresholdS: threshold, database: f.database, tool: opts.tool, lockTimeoutMs},
      {longTransactions: long, thresholdSeconds: threshold, lockTimeout: humanMs(lockTimeoutMs)},
    ),
  ]
  // the migration role would wait behind them forever: only said when it bites (a tool, and a transaction now)
  if (opts.tool && lockTimeoutMs === 0)
    out.push(
      SERVER_NO_LOCK_TIMEOUT.finding(
        {tool: opts.tool, user: f.user, database: f.database, oldest: long[0]!, source: lockRow?.source ?? 'default'},
        {lock_timeout: '0', setBy: lockRow?.source ?? 'default', pgSettingsSource: lockRow?.rawSource ?? null},
      ),
    )
  return out
}

/** Few or no connection slots left for the role, the database or the server. */
function connectionsExhausted(s: ServerSnapshot): Finding | null {
  const f = s.facts
  const c = s.connections
  if (!(c.max > 0)) return null
  // free slots once db-doctor's own session is gone
  const serverFree = c.max - c.superuserReserved - Math.max(c.reserved, 0) - (c.used - 1)
  const roleFree = c.roleLimit >= 0 ? c.roleLimit - (c.roleUsed - 1) : Number.POSITIVE_INFINITY
  const dbFree = c.databaseLimit >= 0 ? c.databaseLimit - (c.databaseUsed - 1) : Number.POSITIVE_INFINITY
  const free = Math.min(serverFree, roleFree, dbFree)
  const which = free === roleFree ? 'role' : free === dbFree ? 'database' : 'server'
  const serverLow = serverFree <= Math.max(2, Math.ceil(c.max * 0.05))
  if (!(free <= 2 || serverLow)) return null
  const free0 = Math.max(free, 0)
  const counts = {
    maxConnections: c.max,
    reserved: c.superuserReserved + Math.max(c.reserved, 0),
    otherSessions: c.used - 1,
    roleConnectionLimit: c.roleLimit,
    roleSessions: c.roleUsed - 1,
    databaseConnectionLimit: c.databaseLimit,
    databaseSessions: c.databaseUsed - 1,
  }
  return SERVER_CONNECTIONS_EXHAUSTED.finding(
    {
      free: free0,
      limitedBy: which,
      user: f.user,
      database: f.database,
      maxConnections: counts.maxConnections,
      reserved: counts.reserved,
      otherSessions: counts.otherSessions,
      roleLimit: c.roleLimit,
      roleSessions: counts.roleSessions,
      databaseLimit: c.databaseLimit,
      databaseSessions: counts.databaseSessions,
    },
    {freeSlots: free0, limitedBy: which, ...counts},
    {status: free0 === 0 ? 'fail' : 'warn'},
  )
}

/** What the connection budget is made of: the app's pool, how many processes, and what sits in between. */
interface BudgetInput {
  pool: AppPool
  /** label null: nobody stated it (one instance assumed). */
  instances: {value: number; label: string | null; details?: string[]}
  /** The npm package the app connects with. */
  driver: string
  /** Prisma ≤ 6: the app's URL with connection_limit=n, where it came from. */
  urlSnippet: (n: number) => Snippet | null
  /** The pool is the app's own configuration (a tool's config was found), not only a URL. */
  appConfig: boolean
  /** A pooler in between (its host hint, or 'proxied' when only the server's port differs). */
  pooler: string | null
}

/**
 * Pure: the app's pools (pool size × instances) against the slots the server has. Evaluated when
 * the pool or the instance count is stated (the app's config sets the pool size, --instances, a
 * manifest) or a tool's config was found. A hard limit (the role's or database's CONNECTION LIMIT,
 * max_connections less the reserved slots) below the budget fails when stated (warns on defaults
 * alone, and through a pooler, whose own limits are not visible); the slots free right now below a
 * stated budget warn.
 */
function evaluateBudget(s: ServerSnapshot, b: BudgetInput): {finding: Finding | null; evidence: Evidence} | null {
  const c = s.connections
  if (c.max <= 0) return null
  const stated = b.pool.origin === 'config' || b.instances.label !== null
  if (!stated && !b.appConfig) return null
  const reserved = c.superuserReserved + Math.max(c.reserved, 0)
  const capacity = s.facts.superuser ? c.max : c.max - reserved
  const hard = [
    ...(c.roleLimit >= 0 ? [{by: 'role' as const, value: c.roleLimit}] : []),
    ...(c.databaseLimit >= 0 ? [{by: 'database' as const, value: c.databaseLimit}] : []),
    {by: 'server' as const, value: capacity},
  ].sort((x, y) => x.value - y.value)[0]!
  // free slots once db-doctor's own session is gone
  const free = [
    {by: 'server' as const, value: capacity - (c.used - 1)},
    ...(c.roleLimit >= 0 ? [{by: 'role' as const, value: c.roleLimit - (c.roleUsed - 1)}] : []),
    ...(c.databaseLimit >= 0 ? [{by: 'database' as const, value: c.databaseLimit - (c.databaseUsed - 1)}] : []),
  ].sort((x, y) => x.value - y.value)[0]!
  const budget = b.pool.size * b.instances.value
  const evidence: Evidence = {
    budget,
    pool: {
      size: b.pool.size,
      setting: b.pool.setting,
      origin: b.pool.origin,
      source: b.pool.source,
      owner: b.pool.owner,
      ...(b.pool.cpus !== undefined ? {cpus: b.pool.cpus} : {}),
    },
    instances: b.instances.value,
    instancesFrom: b.instances.label,
    ...(b.instances.details && b.instances.details.length > 1 ? {workloads: b.instances.details} : {}),
    freeSlots: Math.max(free.value, 0),
    freeLimitedBy: free.by,
    hardLimit: hard.value,
    hardLimitBy: hard.by,
    maxConnections: c.max,
    reserved,
    otherSessions: c.used - 1,
    roleConnectionLimit: c.roleLimit,
    databaseConnectionLimit: c.databaseLimit,
    pooler: b.pooler,
  }
  const over = budget > hard.value ? 'hard' : stated && budget > free.value ? 'free' : null
  if (!over) return {finding: null, evidence}
  const status = over === 'hard' && stated && !b.pooler ? 'fail' : 'warn'
  const limit = over === 'hard' ? hard : {by: free.by, value: Math.max(free.value, 0)}
  const finding = SERVER_CONNECTION_BUDGET.finding(
    {
      over,
      budget,
      pool: b.pool,
      instances: b.instances.value,
      instancesFrom: b.instances.label,
      limitedBy: limit.by,
      limit: limit.value,
      maxConnections: c.max,
      reserved,
      otherSessions: c.used - 1,
      user: s.facts.user,
      database: s.facts.database,
      driver: b.driver,
      pooler: b.pooler,
      urlSnippet: b.urlSnippet(Math.max(1, Math.floor(limit.value / b.instances.value))),
    },
    evidence,
    {status},
  )
  return {finding, evidence}
}

/**
 * The server's connection slots as numbers (evidence.connectionSlots; the openmetrics reporter's
 * db_doctor_connection_slots_*), not counting db-doctor's own session: `used` is the other client
 * backends, `reserved` superuser_reserved_connections + reserved_connections (PostgreSQL 16+), `free`
 * what a role without those privileges can still open server-wide (max − reserved − used, at least 0).
 * A role's or database's CONNECTION LIMIT can leave fewer: SERVER_CONNECTIONS_EXHAUSTED says so.
 */
function connectionSlots(c: ServerSnapshot['connections']): {
  max: number
  reserved: number
  used: number
  free: number
} {
  const reserved = c.superuserReserved + Math.max(c.reserved, 0)
  const used = Math.max(c.used - 1, 0)
  return {max: c.max, reserved, used, free: Math.max(c.max - reserved - used, 0)}
}

async function runServer(ctx: CheckContext): Promise<CheckOutcome> {
  const broker = ctx.session
  if (!broker) return {status: 'skip', code: null, summary: sessionSays.noSession(), evidence: {}, fix: null}
  const opened = await broker.open()
  if (!opened.ok) {
    return {
      status: 'skip',
      code: null,
      summary: sessionSays.loginFailed({code: opened.error.code, byPooler: !!poolerRefusal(opened.error)}),
      evidence: {loginError: opened.error.code},
      fix: null,
    }
  }
  let results: Row[][]
  try {
    results = await broker.shared('server', SERVER_SQL)
  } catch (error) {
    const e = error as {code?: string; message?: string}
    return {
      status: 'skip',
      code: null,
      summary: serverSays.queryFailed({code: e.code ?? null, message: e.message && sessionErrorText(error)}),
      evidence: {error: sessionErrorText(error), sqlstate: e.code ?? null},
      fix: null,
    }
  }
  const snap = parseServerSnapshot(results)
  ctx.facts.server = snap.facts
  const tools = migrationTools(ctx)
  const idleEnd = withAppPools(idleEndOf(ctx, tools[0]?.name ?? null), snap, ctx.cwd)
  const findings = evaluateServer(snap, {
    tool: tools[0]?.name ?? null,
    host: ctx.config.fields.host?.value ?? null,
    idleEnd,
    ...(ctx.options.longTransactionSeconds !== undefined ? {longTransactionS: ctx.options.longTransactionSeconds} : {}),
  })
  const budget = evaluateBudget(snap, budgetInput(ctx, snap))
  // the slots nearly gone already: SERVER_CONNECTIONS_EXHAUSTED says so; the budget adds only a failure
  const exhausted = findings.some((x) => x.code === 'SERVER_CONNECTIONS_EXHAUSTED')
  if (budget?.finding && !(exhausted && budget.finding.severity === 'warn')) findings.push(budget.finding)
  const c = snap.connections
  const base: Evidence = {
    inRecovery: snap.facts.inRecovery,
    defaultTransactionReadOnly: snap.facts.defaultReadOnly ? 'on' : 'off',
    statementTimeout: snap.settings.statement_timeout?.setting ?? null,
    lockTimeout: snap.settings.lock_timeout?.setting ?? null,
    connections: `${c.used}/${c.max} used, ${c.superuserReserved + Math.max(c.reserved, 0)} reserved`,
    connectionSlots: connectionSlots(c),
    migrationTool: tools.map((t) => t.name).join(', ') || null,
    ...(budget ? {connectionBudget: budget.evidence} : {}),
    ...idleEvidence(snap, idleEnd, ctx.config.poolIdle),
    // Helm templates are not rendered: their replicas are not counted in the instances, and shown as written
    ...(ctx.config.templatedReplicas ? {replicasNotModelled: ctx.config.templatedReplicas} : {}),
  }
  if (!findings.length) {
    const free = c.max - c.used - c.superuserReserved - Math.max(c.reserved, 0)
    return {status: 'pass', code: null, summary: serverSays.healthy({free}), evidence: base, fix: null}
  }
  const order = (x: Finding) => (x.severity === 'fail' ? 0 : 1)
  findings.sort((a, b) => order(a) - order(b))
  const first = findings[0]!
  const noTool =
    !tools.length && first.severity === 'warn' && first.code === 'SERVER_READ_ONLY' ? serverSays.noToolNote() : ''
  return foldFindings(findings, base, {note: noTool})
}

/** The app's pool against idle_session_timeout: the model of its tool and driver (models/pool.ts). */
function idleEndOf(ctx: CheckContext, found: ToolName | null): IdleEnd {
  const config = ctx.config
  const installedPrisma = config.launch?.installed.prisma ?? config.launch?.installed['@prisma/client']
  return modelIdleEnd({
    tool: config.stack?.tool?.name ?? found,
    driver: config.stack?.driver.name ?? null,
    prismaMajor: installedPrisma ? Number.parseInt(installedPrisma, 10) : null,
  })
}

/**
 * The app's own node-postgres Pools, read from its source (never run) only when they matter: the
 * server ends idle sessions and the model says the app's own Pool meets it.
 */
function withAppPools(end: IdleEnd, snap: ServerSnapshot, cwd: string): IdleEnd {
  const idle = snap.settings.idle_session_timeout
  if (end.onEnd !== 'error-event' || !idle || ms(idle.setting) <= 0) return end
  const pools = appSourceFiles(cwd, importsPg).flatMap((f) =>
    poolsInCode(f.text).map((p) => ({
      at: `${f.display}:${p.line}`,
      idleTimeoutMillis: p.idleTimeoutMillis,
      errorListener: p.errorListener,
    })),
  )
  return {...end, pools: pools.slice(0, 20)}
}

const TOOL_POOL_OWNERS = new Set<IdleEnd['owner']>(['knex', 'sequelize', 'typeorm'])

/** When the server ends idle sessions: what the app's pool does then, and the tool's pool settings as read. */
function idleEvidence(snap: ServerSnapshot, end: IdleEnd, poolIdle: ResolvedConfig['poolIdle']): Evidence {
  const idle = snap.settings.idle_session_timeout
  const idleMs = idle ? ms(idle.setting) : 0
  if (!idle || idleMs <= 0) return {}
  return {
    idleSessionTimeout: {
      value: humanMs(idleMs),
      setBy: idle.source,
      pool: end.owner,
      whenEnded: end.onEnd,
      modelled: idleEndWords(end),
      // the app's own node-postgres Pools as its source shows them (read only for that model)
      ...(end.pools ? {appPools: end.pools} : {}),
      // the tool's own pool settings as its config sets them (knexfile, sequelize config, TypeORM extra)
      ...(poolIdle && TOOL_POOL_OWNERS.has(end.owner)
        ? {poolSettings: {...poolIdle.value, from: poolIdle.source.label}}
        : {}),
    },
  }
}

/** Provenance kinds of a tool's own config file: the pool there is the app's. */
const TOOL_CONFIG_KINDS = new Set(['knexfile', 'prisma', 'typeorm', 'sequelize-cli', 'node-pg-migrate', 'drizzle-kit'])

/** The budget's inputs from the resolved configuration: the app's pool, the instances, a pooler in between. */
function budgetInput(ctx: CheckContext, snap: ServerSnapshot): BudgetInput {
  const config = ctx.config
  const tool = config.stack?.tool?.name ?? null
  const installedPrisma = config.launch?.installed.prisma ?? config.launch?.installed['@prisma/client']
  const target = targetOf(ctx)
  const pool = modelPool({
    tool,
    driver: {name: config.stack?.driver.name ?? null, package: config.stack?.driver.package ?? 'pg'},
    ...(config.pool ? {configured: {value: config.pool.value, label: config.pool.source.label}} : {}),
    urlParams: target.urlParams,
    urlSource: config.connectionString?.source.label ?? null,
    prismaMajor: installedPrisma ? Number.parseInt(installedPrisma, 10) : null,
    cpus: os.availableParallelism(),
  })
  const port = target.pgClient().config.port ?? DEFAULT_PORT
  const hint = poolerHostHint(config.fields.host?.value ?? null, port)
  const proxied = snap.facts.serverPort !== null && snap.facts.serverPort !== port
  const instances = config.instances
  return {
    pool,
    instances: instances
      ? {
          value: instances.value,
          label: instances.source.label,
          ...(instances.details ? {details: instances.details} : {}),
        }
      : {value: 1, label: null},
    driver: config.stack?.driver.package ?? 'pg',
    urlSnippet: (n) =>
      pool.owner === 'prisma' && !pool.prisma7 ? urlWithParamSnippet(config, 'connection_limit', String(n)) : null,
    appConfig: TOOL_CONFIG_KINDS.has(config.primary?.kind ?? ''),
    pooler: hint ?? (proxied ? 'proxied' : null),
  }
}

export const serverCheck: RegisteredCheck<'server'> = {
  id: 'server',
  title: serverSays.title(),
  establishes: serverSays.establishes(),
  codes: [serverEntries],
  requires: ['auth'],
  provides: ['server'],
  uses: [],
  usesSession: true,
  queries: () => SERVER_SQL,
  run: runServer,
}
