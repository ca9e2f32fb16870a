// Codes of the `migrations` check (the migration tool's own state in the database), and the check's
// words: the summaries and fixes of its findings, built from the params the check emits
// (src/checks/migrations.ts holds data only).
import type {Fix} from '../core/types.js'
import {define, messages} from './types.js'
import {sqlIdentifier} from '../core/sql.js'
import type {AdvisoryLockTool, ScandirTool} from '../models/tools/names.js'

const TOOL_CMD: Record<string, string> = {
  knex: 'npx knex',
  prisma: 'npx prisma',
  'node-pg-migrate': 'npx node-pg-migrate',
}

/** One migrations summary of the pass (evidence `tools`): a tool's table state. */
type ToolSummary = {
  tool: string
  table?: string
  tableExists?: boolean
  applied?: number
  pending?: number
}

/** Pass and skip summaries of the migrations check (no session / no tool: src/catalogue/session.ts). */
export const migrationsSays = messages({
  /** the check's title in reports */
  title: () => 'Migration state',
  /** what the check establishes: its line in docs/codes.md's list of checks (`npm run docs`) */
  establishes: () =>
    "the migration tool's own state: a held lock and who holds it, a migrations folder that does not exist (knex, node-pg-migrate), recorded migrations whose files are gone, node-pg-migrate's order check, a failed Prisma migration, a Prisma database never baselined, privileges the role lacks on the tool's own tables; applied and pending counts. Only with a migration tool (found, or `--tool`)",
  readFailed: (p: {code: string | null; message: string | undefined}) =>
    `Skipped: reading the migration state failed (${p.code ?? 'error'}: ${p.message}).`,
  ok: (p: {tools: ToolSummary[]}) =>
    p.tools
      .map(
        (x) =>
          `${x.tool}: ${x.tableExists ? `${x.applied} applied` : `no ${x.table} table yet`}, ${x.pending} pending, no lock held`,
      )
      .join('; ') + '.',
})

/** The session holding an advisory lock, as far as pg_stat_activity shows it. */
type LockHolder = {
  pid: number
  application_name: string | null
  client_addr: string | null
  query_start: string | null
  state: string | null
}

type MigrationLockedParams =
  /** knex's <table>_lock row has is_locked = 1 */
  | {case: 'knex'; lockTable: string; detectedBy: string}
  /** another session holds Prisma's or node-pg-migrate's advisory lock */
  | {case: 'advisory'; tool: AdvisoryLockTool; key: string; holder: LockHolder}

/** The advisory lock a tool takes, as the evidence's `lock` names it. */
export function advisoryLockName(p: {tool: AdvisoryLockTool; key: string}): string {
  return p.tool === 'prisma' ? `Prisma's advisory lock ${p.key}` : `node-pg-migrate's advisory lock ${p.key}`
}

const ADVISORY_LOCK_ERROR: Record<AdvisoryLockTool, string> = {
  prisma: 'P1002 … Timed out trying to acquire a postgres advisory lock (SELECT pg_advisory_lock(72707369))',
  'node-pg-migrate': "Another migration is already running. Advisory lock mode is set to 'fail'.",
}

type MigrationFilesMissingParams = {
  tool: ScandirTool
  /** the tool's table, schema-qualified when a schema is set */
  table: string
  /** the folders the tool reads, as the user reads them */
  directories: string[]
  /** recorded names without a file */
  missing: string[]
  /** node-pg-migrate: the order check that stops `up` (null: they are the last ones, `up` still runs) */
  order?: {notRun: string; alreadyRun: string} | null
}

/** node-pg-migrate 9's checkOrder error (dist/bundle/index.js), as the evidence's `predictedError` quotes it. */
export function notRunPrecedingError(p: {notRun: string; alreadyRun: string}): string {
  return `Not run migration ${p.notRun} is preceding already run migration ${p.alreadyRun}`
}

type MigrationOutOfOrderParams = {notRun: string; alreadyRun: string; lastRun: string | undefined}

type MigrationFailedParams = {migration: string; startedAt: string; lockHeld: boolean}

type MigrationNotBaselinedParams = {schema: string; tables: number}

