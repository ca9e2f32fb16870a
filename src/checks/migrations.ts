// Migration state of the tool the project uses, read in the shared read-only session: a held
// migration lock (knex's <table>_lock row; Prisma's and node-pg-migrate's advisory locks, read
// from pg_locks — never by trying to take them), recorded migrations whose files are gone, a
// failed Prisma migration, a database Prisma never baselined, pending migrations. Table names,
// schemas and folders come from the knexfile / Prisma schema / node-pg-migrate options.
// Read in the run's one catalog round trip (probes/session.ts): tables, their rows where they exist
// (guarded, so a missing or unreadable table cannot fail the batch), lock holders.
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type {MigrationToolInfo} from '../config/types.js'
import type {AdvisoryLockTool, ScandirTool} from '../models/tools/names.js'
import {
  MIGRATION_DIRECTORY_MISSING,
  MIGRATION_FAILED,
  MIGRATION_FILES_MISSING,
  MIGRATION_JOURNAL_MISSING,
  MIGRATION_LOCKED,
  MIGRATION_OLDER_THAN_APPLIED,
  MIGRATION_NOT_BASELINED,
  MIGRATION_OUT_OF_ORDER,
  MIGRATION_TABLE_NO_ACCESS,
  advisoryLockName,
  migrationsSays,
  notRunPrecedingError,
  scandirError,
  migrationsEntries,
  type MissingGrant,
} from '../catalogue/migrations.js'
import {sessionErrorText} from '../catalogue/session.js'
import {readGuardedText} from '../core/files.js'
import {redact} from '../core/redact.js'
import type {CheckOutcome, Evidence} from '../core/types.js'
import type {CheckContext, RegisteredCheck} from './types.js'
import {sqlIdentifier, sqlLiteral} from '../core/sql.js'
import {failsFirst, foldFindings, type Finding} from './findings.js'
import {migrationTools, toolSession} from './tools.js'
import {
  drizzleJournal,
  migrationFileFindings,
  migrationFilesSql,
  toolFiles,
  typeormMigrationName,
  type JournalEntry,
} from './migration-files.js'
import {migrationFileEntries} from '../catalogue/migration-files.js'
import {TOOLS} from '../models/tools/registry.js'

type Row = Record<string, unknown>

/** Prisma's schema engine: pg_advisory_lock(72707369) around migrate commands (P1002 after 10 s). */
const PRISMA_LOCK_KEY = 72707369n
/** node-pg-migrate: PG_MIGRATE_LOCK_ID, pg_try_advisory_lock (dist/bundle/index.js). */
const NODE_PG_MIGRATE_LOCK_KEY = 7241865325823964n

interface LockHolder {
  pid: number
  user: string | null
  application_name: string | null
  client_addr: string | null
  backend_start: string | null
  query_start: string | null
  state: string | null
  /** Seconds from the session's start, its transaction's start and its last query's start to now (server clock). */
  connected_s: number | null
  xact_s: number | null
  query_s: number | null
}

function qualified(tool: MigrationToolInfo, table: string): string {
  return tool.schema ? `${sqlIdentifier(tool.schema)}.${sqlIdentifier(table)}` : sqlIdentifier(table)
}

function lockKey(tool: MigrationToolInfo): bigint | null {
  return tool.name === 'prisma' ? PRISMA_LOCK_KEY : tool.name === 'node-pg-migrate' ? NODE_PG_MIGRATE_LOCK_KEY : null
}

const HOLDER_COLUMNS = `a.pid, a.usename as user, a.application_name, host(a.client_addr) as client_addr,
  to_char(a.backend_start, 'YYYY-MM-DD"T"HH24:MI:SSOF') as backend_start, to_char(a.query_start, 'YYYY-MM-DD"T"HH24:MI:SSOF') as query_start, a.state,
  floor(extract(epoch from now() - a.backend_start))::int as connected_s, floor(extract(epoch from now() - a.xact_start))::int as xact_s,
  floor(extract(epoch from now() - a.query_start))::int as query_s`

/** A relation's name, owner and missing privileges, as JSON text (null when it does not exist). Pure. */
function relationSql(rel: string, needs: readonly string[]): string {
  const missing = needs.map((p) => `case when not has_table_privilege(${rel}, '${p}') then '${p}' end`).join(', ')
  return `(select json_build_object('name', format('%I.%I', n.nspname, c.relname), 'owner', pg_get_userbyid(c.relowner),
      'missing', array_remove(array[${missing}]::text[], null))::text
     from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = ${rel})`
}

