// Codes of the `migrations` check read from the pending migration files themselves against what the
// role and the server allow: a CREATE EXTENSION the role may not run, a statement that cannot run inside
// the tool's transaction, and sessions holding locks on the tables the pending migrations alter. The
// check (src/checks/migration-files.ts) supplies data only.
import type {Fix} from '../core/types.js'
import {sqlIdentifier} from '../core/sql.js'
import {define} from './types.js'

const ident = (name: string): string => sqlIdentifier(name, {bare: 'when-plain'})

type NoCreateExtensionParams = {
  extension: string
  trusted: boolean
  file: string
  user: string
  database: string
}

type NeedsNoTransactionParams = {
  tool: string
  file: string
  /** "CREATE INDEX CONCURRENTLY" */
  statement: string
  /** TypeORM: the transaction mode of migration:run, where it is set, and whether the class says `transaction = false`. */
  typeorm?: {
    mode: 'all' | 'each' | 'none'
    from: 'script' | 'data-source' | 'default'
    script: string | null
    marker: boolean
  }
}

/** Where TypeORM's mode comes from, in words. */
const typeormModeFrom = (t: NonNullable<NeedsNoTransactionParams['typeorm']>): string =>
  t.from === 'script'
    ? `-t ${t.mode} in the ${t.script} script`
    : t.from === 'data-source'
      ? `migrationsTransactionMode: "${t.mode}" in the data source`
      : 'TypeORM\'s default "all"'

/** Where the tool runs the statement (the summary's words). */
function ntWhere(p: NeedsNoTransactionParams): string {
  if (p.tool === 'typeorm' && p.typeorm) {
    const from = typeormModeFrom(p.typeorm)
    return p.typeorm.mode === 'all'
      ? `the one transaction TypeORM runs every pending migration in (${from})`
      : `TypeORM's transaction for this migration (${from}, and no \`transaction = false\` in the class)`
  }
  return NT_WHERE[p.tool] ?? 'the migration transaction'
}

/** Where the tool runs a migration's statements. */
const NT_WHERE: Record<string, string> = {
  knex: "knex's migration transaction (no `exports.config = {transaction: false}` in the file)",
  'node-pg-migrate': "node-pg-migrate's transaction (no `pgm.noTransaction()` in the file)",
  prisma: 'one implicit transaction (Prisma sends the whole migration.sql at once, with its other statements)',
  'drizzle-kit':
    "the one transaction drizzle-kit migrate runs every pending migration in (drizzle-orm's migrator; there is no opt-out)",
  'sequelize-cli': 'the transaction the migration opens itself (sequelize.transaction(…)); sequelize-cli adds none',
}

const NT_FIX: Record<string, {summary: string; language: 'js' | 'sql'; code: string}> = {
  knex: {
    summary: 'add `exports.config = {transaction: false}` to this migration (knex then runs it without a transaction)',
    language: 'js',
    code: 'exports.config = {transaction: false}',
  },
  'node-pg-migrate': {
    summary: "call `pgm.noTransaction()` at the top of this migration's up (and down)",
    language: 'js',
    code: 'exports.up = (pgm) => {\n  pgm.noTransaction()\n  // …\n}',
  },
  prisma: {
    summary: 'move the statement into a migration.sql of its own (one statement: no implicit transaction)',
    language: 'sql',
    code: '-- prisma/migrations/<timestamp>_concurrent_index/migration.sql: this statement only\nCREATE INDEX CONCURRENTLY …;',
  },
  'drizzle-kit': {
    summary:
      'take the statement out of the drizzle migration (drizzle-kit migrate has no way to run a file outside its transaction) and run it on its own after migrating, e.g. with psql or a small script',
    language: 'sql',
    code: '-- after drizzle-kit migrate, outside any transaction:\nCREATE INDEX CONCURRENTLY IF NOT EXISTS …;',
  },
  'sequelize-cli': {
    summary:
      'run the statement outside the transaction the migration opens (before sequelize.transaction(…), without {transaction: t})',
    language: 'js',
    code: "// outside the transaction: sequelize-cli runs up() without one\nawait queryInterface.sequelize.query('CREATE INDEX CONCURRENTLY …')",
  },
  typeorm: {
    summary:
      'set `transaction = false` on this migration class and run migration:run with `-t each` (in the default "all" mode TypeORM refuses the override)',
    language: 'js',
    code: 'export class AddIndex1700000000000 implements MigrationInterface {\n  transaction = false\n  // …\n}\n// package.json: "typeorm migration:run -d data-source.ts -t each"',
  },
}

