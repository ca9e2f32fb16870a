// Codes of the `migrations` check (the migration tool's own state in the database).
import {define} from './types.js'

export const migrationsEntries = [
  define({
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
      'Can\'t take lock to run migrations',
    ],
    examples: [
      // knex 3.3 lib/migrations/migrate/Migrator.js (_lockMigrations); node-pg-migrate 9 dist/bundle/index.js lock() in
      // its default 'fail' mode; Prisma: below
      {source: 'knex', text: 'Error: Migration table is already locked'},
      {source: 'node-pg-migrate', text: "Error: Another migration is already running. Advisory lock mode is set to 'fail'."},
      // Prisma 6 `migrate deploy` as printed in a CI log (https://github.com/palhinhax/TheBate/issues/48, host
      // anonymised); template P1002 DatabaseTimeout in prisma-engines libs/user-facing-errors/src/common.rs
      {source: 'prisma', text: 'Error: P1002\n\nThe database server at `ep-cool-name-a1b2c3d4-pooler.us-east-1.aws.neon.tech:5432` was reached but timed out.\n\nPlease try again.\n\nPlease make sure your database server is running at `ep-cool-name-a1b2c3d4-pooler.us-east-1.aws.neon.tech:5432`.\n\nContext: Timed out trying to acquire a postgres advisory lock (SELECT pg_advisory_lock(72707369)). Elapsed: 10000ms. See https://pris.ly/d/migrate-advisory-locking for details.'},
    ],
  }),
  define({
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
    matchers: ['The migration directory is corrupt', {re: /Definitions of migrations .{1,200} have been deleted/, needle: 'have been deleted'}],
    examples: [
      // knex 3.3 lib/migrations/migrate/Migrator.js (validateMigrationList); node-pg-migrate 9 dist/bundle/index.js (checkOrder)
      {source: 'knex', text: 'Error: The migration directory is corrupt, the following files are missing: 20240101120000_create_users.js'},
      {source: 'node-pg-migrate', text: 'Error: Definitions of migrations 1700000000000_init have been deleted.'},
    ],
  }),
  define({
    code: 'MIGRATION_OUT_OF_ORDER',
    check: 'migrations',
    status: 'fail',
    title: 'A new migration sorts before one that already ran',
    meaning:
      'node-pg-migrate (check-order on, its default) requires the i-th migration that ran to be the i-th file: a file that sorts before an applied one stops it with "Not run migration X is preceding already run migration Y".',
    causes: ['a migration from a long-lived branch merged after newer ones ran', 'a file renamed with an older timestamp'],
    fix: 'Rename the new migration so it sorts after the last applied one, or run with `--no-check-order` when the order does not matter.',
    transient: false,
    matchers: [{re: /Not run migration .{1,200} is preceding already run migration/, needle: 'is preceding already run migration'}],
    // node-pg-migrate 9 dist/bundle/index.js (checkOrder)
    examples: [{source: 'node-pg-migrate', text: 'Error: Not run migration 1690000000000_add_index is preceding already run migration 1700000000000_init'}],
  }),
  define({
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
    matchers: ['P3009', 'migrate found failed migrations in the target database', 'P3018', 'A migration failed to apply. New migrations cannot be applied'],
    examples: [
      // P3009 FoundFailedMigrations and P3018 ApplyMigrationError: prisma-engines libs/user-facing-errors/src/schema_engine.rs;
      // printed as in https://github.com/langfuse/langfuse-k8s/issues/253 and https://github.com/SOZ-Faut-etre-Sub/SOZ-FiveM-Server/issues/175
      {source: 'prisma', text: 'Error: P3009\n\nmigrate found failed migrations in the target database, new migrations will not be applied. Read more about how to resolve migration issues in a production database: https://pris.ly/d/migrate-resolve\nThe `20240528214728_add_cursor_index` migration started at 2025-10-10 13:48:23.538445 UTC failed'},
      {source: 'prisma', text: 'Error: P3018\n\nA migration failed to apply. New migrations cannot be applied before the error is recovered from. Read more about how to resolve migration issues in a production database: https://pris.ly/d/migrate-resolve\n\nMigration name: 20240101000000_init\n\nDatabase error code: 23505\n\nDatabase error:\nERROR: could not create unique index "User_email_key"'},
    ],
  }),
  define({
    code: 'MIGRATION_NOT_BASELINED',
    check: 'migrations',
    status: 'warn',
    title: 'Tables, but no Prisma migration history',
    meaning:
      'The schema Prisma migrates has tables but no `_prisma_migrations` table: `prisma migrate deploy` fails with P3005 ("The database schema is not empty") until the database is baselined.',
    causes: ['a database created before Prisma Migrate (or with `db push`)', 'the wrong `?schema=`: Prisma looks at another schema than the app\'s'],
    fix: 'Baseline: create the initial migration from the current schema and `prisma migrate resolve --applied <it>`.',
    transient: false,
    matchers: ['P3005', 'The database schema is not empty'],
    // P3005 DatabaseSchemaNotEmpty, prisma-engines libs/user-facing-errors/src/schema_engine.rs; printed as in
    // https://github.com/langfuse/langfuse/issues/4996
    examples: [{source: 'prisma', text: 'Error: P3005\n\nThe database schema is not empty. Read more about how to baseline an existing production database: https://pris.ly/d/migrate-baseline'}],
  }),
]