/** A schema's name, owner and the privileges the role lacks on it, as JSON text (null when it does not exist). Pure. */
function schemaSql(schema: string, needs: readonly string[]): string {
  const missing = needs.map((p) => `case when not has_schema_privilege(n.oid, '${p}') then '${p}' end`).join(', ')
  return `(select json_build_object('name', format('%I', n.nspname), 'owner', pg_get_userbyid(n.nspowner),
      'missing', array_remove(array[${missing}]::text[], null))::text
     from pg_namespace n where n.nspname = ${sqlLiteral(schema)})`
}

/**
 * The tool's statements, all in the run's one catalog round trip (probes/session.ts), none able to fail on
 * a missing or unreadable table: the first reads which tables exist and, guarded by to_regclass and
 * has_table_privilege, their rows (query_to_xml runs the row query only when the table is there and
 * readable); the second, who holds the tool's lock. Pure.
 */
function catalogSql(tool: MigrationToolInfo): string[] {
  const table = qualified(tool, tool.table)
  // the privileges the tool uses to apply migrations (its model: src/models/tools/*.ts)
  const uses = TOOLS[tool.name].migrations.uses
  const rows = rowsSql(tool)
  const lockTable =
    tool.name === 'knex' ? `to_regclass(${sqlLiteral(qualified(tool, `${tool.table}_lock`))})` : 'null::regclass'
  const xml = (rel: string, sql: string | undefined) =>
    sql
      ? `case when ${rel} is not null and has_table_privilege(${rel}, 'SELECT') then query_to_xml(${sqlLiteral(sql)}, true, false, '')::text end`
      : 'null::text'
  const out = [
    `with t as (select to_regclass(${sqlLiteral(table)}) as m, ${lockTable} as l)
     select m::text as migrations_table, l::text as lock_table,
       m is not null and not has_table_privilege(m, 'SELECT') as unreadable,
       current_user::text as role,
       ${relationSql('m', uses.table)} as table_access,
       ${uses.lock ? relationSql('l', uses.lock) : 'null::text'} as lock_access,
       ${uses.schema && tool.schema ? schemaSql(tool.schema, uses.schema) : 'null::text'} as schema_access,
       (select json_agg(json_build_object('name', format('%I.%I', n.nspname, c.relname), 'owner', pg_get_userbyid(c.relowner)))
          from pg_depend d join pg_class c on c.oid = d.objid join pg_namespace n on n.oid = c.relnamespace
         where d.classid = 'pg_class'::regclass and d.refclassid = 'pg_class'::regclass and d.refobjid = m
           and case when c.relkind = 'S' then not has_sequence_privilege(c.oid, 'USAGE') and not has_sequence_privilege(c.oid, 'UPDATE') else false end)::text as sequence_access,
       (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and n.nspname = ${tool.schema ? sqlLiteral(tool.schema) : 'current_schema()'}
          and c.relname not in (${sqlLiteral(tool.table)}, ${sqlLiteral(`${tool.table}_lock`)}))::int as other_tables,
       ${xml('m', rows.table)} as rows_xml,
       ${xml('m', rows.lock)} as lock_xml
     from t`,
  ]
  const key = lockKey(tool)
  if (key !== null) {
    const hi = key >> 32n
    const lo = key & 0xffffffffn
    out.push(
      `select ${HOLDER_COLUMNS} from pg_locks l left join pg_stat_activity a on a.pid = l.pid
        where l.locktype = 'advisory' and l.granted and l.database = (select oid from pg_database where datname = current_database())
          and l.classid::bigint = ${hi} and l.objid::bigint = ${lo} and l.objsubid = 1 and l.pid <> pg_backend_pid()`,
    )
  } else {
    // knex has no server-side lock: who else is connected as this role here (a run still going?)
    out.push(
      `select ${HOLDER_COLUMNS} from pg_stat_activity a where a.datname = current_database() and a.usename = current_user
        and a.pid <> pg_backend_pid() and a.backend_type = 'client backend'`,
    )
  }
  return out
}