export const MIGRATION_LOCKED = define<MigrationLockedParams>({
  code: 'MIGRATION_LOCKED',
  check: 'migrations',
  status: 'fail',
  title: 'The migration lock is held',
  meaning:
    'The tool\'s migration lock is taken: knex\'s `<tableName>_lock` row has `is_locked = 1` ("Migration table is already locked"), or another session holds Prisma\'s advisory lock 72707369 (P1002 after 10 s) or node-pg-migrate\'s 7241865325823964 ("Another migration is already running"). Read from the lock table and `pg_locks` — db-doctor never takes or releases a lock. The evidence names the holder as far as `pg_stat_activity` shows it (pid, application, client address, start times, state).',
  causes: [
    'a migration still running (another CI job, a second pod, a deploy hook)',
    'a run that was killed after taking the lock (knex with `disableTransactions`, a timed-out job): the knex row stays locked',
    'an idle session left holding an advisory lock (a pooled connection, a hung migrate process)',
    'Prisma migrate through a transaction pooler: the lock and the check land on different server connections',
  ],
  fix: 'Wait for the running migration; when that run is dead, `knex migrate:unlock`, or end the holder with `pg_terminate_backend(pid)`.',
  transient: true,
  matchers: [
    'Migration table is already locked',
    'Another migration is already running',
    'Timed out trying to acquire a postgres advisory lock',
    {re: /pg_advisory_lock\(72707369\)/, needle: '72707369'},
    "Can't take lock to run migrations",
  ],
  examples: [
    // knex 3.3 lib/migrations/migrate/Migrator.js (_lockMigrations); node-pg-migrate 9 dist/bundle/index.js lock() in
    // its default 'fail' mode; Prisma: below
    {source: 'knex', text: 'Error: Migration table is already locked'},
    {
      source: 'node-pg-migrate',
      text: "Error: Another migration is already running. Advisory lock mode is set to 'fail'.",
    },
    // Prisma 6 `migrate deploy` as printed in a CI log (https://github.com/palhinhax/TheBate/issues/48, host
    // anonymised); template P1002 DatabaseTimeout in prisma-engines libs/user-facing-errors/src/common.rs
    {
      source: 'prisma',
      text: 'Error: P1002\n\nThe database server at `ep-cool-name-a1b2c3d4-pooler.us-east-1.aws.neon.tech:5432` was reached but timed out.\n\nPlease try again.\n\nPlease make sure your database server is running at `ep-cool-name-a1b2c3d4-pooler.us-east-1.aws.neon.tech:5432`.\n\nContext: Timed out trying to acquire a postgres advisory lock (SELECT pg_advisory_lock(72707369)). Elapsed: 10000ms. See https://pris.ly/d/migrate-advisory-locking for details.',
    },
  ],
  summary: (p) => {
    if (p.case === 'knex')
      return `${p.lockTable} has is_locked = 1: knex refuses to migrate with "Migration table is already locked" (a run holds it, or one crashed without releasing it).`
    const h = p.holder
    return `${advisoryLockName(p)} is held by another session (pid ${h.pid}${h.application_name ? `, application "${h.application_name}"` : ''}${h.client_addr ? ` from ${h.client_addr}` : ''}${h.query_start ? `, query started ${h.query_start}` : ''}${h.state ? `, ${h.state}` : ''}): the next ${p.tool} run fails with "${ADVISORY_LOCK_ERROR[p.tool]}".`
  },
  buildFix: (p): Fix => {
    if (p.case === 'knex') {
      return {
        summary: 'Once no migration is running (check the sessions in the evidence), release the lock with knex.',
        steps: [
          'Make sure no knex migration is running (CI jobs, pods, other terminals; the evidence lists other sessions of this role).',
          `Run: ${TOOL_CMD.knex} migrate:unlock${p.detectedBy !== '--tool' ? ` (in the folder of ${p.detectedBy})` : ''}`,
        ],
        snippet: {language: 'bash', code: `${TOOL_CMD.knex} migrate:unlock`},
      }
    }
    const pid = p.holder.pid
    return {
      summary:
        'Wait for that migration to finish; if that run is dead (a killed CI job, a crashed pod), end its session.',
      steps: [
        `Check the holder: SELECT pid, application_name, client_addr, state, query_start, query FROM pg_stat_activity WHERE pid = ${pid};`,
        `If it is not a live migration: SELECT pg_terminate_backend(${pid});  -- needs the same role or pg_signal_backend`,
      ],
      snippet: {language: 'sql', code: `SELECT pg_terminate_backend(${pid});`},
    }
  },
})

