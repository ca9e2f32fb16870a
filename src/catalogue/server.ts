// Codes of the `server` check (server state that decides whether a migration can run), and the check's
// words: the summaries and fixes of its findings, built from the params the check emits
// (src/checks/server.ts holds data only).
import type {Fix} from '../core/types.js'
import {define, messages} from './types.js'

/** Where a setting's value comes from, from pg_settings.source. */
export type SettingSource = 'default' | 'server' | 'database' | 'role' | 'role-in-database' | 'client' | 'other'

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

/** A duration for people: "1 min", "30 s", "500 ms" (summaries and evidence). */
export function humanMs(msValue: number): string {
  if (msValue % 60_000 === 0 && msValue >= 60_000) return `${msValue / 60_000} min`
  if (msValue % 1000 === 0 && msValue >= 1000) return `${msValue / 1000} s`
  return `${msValue} ms`
}

/** "knex migrations" / "a migration" */
function toolWords(tool: string | null): string {
  return tool ? `${tool} migrations` : 'a migration'
}

/** Pass and skip summaries of the server check (no session: src/catalogue/session.ts), and the note on a read-only warning without a tool. */
export const serverSays = messages({
  queryFailed: (p: {code: string | null; message: string | undefined}) => `Skipped: the catalog query failed (${p.code ?? 'error'}: ${p.message}).`,
  healthy: (p: {free: number}) =>
    `Writable primary (not in recovery, default_transaction_read_only off); no timeout that cancels DDL; ${p.free} connection slots free.`,
  noToolNote: () => ' (a warning: no migration tool was found; with one it fails)',
})

type ServerReadOnlyParams =
  | {cause: 'recovery'; tool: string | null; host: string | null; aurora: boolean}
  | {cause: 'default'; tool: string | null; source: SettingSource; user: string; database: string}

type ServerStatementTimeoutParams = {
  /** The timeouts low enough to cancel DDL, in ms, with where they are set. */
  risky: {name: string; value: number; source: SettingSource}[]
  user: string
  database: string
}

type ServerConnectionsExhaustedParams = {
  free: number
  limitedBy: 'role' | 'database' | 'server'
  user: string
  database: string
  maxConnections: number
  reserved: number
  otherSessions: number
  roleLimit: number
  roleSessions: number
  databaseLimit: number
  databaseSessions: number
}

export const SERVER_READ_ONLY = define<ServerReadOnlyParams>({
  code: 'SERVER_READ_ONLY',
  check: 'server',
  status: 'fail',
  statusText: 'fail (warn without a migration tool)',
  title: 'The server or session is read-only',
  meaning:
    'The session the app gets cannot write: the server is a standby in recovery (`pg_is_in_recovery()`: a replica, an Aurora `cluster-ro-` reader endpoint), or `default_transaction_read_only = on` is set for the role, the database, the role in the database, the server or by the app\'s own startup options. Read as the app\'s session has it, outside db-doctor\'s own read-only transaction; the evidence says where it is set.',
  causes: [
    'a replica or reader endpoint in the URL instead of the primary (writer) endpoint',
    '`ALTER ROLE … SET default_transaction_read_only = on` (a read-only role reused for migrations)',
    '`ALTER DATABASE … SET default_transaction_read_only = on` (a database frozen for maintenance or a migration cut-over)',
    'a failover in progress: the old primary came back as a standby',
  ],
  fix: 'Point the migration at the writer endpoint, or remove the read-only default where it is set (the report gives the `ALTER … RESET`).',
  transient: false,
  matchers: [
    'cannot execute CREATE TABLE in a read-only transaction',
    {re: /cannot execute [A-Z ]+ in a read-only transaction/i, needle: 'in a read-only transaction'},
    'recovery is in progress',
    'cannot execute nextval() in a read-only transaction',
  ],
  examples: [
    {source: 'postgres', text: 'ERROR:  cannot execute CREATE TABLE in a read-only transaction'},
    {source: 'knex', text: 'migration file "20240101_init.js" failed: create table "users" (...) - cannot execute CREATE TABLE in a read-only transaction'},
    {source: 'postgres', text: 'ERROR:  cannot execute INSERT in a read-only transaction'},
  ],
  summary: (p) =>
    p.cause === 'recovery'
      ? `The server is a standby in recovery (pg_is_in_recovery() = true)${p.aurora ? `: ${p.host} is an Aurora reader endpoint` : ''}. Every write fails with "cannot execute CREATE TABLE in a read-only transaction"; ${toolWords(p.tool)} cannot run here.`
      : `default_transaction_read_only is on for this session, set by ${SCOPE_WORDS[p.source]}: every transaction the app starts is read-only, so ${toolWords(p.tool)} fail with "cannot execute CREATE TABLE in a read-only transaction".`,
  buildFix: (p): Fix => {
    if (p.cause === 'recovery') {
      return {
        summary: 'Point the migration at the primary (writer) endpoint.',
        steps: [
          p.aurora && p.host
            ? `Use the cluster (writer) endpoint: ${p.host.replace('.cluster-ro-', '.cluster-')}.`
            : 'Use the primary server\'s host (the writer endpoint of a managed cluster), not a replica or reader endpoint.',
        ],
      }
    }
    const reset = resetStatement('default_transaction_read_only', p.source, p.user, p.database)
    return {
      summary:
        p.source === 'client'
          ? 'Remove default_transaction_read_only from the connection options the app sends.'
          : 'Remove the read-only default where it is set (as an owner or superuser), or migrate as a role without it.',
      steps: reset ? [`Run: ${reset}`] : ['Remove `-c default_transaction_read_only=on` from the connection `options` (URL `options=` or PGOPTIONS).'],
      ...(reset ? {snippet: {language: 'sql', code: reset}} : {}),
    }
  },
})