/** The row queries of the tool's tables (run through query_to_xml when the table exists). Pure. */
function rowsSql(tool: MigrationToolInfo): {table: string; lock?: string} {
  const t = qualified(tool, tool.table)
  if (tool.name === 'knex')
    return {
      table: `select name from ${t} order by id`,
      lock: `select is_locked from ${qualified(tool, `${tool.table}_lock`)}`,
    }
  if (tool.name === 'prisma') {
    return {
      table: `select migration_name, to_char(started_at, 'YYYY-MM-DD"T"HH24:MI:SSOF') as started_at, finished_at is not null as finished,
        rolled_back_at is not null as rolled_back, left(logs, 2000) as logs, applied_steps_count from ${t} order by started_at, migration_name`,
    }
  }
  // TypeORM: (id, timestamp, name), name = the migration class's name (MigrationExecutor.loadExecutedMigrations);
  // sequelize-cli (umzug SequelizeStorage): (name), the file name
  if (tool.name === 'typeorm') return {table: `select name from ${t} order by id`}
  // drizzle-orm's migrator (pg-core/dialect.js migrate): (id, hash, created_at bigint = the journal entry's `when`)
  if (tool.name === 'drizzle-kit') return {table: `select hash, created_at::text as created_at from ${t} order by id`}
  if (tool.name === 'sequelize-cli') return {table: `select name from ${t} order by name`}
  return {table: `select name from ${t} order by run_on, id`}
}

const XML_ROW = /<row>([^]*?)<\/row>/g
const XML_COLUMN = /<([A-Za-z_][\w.-]*)(?: xsi:nil="true"\/>|>([^<]*)<\/\1>)/g

/**
 * Pure: the rows of PostgreSQL's query_to_xml(…, nulls => true, tableforest => false) as column → text
 * (null for xsi:nil). PostgreSQL escapes &, <, > and CR in values, so a value never holds a '<'.
 */
export function xmlRows(xml: unknown): Array<Record<string, string | null>> {
  if (typeof xml !== 'string') return []
  const out: Array<Record<string, string | null>> = []
  for (const row of xml.matchAll(XML_ROW)) {
    const rec: Record<string, string | null> = {}
    for (const col of row[1]!.matchAll(XML_COLUMN)) rec[col[1]!] = col[2] === undefined ? null : unescapeXml(col[2])
    out.push(rec)
  }
  return out
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos|#x[0-9a-fA-F]{1,6}|#[0-9]{1,7});/g, (_, e: string) => {
    if (e === 'lt') return '<'
    if (e === 'gt') return '>'
    if (e === 'amp') return '&'
    if (e === 'quot') return '"'
    if (e === 'apos') return "'"
    const code = e.startsWith('#x') ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10)
    return code <= 0x10ffff ? String.fromCodePoint(code) : ''
  })
}

/** sha256 of a journal entry's .sql file, as drizzle-orm's readMigrationFiles records it (null: unreadable). */
function drizzleHash(e: JournalEntry): string | null {
  try {
    const text = readGuardedText(path.join(e.dir, `${e.tag}.sql`), 'migration file', 4 * 1024 * 1024)
    return createHash('sha256').update(text).digest('hex')
  } catch {
    return null
  }
}

/** The migration files the tool will see, sorted as the tool sorts them. */
function migrationFiles(tool: MigrationToolInfo): MigrationFilesOnDisk & {names: string[]} {
  const names: string[] = []
  const missingDirs: string[] = []
  if (tool.name === 'drizzle-kit') {
    // the journal is the list (in its order), not the folder: a .sql file not in it is never run
    const journal: JournalEntry[] = []
    const missingJournals: string[] = []
    for (const dir of tool.directories) {
      if (!fs.existsSync(dir)) missingDirs.push(dir)
      const entries = drizzleJournal(dir)
      if (entries) journal.push(...entries)
      else missingJournals.push(dir)
    }
    return {names: journal.map((e) => e.tag), missingDirs, journal, missingJournals}
  }
  for (const dir of tool.directories) {
    let entries: fs.Dirent[]
    try {
      entries = fs.readdirSync(dir, {withFileTypes: true})
    } catch (error) {
      // a folder that does not exist stops knex and node-pg-migrate (ENOENT scandir); another error is the tool's to report
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') missingDirs.push(dir)
      continue
    }
    for (const e of entries) {
      if (tool.name === 'prisma') {
        if (e.isDirectory() && fs.existsSync(path.join(dir, e.name, 'migration.sql'))) names.push(e.name)
      } else if (tool.name === 'knex') {
        if ((e.isFile() || e.isSymbolicLink()) && (tool.extensions ?? []).includes(path.extname(e.name)))
          names.push(e.name)
      } else if (tool.name === 'sequelize-cli') {
        // sequelize-cli 6 (lib/core/migrator.js): /^(?!.*\.d\.ts$).*\.(cjs|js|cts|ts)$/, recorded with the extension
        if ((e.isFile() || e.isSymbolicLink()) && /^(?!.*\.d\.ts$).*\.(cjs|js|cts|ts)$/.test(e.name)) names.push(e.name)
      } else if (tool.name === 'typeorm') {
        if ((e.isFile() || e.isSymbolicLink()) && /^(?!.*\.d\.ts$).*\.(c|m)?(js|ts)$/.test(e.name)) {
          const name = typeormMigrationName(path.join(dir, e.name))
          if (name) names.push(name)
        }
      } else if ((e.isFile() || e.isSymbolicLink()) && !e.name.startsWith('.')) {
        names.push(e.name.slice(0, e.name.length - path.extname(e.name).length))
      }
    }
  }
  names.sort()
  return {names, missingDirs}
}

