// Codes of the `pooler` check (the connection pooler between the app and PostgreSQL), and the check's
// words: the summaries and fixes of its outcomes, built from the params the check emits
// (src/checks/pooler.ts holds data only).
//
// Wordings verified at their source:
// - PgBouncer 1.18 (the Debian package run by test/helpers/pgbouncer.ts): "unsupported startup parameter:
//   options" (08P01), produced in test/checks/pooler.test.ts.
// - Supavisor (github.com/supabase/supavisor): before v2.9 lib/supavisor/client_handler/error.ex answered
//   FATAL XX000 "Tenant or user not found"; since v2.9 (commit 71eb86b, "improve errors, add error codes")
//   lib/supavisor/errors/tenant_or_user_not_found_error.ex answers "(ENOTFOUND) tenant/user <user>.<ref> not
//   found" (the code in parentheses is prefixed by lib/supavisor/error.ex, FATAL XX000).
// - Prisma through a transaction pooler: 42P05 `prepared statement "s0" already exists` (prisma/orm#2179,
//   #11643, #4752) and 26000 `prepared statement "s0" does not exist` (prisma/orm#22831 from `prisma migrate`
//   on Supabase's 6543, #6053 `migrate deploy`, #16471 `"s15" does not exist`, fixed by pgbouncer=true).
import type {Fix, Snippet} from '../core/types.js'
import type {CarryUnknown, PreparedCarry} from '../probes/prepared-statements.js'
import {define, messages} from './types.js'
import {protocolLimitWhat} from './auth.js'
import {sessionErrorText} from './session.js'

/** The preparedStatements evidence of a transaction pooler under Prisma: what was modelled, and what was measured. */
export const poolerPreparedEvidence = {
  modelled: (p: {version: string}) =>
    `Prisma ${p.version} (datasource url in the schema): its query engine names its prepared statements (s0, s1, …) unless the URL it reads has pgbouncer=true`,
  measured: (p: {flagged: boolean; carry: PreparedCarry | null}): string => {
    const carry = p.carry
    if (p.flagged) return 'not measured: the URL has pgbouncer=true (Prisma uses unnamed statements)'
    if (carry?.outcome === 'not-carried')
      return `named statement prepared on backend ${carry.firstPid}, run again while another session held backend ${carry.holderPid}: ${carry.sqlstate} "${carry.message}" (then removed)`
    if (carry?.outcome === 'carried')
      return `named statement prepared on backend ${carry.firstPid}, run again on backend ${carry.secondPid} while another session held the first: the pooler re-prepared it (PgBouncer 1.21+ with max_prepared_statements > 0, or alike)`
    return `inconclusive: ${carry ? carryUnknownWords(carry.why) : 'no second session'}`
  },
}

/** Why the prepared-statement measurement concluded nothing, in a few words. */
export function carryUnknownWords(why: CarryUnknown): string {
  if (why.step === 'same-connection') return 'the second run got the same server connection'
  const what = {
    prepare: 'preparing the statement',
    'second-run': 'the second run',
    'second-session': 'the second session',
  }
  return `${what[why.step]} failed (${why.code ?? 'error'}: ${sessionErrorText(why)})`
}

/** What the host name and port say about a pooler in front (checks/pooler.ts poolerHost; names only). */
export type PoolerHost =
  | {kind: 'supabase'; port: number}
  | {kind: 'neon'}
  | {kind: 'rds-proxy'}
  | {kind: 'pgbouncer-port'}
  | {kind: 'supabase-port'}

/** Where the app's settings send a startup parameter from (checks/pooler.ts parameterSource). */
export type ParameterSource =
  | {kind: 'label'; label: string}
  | {kind: 'options'}
  | {kind: 'application-name'}
  | {kind: 'client-config'; parameter: string}
  | {kind: 'search-path'}
  | {kind: 'app-settings'}

