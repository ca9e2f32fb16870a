// Codes of the `server` check (server state that decides whether a migration can run), and the check's
// words: the summaries and fixes of its findings, built from the params the check emits
// (src/checks/server.ts holds data only).
import type {Fix, Snippet} from '../core/types.js'
import type {AppPool, IdleEnd} from '../models/pool.js'
import {sqlIdentifier} from '../core/sql.js'
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

const ident = (name: string): string => sqlIdentifier(name, {bare: 'when-plain'})

function resetStatement(setting: string, source: SettingSource, user: string, database: string): string | null {
  if (source === 'role') return `ALTER ROLE ${ident(user)} RESET ${setting};`
  if (source === 'database') return `ALTER DATABASE ${ident(database)} RESET ${setting};`
  if (source === 'role-in-database') return `ALTER ROLE ${ident(user)} IN DATABASE ${ident(database)} RESET ${setting};`
  if (source === 'server')
    return `ALTER SYSTEM RESET ${setting}; SELECT pg_reload_conf();  -- or remove it from postgresql.conf`
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
  /** the check's title in reports */
  title: () => 'Server state for migrations',
  /** what the check establishes: its line in docs/codes.md's list of checks (`npm run docs`) */
  establishes: () =>
    "whether a migration can write here, as the app's session has it: not a standby (`pg_is_in_recovery()`), `default_transaction_read_only` off; `statement_timeout` / `lock_timeout` and where they are set; free connection slots. Read in the run's one batched catalog round trip in the shared session; without a migration tool its findings only warn",
  queryFailed: (p: {code: string | null; message: string | undefined}) =>
    `Skipped: the catalog query failed (${p.code ?? 'error'}: ${p.message}).`,
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
    "The session the app gets cannot write: the server is a standby in recovery (`pg_is_in_recovery()`: a replica, an Aurora `cluster-ro-` reader endpoint), or `default_transaction_read_only = on` is set for the role, the database, the role in the database, the server or by the app's own startup options. Read as the app's session has it, outside db-doctor's own read-only transaction; the evidence says where it is set.",
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
    {
      source: 'knex',
      text: 'migration file "20240101_init.js" failed: create table "users" (...) - cannot execute CREATE TABLE in a read-only transaction',
    },
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
            : "Use the primary server's host (the writer endpoint of a managed cluster), not a replica or reader endpoint.",
        ],
      }
    }
    const reset = resetStatement('default_transaction_read_only', p.source, p.user, p.database)
    return {
      summary:
        p.source === 'client'
          ? 'Remove default_transaction_read_only from the connection options the app sends.'
          : 'Remove the read-only default where it is set (as an owner or superuser), or migrate as a role without it.',
      steps: reset
        ? [`Run: ${reset}`]
        : ['Remove `-c default_transaction_read_only=on` from the connection `options` (URL `options=` or PGOPTIONS).'],
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
  fix: "Lift it for the migration only (`PGOPTIONS='-c statement_timeout=0'` or `options=` in the migration's URL), or remove it where it is set.",
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
    const resets = p.risky
      .map((r) => resetStatement(r.name, r.source, p.user, p.database))
      .filter((x): x is string => !!x)
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
    "Free slots once db-doctor disconnects: `max_connections` minus reserved slots and current sessions, and the role's and the database's `CONNECTION LIMIT`. Two or fewer: the migration tool's pool (knex opens up to its pool size, Prisma several) will hit \"too many connections\" (53300).",
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

type ServerIdleSessionTimeoutParams = {
  /** idle_session_timeout in ms */
  timeoutMs: number
  source: SettingSource
  user: string
  database: string
  /** the migration tool found, when one */
  tool: string | null
  /** how long the app's node-postgres Pool keeps an idle client, in ms; null: forever (idleTimeoutMillis: 0) */
  poolIdleMs: number | null
  /** the Pool found in the app's source (file:line, its idleTimeoutMillis as written); null: none read, the model's */
  pool: {at: string; idleTimeoutMillis: number | 'default' | 'unread'} | null
}

/** "10 s (idleTimeoutMillis default)", "forever (idleTimeoutMillis: 0 at src/db.js:4)". */
function keptWords(p: ServerIdleSessionTimeoutParams): string {
  const kept = p.poolIdleMs === null ? 'forever' : humanMs(p.poolIdleMs)
  if (!p.pool) return `${kept} (idleTimeoutMillis default)`
  const how =
    typeof p.pool.idleTimeoutMillis === 'number'
      ? `idleTimeoutMillis: ${p.pool.idleTimeoutMillis}`
      : p.pool.idleTimeoutMillis === 'default'
        ? 'no idleTimeoutMillis: the 10 s default'
        : 'idleTimeoutMillis not written as a number: modelled as the 10 s default'
  return `${kept} (${how}, the Pool created at ${p.pool.at}, no 'error' listener in that file)`
}

/** Whose pool meets idle_session_timeout, in the evidence (models/pool.ts IdleEnd owner). */
const IDLE_OWNER_WORDS: Record<IdleEnd['owner'], string> = {
  knex: "knex's pool (tarn)",
  sequelize: "sequelize's pool",
  typeorm: "TypeORM's pg.Pool (its poolErrorHandler)",
  '@prisma/adapter-pg': "@prisma/adapter-pg's pg.Pool",
  postgres: 'postgres.js',
  pg: "node-postgres' Pool in the app's code",
  'prisma-engine': "Prisma's query engine (Prisma ≤ 6)",
  'other-driver': "the app's driver",
}

/** The evidence line of idle_session_timeout: what the app's pool does when the server ends an idle connection. */
export function idleEndWords(e: IdleEnd): string {
  const who = IDLE_OWNER_WORDS[e.owner]
  if (e.onEnd === 'reconnects')
    return `${who} drops a connection the server ended and opens a new one for the next query (measured): nothing fails${e.owner === 'knex' ? ' (knex logs "Connection Error: Connection ended unexpectedly")' : ''}`
  if (e.onEnd === 'not-modelled') return `${who}: what it does with a connection the server ended is not modelled`
  return `${who} emits 'error' for an idle client the server ended (kept ${humanMs(e.idleMs ?? 10_000)}, idleTimeoutMillis): without pool.on('error') the process exits`
}

export const SERVER_IDLE_SESSION_TIMEOUT = define<ServerIdleSessionTimeoutParams>({
  code: 'SERVER_IDLE_SESSION_TIMEOUT',
  check: 'server',
  status: 'warn',
  title: "The server ends idle sessions before the app's node-postgres Pool lets them go (57P05)",
  meaning:
    "PostgreSQL (14 and later) closes a connection that stays idle longer than `idle_session_timeout`: 57P05 \"terminating connection due to idle-session timeout\". What happens next depends on the pool, as measured against the real drivers: knex, sequelize, TypeORM, Prisma 7's @prisma/adapter-pg and postgres.js (3 and 4) drop the ended connection and reconnect for the next query, so nothing fails; node-postgres' Pool in the app's own code (drizzle with pg, plain pg) emits 'error' for the idle client, and a Pool without `pool.on('error')` ends the process on that unhandled event. The server check reads the setting in the app's own session (and where it is set) and warns only for that Pool, when it keeps idle clients (`idleTimeoutMillis`, 10 s by default) longer than the timeout. It reads the app's own source files for it (as text, never run; bounded: depth 4, no node_modules or build output): each `new Pool({…})` in a file that loads pg, and the Pool drizzle-orm's node-postgres driver creates itself for `drizzle(url)` or `drizzle({connection})`, its `idleTimeoutMillis` when written as a number (0 keeps idle clients forever), and whether that file calls `.on('error', …)`. A Pool that lets idle clients go first, or whose file listens for 'error', passes; without any Pool found, the Pool is modelled with pg-pool's defaults. Prisma ≤ 6's engine is not modelled.",
  causes: [
    "`idle_session_timeout` set for the role, database or server, shorter than the Pool's `idleTimeoutMillis` (10 s by default)",
    "a node-postgres Pool without a `pool.on('error', …)` listener",
  ],
  fix: "Give the app's node-postgres Pool an 'error' listener and an `idleTimeoutMillis` below `idle_session_timeout` (`new Pool({idleTimeoutMillis})`, the Pool you hand to drizzle); lift the setting for the app's role only when the timeout is not meant for it.",
  transient: false,
  matchers: ['terminating connection due to idle-session timeout', '57P05'],
  examples: [
    // PostgreSQL 14+ src/backend/tcop/postgres.c (ProcessInterrupts, ERRCODE_IDLE_SESSION_TIMEOUT); checked in the
    // PostgreSQL 18 server binary, and produced live in test/explain/live.test.ts
    {source: 'postgres', text: 'FATAL:  terminating connection due to idle-session timeout'},
  ],
  summary: (p) =>
    `idle_session_timeout is ${humanMs(p.timeoutMs)} (set by ${SCOPE_WORDS[p.source]}), and node-postgres' Pool in the app's code keeps an idle client ${keptWords(p)}: the server ends it first, the Pool emits 'error' for it, and a Pool without pool.on('error') ends the process ("terminating connection due to idle-session timeout", 57P05).`,
  buildFix: (p): Fix => {
    const below = Math.max(1000, Math.floor(p.timeoutMs / 2))
    const reset = resetStatement('idle_session_timeout', p.source, p.user, p.database)
    const code = [
      `const pool = new Pool({connectionString: process.env.DATABASE_URL, idleTimeoutMillis: ${below}})`,
      "pool.on('error', (err) => console.error('idle client ended', err.message))",
    ].join('\n')
    return {
      summary: `Let the Pool close idle clients before ${humanMs(p.timeoutMs)}, and give it an 'error' listener.`,
      steps: [
        `node-postgres Pool${p.pool ? ` at ${p.pool.at}` : ''}${p.tool === 'drizzle-kit' ? ' (the one you pass to drizzle())' : ''}: idleTimeoutMillis: ${below}, below idle_session_timeout`,
        "pool.on('error', …): an idle client the server ends (restarts, failovers, this timeout) then never ends the process",
        ...(reset ? [`Only if the timeout is not meant for this app: ${reset}`] : []),
      ],
      snippet: {language: 'js', code},
    }
  },
})

type ServerConnectionBudgetParams = {
  /** 'hard': over a limit that never moves (CONNECTION LIMIT, max_connections less reserved); 'free': over the slots free now. */
  over: 'hard' | 'free'
  budget: number
  pool: AppPool
  /** The npm package the app connects with (pg, postgres). */
  driver: string
  instances: number
  /** Where the instance count comes from; null: nobody said (one assumed). */
  instancesFrom: string | null
  limitedBy: 'role' | 'database' | 'server'
  limit: number
  maxConnections: number
  reserved: number
  otherSessions: number
  user: string
  database: string
  /** A pooler in between: its host hint, 'proxied' (the server's port is not the app's), or null. */
  pooler: string | null
  /** Prisma ≤ 6: the app's URL with connection_limit set to the pool size that fits. */
  urlSnippet: Snippet | null
}

/** "10 (knexfile.js pool.max)", "10 (knex's default pool.max, min 2: not set in the knexfile)". */
function poolWords(p: AppPool, driver: string): string {
  if (p.origin === 'config') return `${p.size} (${p.source ?? p.setting})`
  if (p.prisma7)
    return `${p.size} (Prisma 7 connects through @prisma/adapter-pg, a node-postgres Pool: max 10 unless the app's code passes max)`
  if (p.origin === 'docs')
    return `${p.size} (Prisma's default connection_limit, physical CPUs × 2 + 1 per Prisma's docs, modelled with this machine's ${p.cpus} CPUs: the app's machine may have others)`
  if (p.where === 'app-code')
    return `${p.size} (${driver === 'postgres' ? 'postgres.js' : "node-postgres' Pool"} default max: the app's own code sizes its pool, which db-doctor does not read)`
  return `${p.size} (${p.owner}'s default ${p.setting}${p.owner === 'knex' ? ', min 2' : ''}, not set in its config)`
}

/** The pool setting written for the user's tool, at `n` connections per instance. */
function poolSetting(p: ServerConnectionBudgetParams, n: number): {step: string; snippet: Snippet} {
  const pool = p.pool
  const where = pool.origin === 'config' && pool.source ? pool.source : null
  if (pool.owner === 'knex')
    return {
      step: `Set ${where ?? 'pool.max in the knexfile (the environment in use)'} to ${n}`,
      snippet: {language: 'js', code: `pool: {min: ${Math.min(2, n)}, max: ${n}},`},
    }
  if (pool.owner === 'prisma' && !pool.prisma7)
    return {
      step: `Set connection_limit=${n} in the datasource URL (${where ?? 'the URL Prisma Client reads'})`,
      snippet: p.urlSnippet ?? {language: 'text', code: `?connection_limit=${n}`},
    }
  if (pool.owner === 'prisma')
    return {
      step: `Pass max: ${n} to the driver adapter in the app's code`,
      snippet: {language: 'ts', code: `new PrismaPg({connectionString: process.env.DATABASE_URL, max: ${n}})`},
    }
  if (pool.owner === 'typeorm')
    return {
      step: `Set ${where ?? "extra.max (pg.Pool's max) in the data source"} to ${n}`,
      snippet: {language: 'ts', code: `extra: {max: ${n}},`},
    }
  if (pool.owner === 'sequelize-cli')
    return {
      step: `Set ${where ?? "pool.max in the environment's section of the sequelize config"} to ${n} (the app's new Sequelize(config) reads it)`,
      snippet: {language: 'json', code: `"pool": {"max": ${n}}`},
    }
  if (p.driver === 'postgres')
    return {
      step: `Pass max: ${n} where the app creates its postgres.js client`,
      snippet: {language: 'js', code: `const sql = postgres(process.env.DATABASE_URL, {max: ${n}})`},
    }
  return {
    step: `Pass max: ${n} where the app creates its node-postgres Pool`,
    snippet: {
      language: 'js',
      code: `const pool = new pg.Pool({connectionString: process.env.DATABASE_URL, max: ${n}})`,
    },
  }
}

function budgetLimitWords(p: ServerConnectionBudgetParams): string {
  if (p.over === 'free')
    return `the ${p.limit} slot${p.limit === 1 ? '' : 's'} free now (${p.limitedBy === 'role' ? `role "${p.user}"'s CONNECTION LIMIT less its other sessions` : p.limitedBy === 'database' ? `database "${p.database}"'s CONNECTION LIMIT less its other sessions` : `max_connections ${p.maxConnections}, ${p.reserved} reserved, ${p.otherSessions} other session(s)`})`
  if (p.limitedBy === 'role') return `role "${p.user}"'s CONNECTION LIMIT ${p.limit}`
  if (p.limitedBy === 'database') return `database "${p.database}"'s CONNECTION LIMIT ${p.limit}`
  return `the ${p.limit} slots the server has for the app (max_connections ${p.maxConnections} less ${p.reserved} reserved)`
}

export const SERVER_CONNECTION_BUDGET = define<ServerConnectionBudgetParams>({
  code: 'SERVER_CONNECTION_BUDGET',
  check: 'server',
  status: 'warn',
  statusText: 'warn (fail over a hard limit when the pool size or the instances are stated)',
  title: "The app's pools can open more connections than the server allows",
  meaning:
    "The connection budget: the app's pool size (knexfile `pool.max`, Prisma `connection_limit`, TypeORM `extra.max`/`poolSize`, sequelize `pool.max`, else the tool's or driver's default) times the processes that run it (`--instances N`, else the `replicas` of the Deployments and StatefulSets in the folder's Kubernetes manifests, an HPA's `maxReplicas` when one names them, else one), against what the server gives this role and database: its `CONNECTION LIMIT`s, `max_connections` less the reserved slots, and the slots free now (current sessions counted; the app's own running instances among them). Over a hard limit it fails when the pool size or the instance count was stated (warns on defaults alone: a pool opens its maximum only under load); over the slots free now it warns. Through a pooler the server's slots are what is measured: the pooler's `max_client_conn` and pool sizes are not visible from a session.",
  causes: [
    'more replicas (or an autoscaler) with the same per-process pool size',
    "a pool size left at the tool's default (knex 10, node-postgres 10, Prisma CPUs × 2 + 1)",
    'a role or database CONNECTION LIMIT sized for fewer processes',
    'other apps and jobs holding slots on the same server',
  ],
  fix: 'Size the pool so that pool × instances fits (the report gives the setting for your tool), raise the limit the evidence names, or put a pooler in front of the app.',
  transient: false,
  // No pasted wording of its own: when the pools do fill, the login refused ("sorry, too many clients
  // already", "too many connections for role", Prisma P2037) is AUTH_TOO_MANY_CONNECTIONS; this code is
  // db-doctor's prediction from the app's config and the server's limits before that happens.
  matchers: [],
  examples: [{source: 'db-doctor', text: '✗ Server state SERVER_CONNECTION_BUDGET (6 ms)'}],
  summary: (p) => {
    const inst = `${p.instances} instance${p.instances === 1 ? '' : 's'} (${p.instancesFrom ?? 'one assumed: --instances N says more'})`
    const through = p.pooler
      ? ` Measured behind ${p.pooler === 'proxied' ? 'a pooler or proxy (the server listens on another port than the app connects to)' : p.pooler}: these are the server's slots; the pooler's own max_client_conn and pool sizes are not visible from a session, compare the budget with them.`
      : ''
    return `The app can open ${p.budget} connections: ${inst} × a pool of ${poolWords(p.pool, p.driver)}. That is more than ${budgetLimitWords(p)}: once the pools fill, new connections fail with "too many connections" (53300).${through}`
  },
  buildFix: (p): Fix => {
    const n = Math.floor(p.limit / p.instances)
    const steps: string[] = []
    let snippet: Snippet | undefined
    if (n >= 1) {
      const s = poolSetting(p, n)
      steps.push(
        `${s.step} (${n} × ${p.instances} instance${p.instances === 1 ? '' : 's'} = ${n * p.instances}, within ${p.limit})`,
      )
      snippet = s.snippet
    } else
      steps.push(
        `Even one connection per instance does not fit (${p.instances} instances, ${p.limit} slots): raise the limit or put a pooler in front.`,
      )
    const room = p.budget + 5
    if (p.limitedBy === 'role')
      steps.push(`Or raise the role's limit: ALTER ROLE ${ident(p.user)} CONNECTION LIMIT ${room};`)
    else if (p.limitedBy === 'database')
      steps.push(`Or raise the database's limit: ALTER DATABASE ${ident(p.database)} CONNECTION LIMIT ${room};`)
    else if (p.over === 'hard')
      steps.push(`Or raise max_connections to at least ${p.budget + p.reserved + 5} (a restart).`)
    else
      steps.push(
        'Or free slots: SELECT usename, application_name, state, count(*) FROM pg_stat_activity GROUP BY 1, 2, 3;',
      )
    steps.push(
      "Or put a pooler (PgBouncer in transaction mode, or the provider's) between the app and the server, so the pools share a few server connections; keep a direct URL for migrations.",
    )
    return {
      summary:
        n >= 1 ? `Size the pool to ${n} per instance, or raise the limit.` : 'Raise the limit or pool the connections.',
      steps,
      ...(snippet ? {snippet} : {}),
    }
  },
})

type OpenTransactionWords = {
  pid: number
  user: string | null
  application_name: string | null
  state: string | null
  xactAgeSeconds: number
}

const age = (s: number): string => (s >= 120 ? `${Math.round(s / 60)} min` : `${s} s`)

function sessionWords(t: OpenTransactionWords): string {
  const who = t.user ? ` (${t.user}${t.application_name ? `, "${t.application_name}"` : ''})` : ''
  return `session ${t.pid}${who}${t.state ? `, ${t.state}` : ''}, transaction open ${age(t.xactAgeSeconds)}`
}

type ServerLongTransactionParams = {
  /** Other sessions' transactions open at least `thresholdS`, oldest first. */
  sessions: OpenTransactionWords[]
  thresholdS: number
  database: string
  tool: string | null
  /** the app's session's lock_timeout in ms (0: a migration waits forever) */
  lockTimeoutMs: number
}

export const SERVER_LONG_TRANSACTION = define<ServerLongTransactionParams>({
  code: 'SERVER_LONG_TRANSACTION',
  check: 'server',
  status: 'warn',
  title: 'A long-running transaction in this database',
  meaning:
    "Another session in this database has had a transaction open for a minute or more (pg_stat_activity `xact_start`), active or `idle in transaction`. It holds every lock it took until it ends: a migration's ACCESS EXCLUSIVE lock on one of those tables queues behind it, and every later query on that table queues behind the migration. Read in the run's one catalog round trip; the state and times of other roles' sessions are visible only with `pg_read_all_stats` (or as that role), so a transaction db-doctor cannot see is not reported. When the pending migration files are known, the migrations check names the sessions holding locks on the very tables they alter (MIGRATION_BLOCKED_BY_SESSION).",
  causes: [
    'an app or a console that began a transaction and never committed (`idle in transaction`)',
    'a long report, export, backup (pg_dump holds its transaction) or VACUUM FULL',
    'a previous migration or job that hangs',
  ],
  fix: 'Find the session (pg_stat_activity), let it finish or end it (`pg_terminate_backend(pid)` if abandoned), set `idle_in_transaction_session_timeout` for the app, and give the migration role a `lock_timeout`.',
  transient: true,
  // no pasted wording of its own: the lock wait it causes is MIGRATION_BLOCKED_BY_SESSION's "still waiting for"
  matchers: [],
  examples: [{source: 'db-doctor', text: '! Server state SERVER_LONG_TRANSACTION (5 ms)'}],
  summary: (p) => {
    const first = p.sessions[0]!
    const more = p.sessions.length > 1 ? ` (+${p.sessions.length - 1} more)` : ''
    return `A transaction has been open for ${age(first.xactAgeSeconds)} in database "${p.database}": ${sessionWords(first)}${more}. It holds its locks until it ends; ${p.tool ? `${p.tool} migrations` : 'a migration'} that alter a table it touched will queue behind it${p.lockTimeoutMs === 0 ? ' with no lock_timeout, blocking every query on that table meanwhile' : ` until lock_timeout (${humanMs(p.lockTimeoutMs)}) cancels them`}.`
  },
  buildFix: (p): Fix => {
    const pid = p.sessions[0]!.pid
    return {
      summary: 'End or wait for the long transaction before migrating.',
      steps: [
        `Look at it: SELECT pid, usename, application_name, state, xact_start, wait_event FROM pg_stat_activity WHERE pid = ${pid};`,
        `If it is abandoned: SELECT pg_terminate_backend(${pid});  -- as the same role, a superuser or pg_signal_backend`,
        `So abandoned transactions end by themselves: ALTER DATABASE ${ident(p.database)} SET idle_in_transaction_session_timeout = '5min';`,
      ],
      snippet: {language: 'sql', code: `SELECT pg_terminate_backend(${pid});`},
    }
  },
})

type ServerNoLockTimeoutParams = {
  tool: string
  user: string
  database: string
  /** the oldest open transaction the migration would queue behind */
  oldest: OpenTransactionWords
  source: SettingSource
}

/** The tool's own way to set lock_timeout for the migration only. */
function lockTimeoutForTool(tool: string): {step: string; snippet: Snippet} {
  if (tool === 'prisma')
    return {
      step: "Prisma migrate sends no session options: start the migration's SQL (prisma/migrations/<name>/migration.sql) with SET lock_timeout = '5s';",
      snippet: {language: 'sql', code: "SET lock_timeout = '5s';"},
    }
  if (tool === 'drizzle-kit')
    return {
      step: "With pg: PGOPTIONS='-c lock_timeout=5s' npx drizzle-kit migrate; with postgres.js, set it on the role (above) or start the migration's SQL with SET lock_timeout = '5s'.",
      snippet: {language: 'bash', code: "PGOPTIONS='-c lock_timeout=5s' npx drizzle-kit migrate"},
    }
  const command =
    tool === 'knex'
      ? 'npx knex migrate:latest'
      : tool === 'node-pg-migrate'
        ? 'npx node-pg-migrate up'
        : tool === 'typeorm'
          ? 'npx typeorm migration:run -d <data-source>'
          : tool === 'sequelize-cli'
            ? 'npx sequelize-cli db:migrate'
            : 'npm run migrate'
  return {
    step: `For the migration run only: PGOPTIONS='-c lock_timeout=5s' ${command} (node-postgres, ${tool}'s driver, sends PGOPTIONS as the session's options).`,
    snippet: {language: 'bash', code: `PGOPTIONS='-c lock_timeout=5s' ${command}`},
  }
}

export const SERVER_NO_LOCK_TIMEOUT = define<ServerNoLockTimeoutParams>({
  code: 'SERVER_NO_LOCK_TIMEOUT',
  check: 'server',
  status: 'warn',
  title: 'No lock_timeout for the migration role, with a long transaction open',
  meaning:
    "`lock_timeout` is 0 (the default) in the session the migration tool gets, and another session in this database has a long transaction open (SERVER_LONG_TRANSACTION): a migration statement that needs a lock that transaction holds waits for it without limit, and every query on that table queues behind the migration's waiting ACCESS EXCLUSIVE request, an outage of the table rather than a failed migration. A `lock_timeout` (a few seconds) makes the migration fail fast and be retried instead. Said only with a migration tool and a long transaction present (lock_timeout 0 alone is the default everywhere).",
  causes: [
    'no `ALTER ROLE … SET lock_timeout` for the role migrations run as',
    "a tool that sets none by itself (knex, node-pg-migrate, Prisma, TypeORM, sequelize-cli, drizzle-kit don't)",
  ],
  fix: "Give the migration role a lock_timeout (`ALTER ROLE migrator SET lock_timeout = '5s'`), or set it for the migration run only (PGOPTIONS for node-postgres tools, `SET lock_timeout` at the top of a Prisma migration).",
  transient: false,
  // no pasted wording: with a lock_timeout set, the cancel ("canceling statement due to lock timeout", 55P03)
  // is SERVER_STATEMENT_TIMEOUT's; without one there is no error, only the wait (MIGRATION_BLOCKED_BY_SESSION)
  matchers: [],
  examples: [{source: 'db-doctor', text: '! Server state SERVER_NO_LOCK_TIMEOUT (5 ms)'}],
  summary: (p) =>
    `lock_timeout is 0 for role "${p.user}" (set by ${SCOPE_WORDS[p.source]}) while ${sessionWords(p.oldest)}: a ${p.tool} migration that needs a lock it holds waits without limit, and every query on that table queues behind it.`,
  buildFix: (p): Fix => {
    const own = lockTimeoutForTool(p.tool)
    return {
      summary: 'Give the migration a lock_timeout so it fails fast instead of blocking the table.',
      steps: [
        `For the role migrations run as (if the app shares it, prefer the per-run setting below): ALTER ROLE ${ident(p.user)} SET lock_timeout = '5s';`,
        own.step,
      ],
      snippet: own.snippet,
    }
  },
})

export const serverEntries = [
  SERVER_READ_ONLY,
  SERVER_STATEMENT_TIMEOUT,
  SERVER_CONNECTIONS_EXHAUSTED,
  SERVER_IDLE_SESSION_TIMEOUT,
  SERVER_CONNECTION_BUDGET,
  SERVER_LONG_TRANSACTION,
  SERVER_NO_LOCK_TIMEOUT,
]