interface ToolState {
  tool: MigrationToolInfo
  tableExists: boolean
  lockTableExists: boolean
  otherTables: number
  holders: LockHolder[]
  recorded: string[]
  knexLocked: boolean
  prismaRows: {
    migration_name: string
    started_at: string
    finished: boolean
    rolled_back: boolean
    logs: string | null
    applied_steps_count: number
  }[]
  files: string[]
  missingDirs: string[]
  /** drizzle-kit: the journal's entries, the folders without meta/_journal.json, and the created_at of each recorded row. */
  journal?: JournalEntry[]
  missingJournals?: string[]
  createdAt?: number[]
}

/** What the tool's folders hold (migrationFiles), as the state carries it. */
interface MigrationFilesOnDisk {
  missingDirs: string[]
  journal?: JournalEntry[]
  missingJournals?: string[]
}

function holderTable(holders: LockHolder[]): Evidence[] {
  return holders.map((h) => ({
    pid: h.pid,
    user: h.user,
    application_name: h.application_name,
    client_addr: h.client_addr,
    backend_start: h.backend_start,
    query_start: h.query_start,
    state: h.state,
  }))
}

/**
 * How long an advisory migration lock has been held, in seconds, as far as the server shows it
 * (evidence.lockAge; the openmetrics reporter's db_doctor_migration_lock_age_seconds and _min_age_seconds).
 * PostgreSQL records when a session connected, began its transaction and its last query, never when a
 * lock was granted. The lock cannot be older than the session (atMostSeconds: now − backend_start), and
 * the holder took it at or before its last query (atLeastSeconds: now − query_start; node-pg-migrate takes
 * it right after connecting and before its BEGIN — runner(): createConnection, lock, …, BEGIN — so there
 * now − xact_start when the session is in a transaction). Both seconds on the server's clock.
 */
function advisoryLockAge(
  tool: AdvisoryLockTool,
  h: LockHolder,
): {atMostSeconds: number | null; atLeastSeconds: number | null} {
  const s = (v: number | null) => (v !== null && Number.isFinite(v) && v >= 0 ? v : null)
  const since = [s(h.query_s), tool === 'node-pg-migrate' ? s(h.xact_s) : null].filter((v): v is number => v !== null)
  return {atMostSeconds: s(h.connected_s), atLeastSeconds: since.length ? Math.max(...since) : null}
}

/** The holder's fields the summary names. */
function holderParams(h: LockHolder) {
  return {
    pid: h.pid,
    application_name: h.application_name,
    client_addr: h.client_addr,
    query_start: h.query_start,
    state: h.state,
  }
}

/** What the state means for the next migration run: the findings, the migrations it runs next, how many ran. */
interface Evaluation {
  findings: Finding[]
  pending: string[]
  applied: number
}

/** By name: the recorded migrations without a file, and the files not recorded (what the tool runs next). */
function compareNames(s: ToolState): {missing: string[]; pending: string[]} {
  const files = new Set(s.files)
  const recorded = new Set(s.recorded)
  return {missing: s.recorded.filter((n) => !files.has(n)), pending: s.files.filter((n) => !recorded.has(n))}
}

