// Can the role the migration logs in as do what migrations do? CREATE in the schema the tool
// migrates (PostgreSQL 15 took CREATE on public from everyone but the database owner), owning the
// tables it will ALTER or DROP, CREATEDB for Prisma's shadow database. Read in the shared read-only
// session (has_schema_privilege, pg_namespace, pg_class, pg_roles), in the run's one catalog round trip
// (probes/session.ts).
// Data only: the words of every outcome are in src/catalogue/privileges.ts.
import {
  PRIV_NOT_OWNER,
  PRIV_NO_CREATEDB,
  PRIV_NO_CREATE_ON_SCHEMA,
  privilegesSays,
  schemaFrom,
  privilegesEntries,
} from '../catalogue/privileges.js'
import type {MigrationToolInfo} from '../config/types.js'
import type {CheckOutcome, Evidence} from '../core/types.js'
import type {CheckContext, RegisteredCheck} from './types.js'
import {sqlLiteral} from '../core/sql.js'
import {failsFirst, foldFindings, type Finding} from './findings.js'
import {migrationTools, toolSession} from './tools.js'
import {TOOLS} from '../models/tools/registry.js'

type Row = Record<string, unknown>

/** The schema the tool's migrations create objects in: its own setting, else the first schema of the search path. */
function targetSchemaExpr(tool: MigrationToolInfo): string {
  return tool.schema ? sqlLiteral(tool.schema) : 'coalesce(current_schema(), (current_schemas(false))[1])'
}

function privilegesSql(tool: MigrationToolInfo): string[] {
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

interface PrivilegeState {
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

function parsePrivileges(results: Row[][]): PrivilegeState {
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

/** Pure: what the privileges mean for the tool's migration. */
function evaluatePrivileges(p: PrivilegeState, tool: MigrationToolInfo): Finding[] {
  return [schemaFinding(p, tool), notOwnerFinding(p), noCreatedbFinding(p, tool)].filter(
    (f): f is Finding => f !== null,
  )
}

/** Whether the migration can create its objects in its schema (or create the schema it needs). */
function schemaFinding(p: PrivilegeState, tool: MigrationToolInfo): Finding | null {
  const where = schemaFrom({schemaSource: tool.schemaSource, schema: p.schema, searchPath: p.searchPath})
  // drizzle-kit runs CREATE SCHEMA IF NOT EXISTS on every migrate; PostgreSQL checks CREATE on the
  // database before IF NOT EXISTS (CreateSchemaCommand), so the schema existing does not help.
  const everyRun = TOOLS[tool.name].migrations.createsSchema === 'every-run'
  if (everyRun && p.schema && !p.canCreateSchema && !p.superuser) {
    return PRIV_NO_CREATE_ON_SCHEMA.finding(
      {
        case: 'create-schema-every-run',
        schema: p.schema,
        tool: tool.name,
        user: p.user,
        database: p.database,
        databaseOwner: p.databaseOwner,
        exists: p.schemaExists,
      },
      {schema: p.schema, schemaFrom: where, schemaExists: p.schemaExists, user: p.user, canCreateOnDatabase: false},
    )
  }
  if (!p.schema) {
    return PRIV_NO_CREATE_ON_SCHEMA.finding(
      {case: 'no-schema', searchPath: p.searchPath, user: p.user, tool: tool.name},
      {searchPath: p.searchPath, user: p.user},
    )
  }
  if (!p.schemaExists) {
    if (p.canCreateSchema || p.superuser) return null
    return PRIV_NO_CREATE_ON_SCHEMA.finding(
      {
        case: 'missing',
        schema: p.schema,
        where,
        user: p.user,
        database: p.database,
        databaseOwner: p.databaseOwner,
      },
      {schema: p.schema, schemaFrom: where, schemaExists: false, user: p.user, databaseOwner: p.databaseOwner},
    )
  }
  if (p.canCreate !== false) return null
  const pg15 = p.schema === 'public' && p.versionNum >= 150000
  return PRIV_NO_CREATE_ON_SCHEMA.finding(
    {
      case: 'no-create',
      schema: p.schema,
      where,
      user: p.user,
      database: p.database,
      schemaOwner: p.schemaOwner,
      canUse: p.canUse,
      pg15,
    },
    {
      schema: p.schema,
      schemaFrom: where,
      user: p.user,
      schemaOwner: p.schemaOwner,
      databaseOwner: p.databaseOwner,
      canCreate: false,
      canUse: p.canUse,
    },
  )
}

/** Objects in the schema that another role owns: the migration cannot alter them. */
function notOwnerFinding(p: PrivilegeState): Finding | null {
  if (!p.foreign.length) return null
  const list = p.foreign.slice(0, 20)
  const owners = [...new Set(list.map((f) => f.owner))]
  return PRIV_NOT_OWNER.finding(
    {count: p.foreign.length, schema: p.schema, owners, user: p.user},
    {schema: p.schema, user: p.user, objects: list},
  )
}

/** Prisma migrate dev needs CREATEDB for its shadow database unless a shadowDatabaseUrl is set. */
function noCreatedbFinding(p: PrivilegeState, tool: MigrationToolInfo): Finding | null {
  if (tool.name !== 'prisma' || p.createdb || p.superuser || tool.shadowDatabaseUrl) return null
  return PRIV_NO_CREATEDB.finding({user: p.user}, {user: p.user, createdb: false, shadowDatabaseUrl: false})
}

async function runPrivileges(ctx: CheckContext): Promise<CheckOutcome> {
  const ready = await toolSession(ctx)
  if (!ready.ok) return ready.skip
  const {tools} = ready
  const tool = tools[0]!
  const state = parsePrivileges(await ctx.session!.shared('privileges', privilegesSql(tool)))
  const findings = evaluatePrivileges(state, tool)
  const base: Evidence = {
    tool: tool.name,
    schema: state.schema,
    schemaFrom: tool.schemaSource ?? 'search_path',
    user: state.user,
    databaseOwner: state.databaseOwner,
  }
  if (!findings.length) {
    const summary = privilegesSays.ok({
      user: state.user,
      schema: state.schema,
      prisma: tool.name === 'prisma',
      createdb: state.createdb || state.superuser,
    })
    return {status: 'pass', code: null, summary, evidence: base, fix: null}
  }
  return foldFindings(findings.sort(failsFirst), base)
}

export const privilegesCheck: RegisteredCheck<'privileges'> = {
  id: 'privileges',
  title: privilegesSays.title(),
  establishes: privilegesSays.establishes(),
  codes: [privilegesEntries],
  requires: ['auth'],
  provides: [],
  uses: [],
  usesSession: true,
  queries: (ctx) => {
    const tool = migrationTools(ctx)[0]
    return tool ? privilegesSql(tool) : null
  },
  run: runPrivileges,
}
