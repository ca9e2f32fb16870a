// Can the role the migration logs in as do what migrations do? CREATE in the schema the tool
// migrates (PostgreSQL 15 took CREATE on public from everyone but the database owner), owning the
// tables it will ALTER or DROP, CREATEDB for Prisma's shadow database. Read in the shared read-only
// session (has_schema_privilege, pg_namespace, pg_class, pg_roles), in the run's one catalog round trip
// (core/session.ts).
import type {MigrationToolInfo} from '../config/types.js'
import type {Check, CheckContext, CheckOutcome, Evidence, Fix} from '../core/types.js'
import {sqlLiteral} from '../probes/pg-session.js'
import {failsFirst, foldFindings, type Finding as BaseFinding} from './findings.js'
import {migrationTools, toolSession} from './tools.js'

type Row = Record<string, unknown>

function ident(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`
}

/** The schema the tool's migrations create objects in: its own setting, else the first schema of the search path. */
function targetSchemaExpr(tool: MigrationToolInfo): string {
  return tool.schema ? sqlLiteral(tool.schema) : 'coalesce(current_schema(), (current_schemas(false))[1])'
}

export function privilegesSql(tool: MigrationToolInfo): string[] {
  const s = targetSchemaExpr(tool)
  return [
    `select ${s} as schema, current_setting('search_path') as search_path, current_user as "user", current_database() as database,
      exists(select 1 from pg_namespace where nspname = ${s}) as schema_exists,
      case when exists(select 1 from pg_namespace where nspname = ${s}) then has_schema_privilege(${s}, 'CREATE') end as can_create,
      case when exists(select 1 from pg_namespace where nspname = ${s}) then has_schema_privilege(${s}, 'USAGE') end as can_use,
      (select pg_get_userbyid(nspowner) from pg_namespace where nspname = ${s}) as schema_owner,
      (select pg_get_userbyid(datdba) from pg_database where datname = current_database()) as database_owner,
      has_database_privilege(current_database(), 'CREATE') as can_create_schema,
      r.rolcreatedb as createdb, r.rolsuper as superuser, current_setting('server_version_num')::int as version_num
     from pg_roles r where r.rolname = current_user`,
    `select c.relname as name, case c.relkind when 'r' then 'table' when 'p' then 'table' when 'v' then 'view' when 'm' then 'materialized view' when 'S' then 'sequence' else c.relkind::text end as kind,
      pg_get_userbyid(c.relowner) as owner
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = ${s} and c.relkind in ('r', 'p', 'v', 'm', 'S') and not pg_has_role(c.relowner, 'USAGE')
     order by c.relname limit 21`,
  ]
}

type Finding = BaseFinding<'PRIV_NO_CREATE_ON_SCHEMA' | 'PRIV_NOT_OWNER' | 'PRIV_NO_CREATEDB'>

export interface PrivilegeState {
  schema: string | null
  searchPath: string
  user: string
  database: string
  schemaExists: boolean
  canCreate: boolean | null
  canUse: boolean | null
  schemaOwner: string | null
  databaseOwner: string
  canCreateSchema: boolean
  createdb: boolean
  superuser: boolean
  versionNum: number
  foreign: {name: string; kind: string; owner: string}[]
}

export function parsePrivileges(results: Row[][]): PrivilegeState {
  const r = (results[0]?.[0] ?? {}) as Row
  return {
    schema: (r.schema as string) ?? null,
    searchPath: String(r.search_path ?? ''),
    user: String(r.user ?? ''),
    database: String(r.database ?? ''),
    schemaExists: r.schema_exists === true,
    canCreate: typeof r.can_create === 'boolean' ? r.can_create : null,
    canUse: typeof r.can_use === 'boolean' ? r.can_use : null,
    schemaOwner: (r.schema_owner as string) ?? null,
    databaseOwner: String(r.database_owner ?? ''),
    canCreateSchema: r.can_create_schema === true,
    createdb: r.createdb === true,
    superuser: r.superuser === true,
    versionNum: Number(r.version_num ?? 0),
    foreign: (results[1] ?? []).map((x) => ({name: String(x.name), kind: String(x.kind), owner: String(x.owner)})),
  }
}

/** Pure. */
export function evaluatePrivileges(p: PrivilegeState, tool: MigrationToolInfo): Finding[] {
  const out: Finding[] = []
  const where = tool.schemaSource ?? (p.schema ? `the first schema of search_path (${p.searchPath})` : 'search_path')
  if (!p.schema) {
    out.push({
      code: 'PRIV_NO_CREATE_ON_SCHEMA',
      severity: 'fail',
      summary: `No schema of search_path (${p.searchPath}) exists for ${p.user}: ${tool.name} migrations fail with "no schema has been selected to create in" (3F000).`,
      evidence: {searchPath: p.searchPath, user: p.user},
      fix: {
        summary: 'Set a search_path whose first schema exists and the role may create in.',
        steps: [`ALTER ROLE ${ident(p.user)} SET search_path = public;`],
      },
    })
  } else if (!p.schemaExists) {
    if (!p.canCreateSchema && !p.superuser) {
      out.push({
        code: 'PRIV_NO_CREATE_ON_SCHEMA',
        severity: 'fail',
        summary: `The schema "${p.schema}" (${where}) does not exist and ${p.user} may not create schemas in ${p.database}: the migration fails with "schema "${p.schema}" does not exist" or "permission denied for database ${p.database}".`,
        evidence: {schema: p.schema, schemaFrom: where, schemaExists: false, user: p.user, databaseOwner: p.databaseOwner},
        fix: {
          summary: `Create the schema for ${p.user}, as the database owner (${p.databaseOwner}) or a superuser.`,
          steps: [`CREATE SCHEMA ${ident(p.schema)} AUTHORIZATION ${ident(p.user)};`],
          snippet: {language: 'sql', code: `CREATE SCHEMA ${ident(p.schema)} AUTHORIZATION ${ident(p.user)};`},
        },
      })
    }
  } else if (p.canCreate === false) {
    const pg15 = p.schema === 'public' && p.versionNum >= 150000
    const grant = `GRANT ${p.canUse ? '' : 'USAGE, '}CREATE ON SCHEMA ${ident(p.schema)} TO ${ident(p.user)};`
    out.push({
      code: 'PRIV_NO_CREATE_ON_SCHEMA',
      severity: 'fail',
      summary: `${p.user} may not CREATE in the schema "${p.schema}" (${where}; owner ${p.schemaOwner}): the first CREATE TABLE fails with "permission denied for schema ${p.schema}" (42501)${pg15 ? '. Since PostgreSQL 15, only the database owner may create in public unless granted' : ''}.`,
      evidence: {schema: p.schema, schemaFrom: where, user: p.user, schemaOwner: p.schemaOwner, databaseOwner: p.databaseOwner, canCreate: false, canUse: p.canUse},
      fix: {
        summary: `Grant it, as ${p.schemaOwner ?? 'the schema owner'} or a superuser — or make ${p.user} the database owner.`,
        steps: [`Run: ${grant}`, `Or: ALTER DATABASE ${ident(p.database)} OWNER TO ${ident(p.user)};${pg15 ? ' (the owner of the database may create in public on PostgreSQL 15+)' : ''}`],
        snippet: {language: 'sql', code: grant},
      },
    })
  }
  if (p.foreign.length) {
    const list = p.foreign.slice(0, 20)
    const owners = [...new Set(list.map((f) => f.owner))]
    out.push({
      code: 'PRIV_NOT_OWNER',
      severity: 'warn',
      summary: `${p.foreign.length > 20 ? 'More than 20' : p.foreign.length} object${p.foreign.length === 1 ? '' : 's'} in "${p.schema}" belong${p.foreign.length === 1 ? 's' : ''} to ${owners.join(', ')}, not ${p.user}: a migration that ALTERs, DROPs or indexes ${p.foreign.length === 1 ? 'it' : 'them'} fails with "must be owner of table …" (42501).`,
      evidence: {schema: p.schema, user: p.user, objects: list},
      fix: {
        summary: `Give the objects to the role that migrates, or migrate as their owner.`,
        steps: [
          ...owners.map((o) => `As ${o} (or a superuser): REASSIGN OWNED BY ${ident(o)} TO ${ident(p.user)};  -- every object of ${o} in this database; or ALTER TABLE … OWNER TO ${ident(p.user)} one by one`),
          `Or run the migrations as ${owners[0]}.`,
        ],
      },
    })
  }
  if (tool.name === 'prisma' && !p.createdb && !p.superuser && !tool.shadowDatabaseUrl) {
    out.push({
      code: 'PRIV_NO_CREATEDB',
      severity: 'warn',
      summary: `${p.user} lacks CREATEDB and the datasource sets no shadowDatabaseUrl: \`prisma migrate dev\` cannot create its shadow database (P3014). \`prisma migrate deploy\` does not need it.`,
      evidence: {user: p.user, createdb: false, shadowDatabaseUrl: false},
      fix: {
        summary: 'For development, give the role CREATEDB or point Prisma at a shadow database it may use.',
        steps: [`ALTER ROLE ${ident(p.user)} CREATEDB;  -- development databases only`, 'Or set shadowDatabaseUrl in the datasource (an empty database the role owns).'],
      },
    })
  }
  return out
}