/** MIGRATION_FILES_MISSING for knex or node-pg-migrate, with the counts as evidence. */
function filesMissing(
  s: ToolState,
  tool: 'knex' | 'node-pg-migrate',
  c: {missing: string[]; pending: string[]},
  order: {notRun: string; alreadyRun: string} | null = null,
): Finding {
  const where = tableName(s)
  const directories = s.tool.displayDirectories
  return MIGRATION_FILES_MISSING.finding(
    {tool, table: where, directories, missing: c.missing, ...(tool === 'node-pg-migrate' ? {order} : {})},
    {
      table: where,
      directories,
      missing: c.missing,
      recorded: s.recorded.length,
      files: s.files.length,
      pending: c.pending.length,
      ...(order ? {predictedError: notRunPrecedingError(order)} : {}),
    },
    // node-pg-migrate: fail when its order check breaks too, else warn; knex: the entry's own status
    tool === 'node-pg-migrate' ? {status: order ? 'fail' : 'warn'} : undefined,
  )
}

/** Pure: what the state means for the next migration run, by the tool's own rules. */
function evaluate(s: ToolState): Evaluation {
  switch (s.tool.name) {
    case 'knex':
      return evaluateKnex(s)
    case 'node-pg-migrate':
      return evaluateNodePgMigrate(s)
    case 'drizzle-kit':
      return evaluateDrizzleKit(s)
    case 'typeorm':
    case 'sequelize-cli': {
      // neither takes a lock nor stops on a recorded migration without its file: pending is what the CLI runs next
      // (typeorm migration:show "[ ]", sequelize-cli db:migrate:status "down")
      return {findings: [], pending: compareNames(s).pending, applied: s.recorded.length}
    }
    case 'prisma':
      return evaluatePrisma(s)
    default:
      return {findings: [], pending: [], applied: 0}
  }
}

/** The migrations table as the findings name it: schema.table, or the table alone. */
function tableName(s: ToolState): string {
  return `${s.tool.schema ? `${s.tool.schema}.` : ''}${s.tool.table}`
}

/** Another session holds the tool's advisory lock (its first holder named). */
function heldLock(s: ToolState, lockTool: AdvisoryLockTool, key: bigint): Finding {
  const params = {case: 'advisory' as const, tool: lockTool, key: String(key), holder: holderParams(s.holders[0]!)}
  return MIGRATION_LOCKED.finding(params, {
    lock: advisoryLockName(params),
    holders: holderTable(s.holders),
    lockAge: advisoryLockAge(lockTool, s.holders[0]!),
  })
}

/**
 * The first missing migrations folder. knex and node-pg-migrate read every folder before comparing: a missing
 * one stops them there (ENOENT scandir); prisma migrate deploy without its folder finds no migration and exits 0.
 */
function missingDirOf(s: ToolState): string | undefined {
  return s.tool.name !== 'prisma' ? s.missingDirs[0] : undefined
}

/** The folder the tool stops at (scandir), or null when every folder is there. */
function directoryMissing(s: ToolState, name: ScandirTool): Finding | null {
  const {tool} = s
  const missingDir = missingDirOf(s)
  if (missingDir === undefined) return null
  const at = tool.directories.indexOf(missingDir)
  const params = {
    tool: name,
    directory: tool.displayDirectories[at] ?? missingDir,
    source: tool.directorySource ?? `${name} default ./migrations`,
    absolute: missingDir,
  }
  return MIGRATION_DIRECTORY_MISSING.finding(params, {
    directory: params.directory,
    setBy: params.source,
    absolutePath: missingDir,
    predictedError: scandirError(params),
  })
}

function evaluateKnex(s: ToolState): Evaluation {
  const {tool} = s
  const where = tableName(s)
  const findings: Finding[] = []
  // knex lists the folders before it looks at its lock (Migrator#latest: _migrationData, then _runBatch)
  const dir = directoryMissing(s, 'knex')
  if (dir) findings.push(dir)
  if (s.knexLocked) {
    findings.push(
      MIGRATION_LOCKED.finding(
        {case: 'knex', lockTable: `${where}_lock`, detectedBy: tool.detectedBy},
        {lockTable: `${where}_lock`, is_locked: 1, otherSessionsOfThisRole: holderTable(s.holders)},
      ),
    )
  }
  const names = compareNames(s)
  if (names.missing.length && missingDirOf(s) === undefined) findings.push(filesMissing(s, 'knex', names))
  return {findings, pending: names.pending, applied: s.recorded.length}
}

