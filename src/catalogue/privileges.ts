// Codes of the `privileges` check (what the migrating role may do).
import {define} from './types.js'

export const privilegesEntries = [
  define({
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
    matchers: [{re: /permission denied for schema \S{1,100}/, needle: 'permission denied for schema'}, 'no schema has been selected to create in'],
    examples: [
      {source: 'postgres', text: 'ERROR:  permission denied for schema public'},
      {source: 'knex', text: 'migration failed with error: create table "knex_migrations" ("id" serial primary key, "name" varchar(255)) - permission denied for schema public'},
    ],
  }),
  define({
    code: 'PRIV_NOT_OWNER',
    check: 'privileges',
    status: 'warn',
    title: 'Objects in the schema belong to another role',
    meaning:
      'Tables, views or sequences in the migrations schema are owned by another role: a migration that ALTERs, DROPs or indexes them fails with "must be owner of table …" (42501). The evidence lists them with their owners.',
    causes: ['tables created by hand or by another tool as a different role (a superuser, an admin role)', 'a restore run as another role', 'migrations run as different roles over time'],
    fix: 'Reassign the objects to the migrating role (`REASSIGN OWNED BY old TO new;` or `ALTER TABLE … OWNER TO …`), or migrate as their owner.',
    transient: false,
    matchers: [{re: /must be owner of (?:table|relation|sequence|view|materialized view) \S{1,100}/, needle: 'must be owner of'}],
    examples: [{source: 'postgres', text: 'ERROR:  must be owner of table users'}],
  }),
  define({
    code: 'PRIV_NO_CREATEDB',
    check: 'privileges',
    status: 'warn',
    title: 'Prisma cannot create its shadow database',
    meaning:
      '`prisma migrate dev` creates a temporary shadow database; the role lacks CREATEDB and the datasource sets no `shadowDatabaseUrl`, so it fails with P3014. `prisma migrate deploy` does not need it.',
    causes: ['a least-privilege role used for development', 'a managed database where roles cannot get CREATEDB'],
    fix: 'For development, `ALTER ROLE <role> CREATEDB;`, or set `shadowDatabaseUrl` to a database the role may use.',
    transient: false,
    // Prisma's P3014 wording is an explain hint (src/explain/hints.ts) that lists this code first.
    matchers: ['permission denied to create database'],
    examples: [{source: 'postgres', text: 'ERROR:  permission denied to create database'}],
  }),
]