export const MIGRATION_FILES_MISSING = define<MigrationFilesMissingParams>({
  code: 'MIGRATION_FILES_MISSING',
  check: 'migrations',
  status: 'fail',
  title: 'Recorded migrations have no file',
  meaning:
    'Migrations recorded in the tool\'s table (knex `knex_migrations`, node-pg-migrate `pgmigrations`, or the names the project configures) have no file in the migration folders the tool reads: knex stops with "The migration directory is corrupt, the following files are missing", node-pg-migrate with its order check. The evidence lists them, with the number of pending migrations.',
  causes: [
    'a deploy or branch without the latest migration files (the database is ahead of the code)',
    'renamed or squashed migration files',
    'the wrong `migrations.directory` / `--migrations-dir`, or running from another folder',
  ],
  fix: 'Restore the missing files (or point the tool at the folder that has them); delete their rows only if they were deliberately squashed.',
  transient: false,
  matchers: [
    'The migration directory is corrupt',
    {re: /Definitions of migrations .{1,200} have been deleted/, needle: 'have been deleted'},
  ],
  examples: [
    // knex 3.3 lib/migrations/migrate/Migrator.js (validateMigrationList); node-pg-migrate 9 dist/bundle/index.js (checkOrder)
    {
      source: 'knex',
      text: 'Error: The migration directory is corrupt, the following files are missing: 20240101120000_create_users.js',
    },
    {source: 'node-pg-migrate', text: 'Error: Definitions of migrations 1700000000000_init have been deleted.'},
  ],
  summary: (p) => {
    const n = p.missing.length
    const dirs = p.directories.join(', ')
    const first3 = `${p.missing.slice(0, 3).join(', ')}${n > 3 ? ', …' : ''}`
    const recorded = `${n} migration${n === 1 ? '' : 's'} recorded in ${p.table} ha${n === 1 ? 's' : 've'} no file in ${dirs}`
    if (p.tool === 'knex')
      return `${recorded}: knex stops with "The migration directory is corrupt, the following files are missing: ${first3}".`
    return `${recorded} (${first3}): ${
      p.order
        ? `node-pg-migrate up stops with "${notRunPrecedingError(p.order)}"`
        : `node-pg-migrate up still runs (they are the last ones), but down fails with "Definitions of migrations ${p.missing.join(', ')} have been deleted."`
    }.`
  },
  buildFix: (p): Fix => {
    const deleted = `git log --diff-filter=D --name-only -- ${p.directories[0] ?? 'migrations'} shows when they were deleted.`
    if (p.tool === 'knex') {
      return {
        summary:
          'Restore the missing files (a branch switch, a rename, a deploy without them), or point migrations.directory at the folder that has them.',
        steps: [
          `Restore: ${deleted}`,
          `Only if they were deliberately squashed or renamed: delete their rows (DELETE FROM ${p.table} WHERE name IN (…)) after a backup, as the table owner.`,
        ],
      }
    }
    return {
      summary: 'Restore the missing migration files, or run from the folder that has them (--migrations-dir).',
      steps: [deleted],
    }
  },
})

export const MIGRATION_OUT_OF_ORDER = define<MigrationOutOfOrderParams>({
  code: 'MIGRATION_OUT_OF_ORDER',
  check: 'migrations',
  status: 'fail',
  title: 'A new migration sorts before one that already ran',
  meaning:
    'node-pg-migrate (check-order on, its default) requires the i-th migration that ran to be the i-th file: a file that sorts before an applied one stops it with "Not run migration X is preceding already run migration Y".',
  causes: [
    'a migration from a long-lived branch merged after newer ones ran',
    'a file renamed with an older timestamp',
  ],
  fix: 'Rename the new migration so it sorts after the last applied one, or run with `--no-check-order` when the order does not matter.',
  transient: false,
  matchers: [
    {re: /Not run migration .{1,200} is preceding already run migration/, needle: 'is preceding already run migration'},
  ],
  // node-pg-migrate 9 dist/bundle/index.js (checkOrder)
  examples: [
    {
      source: 'node-pg-migrate',
      text: 'Error: Not run migration 1690000000000_add_index is preceding already run migration 1700000000000_init',
    },
  ],
  summary: (p) =>
    `The migration file ${p.notRun} sorts before ${p.alreadyRun}, which already ran: node-pg-migrate stops with "${notRunPrecedingError(p)}".`,
  buildFix: (p) => ({
    summary:
      'Rename the new migration so it sorts after the last one that ran (a newer timestamp prefix), or run once with --no-check-order if the order truly does not matter.',
    steps: [`Rename ${p.notRun} with a timestamp after ${p.lastRun}.`],
  }),
})

