// explain recognises each family's wordings as the real tool prints them. Every text here
// was checked against its source — the tool's code (prisma-engines user-facing-errors,
// PgBouncer, Supavisor, PostgreSQL, OpenSSL, node-postgres, knex, node-pg-migrate in
// node_modules) or a real log in a public issue thread — and the catalogue comment next to
// the matching example names it. Messages Node, node-postgres, knex, node-pg-migrate, psql,
// PostgreSQL and PgBouncer print are also produced live in real-peers.test.ts,
// migration-tools.test.ts and the pooler tests; this file pins the verified wordings of
// every family, old and new spellings, and which codes stay unmapped.
import {describe, expect, it} from 'vitest'
import {CANARY_PASSWORD} from '../helpers/constants.js'
import {runCli} from '../helpers/cli.js'

interface Match {
  code: string | null
  title: string
  candidates?: string[]
}

/** A pasted log always carries the app's URL with its password: it must never come back. */
const URL_LINE = `DATABASE_URL=postgresql://app:${CANARY_PASSWORD}@db.example.com:5432/appdb`

async function explain(text: string): Promise<{code: number; matches: Match[]}> {
  const r = await runCli(['explain', '--json'], {input: `${URL_LINE}\n${text}\n`})
  expect(r.stdout + r.stderr).not.toContain(CANARY_PASSWORD)
  expect([0, 1], r.stderr).toContain(r.code)
  return {code: r.code ?? -1, matches: (JSON.parse(r.stdout) as {matches: Match[]}).matches}
}

/** Each text must give its code (a hint: null, with the first candidate given). */
async function expectCodes(cases: [string, string][]): Promise<void> {
  for (const [text, code] of cases) {
    const {matches} = await explain(text)
    const found = matches.map((m) => m.code ?? `hint:${m.candidates?.[0]}`)
    expect(found, text).toContain(code)
  }
}

describe('explain: Prisma (prisma-engines libs/user-facing-errors: common.rs, schema_engine.rs, quaint.rs)', () => {
  it('every P-code that maps to a db-doctor code, in the template Prisma prints', async () => {
    await expectCodes([
      ['Error: P1000: Authentication failed against database server at `db.example.com`, the provided database credentials for `app` are not valid.\n\nPlease make sure to provide valid database credentials for the database server at `db.example.com`.', 'AUTH_PASSWORD_FAILED'],
      ["Error: P1001: Can't reach database server at `db.example.com`:`5432`\n\nPlease make sure your database server is running at `db.example.com`:`5432`.", 'hint:DNS_NOT_FOUND'],
      ["Error: P1001: Can't reach database server at `localhost:5432`", 'hint:DNS_NOT_FOUND'],
      ['Error: P1002: The database server at `db.example.com`:`5432` was reached but timed out.\n\nPlease try again.', 'hint:MIGRATION_LOCKED'],
      ['Error: P1003: Database `appdb` does not exist on the database server at `localhost:5432`.', 'AUTH_DATABASE_NOT_FOUND'],
      ['Error: P1008: Operations timed out after `10s`', 'hint:TCP_TIMEOUT'],
      ['Error: P1010: User `app` was denied access on the database `appdb.public`', 'hint:AUTH_HBA_REJECTED'],
      ['Error: P1011: Error opening a TLS connection: bad certificate format', 'hint:TLS_SELF_SIGNED_CHAIN'],
      ['Error: Prisma schema validation - (get-config wasm)\nError code: P1012\nerror: Environment variable not found: DATABASE_URL.', 'CONFIG_APP_FILE_ERROR'],
      ['error: Error validating datasource `db`: the URL must start with the protocol `postgresql://` or `postgres://`.', 'CONFIG_URL_INVALID'],
      ['Error: P1013: The provided database string is invalid. invalid port number in database URL. Please refer to the documentation', 'CONFIG_URL_INVALID'],
      ['Error: P1013: The provided database string is invalid. invalid port number in database URL. Please refer to the documentation', 'CONFIG_PASSWORD_NOT_ENCODED'],
      ['Error: P1017: Server has closed the connection.', 'PG_NO_RESPONSE'],
      ['Too many database connections opened: FATAL: sorry, too many clients already', 'AUTH_TOO_MANY_CONNECTIONS'],
      ['Error: P3000\n\nFailed to create database: permission denied to create database', 'hint:AUTH_DATABASE_NOT_FOUND'],
      ['Error: P3005\n\nThe database schema is not empty. Read more about how to baseline an existing production database: https://pris.ly/d/migrate-baseline', 'MIGRATION_NOT_BASELINED'],
      ['Error: P3009\n\nmigrate found failed migrations in the target database, new migrations will not be applied.\nThe `20240101000000_init` migration started at 2025-04-21 16:09:45.154896 UTC failed', 'MIGRATION_FAILED'],
      ['Error: P3014\n\nPrisma Migrate could not create the shadow database. Please make sure the database user has permission to create databases.', 'hint:PRIV_NO_CREATEDB'],
      ['Error: P3018\n\nA migration failed to apply. New migrations cannot be applied before the error is recovered from.\n\nMigration name: 20240101000000_init', 'MIGRATION_FAILED'],
    ])
  })

  it("P1002 with migrate's advisory-lock context is the migration lock", async () => {
    const {matches} = await explain(
      'Error: P1002\n\nThe database server at `ep-x-pooler.us-east-1.aws.neon.tech:5432` was reached but timed out.\n\nPlease try again.\n\nContext: Timed out trying to acquire a postgres advisory lock (SELECT pg_advisory_lock(72707369)). Elapsed: 10000ms. See https://pris.ly/d/migrate-advisory-locking for details.',
    )
    expect(matches.map((m) => m.code)).toContain('MIGRATION_LOCKED')
    expect(matches.map((m) => m.code)).not.toContain('PG_NO_RESPONSE')
  })

  it('unmapped P-codes stay unmapped: no db-doctor check finds them, explain says it does not know them (exit 1)', async () => {
    for (const text of [
      'Error: P1009: Database `appdb` already exists on the database server at `localhost:5432`',
      'Error: P1014: The underlying table for model `User` does not exist.',
      'Error: P1016: Your raw query had an incorrect number of parameters. Expected: `1`, actual: `2`.',
      'Error: P3004: The `postgres` database is a system database, it should not be altered with prisma migrate. Please connect to another database.',
      'Error: P3008: The migration `20240101000000_init` is already recorded as applied in the database.',
      'Error: P3011: Migration `20240101000000_init` cannot be rolled back because it was never applied to the database.',
      'Error: P3015: Could not find the migration file at prisma/migrations/20240101000000_init/migration.sql. Please delete the directory or restore the migration file.',
      'Error: P3019: The datasource provider `postgresql` specified in your schema does not match the one specified in the migration_lock.toml, `mysql`.',
    ]) {
      const r = await explain(text)
      expect(r.matches, text).toEqual([])
      expect(r.code, text).toBe(1)
    }
  })
})
