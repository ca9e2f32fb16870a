// Codes of the `privileges` check (what the migrating role may do), and the check's words: the
// summaries and fixes of its findings, built from the params the check emits (src/checks/privileges.ts
// holds data only).
import {sqlIdentifier} from '../core/sql.js'
import type {Fix} from '../core/types.js'
import {define, messages} from './types.js'

const ident = (name: string): string => sqlIdentifier(name, {bare: 'when-plain'})

/** Where the migrations schema comes from: the tool's own setting, else the search path (evidence and summaries). */
export function schemaFrom(p: {schemaSource: string | undefined; schema: string | null; searchPath: string}): string {
  return p.schemaSource ?? (p.schema ? `the first schema of search_path (${p.searchPath})` : 'search_path')
}

/** The pass summary of the privileges check (its skips: src/catalogue/session.ts). */
export const privilegesSays = messages({
  /** the check's title in reports */
  title: () => 'Privileges for migrations',
  /** what the check establishes: its line in docs/codes.md's list of checks (`npm run docs`) */
  establishes: () =>
    'whether the role that migrates may CREATE in the schema the migrations target (the exact `GRANT` when not), owns the objects already there, and (Prisma) may create the shadow database. Only with a migration tool (found, or `--tool`)',
  ok: (p: {user: string; schema: string | null; prisma: boolean; createdb: boolean}) =>
    `${p.user} may create in "${p.schema}" and owns what is there${p.prisma ? (p.createdb ? '; CREATEDB for the shadow database' : '; shadowDatabaseUrl set') : ''}.`,
})

type PrivNoCreateOnSchemaParams =
  /** no schema of the search path exists */
  | {case: 'no-schema'; searchPath: string; user: string; tool: string}
  /** the target schema does not exist and the role may not create it */
  | {case: 'missing'; schema: string; where: string; user: string; database: string; databaseOwner: string}
  /** the tool runs CREATE SCHEMA IF NOT EXISTS on every run (drizzle-kit): CREATE on the database, schema or not */
  | {
      case: 'create-schema-every-run'
      schema: string
      tool: string
      user: string
      database: string
      databaseOwner: string
      exists: boolean
    }
  /** the schema exists; no CREATE on it */
  | {
      case: 'no-create'
      schema: string
      where: string
      user: string
      database: string
      schemaOwner: string | null
      canUse: boolean | null
      pg15: boolean
    }

type PrivNotOwnerParams = {
  /** objects owned by others (the query stops at 21) */
  count: number
  schema: string | null
  owners: string[]
  user: string
}

type PrivNoCreatedbParams = {user: string}