type Holder = {
  pid: number
  user: string | null
  application_name: string | null
  state: string | null
  xactAgeSeconds: number | null
  table: string
  mode: string
}

type BlockedBySessionParams = {
  tool: string
  file: string
  holders: Holder[]
  /** the migration role's lock_timeout, in ms (0: waits forever) */
  lockTimeoutMs: number
  user: string
}

const ageWords = (s: number | null) =>
  s === null ? '' : s >= 120 ? `, transaction open ${Math.round(s / 60)} min` : `, transaction open ${s} s`

export const MIGRATION_BLOCKED_BY_SESSION = define<BlockedBySessionParams>({
  code: 'MIGRATION_BLOCKED_BY_SESSION',
  check: 'migrations',
  status: 'fail',
  statusText: 'fail / warn',
  title: 'A session holds a lock on a table the pending migration alters',
  meaning:
    "Another session holds a lock on a table a pending migration alters (ALTER TABLE, CREATE INDEX, DROP, TRUNCATE, knex alterTable, node-pg-migrate addColumns…): the migration's ACCESS EXCLUSIVE / SHARE lock queues behind it, and every query on that table queues behind the migration. An `idle in transaction` session (a transaction never committed) or a long-running one holds its locks until it ends. With `lock_timeout` 0 for the migration role the migration waits forever (fail); with one set it fails after that time (warn). Read from pg_locks and pg_stat_activity (state and times only for sessions this role may see).",
  causes: [
    'an app or a console left a transaction open (`idle in transaction`)',
    'a long report, export or VACUUM FULL on the table',
    'a previous migration run that hangs',
  ],
  fix: 'End or wait for the holding session (commit it, or pg_terminate_backend(pid) if it is abandoned), and give the migration role a lock_timeout so it fails fast instead of blocking the table.',
  transient: true,
  // the server's log of a lock wait (log_lock_waits, on by default since PostgreSQL 18); a lock_timeout cancel
  // (55P03) is SERVER_STATEMENT_TIMEOUT's wording
  matchers: [{re: /still waiting for \w{0,40}Lock on relation \d/, needle: 'still waiting for'}],
  examples: [
    // PostgreSQL src/backend/storage/lmgr/proc.c (ProcSleep, log_lock_waits)
    {
      source: 'postgres',
      text: 'LOG:  process 4242 still waiting for AccessExclusiveLock on relation 16385 of database 16384 after 1000.072 ms',
    },
  ],
  summary: (p) => {
    const h = p.holders[0]!
    const more = p.holders.length > 1 ? ` (+${p.holders.length - 1} more)` : ''
    return `Session ${h.pid}${h.user ? ` (${h.user}${h.application_name ? `, "${h.application_name}"` : ''})` : ''}${h.state ? ` is ${h.state}` : ''}${ageWords(h.xactAgeSeconds)}, holding ${h.mode} on ${h.table}${more}, which the pending migration ${p.file} alters: ${p.tool} will queue behind it${p.lockTimeoutMs === 0 ? ` and, with lock_timeout 0 for ${p.user}, wait forever while every query on ${h.table} queues behind the migration` : ` until lock_timeout (${p.lockTimeoutMs} ms) cancels it`}.`
  },
  buildFix: (p): Fix => {
    const pid = p.holders[0]!.pid
    return {
      summary: 'End the holding transaction before migrating, and give the migration role a lock_timeout.',
      steps: [
        `Check it: SELECT pid, usename, application_name, state, xact_start, query FROM pg_stat_activity WHERE pid = ${pid};`,
        `If it is abandoned: SELECT pg_terminate_backend(${pid});  -- the same role or pg_signal_backend`,
        ...(p.lockTimeoutMs === 0
          ? [`So a migration never blocks the table: ALTER ROLE ${ident(p.user)} SET lock_timeout = '5s';`]
          : []),
      ],
      snippet: {language: 'sql', code: `SELECT pg_terminate_backend(${pid});`},
    }
  },
})

