// Server state that decides whether a migration can run on this connection, read in the shared
// read-only session (in the run's one catalog round trip, see core/session.ts): a standby / read-only default, statement and lock timeouts
// as the app's session has them (and where they are set), free connection slots.
// Always runs; without a migration tool its findings only warn.
import type {Check, CheckContext, CheckOutcome, Evidence, Fix} from '../core/types.js'
type Row = Record<string, unknown>
import {foldFindings, type Finding as BaseFinding} from './findings.js'
import {migrationTools} from './tools.js'

export interface ServerFacts {
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

/** Where a setting's value comes from, from pg_settings.source. */
export type SettingSource = 'default' | 'server' | 'database' | 'role' | 'role-in-database' | 'client' | 'other'

export interface SettingRow {
  name: string
  /** milliseconds for timeouts, 'on'/'off' for booleans */
  setting: string
  source: SettingSource
  rawSource: string
}

export interface ServerSnapshot {
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

export const SERVER_SQL = [
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
export function parseServerSnapshot(results: Row[][]): ServerSnapshot {
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
export const STATEMENT_TIMEOUT_RISK_MS = 60_000
export const LOCK_TIMEOUT_RISK_MS = 2_000

type Finding = BaseFinding<'SERVER_READ_ONLY' | 'SERVER_STATEMENT_TIMEOUT' | 'SERVER_CONNECTIONS_EXHAUSTED'>

const SCOPE_WORDS: Record<SettingSource, string> = {
  default: 'the server default',
  server: 'the server configuration (postgresql.conf / ALTER SYSTEM / command line)',
  database: 'the database (ALTER DATABASE … SET)',
  role: 'the role (ALTER ROLE … SET)',
  'role-in-database': 'the role in this database (ALTER ROLE … IN DATABASE … SET)',
  client: "the app's own connection settings (startup options)",
  other: 'the session',
}

function ident(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`
}

function resetStatement(setting: string, source: SettingSource, user: string, database: string): string | null {
  if (source === 'role') return `ALTER ROLE ${ident(user)} RESET ${setting};`
  if (source === 'database') return `ALTER DATABASE ${ident(database)} RESET ${setting};`
  if (source === 'role-in-database') return `ALTER ROLE ${ident(user)} IN DATABASE ${ident(database)} RESET ${setting};`
  if (source === 'server') return `ALTER SYSTEM RESET ${setting}; SELECT pg_reload_conf();  -- or remove it from postgresql.conf`
  return null
}

function ms(v: string): number {
  const n = Number(v)
  return Number.isFinite(n) ? n : 0
}

function human(msValue: number): string {
  if (msValue % 60_000 === 0 && msValue >= 60_000) return `${msValue / 60_000} min`
  if (msValue % 1000 === 0 && msValue >= 1000) return `${msValue / 1000} s`
  return `${msValue} ms`
}

/** Pure: what the snapshot means for a migration. `tool`: a migration tool was found or named. */
export function evaluateServer(s: ServerSnapshot, opts: {tool: string | null; host: string | null}): Finding[] {
  const out: Finding[] = []
  const f = s.facts
  const hard = opts.tool ? 'fail' : 'warn'
  const toolWords = opts.tool ? `${opts.tool} migrations` : 'a migration'
  if (f.inRecovery) {
    const aurora = opts.host && /\.cluster-ro-/.test(opts.host)
    out.push({
      code: 'SERVER_READ_ONLY',
      severity: hard,
      summary: `The server is a standby in recovery (pg_is_in_recovery() = true)${aurora ? `: ${opts.host} is an Aurora reader endpoint` : ''}. Every write fails with "cannot execute CREATE TABLE in a read-only transaction"; ${toolWords} cannot run here.`,
      evidence: {pg_is_in_recovery: true, host: opts.host},
      fix: {
        summary: 'Point the migration at the primary (writer) endpoint.',
        steps: [
          aurora
            ? `Use the cluster (writer) endpoint: ${opts.host!.replace('.cluster-ro-', '.cluster-')}.`
            : 'Use the primary server\'s host (the writer endpoint of a managed cluster), not a replica or reader endpoint.',
        ],
      },
    })
  } else if (f.defaultReadOnly) {
    const row = s.settings.default_transaction_read_only
    const source = row?.source ?? 'other'
    const reset = resetStatement('default_transaction_read_only', source, f.user, f.database)
    out.push({
      code: 'SERVER_READ_ONLY',
      severity: hard,
      summary: `default_transaction_read_only is on for this session, set by ${SCOPE_WORDS[source]}: every transaction the app starts is read-only, so ${toolWords} fail with "cannot execute CREATE TABLE in a read-only transaction".`,
      evidence: {default_transaction_read_only: 'on', setBy: source, pgSettingsSource: row?.rawSource ?? null, scoped: s.scoped.filter((x) => x.name === 'default_transaction_read_only')},
      fix: {
        summary: source === 'client' ? 'Remove default_transaction_read_only from the connection options the app sends.' : 'Remove the read-only default where it is set (as an owner or superuser), or migrate as a role without it.',
        steps: reset ? [`Run: ${reset}`] : ['Remove `-c default_transaction_read_only=on` from the connection `options` (URL `options=` or PGOPTIONS).'],
        ...(reset ? {snippet: {language: 'sql', code: reset}} : {}),
      },
    })
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
    const words = risky.map((r) => `${r.name} = ${human(r.value)} (set by ${SCOPE_WORDS[r.source]})`).join(' and ')
    const resets = risky.map((r) => resetStatement(r.name, r.source, f.user, f.database)).filter((x): x is string => !!x)
    const options = risky.map((r) => `-c ${r.name}=0`).join(' ')
    out.push({
      code: 'SERVER_STATEMENT_TIMEOUT',
      severity: 'warn',
      summary: `${words}: a migration statement that runs or waits for a lock longer than that is cancelled ("canceling statement due to ${risky[0]!.name === 'lock_timeout' ? 'lock timeout' : 'statement timeout'}", 57014/55P03).`,
      evidence: {settings: risky.map((r) => ({setting: r.name, value: human(r.value), setBy: r.source, pgSettingsSource: r.rawSource})), scoped: s.scoped.filter((x) => risky.some((r) => r.name === x.name))},
      fix: {
        summary: 'Lift the timeout for the migration only, and keep it for the app.',
        steps: [
          `Run the migration with its own session setting, e.g. PGOPTIONS='${options}' (node-postgres and psql read it) or \`options=${encodeURIComponent(options)}\` in the migration's URL.`,
          ...(resets.length ? [`Or remove it where it is set: ${resets.join(' ')}`] : []),
        ],
        snippet: {language: 'bash', code: `PGOPTIONS='${options}' npm run migrate`},
      },
    })
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
      const limitWords =
        which === 'role'
          ? `role "${f.user}" has CONNECTION LIMIT ${c.roleLimit} and ${c.roleUsed - 1} other session(s)`
          : which === 'database'
            ? `database "${f.database}" has CONNECTION LIMIT ${c.databaseLimit} and ${c.databaseUsed - 1} other session(s)`
            : `max_connections ${c.max}, ${c.superuserReserved + Math.max(c.reserved, 0)} reserved, ${c.used - 1} other session(s)`
      const free0 = Math.max(free, 0)
      out.push({
        code: 'SERVER_CONNECTIONS_EXHAUSTED',
        severity: free0 === 0 ? 'fail' : 'warn',
        summary: `${free0 === 0 ? 'No' : `Only ${free0}`} connection slot${free0 === 1 ? '' : 's'} free once db-doctor disconnects (${limitWords}): the next connections fail with "too many connections" (53300), and a migration tool's pool needs one or more.`,
        evidence: {
          freeSlots: free0,
          limitedBy: which,
          maxConnections: c.max,
          reserved: c.superuserReserved + Math.max(c.reserved, 0),
          otherSessions: c.used - 1,
          roleConnectionLimit: c.roleLimit,
          roleSessions: c.roleUsed - 1,
          databaseConnectionLimit: c.databaseLimit,
          databaseSessions: c.databaseUsed - 1,
        },
        fix: {
          summary: 'Free connections before migrating, or raise the limit.',
          steps: [
            'Stop or shrink the app pools (or idle sessions) that hold the slots: SELECT pid, usename, application_name, state FROM pg_stat_activity.',
            which === 'role'
              ? `Or raise the role's limit: ALTER ROLE ${ident(f.user)} CONNECTION LIMIT ${c.roleLimit + 5};`
              : which === 'database'
                ? `Or raise the database's limit: ALTER DATABASE ${ident(f.database)} CONNECTION LIMIT ${c.databaseLimit + 5};`
                : 'Or raise max_connections (restart needed), or put a pooler in front of the app (not of the migration).',
          ],
        },
      })
    }
  }
  return out
}