/** The pooler check's words that are not summaries: the host hint and where a setting comes from. */
export const poolerWords = {
  hostHint: (h: PoolerHost): string => {
    switch (h.kind) {
      case 'supabase':
        return h.port === 6543
          ? 'Supabase pooler (Supavisor), transaction port 6543'
          : `Supabase pooler (Supavisor), port ${h.port}`
      case 'neon':
        return 'Neon pooled endpoint (-pooler: PgBouncer in transaction mode)'
      case 'rds-proxy':
        return 'Amazon RDS Proxy endpoint'
      case 'pgbouncer-port':
        return "port 6432 (PgBouncer's default port)"
      case 'supabase-port':
        return 'port 6543 (the transaction-pooler port of Supabase)'
    }
  },
  parameterSource: (s: ParameterSource): string => {
    switch (s.kind) {
      case 'label':
        return s.label
      case 'options':
        return 'the connection `options` (URL `options=` or PGOPTIONS)'
      case 'application-name':
        return 'the connection `application_name`'
      case 'client-config':
        return `the client config's \`${s.parameter}\` (node-postgres sends it as a startup parameter; e.g. a knexfile \`connection.${s.parameter}\`)`
      case 'search-path':
        return "a client that sends `search_path` at startup (e.g. a `-c search_path=…` option or the driver's schema setting)"
      case 'app-settings':
        return "the app's connection settings"
    }
  },
}

/** Pass and skip summaries of the pooler check. */
export const poolerSays = messages({
  /** the check's title in reports */
  title: () => 'Connection pooler',
  /** what the check establishes: its line in docs/codes.md's list of checks (`npm run docs`) */
  establishes: () =>
    'the connection pooler between the app and PostgreSQL (PgBouncer, Supavisor, RDS Proxy…): whether it accepts every startup parameter the app sends (read from the login of the shared session), and whether it pools per transaction: when the server listens on another port than the app connects to, or the host/port look like a pooler, a second login reads `pg_backend_pid()` (the same pid as the idle first session = transaction pooling; one round trip after that login). A direct connection never opens the second login. Runs unless the TCP, protocol or TLS steps failed (without a TLS handshake there is no login to ask the pooler about); fails when the pooler refuses the login (a startup parameter, an unknown Supavisor tenant: auth then skips) and when Prisma migrate runs through a transaction pooler (the knex and node-pg-migrate CLIs migrate through one — measured against PgBouncer 1.18 — so for them it warns); for Prisma without `pgbouncer=true` it measures whether the pooler carries named prepared statements',
  noSession: () => 'Skipped: no database session in this run.',
  loginFailed: (p: {sqlstate: string | null}) =>
    `Skipped: no session (the login failed${p.sqlstate ? ` with ${p.sqlstate}` : ''}; see the auth check).`,
  queryFailed: (p: {sqlstate: string | null; message: string}) =>
    `Skipped: the query failed (${p.sqlstate ?? 'error'}: ${p.message}).`,
  direct: (p: {port: number}) =>
    `No pooler in between: the server listens on the port the app connects to (${p.port}).`,
  ownConnection: (p: {port: number; serverPort: number | null; proxied: boolean; hint: string | null}) =>
    `${p.proxied ? `A proxy or pooler sits in between (the app connects to port ${p.port}, the server listens on ${p.serverPort})` : `The host looks like a pooler (${p.hint})`}, and a second login got its own server connection: no sign of transaction pooling.`,
  /** auth's skip when the pooler answered the login before authentication */
  refusedBeforeAuth: (p: {message: string; sqlstate: string | null}) =>
    `Skipped: the pooler refused the login before authentication ("${p.message}", ${p.sqlstate ?? 'no SQLSTATE'}): no password was checked. See the pooler check.`,
})

// ---------------------------------------------------------------------------------------------

interface StartupParameterParams {
  parameter: string
  /** Where the app's settings send it from. */
  source: string
  message: string
  sqlstate: string | null
}

function startupParameterFix(p: Pick<StartupParameterParams, 'parameter' | 'source'>): Fix {
  const dropsSettings = p.parameter === 'options' || p.parameter === 'search_path'
  return {
    summary: `Stop sending \`${p.parameter}\` through the pooler, or let the pooler ignore it.`,
    steps: [
      `Remove \`${p.parameter}\` from ${p.source}${dropsSettings ? ', and set what it carried on the role instead (e.g. `ALTER ROLE app SET search_path = myschema;`) or with a `SET` after connecting' : ''}.`,
      `Or, on PgBouncer: add it to \`ignore_startup_parameters\` in pgbouncer.ini (e.g. \`ignore_startup_parameters = extra_float_digits,${p.parameter}\`) and reload PgBouncer${dropsSettings ? ' — the pooler then drops it silently, so the settings it carried no longer apply' : ''}.`,
      'Or connect the migration to the database directly (the direct host or port, not the pooler), which accepts every startup parameter.',
    ],
    snippet: {language: 'ini', code: `[pgbouncer]\nignore_startup_parameters = extra_float_digits,${p.parameter}`},
  }
}