export async function runPrivileges(ctx: CheckContext): Promise<CheckOutcome> {
  const ready = await toolSession(ctx)
  if (!ready.ok) return ready.skip
  const {tools} = ready
  const tool = tools[0]!
  const state = parsePrivileges(await ctx.session!.shared('privileges', privilegesSql(tool)))
  const findings = evaluatePrivileges(state, tool)
  const base: Evidence = {tool: tool.name, schema: state.schema, schemaFrom: tool.schemaSource ?? 'search_path', user: state.user, databaseOwner: state.databaseOwner}
  if (!findings.length) {
    return {
      status: 'pass',
      code: null,
      summary: `${state.user} may create in "${state.schema}" and owns what is there${tool.name === 'prisma' ? (state.createdb || state.superuser ? '; CREATEDB for the shadow database' : '; shadowDatabaseUrl set') : ''}.`,
      evidence: base,
      fix: null,
    }
  }
  return foldFindings(findings.sort(failsFirst), base)
}

export const privilegesCheck: Check = {
  id: 'privileges',
  title: 'Privileges for migrations',
  requires: ['auth'],
  provides: [],
  uses: ['auth'],
  queries: (ctx) => {
    const tool = migrationTools(ctx)[0]
    return tool ? privilegesSql(tool) : null
  },
  run: runPrivileges,
}
