// The pending migration files against what the role and the server allow (issue 20): a CREATE EXTENSION
// the role may not run (trusted extensions need CREATE on the database since PostgreSQL 13, others a
// superuser), CREATE/DROP INDEX CONCURRENTLY or REINDEX CONCURRENTLY inside the tool's transaction (unless
// the file uses the tool's no-transaction marker), and sessions holding locks on the tables the pending
// files alter. Every tool's files: knex, node-pg-migrate, Prisma (migration.sql), drizzle-kit (the .sql files of
// its journal: drizzle-orm's migrator runs every pending one in ONE transaction, with no opt-out), TypeORM
// (migration classes: queryRunner.query strings; the transaction mode from the script's `-t` or the data
// source's migrationsTransactionMode, default "all") and sequelize-cli (no transaction of its own: only a file
// that opens one runs its statements inside it). Files are user code: read as text, never loaded. Files are read bounded (count and size); the statements join the migrations check's share of
// the run's one catalog round trip. Data only: the words are in src/catalogue/migration-files.ts.
import fs from 'node:fs'
import path from 'node:path'
import type {MigrationToolInfo, ResolvedConfig} from '../config/types.js'
import {
  MIGRATION_BLOCKED_BY_SESSION,
  MIGRATION_NEEDS_NO_TRANSACTION,
  PRIV_NO_CREATE_EXTENSION,
} from '../catalogue/migration-files.js'
import {readGuardedText} from '../core/files.js'
import {sqlLiteral} from '../core/sql.js'
import type {Finding} from './findings.js'

const MAX_FILES = 500
const MAX_BYTES = 256 * 1024
const MAX_NAMES = 50

interface FileFacts {
  /** the name the tool records */
  name: string
  /** the path as the user reads it (relative to the tool's folder's parent) */
  display: string
  extensions: string[]
  /** "CREATE INDEX CONCURRENTLY", when the file has such a statement */
  concurrent: string | null
  noTransaction: boolean
  tables: string[]
}

interface ToolFiles {
  tool: MigrationToolInfo
  files: FileFacts[]
  /** TypeORM: how migration:run will use transactions. */
  mode?: TypeormMode
}