export const MIGRATION_FAILED = define<MigrationFailedParams>({
  code: 'MIGRATION_FAILED',
  check: 'migrations',
  status: 'fail',
  title: 'A Prisma migration failed and was never resolved',
  meaning:
    'A row of `_prisma_migrations` has neither `finished_at` nor `rolled_back_at`: `prisma migrate deploy` refuses to continue (P3009). The evidence gives the migration name, its start time, `applied_steps_count` and its logs (redacted).',
  causes: [
    'a migration that failed half-way (a constraint violated by existing data, a timeout, a lost connection)',
    'a migrate run killed while applying',
  ],
  fix: 'Check how far it got, repair the database, then `prisma migrate resolve --rolled-back <name>` (or `--applied <name>`) and deploy again.',
  transient: false,
  matchers: [
    'P3009',
    'migrate found failed migrations in the target database',
    'P3018',
    'A migration failed to apply. New migrations cannot be applied',
  ],
  examples: [
    // P3009 FoundFailedMigrations and P3018 ApplyMigrationError: prisma-engines libs/user-facing-errors/src/schema_engine.rs;
    // printed as in https://github.com/langfuse/langfuse-k8s/issues/253 and https://github.com/SOZ-Faut-etre-Sub/SOZ-FiveM-Server/issues/175
    {
      source: 'prisma',
      text: 'Error: P3009\n\nmigrate found failed migrations in the target database, new migrations will not be applied. Read more about how to resolve migration issues in a production database: https://pris.ly/d/migrate-resolve\nThe `20240528214728_add_cursor_index` migration started at 2025-10-10 13:48:23.538445 UTC failed',
    },
    {
      source: 'prisma',
      text: 'Error: P3018\n\nA migration failed to apply. New migrations cannot be applied before the error is recovered from. Read more about how to resolve migration issues in a production database: https://pris.ly/d/migrate-resolve\n\nMigration name: 20240101000000_init\n\nDatabase error code: 23505\n\nDatabase error:\nERROR: could not create unique index "User_email_key"',
    },
  ],
  summary: (p) =>
    `The migration ${p.migration} (started ${p.startedAt}) ${p.lockHeld ? 'is unfinished (a migrate run holds the lock: it may still be running)' : 'failed'} and was never resolved: prisma migrate deploy stops with P3009 ("migrate found failed migrations in the target database").`,
  buildFix: (p) => ({
    summary: `Find out how far ${p.migration} got (its logs in the evidence, applied_steps_count), repair the database, then tell Prisma.`,
    steps: [
      `If its changes were rolled back or never applied: npx prisma migrate resolve --rolled-back ${p.migration} (then deploy again).`,
      `If you completed it by hand: npx prisma migrate resolve --applied ${p.migration}.`,
    ],
    snippet: {language: 'bash', code: `npx prisma migrate resolve --rolled-back ${p.migration}`},
  }),
})

export const MIGRATION_NOT_BASELINED = define<MigrationNotBaselinedParams>({
  code: 'MIGRATION_NOT_BASELINED',
  check: 'migrations',
  status: 'warn',
  title: 'Tables, but no Prisma migration history',
  meaning:
    'The schema Prisma migrates has tables but no `_prisma_migrations` table: `prisma migrate deploy` fails with P3005 ("The database schema is not empty") until the database is baselined.',
  causes: [
    'a database created before Prisma Migrate (or with `db push`)',
    "the wrong `?schema=`: Prisma looks at another schema than the app's",
  ],
  fix: 'Baseline: create the initial migration from the current schema and `prisma migrate resolve --applied <it>`.',
  transient: false,
  matchers: ['P3005', 'The database schema is not empty'],
  // P3005 DatabaseSchemaNotEmpty, prisma-engines libs/user-facing-errors/src/schema_engine.rs; printed as in
  // https://github.com/langfuse/langfuse/issues/4996
  examples: [
    {
      source: 'prisma',
      text: 'Error: P3005\n\nThe database schema is not empty. Read more about how to baseline an existing production database: https://pris.ly/d/migrate-baseline',
    },
  ],
  summary: (p) =>
    `The schema ${p.schema} has ${p.tables} table${p.tables === 1 ? '' : 's'} but no _prisma_migrations: prisma migrate deploy fails with P3005 ("The database schema is not empty").`,
  buildFix: () => ({
    summary: 'Baseline the existing database: mark the migration that matches it as applied.',
    steps: [
      'Create the baseline: prisma migrate diff --from-empty --to-schema-datamodel prisma/schema.prisma --script > prisma/migrations/0_init/migration.sql',
      'Mark it applied: npx prisma migrate resolve --applied 0_init',
    ],
    snippet: {language: 'bash', code: 'npx prisma migrate resolve --applied 0_init'},
  }),
})