function evaluateNodePgMigrate(s: ToolState): Evaluation {
  const where = tableName(s)
  const findings: Finding[] = []
  // node-pg-migrate takes its lock before it reads the folder (runner: lock, then loadMigrations)
  if (s.holders.length) findings.push(heldLock(s, 'node-pg-migrate', NODE_PG_MIGRATE_LOCK_KEY))
  const dir = directoryMissing(s, 'node-pg-migrate')
  if (dir) findings.push(dir)
  const names = compareNames(s)
  // node-pg-migrate's checkOrder (on by default): the i-th migration that ran must be the i-th file
  let mismatch = -1
  for (let i = 0; i < Math.min(s.recorded.length, s.files.length); i++) {
    if (s.recorded[i] !== s.files[i]) {
      mismatch = i
      break
    }
  }
  const order = mismatch >= 0 ? {notRun: s.files[mismatch]!, alreadyRun: s.recorded[mismatch]!} : null
  if (dir) {
    // stops at scandir before its order check
  } else if (names.missing.length) {
    findings.push(filesMissing(s, 'node-pg-migrate', names, order))
  } else if (order) {
    findings.push(
      MIGRATION_OUT_OF_ORDER.finding(
        {...order, lastRun: s.recorded.at(-1)},
        {table: where, notRun: order.notRun, alreadyRun: order.alreadyRun, position: mismatch + 1},
      ),
    )
  }
  return {findings, pending: names.pending, applied: s.recorded.length}
}

/**
 * drizzle-orm's migrator (pg-core/dialect.js migrate): the row with the greatest created_at; every journal
 * entry whose `when` is later runs (in journal order), an older one never does (no name is recorded, only
 * hash and time) — and nothing says so: drizzle-kit migrate exits 0
 */
function evaluateDrizzleKit(s: ToolState): Evaluation {
  const {tool} = s
  const where = tableName(s)
  const findings: Finding[] = []
  const applied = s.createdAt?.length ?? 0
  const missingJournal = s.missingJournals?.[0]
  if (missingJournal !== undefined) {
    // readMigrationFiles throws before the first query: "Can't find meta/_journal.json file"
    const at = tool.directories.indexOf(missingJournal)
    const directory = tool.displayDirectories[at] ?? missingJournal
    const params = {
      directory,
      source: tool.directorySource ?? 'drizzle-kit default ./drizzle',
      folderExists: !s.missingDirs.includes(missingJournal),
    }
    findings.push(
      MIGRATION_JOURNAL_MISSING.finding(params, {
        directory,
        setBy: params.source,
        folderExists: params.folderExists,
        journal: path.join(directory, 'meta', '_journal.json'),
        absolutePath: missingJournal,
      }),
    )
  }
  const last = s.createdAt?.length ? Math.max(...s.createdAt) : undefined
  const journal = s.journal ?? []
  const pending = journal.filter((e) => last === undefined || last < e.when).map((e) => e.tag)
  if (last !== undefined) {
    const times = new Set(s.createdAt)
    const hashes = new Set(s.recorded)
    const skipped = journal.filter((e) => e.when <= last && !times.has(e.when) && !hashes.has(drizzleHash(e) ?? ''))
    if (skipped.length) {
      const iso = (ms: number) => (Number.isFinite(new Date(ms).getTime()) ? new Date(ms).toISOString() : String(ms))
      const params = {
        table: where,
        lastApplied: {when: last, at: iso(last)},
        skipped: skipped.map((e) => ({tag: e.tag, when: e.when, at: iso(e.when)})),
        journal: path.join(tool.displayDirectories[0] ?? tool.directories[0] ?? 'drizzle', 'meta', '_journal.json'),
      }
      findings.push(
        MIGRATION_OLDER_THAN_APPLIED.finding(params, {
          table: where,
          lastAppliedCreatedAt: last,
          lastAppliedAt: params.lastApplied.at,
          neverRun: params.skipped.map((e) => ({tag: e.tag, when: e.when, at: e.at})),
          journal: params.journal,
        }),
      )
    }
  }
  return {findings, pending, applied}
}