export const POOLER_STARTUP_PARAMETER = define<StartupParameterParams>({
  code: 'POOLER_STARTUP_PARAMETER',
  check: 'pooler',
  status: 'fail',
  title: 'The pooler refuses a startup parameter the app sends',
  meaning:
    'A pooler in front of PostgreSQL (PgBouncer refuses the startup parameters it does not track — `options` in older versions such as 1.18 — unless `ignore_startup_parameters` lists them) answers the login with "unsupported startup parameter: <name>" (08P01): every connection of the app fails before authentication. The evidence names the parameter and where the app\'s settings send it from (URL `options=`, PGOPTIONS, a knexfile `connection.statement_timeout`…). This is the run\'s failure: the auth check is skipped (no password was checked).',
  causes: [
    '`?options=-c search_path=…` in the URL, or PGOPTIONS in the environment, reused through the pooler',
    'a driver setting node-postgres sends as a startup parameter (`statement_timeout`, `lock_timeout`, `idle_in_transaction_session_timeout`)',
    'a client that sends `search_path` or `extra_float_digits` at startup',
  ],
  fix: "Remove the parameter from the app's settings (set what it carried on the role instead), add it to `ignore_startup_parameters` in pgbouncer.ini, or connect the migration to the database directly.",
  transient: false,
  matchers: ['unsupported startup parameter'],
  examples: [
    // PgBouncer src/client.c ("unsupported startup parameter: %s"; from 1.20 also "… in options: %s"), FATAL since 1.16;
    // Neon's pooler is PgBouncer (https://neon.tech/docs/connect/connection-errors)
    {source: 'pgbouncer', text: 'FATAL:  unsupported startup parameter: options'},
    {source: 'pgbouncer', text: 'FATAL:  unsupported startup parameter in options: search_path'},
    {source: 'node-postgres', text: 'error: unsupported startup parameter: search_path'},
  ],
  summary: (p) =>
    `The pooler refuses the startup parameter \`${p.parameter}\` the app sends ("${p.message}", ${p.sqlstate ?? 'no SQLSTATE'}): every connection of the app fails at login, before authentication. It comes from ${p.source}.`,
  buildFix: startupParameterFix,
})

// ---------------------------------------------------------------------------------------------

interface TransactionModeParams {
  pid: number
  hint: string | null
  /** A tool of src/models/tools/names.ts, or null. */
  tool: string | null
  /**
   * Prisma's directUrl: 'checked' (set, and the URL checked is it: what `prisma migrate` uses),
   * 'elsewhere' (set, but the URL checked came from somewhere else), null (not set).
   */
  directUrl: 'checked' | 'elsewhere' | null
  /** Where the URL checked comes from. */
  urlFrom: string | null
}

function transactionWhy(p: TransactionModeParams): string {
  switch (p.tool) {
    case 'prisma':
      if (p.directUrl === 'elsewhere') return "Prisma migrate uses the datasource's directUrl, not this URL"
      return p.directUrl === 'checked'
        ? `Prisma migrate uses this URL (the datasource's directUrl${p.urlFrom ? `, ${p.urlFrom}` : ''}), and it goes through the pooler: its advisory lock 72707369 and its prepared statements break ("P1002", "prepared statement \\"s0\\" already exists")`
        : 'Prisma migrate runs through it (no directUrl): its advisory lock 72707369 and prepared statements break ("P1002", "prepared statement \\"s0\\" already exists")'
    case 'knex':
      return 'knex runs through it: its migrations work (its lock is a row in the lock table), but session settings such as a knexfile `searchPath` are lost between transactions and leak to other clients of the pool'
    case 'node-pg-migrate':
      return 'node-pg-migrate runs through it: its migrations work, but its advisory lock is taken on whatever server connection the pooler hands out, so it no longer keeps two concurrent runs apart (or is left held for another client)'
    default:
      if (p.tool)
        return `${p.tool} runs through it: its migrations run in one transaction each, but session settings are lost between transactions and a migration run through it may run twice at once`
      return 'no migration tool was found; a migration run through it loses advisory locks and session settings between transactions'
  }
}

