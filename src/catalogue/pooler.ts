// Codes of the `pooler` check (the connection pooler between the app and PostgreSQL).
import {define} from './types.js'

export const poolerEntries = [
  define({
    code: 'POOLER_STARTUP_PARAMETER',
    check: 'pooler',
    status: 'fail',
    title: 'The pooler refuses a startup parameter the app sends',
    meaning:
      'A pooler in front of PostgreSQL (PgBouncer refuses the startup parameters it does not track — `options` in older versions such as 1.18 — unless `ignore_startup_parameters` lists them) answers the login with "unsupported startup parameter: <name>" (08P01): every connection of the app fails before authentication. The evidence names the parameter and where the app\'s settings send it from (URL `options=`, PGOPTIONS, a knexfile `connection.statement_timeout`…).',
    causes: [
      '`?options=-c search_path=…` in the URL, or PGOPTIONS in the environment, reused through the pooler',
      'a driver setting node-postgres sends as a startup parameter (`statement_timeout`, `lock_timeout`, `idle_in_transaction_session_timeout`)',
      'a client that sends `search_path` or `extra_float_digits` at startup',
    ],
    fix: 'Remove the parameter from the app\'s settings (set what it carried on the role instead), add it to `ignore_startup_parameters` in pgbouncer.ini, or connect the migration to the database directly.',
    transient: false,
    matchers: ['unsupported startup parameter'],
    examples: [
      {source: 'pgbouncer', text: 'ERROR:  unsupported startup parameter: options'},
      {source: 'node-postgres', text: 'error: unsupported startup parameter: search_path'},
    ],
  }),
  define({
    code: 'POOLER_TRANSACTION_MODE',
    check: 'pooler',
    status: 'warn',
    statusText: 'fail when Prisma migrate runs through it without `directUrl` (warn otherwise)',
    title: 'A transaction pooler between the migration and PostgreSQL',
    meaning:
      'Two separate logins with the app\'s settings got the same server connection (the same `pg_backend_pid()`): the pooler hands server connections out per transaction (PgBouncer `pool_mode = transaction`, Supavisor on 6543, Neon `-pooler` hosts). Session state does not survive a transaction: advisory locks (node-pg-migrate\'s, Prisma migrate\'s 72707369), session `SET`s (a knexfile `searchPath`) and prepared statements. Prisma migrate fails through it (P1002, `prepared statement "s0" already exists`); the knex and node-pg-migrate CLIs connect and migrate (measured through PgBouncer 1.18), but node-pg-migrate\'s lock no longer keeps two concurrent runs apart and session settings leak to other clients of the pool: a warning. Checked only when something sits in between (the server listens on another port than the app connects to, or the host looks like a pooler).',
    causes: [
      'the pooled URL (PgBouncer 6432, Supabase 6543, Neon -pooler) used for migrations too',
      'Prisma without `directUrl` in the datasource',
      'a PgBouncer `[databases]` entry or default with `pool_mode = transaction`',
    ],
    fix: 'Run migrations on a session connection: the direct host, the pooler\'s session port, or (Prisma) `directUrl`.',
    transient: false,
    matchers: [{re: /pool_mode\s*=\s*transaction/i, needle: 'pool_mode'}],
    examples: [{source: 'pgbouncer', text: 'pool_mode = transaction'}],
  }),
  define({
    code: 'POOLER_TENANT_NOT_FOUND',
    check: 'pooler',
    status: 'fail',
    title: 'Supavisor does not know the project (tenant) of this login',
    meaning:
      'Supabase\'s shared pooler (Supavisor, `*.pooler.supabase.com`) finds the project from the user name `postgres.<project-ref>`: a plain `postgres` (or a ref of another project or region) is answered with "Tenant or user not found" (XX000) before any password check. Found from the settings before connecting, or from the pooler\'s answer to the login.',
    causes: [
      'the direct connection\'s user (`postgres`) kept when switching to the pooler host',
      'a pooler host of another region than the project\'s',
      'a paused or deleted project',
    ],
    fix: 'Use the user `postgres.<project-ref>` from the dashboard\'s pooler connection string, with the pooler host of the project\'s region.',
    transient: false,
    matchers: ['Tenant or user not found'],
    examples: [
      {source: 'supavisor', text: 'FATAL:  Tenant or user not found'},
      {source: 'node-postgres', text: 'error: Tenant or user not found'},
    ],
  }),
]