export async function runServer(ctx: CheckContext): Promise<CheckOutcome> {
  const broker = ctx.session
  if (!broker) return {status: 'skip', code: null, summary: 'Skipped: no database session in this run.', evidence: {}, fix: null}
  const opened = await broker.open()
  if (!opened.ok) {
    return {status: 'skip', code: null, summary: `Skipped: no session (the login failed${opened.error.code ? ` with ${opened.error.code}` : ''}; see the auth check).`, evidence: {loginError: opened.error.code}, fix: null}
  }
  let results: Row[][]
  try {
    results = await broker.shared('server', SERVER_SQL)
  } catch (error) {
    const e = error as {code?: string; message?: string}
    return {status: 'skip', code: null, summary: `Skipped: the catalog query failed (${e.code ?? 'error'}: ${e.message}).`, evidence: {error: e.message ?? String(error), sqlstate: e.code ?? null}, fix: null}
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
    return {
      status: 'pass',
      code: null,
      summary: `Writable primary (not in recovery, default_transaction_read_only off); no timeout that cancels DDL; ${c.max - c.used - c.superuserReserved - Math.max(c.reserved, 0)} connection slots free.`,
      evidence: base,
      fix: null,
    }
  }
  const order = (x: Finding) => (x.severity === 'fail' ? 0 : 1)
  findings.sort((a, b) => order(a) - order(b))
  const first = findings[0]!
  const noTool = !tools.length && first.severity === 'warn' && first.code === 'SERVER_READ_ONLY' ? ' (a warning: no migration tool was found; with one it fails)' : ''
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
