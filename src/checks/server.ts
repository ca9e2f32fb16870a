// Server state that decides whether a migration can run on this connection, read in the shared
// read-only session (in the run's one catalog round trip, see core/session.ts): a standby / read-only default, statement and lock timeouts
// as the app's session has them (and where they are set), free connection slots.
// Always runs; without a migration tool its findings only warn.
// Data only: the words of every outcome are in src/catalogue/server.ts.
import {SERVER_CONNECTIONS_EXHAUSTED, SERVER_READ_ONLY, SERVER_STATEMENT_TIMEOUT, humanMs, serverSays, type SettingSource} from '../catalogue/server.js'
import {sessionSays} from '../catalogue/session.js'
import {poolerRefusal} from './pooler-refusal.js'
import type {Check, CheckContext, CheckOutcome, Evidence} from '../core/types.js'
import {foldFindings, type Finding} from './findings.js'
import {migrationTools} from './tools.js'

type Row = Record<string, unknown>

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
  scoped: {scope: 'role' | 'database' | 'role-in-database' | 'all'; role: string | null; database: string | null; name: string; value: string}[]
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

const WATCHED = ['default_transaction_read_only', 'statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout', 'transaction_timeout']

const SERVER_SQL = [
  `select pg_is_in_recovery() as in_recovery, current_setting('default_transaction_read_only') as dtro,
    current_user as "user", current_database() as database,
    r.rolsuper as superuser, r.rolcreatedb as createdb, r.rolconnlimit as role_limit,
    d.datconnlimit as db_limit, current_schemas(false)::text[] as search_path,
    current_setting('server_version_num')::int as version_num, pg_backend_pid() as pid,
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
    settings[name] = {name, setting: String(row.setting), source: sourceOf(String(row.source)), rawSource: String(row.source)}
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
    },
    settings,
    scoped,
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

/** Pure: what the snapshot means for a migration. `tool`: a migration tool was found or named. */
function evaluateServer(s: ServerSnapshot, opts: {tool: string | null; host: string | null}): Finding[] {
  const out: Finding[] = []
  const f = s.facts
  const hard = opts.tool ? 'fail' : 'warn'
  if (f.inRecovery) {
    const aurora = !!opts.host && /\.cluster-ro-/.test(opts.host)
    out.push(SERVER_READ_ONLY.finding({cause: 'recovery', tool: opts.tool, host: opts.host, aurora}, {pg_is_in_recovery: true, host: opts.host}, {status: hard}))
  } else if (f.defaultReadOnly) {
    const row = s.settings.default_transaction_read_only
    const source = row?.source ?? 'other'
    out.push(
      SERVER_READ_ONLY.finding(
        {cause: 'default', tool: opts.tool, source, user: f.user, database: f.database},
        {default_transaction_read_only: 'on', setBy: source, pgSettingsSource: row?.rawSource ?? null, scoped: s.scoped.filter((x) => x.name === 'default_transaction_read_only')},
        {status: hard},
      ),
    )
  }
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
  if (risky.length) {
    out.push(
      SERVER_STATEMENT_TIMEOUT.finding(
        {risky: risky.map((r) => ({name: r.name, value: r.value, source: r.source})), user: f.user, database: f.database},
        {settings: risky.map((r) => ({setting: r.name, value: humanMs(r.value), setBy: r.source, pgSettingsSource: r.rawSource})), scoped: s.scoped.filter((x) => risky.some((r) => r.name === x.name))},
      ),
    )
  }
  const c = s.connections
  if (c.max > 0) {
    // free slots once db-doctor's own session is gone
    const serverFree = c.max - c.superuserReserved - Math.max(c.reserved, 0) - (c.used - 1)
    const roleFree = c.roleLimit >= 0 ? c.roleLimit - (c.roleUsed - 1) : Number.POSITIVE_INFINITY
    const dbFree = c.databaseLimit >= 0 ? c.databaseLimit - (c.databaseUsed - 1) : Number.POSITIVE_INFINITY
    const free = Math.min(serverFree, roleFree, dbFree)
    const which = free === roleFree ? 'role' : free === dbFree ? 'database' : 'server'
    const serverLow = serverFree <= Math.max(2, Math.ceil(c.max * 0.05))
    if (free <= 2 || serverLow) {
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
      out.push(
        SERVER_CONNECTIONS_EXHAUSTED.finding(
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
        ),
      )
    }
  }
  return out
}

async function runServer(ctx: CheckContext): Promise<CheckOutcome> {
  const broker = ctx.session
  if (!broker) return {status: 'skip', code: null, summary: sessionSays.noSession(), evidence: {}, fix: null}
  const opened = await broker.open()
  if (!opened.ok) {
    return {status: 'skip', code: null, summary: sessionSays.loginFailed({code: opened.error.code, byPooler: !!poolerRefusal(opened.error)}), evidence: {loginError: opened.error.code}, fix: null}
  }
  let results: Row[][]
  try {
    results = await broker.shared('server', SERVER_SQL)
  } catch (error) {
    const e = error as {code?: string; message?: string}
    return {status: 'skip', code: null, summary: serverSays.queryFailed({code: e.code ?? null, message: e.message}), evidence: {error: e.message ?? String(error), sqlstate: e.code ?? null}, fix: null}
  }
  const snap = parseServerSnapshot(results)
  ctx.facts.server = snap.facts
  const tools = migrationTools(ctx)
  const findings = evaluateServer(snap, {tool: tools[0]?.name ?? null, host: ctx.config.fields.host?.value ?? null})
  const c = snap.connections
  const base: Evidence = {
    inRecovery: snap.facts.inRecovery,
    defaultTransactionReadOnly: snap.facts.defaultReadOnly ? 'on' : 'off',
    statementTimeout: snap.settings.statement_timeout?.setting ?? null,
    lockTimeout: snap.settings.lock_timeout?.setting ?? null,
    connections: `${c.used}/${c.max} used, ${c.superuserReserved + Math.max(c.reserved, 0)} reserved`,
    migrationTool: tools.map((t) => t.name).join(', ') || null,
  }
  if (!findings.length) {
    const free = c.max - c.used - c.superuserReserved - Math.max(c.reserved, 0)
    return {status: 'pass', code: null, summary: serverSays.healthy({free}), evidence: base, fix: null}
  }
  const order = (x: Finding) => (x.severity === 'fail' ? 0 : 1)
  findings.sort((a, b) => order(a) - order(b))
  const first = findings[0]!
  const noTool = !tools.length && first.severity === 'warn' && first.code === 'SERVER_READ_ONLY' ? serverSays.noToolNote() : ''
  return foldFindings(findings, base, {note: noTool})
}

export const serverCheck: Check = {
  id: 'server',
  title: 'Server state for migrations',
  requires: ['auth'],
  provides: ['server'],
  uses: ['auth'],
  queries: () => SERVER_SQL,
  run: runServer,
}