/** The name TypeORM records for a migration file: its `name` property, else its class's name (getMigrations). */
export function typeormMigrationName(file: string): string | undefined {
  let text: string
  try {
    const st = fs.statSync(file)
    if (!st.isFile() || st.size > 512 * 1024) return undefined
    text = fs.readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
  return typeormNameOf(text)
}

/** The same from the file's text. Pure. */
function typeormNameOf(text: string): string | undefined {
  return (
    /\bname\s*=\s*['"]([^'"\n]{1,200})['"]/.exec(text)?.[1] ??
    /\bclass\s+([A-Za-z_$][\w$]{0,200})\s+implements\s+MigrationInterface\b/.exec(text)?.[1] ??
    /\bclass\s+([A-Za-z_$][\w$]{0,200})/.exec(text)?.[1]
  )
}

/** A drizzle journal entry: the tag (the .sql file's name) and `when`, recorded as created_at; dir: its folder. */
export interface JournalEntry {
  tag: string
  when: number
  dir: string
}

/**
 * drizzle-orm's readMigrationFiles (migrator.js): `<out>/meta/_journal.json`, its entries in order; without
 * the journal it throws "Can't find meta/_journal.json file" and `drizzle-kit migrate` stops. undefined: no
 * journal (no folder, or no meta/_journal.json in it).
 */
export function drizzleJournal(dir: string): JournalEntry[] | undefined {
  let text: string
  try {
    const file = path.join(dir, 'meta', '_journal.json')
    const st = fs.statSync(file)
    if (!st.isFile() || st.size > 4 * 1024 * 1024) return []
    text = fs.readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
  try {
    const entries = (JSON.parse(text) as {entries?: unknown}).entries
    if (!Array.isArray(entries)) return []
    return entries
      .filter((e): e is {tag: string; when: number} => typeof e?.tag === 'string' && typeof e?.when === 'number')
      .map((e) => ({tag: e.tag.slice(0, 300), when: e.when, dir}))
  } catch {
    return []
  }
}

const PLAIN_NAME = /^[A-Za-z_][\w$]{0,62}(?:\.[A-Za-z_][\w$]{0,62})?$/

/** SQL comments out (line and block), so a commented-out statement is not read. Pure. */
function stripComments(text: string): string {
  return text.replace(/\/\*[^]*?\*\//g, ' ').replace(/--[^\n]*/g, ' ')
}

/** What one migration file does that the role or the server may refuse. Pure. */
function factsOf(tool: MigrationToolInfo['name'], text: string): Omit<FileFacts, 'name' | 'display'> {
  const sql = stripComments(text)
  const extensions = new Set<string>()
  for (const m of sql.matchAll(/create\s+extension\s+(?:if\s+not\s+exists\s+)?"?([A-Za-z_][\w-]{0,62})"?/gi))
    extensions.add(m[1]!.toLowerCase())
  // node-pg-migrate: pgm.createExtension('x') / (['x', 'y'])
  for (const m of text.matchAll(/pgm\.createExtension\(\s*\[?([^)\]]{1,400})/g))
    for (const q of m[1]!.matchAll(/['"`]([A-Za-z_][\w-]{0,62})['"`]/g)) extensions.add(q[1]!.toLowerCase())
  const conc =
    /\b(create\s+(?:unique\s+)?index|drop\s+index|reindex\s+(?:index|table|schema|database))\s+concurrently\b/i.exec(
      sql,
    )
  let concurrent = conc ? `${conc[1]!.replace(/\s+/g, ' ').toUpperCase()} CONCURRENTLY` : null
  // node-pg-migrate createIndex(…, {concurrently: true}); sequelize queryInterface.addIndex(…, {concurrently: true})
  if (
    !concurrent &&
    (tool === 'node-pg-migrate' || tool === 'sequelize-cli') &&
    /\bconcurrently\s*:\s*true\b/.test(text)
  )
    concurrent = 'CREATE INDEX CONCURRENTLY'
  let noTransaction = false
  if (tool === 'knex') noTransaction = /\btransaction\s*:\s*false\b/.test(text)
  else if (tool === 'node-pg-migrate') noTransaction = /\bpgm\.noTransaction\(\s*\)/.test(text)
  else if (tool === 'prisma') noTransaction = sql.split(';').filter((s) => s.trim()).length <= 1
  // TypeORM: the class's `transaction = false` (honoured in the "each" and "none" modes only, see typeormMode)
  else if (tool === 'typeorm') noTransaction = /\btransaction\s*=\s*false\b/.test(text)
  // sequelize-cli (lib/core/migrator.js, umzug) calls up() without a transaction: only the file's own
  // sequelize.transaction(…) puts statements in one
  else if (tool === 'sequelize-cli') noTransaction = !/\.transaction\s*\(/.test(text)
  // drizzle-kit: drizzle-orm's migrator (pg-core dialect.js migrate) runs every pending file in one transaction
  const tables = new Set<string>()
  const add = (n: string | undefined) => {
    const t = n?.replace(/"/g, '')
    if (t && PLAIN_NAME.test(t)) tables.add(t)
  }
  for (const m of sql.matchAll(/\balter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?([\w."]{1,130})/gi)) add(m[1])
  for (const m of sql.matchAll(/\b(?:drop\s+table\s+(?:if\s+exists\s+)?|truncate\s+(?:table\s+)?)([\w."]{1,130})/gi))
    add(m[1])
  for (const m of sql.matchAll(
    /\bcreate\s+(?:unique\s+)?index\s+(?:concurrently\s+)?(?:if\s+not\s+exists\s+)?(?:[\w"]{1,64}\s+)?on\s+(?:only\s+)?([\w."]{1,130})/gi,
  ))
    add(m[1])
  if (tool === 'knex')
    for (const m of text.matchAll(
      /\.(?:alterTable|table|dropTable|dropTableIfExists|renameTable)\(\s*['"`]([\w.]{1,130})['"`]/g,
    ))
      add(m[1])
  if (tool === 'sequelize-cli')
    for (const m of text.matchAll(
      /\.(?:addColumn|changeColumn|removeColumn|renameColumn|addIndex|removeIndex|addConstraint|removeConstraint|dropTable|renameTable)\(\s*['"`]([\w.]{1,130})['"`]/g,
    ))
      add(m[1])
  if (tool === 'node-pg-migrate')
    for (const m of text.matchAll(
      /pgm\.(?:addColumns?|alterColumn|dropColumns?|renameColumn|addConstraint|dropConstraint|createIndex|addIndex|dropIndex|dropTable|renameTable|alterTable)\(\s*['"`]([\w.]{1,130})['"`]/g,
    ))
      add(m[1])
  return {extensions: [...extensions], concurrent, noTransaction, tables: [...tables]}
}

function readBounded(file: string): string | null {
  try {
    return readGuardedText(file, 'migration file', MAX_BYTES) // regular files only, never blocks, capped
  } catch {
    return null
  }
}

/** TypeORM's transaction mode for `migration:run`: the script's `-t`/`--transaction`, else the data source's. */
interface TypeormMode {
  mode: 'all' | 'each' | 'none'
  /** Where it is set ("the db:migrate script's -t", "data-source.ts migrationsTransactionMode", "TypeORM's default"). */
  from: 'script' | 'data-source' | 'default'
  script?: string
}

/** MigrationRunCommand: `-t all|none|false|each` over `migrationsTransactionMode ?? "all"`. Pure. */
function typeormMode(tool: MigrationToolInfo, config: ResolvedConfig | undefined): TypeormMode {
  const launch = config?.launch?.tool
  const scripts = launch?.tool === 'typeorm' ? launch.scripts : []
  for (const sc of scripts) {
    if (!/\bmigration:run\b/.test(sc.segment)) continue
    const m = /(?:^|\s)(?:-t|--transaction)(?:\s+|=)['"]?(all|none|false|each)\b/.exec(sc.segment)
    if (m) return {mode: m[1] === 'false' ? 'none' : (m[1] as TypeormMode['mode']), from: 'script', script: sc.name}
    break
  }
  return tool.transactionMode ? {mode: tool.transactionMode, from: 'data-source'} : {mode: 'all', from: 'default'}
}

/** The tool's migration files and what each does (bounded reads; never loaded: user code). */
export function toolFiles(tool: MigrationToolInfo, config?: ResolvedConfig): ToolFiles {
  const files: FileFacts[] = []
  if (tool.name === 'drizzle-kit') {
    // the journal is the list: <out>/<tag>.sql, the tag recorded as pending
    for (const [i, dir] of tool.directories.entries()) {
      const shown = tool.displayDirectories[i] ?? dir
      for (const e of (drizzleJournal(dir) ?? []).slice(0, MAX_FILES)) {
        if (!/^[\w.-]{1,200}$/.test(e.tag)) continue
        const file = path.join(dir, `${e.tag}.sql`)
        const text = readBounded(file)
        if (text === null) continue
        files.push({name: e.tag, display: path.join(shown, `${e.tag}.sql`), ...factsOf(tool.name, text)})
      }
    }
    return {tool, files}
  }
  const mode = tool.name === 'typeorm' ? typeormMode(tool, config) : undefined
  for (const [i, dir] of tool.directories.entries()) {
    let entries: fs.Dirent[]
    try {
      entries = fs.readdirSync(dir, {withFileTypes: true})
    } catch {
      continue
    }
    const shown = tool.displayDirectories[i] ?? dir
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (files.length >= MAX_FILES) break
      let name: string
      let file: string
      if (tool.name === 'prisma') {
        if (!e.isDirectory()) continue
        name = e.name
        file = path.join(dir, e.name, 'migration.sql')
      } else if (tool.name === 'knex') {
        if (!(e.isFile() || e.isSymbolicLink()) || !(tool.extensions ?? []).includes(path.extname(e.name))) continue
        name = e.name
        file = path.join(dir, e.name)
      } else if (tool.name === 'sequelize-cli') {
        // sequelize-cli 6 (lib/core/migrator.js), recorded with the extension
        if (!(e.isFile() || e.isSymbolicLink()) || !/^(?!.*\.d\.ts$).*\.(cjs|js|cts|ts)$/.test(e.name)) continue
        name = e.name
        file = path.join(dir, e.name)
      } else if (tool.name === 'typeorm') {
        if (!(e.isFile() || e.isSymbolicLink()) || !/^(?!.*\.d\.ts$).*\.(c|m)?(js|ts)$/.test(e.name)) continue
        file = path.join(dir, e.name)
        const text = readBounded(file)
        const recorded = text === null ? undefined : typeormNameOf(text)
        if (text === null || !recorded) continue
        files.push({name: recorded, display: path.join(shown, e.name), ...factsOf(tool.name, text)})
        continue
      } else {
        if (tool.name !== 'node-pg-migrate') continue
        if (!(e.isFile() || e.isSymbolicLink()) || e.name.startsWith('.')) continue
        name = e.name.slice(0, e.name.length - path.extname(e.name).length)
        file = path.join(dir, e.name)
      }
      const text = readBounded(file)
      if (text === null) continue
      files.push({name, display: path.join(shown, path.relative(dir, file)), ...factsOf(tool.name, text)})
    }
  }
  return {tool, files, ...(mode ? {mode} : {})}
}

/** The statements the analysis needs (none when no file names an extension or a table). Pure. */
export function migrationFilesSql(all: readonly ToolFiles[]): string[] {
  const exts = [...new Set(all.flatMap((t) => t.files.flatMap((f) => f.extensions)))].slice(0, MAX_NAMES)
  const tables = [...new Set(all.flatMap((t) => t.files.flatMap((f) => f.tables)))].slice(0, MAX_NAMES)
  if (!exts.length && !tables.length) return []
  return [
    `select has_database_privilege(current_database(), 'CREATE') as db_create, current_user as "user", current_database() as database,
       (select rolsuper from pg_roles where rolname = current_user) as superuser,
       (select setting::int from pg_settings where name = 'lock_timeout') as lock_timeout_ms`,
    exts.length
      ? `select v.name, bool_or(coalesce((to_jsonb(v)->>'trusted')::boolean, false)) as trusted, bool_or(v.installed) as installed
         from pg_available_extension_versions v where v.name in (${exts.map(sqlLiteral).join(', ')}) group by v.name`
      : 'select null::text as name where false',
    tables.length
      ? `select l.relation::regclass::text as rel, l.mode, l.pid, a.usename as "user", a.application_name, a.state,
           extract(epoch from now() - a.xact_start)::int as xact_age
         from pg_locks l left join pg_stat_activity a on a.pid = l.pid
         where l.locktype = 'relation' and l.granted and l.pid <> pg_backend_pid()
           and l.database = (select oid from pg_database where datname = current_database())
           and l.relation in (select to_regclass(x) from unnest(array[${tables.map(sqlLiteral).join(', ')}]::text[]) x)
         order by a.xact_start nulls last, l.pid`
      : 'select null::text as rel where false',
  ]
}

type Row = Record<string, unknown>

const bare = (name: string) => name.split('.').pop()!.replace(/"/g, '').toLowerCase()

/** Findings for the pending files of one tool, from the rows of migrationFilesSql. Pure. */
export function migrationFileFindings(tf: ToolFiles, pending: readonly string[], rows: Row[][]): Finding[] {
  const [[role] = [], extRows = [], holders = []] = rows
  if (!role) return []
  const pendingSet = new Set(pending)
  const files = tf.files.filter((f) => pendingSet.has(f.name))
  const out: Finding[] = []
  const ext = new Map(
    extRows.map((r) => [String(r.name), {trusted: r.trusted === true, installed: r.installed === true}]),
  )
  for (const f of files) {
    out.push(...extensionFindings(f, role, ext))
    const tx = transactionFinding(tf, f)
    if (tx) out.push(tx)
  }
  const blocked = blockedFinding(tf, files, role, holders)
  if (blocked) out.push(blocked)
  return out
}

/** The extensions a pending file creates that the role may not create (not installed, not trusted or no CREATE). */
function extensionFindings(
  f: FileFacts,
  role: Row,
  ext: Map<string, {trusted: boolean; installed: boolean}>,
): Finding[] {
  const user = String(role.user ?? '')
  const database = String(role.database ?? '')
  const superuser = role.superuser === true
  const dbCreate = role.db_create === true
  const out: Finding[] = []
  for (const e of f.extensions) {
    const info = ext.get(e)
    if (!info || info.installed || superuser || (info.trusted && dbCreate)) continue
    out.push(
      PRIV_NO_CREATE_EXTENSION.finding(
        {extension: e, trusted: info.trusted, file: f.display, user, database},
        {
          extension: e,
          trusted: info.trusted,
          installed: false,
          file: f.display,
          createOnDatabase: dbCreate,
          superuser,
        },
      ),
    )
  }
  return out
}

/** A statement that cannot run in a transaction (CREATE INDEX CONCURRENTLY…) in a file the tool runs in one. */
function transactionFinding(tf: ToolFiles, f: FileFacts): Finding | null {
  // TypeORM: "none" runs nothing in a transaction; "each" honours the class's `transaction = false`; "all"
  // runs every pending migration in one and refuses a class that sets `transaction` at all
  // (ForbiddenTransactionModeOverrideError, MigrationExecutor.executePendingMigrations)
  const mode = tf.mode
  const inTransaction =
    tf.tool.name === 'typeorm' && mode
      ? mode.mode === 'all' || (mode.mode === 'each' && !f.noTransaction)
      : !f.noTransaction
  if (!f.concurrent || !inTransaction) return null
  return MIGRATION_NEEDS_NO_TRANSACTION.finding(
    {
      tool: tf.tool.name,
      file: f.display,
      statement: f.concurrent,
      ...(mode
        ? {typeorm: {mode: mode.mode, from: mode.from, script: mode.script ?? null, marker: f.noTransaction}}
        : {}),
    },
    {
      file: f.display,
      statement: f.concurrent,
      noTransactionMarker: f.noTransaction,
      ...(mode ? {transactionMode: mode.mode, transactionModeFrom: mode.script ?? mode.from} : {}),
    },
  )
}

/** Sessions holding locks on the tables of the first pending file that alters any: its migration waits behind them. */
function blockedFinding(tf: ToolFiles, files: FileFacts[], role: Row, holders: Row[]): Finding | null {
  const user = String(role.user ?? '')
  const lockTimeoutMs = Number(role.lock_timeout_ms ?? 0)
  for (const f of files) {
    const mine = new Set(f.tables.map(bare))
    const held = holders.filter((h) => mine.has(bare(String(h.rel ?? ''))))
    if (!held.length) continue
    const list = held.map((h) => ({
      pid: Number(h.pid),
      user: (h.user as string | null) ?? null,
      application_name: (h.application_name as string) || null,
      state: (h.state as string | null) ?? null,
      xactAgeSeconds: h.xact_age === null || h.xact_age === undefined ? null : Number(h.xact_age),
      table: String(h.rel),
      mode: String(h.mode),
    }))
    return MIGRATION_BLOCKED_BY_SESSION.finding(
      {tool: tf.tool.name, file: f.display, holders: list, lockTimeoutMs, user},
      {file: f.display, lock_timeout_ms: lockTimeoutMs, holders: list},
      {status: lockTimeoutMs === 0 ? 'fail' : 'warn'},
    )
  }
  return null
}