export const PRIV_NO_CREATE_EXTENSION = define<NoCreateExtensionParams>({
  code: 'PRIV_NO_CREATE_EXTENSION',
  check: 'migrations',
  status: 'fail',
  title: 'The migration role may not create this extension',
  meaning:
    'A migration runs CREATE EXTENSION and the role may not: a trusted extension (pgcrypto, uuid-ossp, citext, hstore… since PostgreSQL 13) needs CREATE on the database; any other needs a superuser (on RDS/Aurora `rds_superuser`, on Cloud SQL `cloudsqlsuperuser`, on Azure the extension allow-listed in `azure.extensions`).',
  causes: [
    'the migration role lacks CREATE on the database (trusted extensions)',
    'an untrusted extension (postgis on older versions, pg_stat_statements…) and a role that is not superuser',
    'a managed service that allows the extension only through its own role or allow-list',
  ],
  fix: 'Create the extension once as an administrator (`CREATE EXTENSION IF NOT EXISTS …`) and keep `IF NOT EXISTS` in the migration, or `GRANT CREATE ON DATABASE <db> TO <role>` for trusted extensions; on Azure add it to `azure.extensions` first.',
  transient: false,
  matchers: [
    {re: /permission denied to create extension "[^"\n]{1,200}"/i, needle: 'permission denied to create extension'},
  ],
  examples: [
    // PostgreSQL src/backend/commands/extension.c (execute_extension_script), checked in the server binary; produced live
    {
      source: 'postgres',
      text: 'ERROR:  permission denied to create extension "pg_stat_statements"\nHINT:  Must be superuser to create this extension.',
    },
  ],
  summary: (p) =>
    `The pending migration ${p.file} runs CREATE EXTENSION ${p.extension}, which is not installed, and ${p.user} may not create it: ${p.trusted ? `a trusted extension needs CREATE on the database ${p.database}` : 'it is not a trusted extension: only a superuser may create it'} (ERROR: permission denied to create extension "${p.extension}").`,
  buildFix: (p): Fix => {
    const create = `CREATE EXTENSION IF NOT EXISTS ${ident(p.extension)};`
    return {
      summary: `Create ${p.extension} once as an administrator${p.trusted ? `, or let ${p.user} create trusted extensions` : ''}; keep IF NOT EXISTS in the migration.`,
      steps: [
        `As an administrator, connected to ${p.database}: ${create}  -- on RDS/Aurora as a member of rds_superuser, on Cloud SQL cloudsqlsuperuser, on Azure after allow-listing it in azure.extensions`,
        ...(p.trusted
          ? [
              `Or: GRANT CREATE ON DATABASE ${ident(p.database)} TO ${ident(p.user)};  (trusted extensions, PostgreSQL 13+)`,
            ]
          : []),
        `In the migration: ${create} (a no-op once it exists).`,
      ],
      snippet: {language: 'sql', code: create},
    }
  },
})