type MigrationDirectoryMissingParams = {
  tool: ScandirTool
  /** the missing folder, as the user reads it */
  directory: string
  /** where it is set: "knexfile.js migrations.directory", "knex default ./migrations beside config/knexfile.cjs" */
  source: string
  /** the folder's absolute path (the tool's error names it) */
  absolute: string
}

/**
 * The error the tool stops with: knex 3.3 readdir(dir); node-pg-migrate 9 readdir(`${dir}/`) wrapped by
 * loadMigrations ("Error loading migration files: …"). Both as measured from the real CLIs.
 */
export function scandirError(p: {tool: ScandirTool; absolute: string}): string {
  const enoent = `ENOENT: no such file or directory, scandir '${p.absolute}${p.tool === 'node-pg-migrate' ? '/' : ''}'`
  return p.tool === 'node-pg-migrate' ? `Error loading migration files: ${enoent}` : enoent
}

export const MIGRATION_DIRECTORY_MISSING = define<MigrationDirectoryMissingParams>({
  code: 'MIGRATION_DIRECTORY_MISSING',
  check: 'migrations',
  status: 'fail',
  title: 'The migrations folder does not exist',
  meaning:
    'The folder the tool reads its migrations from does not exist: the knex CLI stops `migrate:latest` with "ENOENT: no such file or directory, scandir \'<dir>\'" (it resolves `migrations.directory`, default `./migrations`, from the knexfile\'s folder, because it chdirs there), and node-pg-migrate `up` with "Error loading migration files: ENOENT: … scandir \'<dir>/\'" (its `--migrations-dir`, default `./migrations` from where it runs). The evidence gives the folder and where it is set. Prisma is not flagged: `prisma migrate deploy` without `prisma/migrations` says "No migration found" and exits 0.',
  causes: [
    'a knexfile moved to a subfolder (config/knexfile.js): `./migrations` now means config/migrations',
    'a deploy or Docker image that does not copy the migrations folder',
    'a typo in `migrations.directory` / `--migrations-dir`, or a script run from another folder',
  ],
  fix: 'Create the folder, or point `migrations.directory` (knex) / `--migrations-dir` (node-pg-migrate) at the folder that has the migrations.',
  transient: false,
  matchers: [
    {re: /ENOENT: no such file or directory, scandir '[^']{0,300}migrations/, needle: 'scandir'},
    'Error loading migration files: ENOENT',
  ],
  examples: [
    // printed by the real CLIs in test/differential/migrations-directory.test.ts (temp folder shown as /srv/app):
    // knex 3.3 `migrate:latest --knexfile=config/knexfile.cjs` without config/migrations; node-pg-migrate 9 `up`
    // without ./migrations
    {source: 'knex', text: "Error: ENOENT: no such file or directory, scandir '/srv/app/config/migrations'"},
    {
      source: 'node-pg-migrate',
      text: "Error: Error loading migration files: ENOENT: no such file or directory, scandir '/srv/app/migrations/'",
    },
  ],
  summary: (p) =>
    `The migrations folder ${p.directory} (${p.source}) does not exist: ${p.tool === 'knex' ? 'knex migrate:latest' : 'node-pg-migrate up'} stops with "${scandirError(p)}".`,
  buildFix: (p) => ({
    summary: `Create ${p.directory}, or point ${p.tool === 'knex' ? 'migrations.directory in the knexfile' : '--migrations-dir'} at the folder that has the migrations.`,
    steps: [
      `If the migrations live elsewhere: ${p.tool === 'knex' ? `set migrations.directory (resolved from the knexfile's folder: the knex CLI chdirs there)` : 'pass --migrations-dir <folder> (resolved from where node-pg-migrate runs)'}.`,
      `If there are none yet: mkdir -p ${p.directory}`,
    ],
    snippet: {language: 'bash', code: `mkdir -p ${p.directory}`},
  }),
})

type MigrationJournalMissingParams = {
  /** the drizzle `out` folder, as the user reads it */
  directory: string
  /** where it is set: "drizzle.config.ts out", "drizzle-kit default ./drizzle" */
  source: string
  /** whether the folder itself exists (only meta/_journal.json is missing) */
  folderExists: boolean
}