function evaluatePrisma(s: ToolState): Evaluation {
  const {tool} = s
  const findings: Finding[] = []
  if (s.holders.length) findings.push(heldLock(s, 'prisma', PRISMA_LOCK_KEY))
  if (!s.tableExists) {
    if (s.otherTables > 0) {
      const schema = tool.schema ?? 'public'
      findings.push(
        MIGRATION_NOT_BASELINED.finding(
          {schema, tables: s.otherTables},
          {schema, tables: s.otherTables, migrations: s.files.length},
        ),
      )
    }
    return {findings, pending: s.files, applied: 0}
  }
  const failed = s.prismaRows.filter((r) => !r.finished && !r.rolled_back)
  const done = new Set(s.prismaRows.filter((r) => r.finished && !r.rolled_back).map((r) => r.migration_name))
  if (failed.length) {
    const f = failed[0]!
    findings.push(
      MIGRATION_FAILED.finding(
        {migration: f.migration_name, startedAt: f.started_at, lockHeld: s.holders.length > 0},
        {
          failed: failed.map((r) => ({
            migration: r.migration_name,
            started_at: r.started_at,
            applied_steps_count: r.applied_steps_count,
            logs: r.logs ? redact(r.logs).slice(0, 500) : null,
          })),
        },
      ),
    )
  }
  return {findings, pending: s.files.filter((n) => !done.has(n)), applied: done.size}
}

function seconds(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : NaN
  return Number.isFinite(n) ? n : null
}

/** Pure: the tool's state from the results of catalogSql(tool) and the files on disk. */
function parseToolState(
  tool: MigrationToolInfo,
  results: Array<Array<Record<string, unknown>>>,
  files: MigrationFilesOnDisk & {files: string[]},
): ToolState {
  const [cat, holders] = results
  const c = (cat?.[0] ?? {}) as Row
  const tableExists = c.migrations_table !== null && c.migrations_table !== undefined
  const rows = tableExists ? xmlRows(c.rows_xml) : []
  const state: ToolState = {
    tool,
    tableExists,
    lockTableExists: c.lock_table !== null && c.lock_table !== undefined,
    otherTables: Number(c.other_tables ?? 0),
    holders: (holders ?? []).map((h) => ({
      pid: Number(h.pid),
      user: (h.user as string) ?? null,
      application_name: (h.application_name as string) || null,
      client_addr: (h.client_addr as string) ?? null,
      backend_start: (h.backend_start as string) ?? null,
      query_start: (h.query_start as string) ?? null,
      state: (h.state as string) ?? null,
      connected_s: seconds(h.connected_s),
      xact_s: seconds(h.xact_s),
      query_s: seconds(h.query_s),
    })),
    recorded: [],
    knexLocked: false,
    prismaRows: [],
    ...files,
  }
  if (!tableExists) return state
  if (tool.name === 'prisma') {
    state.prismaRows = rows.map((r) => ({
      migration_name: String(r.migration_name ?? ''),
      started_at: String(r.started_at ?? ''),
      finished: r.finished === 'true',
      rolled_back: r.rolled_back === 'true',
      logs: r.logs ?? null,
      applied_steps_count: Number(r.applied_steps_count ?? 0),
    }))
  } else if (tool.name === 'drizzle-kit') {
    state.createdAt = rows.map((r) => Number(r.created_at)).filter((n) => Number.isFinite(n))
    state.recorded = rows.map((r) => String(r.hash ?? ''))
  } else {
    state.recorded = rows.map((r) => String(r.name ?? ''))
    if (tool.name === 'knex') state.knexLocked = xmlRows(c.lock_xml).some((r) => Number(r.is_locked) === 1)
  }
  return state
}

function jsonOf<T>(v: unknown): T | null {
  if (typeof v !== 'string' || v === '') return null
  try {
    return JSON.parse(v) as T
  } catch {
    return null
  }
}

/** Pure: MIGRATION_TABLE_NO_ACCESS when the role lacks a privilege the tool uses on its existing tables. */
function accessFinding(tool: MigrationToolInfo, c: Row): Finding | null {
  const grants: MissingGrant[] = []
  for (const col of ['table_access', 'lock_access']) {
    const r = jsonOf<{name: string; owner: string; missing: string[] | null}>(c[col])
    if (r?.missing?.length) grants.push({kind: 'table', name: r.name, owner: r.owner, missing: r.missing})
  }
  for (const s of jsonOf<Array<{name: string; owner: string}>>(c.sequence_access) ?? [])
    grants.push({kind: 'sequence', name: s.name, owner: s.owner, missing: ['USAGE']})
  const schema = jsonOf<{name: string; owner: string; missing: string[] | null}>(c.schema_access)
  if (grants.length && schema?.missing?.length)
    grants.push({kind: 'schema', name: schema.name, owner: schema.owner, missing: schema.missing})
  if (!grants.length) return null
  const table = `${tool.schema ? `${tool.schema}.` : ''}${tool.table}`
  const role = String(c.role ?? '')
  return MIGRATION_TABLE_NO_ACCESS.finding(
    {tool: tool.name, role, table, grants},
    {
      tool: tool.name,
      role,
      table: grants[0]!.name,
      owner: grants[0]!.owner,
      missing: grants.map(
        (g) => `${g.kind === 'table' ? '' : `${g.kind} `}${g.name}: ${g.missing.join(', ')} (owner ${g.owner})`,
      ),
    },
  )
}