export const PRIV_NO_CREATE_ON_SCHEMA = define<PrivNoCreateOnSchemaParams>({
  code: 'PRIV_NO_CREATE_ON_SCHEMA',
  check: 'privileges',
  status: 'fail',
  title: 'The role may not create in the migrations schema',
  meaning:
    'The role lacks CREATE on the schema the migrations target (knex `migrations.schemaName`, Prisma `?schema=`, node-pg-migrate `--schema` / `--migrations-schema`, else the first schema of the search path), or that schema does not exist and the role may not create it. PostgreSQL 15 took CREATE on `public` from everyone but the database owner. The fix is the exact `GRANT`, or making the role the database owner.',
  causes: [
    'PostgreSQL 15+: a role that is not the database owner (the app role, a CI role) on the public schema',
    'a schema owned by another role without a grant',
    'a `?schema=` / `schemaName` that does not exist yet',
  ],
  fix: '`GRANT CREATE ON SCHEMA <schema> TO <role>;` as the schema owner, or `ALTER DATABASE <db> OWNER TO <role>;`.',
  transient: false,
  matchers: [
    {re: /permission denied for schema \S{1,100}/, needle: 'permission denied for schema'},
    'no schema has been selected to create in',
    // CREATE SCHEMA without CREATE on the database (aclcheck_error: the name unquoted; the login's missing CONNECT
    // privilege quotes it: `permission denied for database "x"`), as drizzle-kit and MikroORM run it every time
    {re: /permission denied for database [^\s"]{1,100}/, needle: 'permission denied for database'},
  ],
  examples: [
    {source: 'postgres', text: 'ERROR:  permission denied for schema public'},
    {
      source: 'knex',
      text: 'migration failed with error: create table "knex_migrations" ("id" serial primary key, "name" varchar(255)) - permission denied for schema public',
    },
    {source: 'drizzle-kit', text: 'error: permission denied for database appdb'},
  ],
  summary: (p) => {
    switch (p.case) {
      case 'no-schema':
        return `No schema of search_path (${p.searchPath}) exists for ${p.user}: ${p.tool} migrations fail with "no schema has been selected to create in" (3F000).`
      case 'missing':
        return `The schema "${p.schema}" (${p.where}) does not exist and ${p.user} may not create schemas in ${p.database}: the migration fails with "schema "${p.schema}" does not exist" or "permission denied for database ${p.database}".`
      case 'create-schema-every-run':
        return `${p.tool} runs CREATE SCHEMA IF NOT EXISTS "${p.schema}" on every migrate, and PostgreSQL checks CREATE on the database first${p.exists ? ' (even though the schema exists)' : ''}: ${p.user} lacks CREATE on ${p.database}, so the migration fails with "permission denied for database ${p.database}".`
      case 'no-create':
        return `${p.user} may not CREATE in the schema "${p.schema}" (${p.where}; owner ${p.schemaOwner}): the first CREATE TABLE fails with "permission denied for schema ${p.schema}" (42501)${p.pg15 ? '. Since PostgreSQL 15, only the database owner may create in public unless granted' : ''}.`
    }
  },
  buildFix: (p): Fix => {
    switch (p.case) {
      case 'no-schema':
        return {
          summary: 'Set a search_path whose first schema exists and the role may create in.',
          steps: [`ALTER ROLE ${ident(p.user)} SET search_path = public;`],
        }
      case 'missing':
        return {
          summary: `Create the schema for ${p.user}, as the database owner (${p.databaseOwner}) or a superuser.`,
          steps: [`CREATE SCHEMA ${ident(p.schema)} AUTHORIZATION ${ident(p.user)};`],
          snippet: {language: 'sql', code: `CREATE SCHEMA ${ident(p.schema)} AUTHORIZATION ${ident(p.user)};`},
        }
      case 'create-schema-every-run': {
        const grant = `GRANT CREATE ON DATABASE ${ident(p.database)} TO ${ident(p.user)};`
        return {
          summary: `Grant ${p.user} CREATE on the database, as ${p.databaseOwner} (its owner) or a superuser: creating the schema beforehand is not enough for ${p.tool}.`,
          steps: [`Run: ${grant}`, `Or: ALTER DATABASE ${ident(p.database)} OWNER TO ${ident(p.user)};`],
          snippet: {language: 'sql', code: grant},
        }
      }
      case 'no-create': {
        const grant = `GRANT ${p.canUse ? '' : 'USAGE, '}CREATE ON SCHEMA ${ident(p.schema)} TO ${ident(p.user)};`
        return {
          summary: `Grant it, as ${p.schemaOwner ?? 'the schema owner'} or a superuser — or make ${p.user} the database owner.`,
          steps: [
            `Run: ${grant}`,
            `Or: ALTER DATABASE ${ident(p.database)} OWNER TO ${ident(p.user)};${p.pg15 ? ' (the owner of the database may create in public on PostgreSQL 15+)' : ''}`,
          ],
          snippet: {language: 'sql', code: grant},
        }
      }
    }
  },
})

export const PRIV_NOT_OWNER = define<PrivNotOwnerParams>({
  code: 'PRIV_NOT_OWNER',
  check: 'privileges',
  status: 'warn',
  title: 'Objects in the schema belong to another role',
  meaning:
    'Tables, views or sequences in the migrations schema are owned by another role: a migration that ALTERs, DROPs or indexes them fails with "must be owner of table …" (42501). The evidence lists them with their owners.',
  causes: [
    'tables created by hand or by another tool as a different role (a superuser, an admin role)',
    'a restore run as another role',
    'migrations run as different roles over time',
  ],
  fix: 'Reassign the objects to the migrating role (`REASSIGN OWNED BY old TO new;` or `ALTER TABLE … OWNER TO …`), or migrate as their owner.',
  transient: false,
  matchers: [
    {re: /must be owner of (?:table|relation|sequence|view|materialized view) \S{1,100}/, needle: 'must be owner of'},
  ],
  examples: [{source: 'postgres', text: 'ERROR:  must be owner of table users'}],
  summary: (p) =>
    `${p.count > 20 ? 'More than 20' : p.count} object${p.count === 1 ? '' : 's'} in "${p.schema}" belong${p.count === 1 ? 's' : ''} to ${p.owners.join(', ')}, not ${p.user}: a migration that ALTERs, DROPs or indexes ${p.count === 1 ? 'it' : 'them'} fails with "must be owner of table …" (42501).`,
  buildFix: (p) => ({
    summary: `Give the objects to the role that migrates, or migrate as their owner.`,
    steps: [
      ...p.owners.map(
        (o) =>
          `As ${o} (or a superuser): REASSIGN OWNED BY ${ident(o)} TO ${ident(p.user)};  -- every object of ${o} in this database; or ALTER TABLE … OWNER TO ${ident(p.user)} one by one`,
      ),
      `Or run the migrations as ${p.owners[0]}.`,
    ],
  }),
})

export const PRIV_NO_CREATEDB = define<PrivNoCreatedbParams>({
  code: 'PRIV_NO_CREATEDB',
  check: 'privileges',
  status: 'warn',
  title: 'Prisma cannot create its shadow database',
  meaning:
    '`prisma migrate dev` creates a temporary shadow database; the role lacks CREATEDB and the datasource sets no `shadowDatabaseUrl`, so it fails with P3014. `prisma migrate deploy` does not need it.',
  causes: ['a least-privilege role used for development', 'a managed database where roles cannot get CREATEDB'],
  fix: 'For development, `ALTER ROLE <role> CREATEDB;`, or set `shadowDatabaseUrl` to a database the role may use.',
  transient: false,
  // Prisma's P3014 wording is an explain hint (src/catalogue/hints.ts) that lists this code first.
  matchers: ['permission denied to create database'],
  examples: [{source: 'postgres', text: 'ERROR:  permission denied to create database'}],
  summary: (p) =>
    `${p.user} lacks CREATEDB and the datasource sets no shadowDatabaseUrl: \`prisma migrate dev\` cannot create its shadow database (P3014). \`prisma migrate deploy\` does not need it.`,
  buildFix: (p) => ({
    summary: 'For development, give the role CREATEDB or point Prisma at a shadow database it may use.',
    steps: [
      `ALTER ROLE ${ident(p.user)} CREATEDB;  -- development databases only`,
      'Or set shadowDatabaseUrl in the datasource (an empty database the role owns).',
    ],
  }),
})

export const privilegesEntries = [PRIV_NO_CREATE_ON_SCHEMA, PRIV_NOT_OWNER, PRIV_NO_CREATEDB]