/** drizzle-orm 0.45 migrator.js readMigrationFiles: what it throws without the journal. */
const NO_JOURNAL_ERROR = "Can't find meta/_journal.json file"

export const MIGRATION_JOURNAL_MISSING = define<MigrationJournalMissingParams>({
  code: 'MIGRATION_JOURNAL_MISSING',
  check: 'migrations',
  status: 'fail',
  title: "drizzle's migration journal is missing",
  meaning:
    "drizzle-kit migrate runs the migrations listed in `<out>/meta/_journal.json` (`out` in drizzle.config.*, default `./drizzle`), not the .sql files of the folder. Without the journal drizzle-orm's migrator throws \"Can't find meta/_journal.json file\" before its first query; drizzle-kit shows only its spinner (`[⣷] applying migrations...`) and exits 1, so this code is the only cause the user sees. An app that calls drizzle-orm's `migrate()` itself gets the error text.",
  causes: [
    'a deploy or Docker image that copies the .sql files but not their meta/ folder',
    '`out` in drizzle.config.* pointing at another folder than the one `drizzle-kit generate` wrote',
    'migrations written by hand, without `drizzle-kit generate`',
  ],
  fix: 'Ship `<out>/meta/_journal.json` with the migrations (or point `out` at the folder that has it); without one, run `npx drizzle-kit generate`.',
  transient: false,
  matchers: [NO_JOURNAL_ERROR],
  // drizzle-orm 0.45 migrator.js readMigrationFiles; thrown by migrate() in the app's own code (drizzle-kit
  // migrate catches it and prints only its spinner: test/differential/drizzle.test.ts)
  examples: [{source: 'drizzle-orm', text: `Error: ${NO_JOURNAL_ERROR}`}],
  summary: (p) =>
    `${p.folderExists ? `${p.directory} has no meta/_journal.json` : `The migrations folder ${p.directory} does not exist`} (${p.source}): drizzle-orm's migrator stops with "${NO_JOURNAL_ERROR}" before connecting, and drizzle-kit migrate shows only its spinner and exits 1.`,
  buildFix: (p) => ({
    summary: `Make ${p.directory}/meta/_journal.json reach the place where drizzle-kit migrate runs, or point out in drizzle.config.* at the folder that has it.`,
    steps: [
      `If the migrations exist elsewhere (a build or Docker image that left meta/ behind): copy the whole ${p.directory} folder, meta/ included.`,
      `If they were never generated: npx drizzle-kit generate (writes ${p.directory}/meta/_journal.json and the .sql files).`,
    ],
    snippet: {language: 'bash', code: 'npx drizzle-kit generate'},
  }),
})

type MigrationOlderThanAppliedParams = {
  /** drizzle's table, schema-qualified */
  table: string
  /** the greatest created_at recorded (the journal `when` of the newest migration applied) */
  lastApplied: {when: number; at: string}
  /** journal entries at or before it that were never applied */
  skipped: Array<{tag: string; when: number; at: string}>
  /** the journal, as the user reads its path */
  journal: string
}

export const MIGRATION_OLDER_THAN_APPLIED = define<MigrationOlderThanAppliedParams>({
  code: 'MIGRATION_OLDER_THAN_APPLIED',
  check: 'migrations',
  status: 'warn',
  title: 'A drizzle migration older than the last applied one is never run',
  meaning:
    'drizzle-orm\'s migrator (the one `drizzle-kit migrate` runs) reads the newest row of `drizzle.__drizzle_migrations` (greatest `created_at`) and runs only the journal entries whose `when` is later. An entry of `meta/_journal.json` whose `when` is at or before that time, and whose migration was never recorded, is skipped without a word: `drizzle-kit migrate` prints "migrations applied successfully" and exits 0. The evidence lists those entries with their `when` and the newest `created_at`.',
  causes: [
    'a migration generated on a branch, merged after a newer migration was applied',
    'a journal entry whose `when` was edited or copied from another project',
  ],
  fix: 'Give the skipped entry a `when` later than the newest applied migration (in meta/_journal.json) so the next `drizzle-kit migrate` runs it, after checking it still fits the schema.',
  transient: false,
  matchers: [],
  examples: [{source: 'db-doctor', text: '! Migration state MIGRATION_OLDER_THAN_APPLIED (4 ms)'}],
  summary: (p) => {
    const n = p.skipped.length
    const names = `${p.skipped
      .slice(0, 3)
      .map((e) => `${e.tag} (when ${e.at})`)
      .join(', ')}${n > 3 ? ', …' : ''}`
    return `${n === 1 ? 'The journal entry' : `${n} journal entries`} ${names} ${n === 1 ? 'is' : 'are'} not newer than the last migration applied to ${p.table} (created_at ${p.lastApplied.when} = ${p.lastApplied.at}) and ${n === 1 ? 'was' : 'were'} never applied: drizzle-kit migrate runs only entries whose when is later, so it skips ${n === 1 ? 'it' : 'them'} silently and exits 0.`
  },
  buildFix: (p) => ({
    summary: `In ${p.journal}, set the when of ${p.skipped.map((e) => e.tag).join(', ')} to a time after ${p.lastApplied.when} (e.g. now, in milliseconds) and keep ${p.skipped.length === 1 ? 'it' : 'them'} after the applied entries, then run drizzle-kit migrate.`,
    steps: [
      `Check that ${p.skipped.length === 1 ? 'the migration' : 'each migration'} still fits the schema the newer migrations made (it was written before them).`,
      `Edit ${p.journal}: move ${p.skipped.map((e) => e.tag).join(', ')} to the end of "entries" and set "when" to a value greater than ${p.lastApplied.when} (node -e "console.log(Date.now())").`,
      'Run npx drizzle-kit migrate: entries whose when is later than the newest applied one run, in journal order.',
    ],
  }),
})