/** The statements of every tool found, in order (the check's share of the run's catalog round trip). */
function migrationsSql(tools: readonly MigrationToolInfo[]): string[] {
  return tools.flatMap((t) => catalogSql(t))
}

function migrationFilesOf(tool: MigrationToolInfo): MigrationFilesOnDisk & {files: string[]} {
  const {names, ...rest} = migrationFiles(tool)
  return {files: names, ...rest}
}

async function runMigrations(ctx: CheckContext): Promise<CheckOutcome> {
  const ready = await toolSession(ctx)
  if (!ready.ok) return ready.skip
  const {tools} = ready
  const all: Finding[] = []
  const summaries: Evidence[] = []
  const passLines: Parameters<typeof migrationsSays.ok>[0]['tools'] = []
  let results: Array<Array<Record<string, unknown>>>
  // the pending files against the role and the server (migration-files.ts): extra statements, after the tools'
  const fileFacts = tools.map((t) => toolFiles(t, ctx.config))
  const own = migrationsSql(tools)
  try {
    results = await ctx.session!.shared('migrations', [...own, ...migrationFilesSql(fileFacts)])
  } catch (error) {
    // e.g. a table of that name that the tool did not make (no `name` column: 42703); the other checks'
    // reads were sent again without these statements (probes/session.ts), so only this check says so
    const e = error as {code?: string; message?: string}
    return {
      status: 'skip',
      code: null,
      summary: migrationsSays.readFailed({code: e.code ?? null, message: e.message && sessionErrorText(error)}),
      evidence: {
        tools: tools.map((t) => `${t.name} (${t.schema ? `${t.schema}.` : ''}${t.table})`).join(', '),
        sqlstate: e.code ?? null,
        error: sessionErrorText(error),
      },
      fix: null,
    }
  }
  const fileRows = results.slice(own.length)
  let at = 0
  for (const [i, tool] of tools.entries()) {
    const mine = results.slice(at, at + catalogSql(tool).length)
    at += catalogSql(tool).length
    const access = accessFinding(tool, (mine[0]?.[0] ?? {}) as Row)
    if (access) all.push(access)
    if (mine[0]?.[0]?.unreadable === true) {
      summaries.push({tool: tool.name, table: `${tool.schema ? `${tool.schema}.` : ''}${tool.table}`, unreadable: true})
      continue
    }
    const state = parseToolState(tool, mine, migrationFilesOf(tool))
    const {findings, pending, applied} = evaluate(state)
    all.push(...findings)
    if (fileRows.length) all.push(...migrationFileFindings(fileFacts[i]!, pending, fileRows))
    const table = `${tool.schema ? `${tool.schema}.` : ''}${tool.table}`
    passLines.push({tool: tool.name, table, tableExists: state.tableExists, applied, pending: pending.length})
    summaries.push({
      tool: tool.name,
      detectedBy: tool.detectedBy,
      table,
      tableExists: state.tableExists,
      directories: tool.displayDirectories.join(', '),
      ...(state.missingDirs.length ? {missingDirectories: state.missingDirs.length} : {}),
      files: state.files.length,
      applied,
      pending: pending.length,
      ...(pending.length ? {nextPending: pending.slice(0, 5).join(', ')} : {}),
    })
  }
  const base: Evidence = {tools: summaries}
  if (!all.length)
    return {status: 'pass', code: null, summary: migrationsSays.ok({tools: passLines}), evidence: base, fix: null}
  return foldFindings(all.sort(failsFirst), base, {baseWins: true})
}

export const migrationsCheck: RegisteredCheck<'migrations'> = {
  id: 'migrations',
  title: migrationsSays.title(),
  establishes: migrationsSays.establishes(),
  codes: [migrationsEntries, migrationFileEntries],
  requires: ['auth'],
  provides: [],
  uses: [],
  usesSession: true,
  queries: (ctx) => {
    const tools = migrationTools(ctx)
    return tools.length
      ? [...migrationsSql(tools), ...migrationFilesSql(tools.map((t) => toolFiles(t, ctx.config)))]
      : null
  },
  run: runMigrations,
}