export const POOLER_TRANSACTION_MODE = define<TransactionModeParams>({
  code: 'POOLER_TRANSACTION_MODE',
  check: 'pooler',
  status: 'warn',
  statusText: 'fail when Prisma migrate runs through it (warn otherwise)',
  title: 'A transaction pooler between the migration and PostgreSQL',
  meaning:
    "Two separate logins with the app's settings got the same server connection (the same `pg_backend_pid()`): the pooler hands server connections out per transaction (PgBouncer `pool_mode = transaction`, Supavisor on 6543, Neon `-pooler` hosts). Session state does not survive a transaction: advisory locks (node-pg-migrate's, Prisma migrate's 72707369), session `SET`s (a knexfile `searchPath`) and prepared statements. Prisma migrate fails through it (P1002, `prepared statement \"s0\" already exists`) — through the datasource `url` when there is no `directUrl`, or through a `directUrl` that itself points at the pooler; the knex and node-pg-migrate CLIs connect and migrate (measured through PgBouncer 1.18), but node-pg-migrate's lock no longer keeps two concurrent runs apart and session settings leak to other clients of the pool: a warning. Checked only when something sits in between (the server listens on another port than the app connects to, or the host looks like a pooler).",
  causes: [
    'the pooled URL (PgBouncer 6432, Supabase 6543, Neon -pooler) used for migrations too',
    'Prisma without `directUrl` in the datasource, or a `directUrl` that points at the pooler as well',
    'a PgBouncer `[databases]` entry or default with `pool_mode = transaction`',
  ],
  fix: "Run migrations on a session connection: the direct host, the pooler's session port, or (Prisma) `directUrl`.",
  transient: false,
  matchers: [{re: /pool_mode\s*=\s*transaction/i, needle: 'pool_mode'}],
  examples: [{source: 'pgbouncer', text: 'pool_mode = transaction'}],
  summary: (p) =>
    `Transaction pooling: two separate logins got the same server connection (backend pid ${p.pid})${p.hint ? ` — ${p.hint}` : ''}; ${transactionWhy(p)}.`,
  buildFix: (p): Fix => ({
    summary:
      "Run migrations on a session connection: the direct host, the pooler's session port, or (Prisma) directUrl.",
    steps: [
      p.tool === 'prisma'
        ? p.directUrl === 'checked'
          ? `Point the datasource's directUrl${p.urlFrom ? ` (${p.urlFrom})` : ''} at the database directly or at the pooler's session port (Supabase: 5432 on the pooler host; Neon: the host without -pooler), not at the transaction pooler; keep the pooled URL in \`url\` for the app.`
          : 'Set `directUrl = env("DIRECT_URL")` in the datasource of schema.prisma, with DIRECT_URL pointing at the database directly (or at the session port); keep the pooled URL for the app.'
        : "Point the migration's URL at the database directly, or at the pooler's session-mode port (Supabase: 5432 on the pooler host; Neon: the host without -pooler).",
      'Or set `pool_mode = session` for this database in pgbouncer.ini (a `[databases]` entry with pool_mode=session).',
    ],
  }),
})

// ---------------------------------------------------------------------------------------------

interface PreparedStatementsParams {
  /** Where the URL Prisma reads comes from ("DATABASE_URL in .env (via prisma/schema.prisma …)"). */
  urlFrom: string
  /** The user's own URL with pgbouncer=true added, password masked, written where it came from. */
  snippet: Snippet | null
  /** The pooler's 26000 on another server connection (measured), else why nothing was measured. */
  measured: boolean
  sqlstate?: string
  message?: string
  reason?: string
  hint: string | null
}