/** One relation of the tool the role lacks privileges on (names as format('%I.%I') gives them). */
export type MissingGrant = {kind: 'table' | 'sequence' | 'schema'; name: string; owner: string; missing: string[]}

type MigrationTableNoAccessParams = {
  tool: string
  /** the role db-doctor logged in as (the one the tool migrates as) */
  role: string
  /** the tool's table, schema-qualified */
  table: string
  grants: MissingGrant[]
}

const TOOL_RUN: Record<string, string> = {
  knex: 'knex migrate:latest',
  prisma: 'prisma migrate deploy',
  'node-pg-migrate': 'node-pg-migrate up',
  typeorm: 'typeorm migration:run',
  'sequelize-cli': 'sequelize-cli db:migrate',
  'drizzle-kit': 'drizzle-kit migrate',
}

/** The GRANT statements that give the role what it lacks, one per relation. */
function missingGrantSql(p: {role: string; grants: MissingGrant[]}): string[] {
  return p.grants.map(
    (g) =>
      `GRANT ${g.missing.join(', ')} ON ${g.kind === 'table' ? '' : `${g.kind.toUpperCase()} `}${g.name} TO ${sqlIdentifier(p.role, {bare: 'when-plain'})};`,
  )
}

export const MIGRATION_TABLE_NO_ACCESS = define<MigrationTableNoAccessParams>({
  code: 'MIGRATION_TABLE_NO_ACCESS',
  check: 'migrations',
  status: 'fail',
  title: "The role may not use the migration tool's own table",
  meaning:
    'The migration tool\'s table exists but the role lacks a privilege the tool uses on it to apply migrations: SELECT and INSERT on the table (knex `knex_migrations`, node-pg-migrate `pgmigrations`, TypeORM `migrations`, sequelize-cli `SequelizeMeta`, drizzle `__drizzle_migrations`), UPDATE too for Prisma\'s `_prisma_migrations`, SELECT and UPDATE on knex\'s `knex_migrations_lock` (knex takes and frees that lock on every `migrate:latest`, even with nothing pending), and USAGE on the table\'s id sequence; drizzle also needs USAGE and CREATE on its schema (`drizzle`), since it runs CREATE TABLE IF NOT EXISTS there on every run. The tool then stops with "permission denied for table …" (42501) — or, when the role has no privilege at all and information_schema hides the table, knex, node-pg-migrate and TypeORM try to create it again ("relation … already exists"). Read with has_table_privilege; the evidence names the table, its owner, the missing privileges and the role.',
  causes: [
    'the table was created by another role (a superuser, an earlier deploy user) and the migrating role was never granted on it',
    'privileges revoked, or a new least-privilege role for deploys',
    'a dump restored as another role (pg_restore --no-owner, --no-privileges)',
  ],
  fix: "As the table's owner, `GRANT SELECT, INSERT, … ON <schema.table> TO <role>;` (the exact statement is in the fix), or make the role the owner: `ALTER TABLE … OWNER TO <role>;`. Do not migrate as a superuser instead.",
  transient: false,
  matchers: [
    {
      re: /permission denied for (?:table|relation|sequence) "?(?:knex_migrations(?:_lock|_id_seq)?|_prisma_migrations|pgmigrations(?:_id_seq)?|SequelizeMeta|migrations(?:_id_seq)?|__drizzle_migrations(?:_id_seq)?)\b/,
      needle: 'permission denied for',
    },
    // knex and node-pg-migrate find their table through information_schema, which hides a table the role has
    // no privilege on (node-pg-migrate's primary-key lookup, table_constraints, one it has only SELECT on)
    {re: /relation "(?:knex_migrations|pgmigrations)" already exists/, needle: 'already exists'},
    {re: /must be owner of table pgmigrations\b/, needle: 'must be owner of table pgmigrations'},
  ],
  examples: [
    // printed by the real knex 3.3 CLI (migrate:latest) and node-pg-migrate 9 (up) in
    // test/differential/migration-table-access.test.ts, tables made by the superuser: knex with SELECT only,
    // knex with nothing, node-pg-migrate with SELECT only, with nothing. PostgreSQL's wording (src/backend/catalog/aclchk.c
    // aclcheck_error: "permission denied for table %s", "… for sequence %s") for the other tools' tables.
    {
      source: 'knex',
      text: 'Can\'t take lock to run migrations: update "knex_migrations_lock" set "is_locked" = $1 where "is_locked" = $2 - permission denied for table knex_migrations_lock',
    },
    {
      source: 'knex',
      text: 'error: create table "knex_migrations" ("id" serial primary key, "name" varchar(255), "batch" integer, "migration_time" timestamptz) - relation "knex_migrations" already exists',
    },
    {
      source: 'node-pg-migrate',
      text: 'Error: Unable to ensure migrations table: error: must be owner of table pgmigrations',
    },
    {
      source: 'node-pg-migrate',
      text: 'Error: Unable to ensure migrations table: error: relation "pgmigrations" already exists',
    },
    {source: 'postgres', text: 'ERROR:  permission denied for table _prisma_migrations'},
    {source: 'postgres', text: 'ERROR:  permission denied for sequence pgmigrations_id_seq'},
  ],
  summary: (p) => {
    const what = p.grants
      .map(
        (g) => `${g.missing.join(', ')} on ${g.kind === 'table' ? '' : `the ${g.kind} `}${g.name} (owner ${g.owner})`,
      )
      .join('; ')
    const how =
      p.tool === 'knex' || p.tool === 'node-pg-migrate' || p.tool === 'typeorm'
        ? ` (or, where information_schema hides the table from ${p.role}, with "relation … already exists"${p.tool === 'node-pg-migrate' ? ' or "must be owner of table …"' : ''})`
        : ''
    return `${p.role} lacks ${what}: ${TOOL_RUN[p.tool] ?? p.tool} fails with "permission denied for ${p.grants[0]?.kind ?? 'table'} …" (42501)${how}.`
  },
  buildFix: (p): Fix => {
    const grants = missingGrantSql(p)
    const owners = [...new Set(p.grants.map((g) => g.owner))]
    const role = sqlIdentifier(p.role, {bare: 'when-plain'})
    return {
      summary: `As ${owners.join(' / ')} (the owner), grant ${p.role} what ${p.tool} uses on its table${p.grants.length > 1 ? 's' : ''}; do not migrate as a superuser instead.`,
      steps: [
        `Connected as ${owners.join(' or ')} (or a role that may grant on ${p.table}): ${grants.join(' ')}`,
        `Or give the tables to ${p.role}, as their owner: ${p.grants
          .filter((g) => g.kind === 'table')
          .map((g) => `ALTER TABLE ${g.name} OWNER TO ${role};`)
          .join(' ')} (the owner must be a member of ${p.role}, or a superuser runs it once).`,
      ],
      snippet: {language: 'sql', code: grants.join('\n')},
    }
  },
})

// explain's order within the check: MIGRATION_TABLE_NO_ACCESS before MIGRATION_LOCKED, whose matcher
// "Can't take lock to run migrations" knex also prints when the lock's UPDATE is refused (42501)
export const migrationsEntries = [
  MIGRATION_TABLE_NO_ACCESS,
  MIGRATION_LOCKED,
  MIGRATION_FILES_MISSING,
  MIGRATION_OUT_OF_ORDER,
  MIGRATION_FAILED,
  MIGRATION_NOT_BASELINED,
  MIGRATION_DIRECTORY_MISSING,
  MIGRATION_JOURNAL_MISSING,
  MIGRATION_OLDER_THAN_APPLIED,
]