export const SERVER_STATEMENT_TIMEOUT = define<ServerStatementTimeoutParams>({
  code: 'SERVER_STATEMENT_TIMEOUT',
  check: 'server',
  status: 'warn',
  title: 'A timeout low enough to cancel migrations',
  meaning:
    '`statement_timeout` (≤ 60 s) or `lock_timeout` (≤ 2 s) is set for this session: an index build, a table rewrite or a lock wait behind live traffic is cancelled ("canceling statement due to statement timeout", 57014; "canceling statement due to lock timeout", 55P03). The evidence gives the value and where it is set (role, database, role in database, server, or the app\'s startup options).',
  causes: [
    '`ALTER ROLE app SET statement_timeout = …` meant for the app, inherited by migrations that log in as the same role',
    'a database-wide or server-wide `statement_timeout`',
    '`options=-c statement_timeout=…` in the URL the migration reuses',
  ],
  fix: 'Lift it for the migration only (`PGOPTIONS=\'-c statement_timeout=0\'` or `options=` in the migration\'s URL), or remove it where it is set.',
  transient: false,
  matchers: ['canceling statement due to statement timeout', 'canceling statement due to lock timeout'],
  examples: [
    {source: 'postgres', text: 'ERROR:  canceling statement due to statement timeout'},
    {source: 'node-postgres', text: 'error: canceling statement due to lock timeout'},
  ],
  summary: (p) => {
    const words = p.risky.map((r) => `${r.name} = ${humanMs(r.value)} (set by ${SCOPE_WORDS[r.source]})`).join(' and ')
    return `${words}: a migration statement that runs or waits for a lock longer than that is cancelled ("canceling statement due to ${p.risky[0]?.name === 'lock_timeout' ? 'lock timeout' : 'statement timeout'}", 57014/55P03).`
  },
  buildFix: (p) => {
    const resets = p.risky.map((r) => resetStatement(r.name, r.source, p.user, p.database)).filter((x): x is string => !!x)
    const options = p.risky.map((r) => `-c ${r.name}=0`).join(' ')
    return {
      summary: 'Lift the timeout for the migration only, and keep it for the app.',
      steps: [
        `Run the migration with its own session setting, e.g. PGOPTIONS='${options}' (node-postgres and psql read it) or \`options=${encodeURIComponent(options)}\` in the migration's URL.`,
        ...(resets.length ? [`Or remove it where it is set: ${resets.join(' ')}`] : []),
      ],
      snippet: {language: 'bash', code: `PGOPTIONS='${options}' npm run migrate`},
    }
  },
})

export const SERVER_CONNECTIONS_EXHAUSTED = define<ServerConnectionsExhaustedParams>({
  code: 'SERVER_CONNECTIONS_EXHAUSTED',
  check: 'server',
  status: 'warn',
  statusText: 'warn (fail at zero)',
  title: 'Almost no connection slots left',
  meaning:
    'Free slots once db-doctor disconnects: `max_connections` minus reserved slots and current sessions, and the role\'s and the database\'s `CONNECTION LIMIT`. Two or fewer: the migration tool\'s pool (knex opens up to its pool size, Prisma several) will hit "too many connections" (53300).',
  causes: [
    'app pools holding every slot (many replicas × pool size)',
    'a role or database CONNECTION LIMIT sized for the app only',
    'idle sessions left by crashed jobs',
  ],
  fix: 'Free connections (shrink pools, end idle sessions) or raise the limit the evidence names.',
  transient: true,
  // No pasted wording: a refused login ("sorry, too many clients already", Prisma P2037) is
  // AUTH_TOO_MANY_CONNECTIONS; this code is db-doctor's own early warning before the limit is hit.
  matchers: [],
  examples: [{source: 'db-doctor', text: '! Server state SERVER_CONNECTIONS_EXHAUSTED (4 ms)'}],
  summary: (p) => {
    const limitWords =
      p.limitedBy === 'role'
        ? `role "${p.user}" has CONNECTION LIMIT ${p.roleLimit} and ${p.roleSessions} other session(s)`
        : p.limitedBy === 'database'
          ? `database "${p.database}" has CONNECTION LIMIT ${p.databaseLimit} and ${p.databaseSessions} other session(s)`
          : `max_connections ${p.maxConnections}, ${p.reserved} reserved, ${p.otherSessions} other session(s)`
    return `${p.free === 0 ? 'No' : `Only ${p.free}`} connection slot${p.free === 1 ? '' : 's'} free once db-doctor disconnects (${limitWords}): the next connections fail with "too many connections" (53300), and a migration tool's pool needs one or more.`
  },
  buildFix: (p) => ({
    summary: 'Free connections before migrating, or raise the limit.',
    steps: [
      'Stop or shrink the app pools (or idle sessions) that hold the slots: SELECT pid, usename, application_name, state FROM pg_stat_activity.',
      p.limitedBy === 'role'
        ? `Or raise the role's limit: ALTER ROLE ${ident(p.user)} CONNECTION LIMIT ${p.roleLimit + 5};`
        : p.limitedBy === 'database'
          ? `Or raise the database's limit: ALTER DATABASE ${ident(p.database)} CONNECTION LIMIT ${p.databaseLimit + 5};`
          : 'Or raise max_connections (restart needed), or put a pooler in front of the app (not of the migration).',
    ],
  }),
})

export const serverEntries = [SERVER_READ_ONLY, SERVER_STATEMENT_TIMEOUT, SERVER_CONNECTIONS_EXHAUSTED]