export const MIGRATION_NEEDS_NO_TRANSACTION = define<NeedsNoTransactionParams>({
  code: 'MIGRATION_NEEDS_NO_TRANSACTION',
  check: 'migrations',
  status: 'fail',
  title: 'A statement that cannot run inside the migration transaction (25001)',
  meaning:
    'PostgreSQL refuses some statements inside a transaction block: CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY, CREATE DATABASE, VACUUM, ALTER SYSTEM (and ALTER TYPE … ADD VALUE before PostgreSQL 12). Migration tools wrap each migration in a transaction unless told not to, and a multi-statement file sent at once runs as one implicit transaction.',
  causes: [
    'knex: a migration without `exports.config = {transaction: false}`',
    'node-pg-migrate: a migration without `pgm.noTransaction()`',
    'Prisma: the statement shares its migration.sql with others (it runs as one implicit transaction)',
    'TypeORM: migration:run in its default "all" mode (every pending migration in one transaction, `transaction = false` refused), or "each" without `transaction = false` on that migration; drizzle-kit: migrate runs every pending file in one transaction',
    'sequelize-cli: the migration opens a transaction itself and runs the statement in it (sequelize-cli adds none)',
  ],
  fix: 'Run that statement outside the transaction: knex `exports.config = {transaction: false}`, node-pg-migrate `pgm.noTransaction()`, TypeORM `transaction = false` on the migration class with `migration:run -t each`, Prisma a migration.sql with only that statement; drizzle-kit has no opt-out, so run it by hand or in a separate script.',
  transient: false,
  matchers: [
    {
      re: /(?:CONCURRENTLY|CREATE DATABASE|DROP DATABASE|VACUUM|ALTER SYSTEM|ALTER TYPE \.\.\. ADD) cannot run inside a transaction block/i,
      needle: 'cannot run inside a transaction block',
    },
    {re: /(?:SQLSTATE|code)\W{0,4}25001\b/i, needle: '25001'},
    {
      re: /override the transaction mode, but the global transaction mode is "all"/,
      needle: 'override the transaction mode',
    },
  ],
  examples: [
    // PostgreSQL src/backend/access/transam/xact.c (PreventInTransactionBlock, 25001); produced live
    {source: 'postgres', text: 'ERROR:  CREATE INDEX CONCURRENTLY cannot run inside a transaction block'},
    // TypeORM 0.3 / 1.x error/ForbiddenTransactionModeOverrideError.js; produced live by the real TypeORM CLI in
    // test/checks/migration-files.test.ts
    {
      source: 'typeorm',
      text: 'Error during migration run:\nForbiddenTransactionModeOverrideError: Migrations "IdxOk1700000000001" override the transaction mode, but the global transaction mode is "all"',
    },
    // what node-postgres prints for it (the error's code appended), produced live in test/explain/live.test.ts
    {
      source: 'node-postgres',
      text: "error: CREATE INDEX CONCURRENTLY cannot run inside a transaction block\n{ code: '25001' }",
    },
  ],
  summary: (p) =>
    p.typeorm?.mode === 'all' && p.typeorm.marker
      ? `The pending migration ${p.file} sets \`transaction = false\` for its ${p.statement}, and TypeORM runs every pending migration in one transaction (${typeormModeFrom(p.typeorm)}): it stops before running anything with "Migrations … override the transaction mode, but the global transaction mode is "all"" (ForbiddenTransactionModeOverrideError).`
      : `The pending migration ${p.file} runs ${p.statement} inside ${ntWhere(p)}: PostgreSQL refuses it with 25001 "${p.statement} cannot run inside a transaction block".`,
  buildFix: (p): Fix => {
    const fix = NT_FIX[p.tool]
    const summary = fix?.summary ?? 'Run that statement outside the migration transaction.'
    const steps = [`In ${p.file}: ${fix?.summary ?? 'move the statement out of the transaction'}`]
    if (p.typeorm?.mode === 'each')
      steps.splice(
        0,
        1,
        `In ${p.file}: set \`transaction = false\` on the class (migration:run already runs each migration in its own transaction: ${typeormModeFrom(p.typeorm)})`,
      )
    else if (p.typeorm)
      steps.push(
        p.typeorm.from === 'script'
          ? `In the ${p.typeorm.script} script: replace -t ${p.typeorm.mode} with -t each.`
          : 'Run migration:run with `-t each` (or set migrationsTransactionMode: "each" in the data source); the other migrations keep their own transaction.',
      )
    return {summary, steps, ...(fix?.code ? {snippet: {language: fix.language, code: fix.code}} : {})}
  },
})

export const migrationFileEntries = [
  PRIV_NO_CREATE_EXTENSION,
  MIGRATION_NEEDS_NO_TRANSACTION,
  MIGRATION_BLOCKED_BY_SESSION,
]