export const POOLER_PREPARED_STATEMENTS = define<PreparedStatementsParams>({
  code: 'POOLER_PREPARED_STATEMENTS',
  check: 'pooler',
  status: 'warn',
  title: "Prisma's named prepared statements through a pooler that does not carry them",
  meaning:
    'Prisma\'s query engine (Prisma 6 and earlier: the datasource `url` in schema.prisma) names its prepared statements (s0, s1, …) per connection unless the URL it reads has `pgbouncer=true`; Prisma 7 connects its Client through a driver adapter (node-postgres) and is not warned. Through a transaction pooler that does not carry prepared statements across the server connections it hands out (PgBouncer before 1.21, or 1.21+ with `max_prepared_statements = 0`), queries fail at random with `prepared statement "s0" already exists` (42P05) or `prepared statement "s0" does not exist` (26000). db-doctor measures it, read-only: a named statement prepared in one transaction is run again in a later one while another session holds the first server connection; 26000 shows the pooler does not carry it (the statement is then removed). A pooler that re-prepares it (PgBouncer 1.21+ with `max_prepared_statements` > 0) gives no warning.',
  causes: [
    'the pooled URL (PgBouncer 6432, Supabase 6543, Neon -pooler) without `pgbouncer=true`',
    'a PgBouncer older than 1.21, or one with `max_prepared_statements = 0`',
    'Prisma migrate run through the pooler (no `directUrl`)',
  ],
  fix: 'Add `pgbouncer=true` to the URL Prisma reads (and `directUrl` for migrate), or run PgBouncer 1.21+ with `max_prepared_statements` > 0.',
  transient: false,
  matchers: [
    {re: /prepared statement \\?"[^"\\]{1,64}\\?" already exists/i, needle: 'prepared statement'},
    {re: /prepared statement \\?"[^"\\]{1,64}\\?" does not exist/i, needle: 'prepared statement'},
    '42P05',
  ],
  examples: [
    // prisma/orm#2179 and #11643 (PgBouncer and Supabase in transaction mode)
    {
      source: 'prisma',
      text: 'ConnectorError(ConnectorError { user_facing_error: None, kind: QueryError(Error { kind: Db, cause: Some(DbError { severity: "ERROR", parsed_severity: Some(Error), code: SqlState("42P05"), message: "prepared statement \\"s0\\" already exists", detail: None',
    },
    // prisma/orm#22831: `prisma migrate` through Supabase's transaction port 6543
    {source: 'prisma', text: 'Error: Schema engine error:\nERROR: prepared statement "s0" does not exist'},
    // prisma/orm#16471 (fixed by pgbouncer=true)
    {source: 'prisma', text: 'code: SqlState(E26000), message: "prepared statement \\"s15\\" does not exist"'},
    // node-postgres through PgBouncer 1.18 in transaction mode, the statement prepared on another server connection (test/explain/poolers.test.ts)
    {source: 'node-postgres', text: 'error: prepared statement "s1" does not exist'},
  ],
  summary: (p) =>
    p.measured
      ? `Prisma reads this URL (${p.urlFrom}) without \`pgbouncer=true\`, and the pooler${p.hint ? ` (${p.hint})` : ''} does not carry prepared statements across server connections: a named statement run again while another session held its server connection failed with "${p.message}" (${p.sqlstate}). Prisma's queries will fail at random with \`prepared statement "s0" already exists\` / \`does not exist\`.`
      : `Prisma reads this URL (${p.urlFrom}) without \`pgbouncer=true\` through a transaction pooler${p.hint ? ` (${p.hint})` : ''}; whether the pooler carries prepared statements could not be measured (${p.reason ?? 'no second session'}). Unless it is PgBouncer 1.21+ with max_prepared_statements > 0, Prisma's queries fail with \`prepared statement "s0" already exists\`.`,
  buildFix: (p): Fix => ({
    summary: `Add \`pgbouncer=true\` to the URL Prisma reads (${p.urlFrom}), and give \`prisma migrate\` a directUrl.`,
    steps: [
      `Add \`pgbouncer=true\` to the query string of the pooled URL in ${p.urlFrom}: Prisma then uses unnamed statements${p.snippet ? ` (your URL with it, password masked: \`${p.snippet.code}\`)` : ''}.`,
      'Run migrations on a direct connection: `directUrl = env("DIRECT_URL")` in the datasource, DIRECT_URL pointing at the database or the pooler\'s session port.',
      'Or, on your own PgBouncer: upgrade to 1.21+ and set `max_prepared_statements` (e.g. 200) in pgbouncer.ini; then leave `pgbouncer=true` out.',
    ],
    ...(p.snippet ? {snippet: p.snippet} : {}),
  }),
})

// ---------------------------------------------------------------------------------------------

interface TenantParams {
  /** 'names': found from the host and user before connecting; 'answer': the pooler's answer to the login. */
  from: 'names' | 'answer'
  host: string | null
  user: string
  message?: string
  sqlstate?: string | null
  userFrom: string
}

export const POOLER_TENANT_NOT_FOUND = define<TenantParams>({
  code: 'POOLER_TENANT_NOT_FOUND',
  check: 'pooler',
  status: 'fail',
  title: 'Supavisor does not know the project (tenant) of this login',
  meaning:
    'Supabase\'s shared pooler (Supavisor, `*.pooler.supabase.com`) finds the project from the user name `postgres.<project-ref>`: a plain `postgres` (or a ref of another project or region) is answered with "Tenant or user not found" (Supavisor before 2.9) or "(ENOTFOUND) tenant/user postgres.<ref> not found" (2.9+), FATAL XX000, before any password check. Found from the settings before connecting, or from the pooler\'s answer to the login; the auth check is then skipped.',
  causes: [
    "the direct connection's user (`postgres`) kept when switching to the pooler host",
    "a pooler host of another region than the project's",
    'a paused or deleted project',
  ],
  fix: "Use the user `postgres.<project-ref>` from the dashboard's pooler connection string, with the pooler host of the project's region.",
  transient: false,
  matchers: [
    'Tenant or user not found',
    {re: /tenant\/user \S{0,200} not found/i, needle: 'tenant/user'},
    // Supavisor's 2023 wording, as a server error (FATAL), not any app's own "tenant not found"
    {re: /\bFATAL:\s{1,4}Tenant not found\b/i, needle: 'tenant not found'},
  ],
  examples: [
    // Supavisor < 2.9, lib/supavisor/client_handler/error.ex
    {source: 'supavisor', text: 'FATAL:  Tenant or user not found'},
    {source: 'node-postgres', text: 'error: Tenant or user not found'},
    // Supavisor 2.9+, lib/supavisor/errors/tenant_or_user_not_found_error.ex (code prefix from lib/supavisor/error.ex)
    {source: 'supavisor', text: 'FATAL:  (ENOTFOUND) tenant/user postgres.abcdefghijklmnopqrst not found'},
    // Supavisor in 2023, through prisma db pull: https://github.com/prisma/orm/issues/21740
    {source: 'supavisor', text: 'Error: FATAL: Tenant not found'},
  ],
  summary: (p) =>
    p.from === 'names'
      ? `The host ${p.host} is Supabase's shared pooler (Supavisor), which finds the project from the user name: it must be \`${p.user}.<project-ref>\`, and "${p.user}" has no \`.<project-ref>\`. Every login fails with "Tenant or user not found" (XX000).`
      : `The pooler answers the login with "${p.message}" (${p.sqlstate ?? 'no SQLSTATE'}), before authentication: Supavisor does not know the project (tenant) from the user name and host, or the user.`,
  buildFix: (p): Fix => {
    const base = p.user.split('.')[0] || 'postgres'
    return {
      summary: `Use the pooler user name with the project ref: \`${base}.<project-ref>\`, in ${p.userFrom}.`,
      steps: [
        `Copy the connection string from the Supabase dashboard (Connect → the pooler "Session" or "Transaction" string): its user is \`${base}.<project-ref>\`; set that user in ${p.userFrom}.`,
        "Check that the host is the pooler host of the project's region shown there (a pooler of another region does not know the project).",
        'Or connect directly to db.<project-ref>.supabase.co:5432 (IPv6 unless the IPv4 add-on is enabled) with the plain user.',
      ],
    }
  },
})

// ---------------------------------------------------------------------------------------------

/** Why a second login through the pooler failed while the first session was open. */
export type SecondLoginReason = 'client-limit' | 'protocol' | 'timeout' | 'other'

interface SecondLoginParams {
  reason: SecondLoginReason
  /** The pooler's or the socket's error (redacted, bounded). */
  message: string
  /** The protocol limit the answer broke (reason 'protocol'). */
  protocolLimit: {kind: string; messageName: string; messageType: string; amount: number; limit: number} | null
  sqlstate: string | null
  port: number
  serverPort: number | null
  proxied: boolean
  hint: string | null
  timeoutMs: number
}

function secondLoginCause(p: SecondLoginParams): string {
  switch (p.reason) {
    case 'client-limit':
      return 'the pooler refused it at its own client limit (PgBouncer max_client_conn)'
    case 'protocol':
      return `what answered it broke the PostgreSQL protocol: it sent ${p.protocolLimit ? protocolLimitWhat(p.protocolLimit) : p.message}, and db-doctor closed the connection`
    case 'timeout':
      return `it got no answer within ${p.timeoutMs} ms (a pooler whose pool is full queues new clients: PgBouncer default_pool_size in session mode, query_wait_timeout)`
    default:
      return `it failed: "${p.message}"${p.sqlstate ? ` (${p.sqlstate})` : ''}`
  }
}

export const POOLER_SECOND_LOGIN_FAILED = define<SecondLoginParams>({
  code: 'POOLER_SECOND_LOGIN_FAILED',
  check: 'pooler',
  status: 'warn',
  title: 'A second connection through the pooler fails while the first is open',
  meaning:
    "Something sits between the app and PostgreSQL (the server listens on another port than the app connects to, or the host looks like a pooler), the run's first login works, but a second login with the same settings, made while the first session is still open, fails. An app's pool opens several connections (node-postgres' Pool and knex default to 10, Prisma to num_cpus × 2 + 1): its second connection will fail the same way, under load or during a migration that runs beside the app. The evidence has the second login's error; transaction pooling could not be measured.",
  causes: [
    "the pooler's client limit reached (PgBouncer `max_client_conn`, Supavisor's max clients)",
    'a session-mode pool that is full (PgBouncer `default_pool_size`): new clients wait',
    'a broken proxy or load balancer in front of the database that mishandles concurrent connections',
  ],
  fix: "Give the pooler room for the app's pool (PgBouncer max_client_conn / default_pool_size), or lower the pool size; a proxy that breaks the protocol must be fixed or bypassed.",
  transient: true,
  matchers: [],
  examples: [{source: 'db-doctor', text: '! Connection pooler POOLER_SECOND_LOGIN_FAILED (412 ms)'}],
  summary: (p) =>
    `${p.proxied ? `A proxy or pooler sits in between (the app connects to port ${p.port}, the server listens on ${p.serverPort})` : `The host looks like a pooler (${p.hint})`}, and a second login made while the first session was open failed: ${secondLoginCause(p)}. An app pool of more than one connection will see this on its second connection; transaction pooling could not be measured.`,
  buildFix: (p): Fix => {
    const steps =
      p.reason === 'client-limit'
        ? [
            'Raise `max_client_conn` in pgbouncer.ini to at least the sum of the pools of every app and job that connects through it (pool size × instances), with the file-descriptor limit to match, and reload PgBouncer.',
            'Or lower the pool size of the apps that connect through it (pg.Pool `max`, knexfile `pool: {max}`, Prisma `connection_limit`).',
          ]
        : p.reason === 'timeout'
          ? [
              "In session mode each client holds a server connection for as long as it is connected: raise `default_pool_size` (or the database's `pool_size`) in pgbouncer.ini, or use `pool_mode = transaction` for the app (keep migrations on a session connection).",
              'See who holds the pool: `SHOW POOLS;` on the PgBouncer admin console (cl_waiting > 0 means clients are queued).',
            ]
          : p.reason === 'protocol'
            ? [
                'The second connection was answered with data that is not the PostgreSQL protocol: look at the proxy or load balancer in front of the database (its logs for this connection), and fix or bypass it.',
                'Connect the app to the database (or a known-good pooler) directly, and run `db-doctor check` again.',
              ]
            : [
                "Read the error in the evidence: it is the pooler's answer to a second connection. Look at the pooler's log for it.",
                'Run `db-doctor check` again to see whether it repeats.',
              ]
    return {
      summary:
        p.reason === 'client-limit'
          ? "Raise the pooler's client limit (PgBouncer max_client_conn) or lower the app's pool size."
          : p.reason === 'timeout'
            ? "Give the pooler's pool room for the app's connections (PgBouncer default_pool_size), or use transaction mode for the app."
            : p.reason === 'protocol'
              ? 'Fix or bypass the proxy that answers a second connection with something that is not PostgreSQL.'
              : "Look at the pooler's answer to a second connection (in the evidence) and its log.",
      steps,
      ...(p.reason === 'client-limit' || p.reason === 'timeout'
        ? {
            snippet: {
              language: 'ini',
              code:
                p.reason === 'client-limit'
                  ? '[pgbouncer]\nmax_client_conn = 200'
                  : '[pgbouncer]\ndefault_pool_size = 20',
            },
          }
        : {}),
    }
  },
})

export const poolerEntries = [
  POOLER_STARTUP_PARAMETER,
  POOLER_TRANSACTION_MODE,
  POOLER_PREPARED_STATEMENTS,
  POOLER_SECOND_LOGIN_FAILED,
  POOLER_TENANT_NOT_FOUND,
]
