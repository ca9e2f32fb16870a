// drizzle-kit 0.31 (bin.cjs), read in the installed sources:
//   - config: `--config <path>` (resolved from the working folder), else drizzle.config.ts, else
//     drizzle.config.js, else drizzle.config.json in the working folder (drizzleConfigFromFile);
//     required through esbuild-register; `dialect: 'postgresql'`; "You can't use both --config and
//     other cli options" for migrate;
//   - environment: the bin starts with dotenv/config: `.env` of the working folder is loaded into
//     process.env (existing variables win) before the config file runs;
//   - credentials (postgresCredentials, zod): `dbCredentials.url` → `{url}` only (an `ssl` key
//     next to it is dropped); host/port/user/password/database/ssl → the fields (password must be
//     non-empty);
//   - driver (preparePostgresDB): the first of pg, postgres, @vercel/postgres,
//     @neondatabase/serverless that imports; pg gets `new pg.Pool({connectionString: url})`, or
//     `{...fields, ssl}` with ssl = 'require'|'allow'|'prefer' → {rejectUnauthorized: false},
//     'verify-full' → {}, missing → {} (TLS WITH verification; PGSSLMODE is then ignored), else as
//     given; postgres gets `postgres(url, {max: 1})` or `postgres({...fields, max: 1})` (its own
//     rules: a missing ssl reads PGSSLMODE/PGSSL, else plaintext);
//   - migrate (drizzle-orm migrator): CREATE SCHEMA IF NOT EXISTS "drizzle" (CREATE on the
//     database), CREATE TABLE IF NOT EXISTS drizzle.__drizzle_migrations, then the migrations in one
//     transaction; `migrations.table` / `migrations.schema` override; folder `out` (default ./drizzle);
//   - failure: hanji's renderWithTask catches the migrator's rejection, renders the same
//     "[⣷] applying migrations..." line and calls process.exit(1): no error text at all (the
//     handler's own `console.error(e)` is never reached). The migrator reads <out>/meta/_journal.json
//     before its first query ("Can't find meta/_journal.json file", thrown, never printed) and runs
//     only the entries whose `when` is later than the greatest created_at recorded.
import type {ToolModel} from './types.js'

export const DRIZZLE_CONFIG_FILES = ['drizzle.config.ts', 'drizzle.config.js', 'drizzle.config.json'] as const

export const drizzleKit: ToolModel = {
  name: 'drizzle-kit',
  packages: ['drizzle-kit'],
  currentRelease: '0.31.0',
  config: {
    files: DRIZZLE_CONFIG_FILES,
    // --config names the file; with --config no other connection flag is allowed
    flag: '--config',
  },
  env: {loads: 'itself', via: 'dotenv/config'},
  drivers: [
    {pkg: 'pg', driver: 'node-postgres'},
    {pkg: 'postgres', driver: 'postgres.js'},
    {pkg: '@vercel/postgres'},
    {pkg: '@neondatabase/serverless'},
  ],
  migrations: {
    table: '__drizzle_migrations',
    schema: 'drizzle',
    dir: 'drizzle',
    createsSchema: 'every-run',
    command: 'npx drizzle-kit migrate',
    // pg-core dialect migrate: select, insert; and CREATE TABLE IF NOT EXISTS in its schema on every run, for
    // which PostgreSQL checks CREATE on the schema before it looks for the table
    uses: {table: ['SELECT', 'INSERT'], schema: ['USAGE', 'CREATE']},
  },
  // prints only its spinner line "[⣷] applying migrations..." (the error is never printed)
  failure: {exitCode: 1},
  scripts: {
    bin: /(?:^|[\s/'"])drizzle-kit(?:\/bin\.cjs)?(?=[\s'"]|$)/,
    migrate: /drizzle-kit['"]?\s+(?:migrate|push)\b/,
    defaultArgs: 'migrate',
  },
  // drizzle-kit migrates with max 1; the app's drizzle() gets the pool of its driver, in app code
  pool: {setting: 'max', where: 'app-code', default: 'driver'},
}
