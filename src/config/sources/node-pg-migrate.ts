// Source: a node-pg-migrate project. Small on purpose: node-pg-migrate reads
// DATABASE_URL (or the variable named by --database-url-var / -d in the
// package.json scripts, or "database-url-var" in .node-pg-migraterc), or the
// `db` key of config/default.json (node-config) — a URL string or a pg
// ClientConfig object. It hands that to node-postgres unchanged, so node-postgres
// semantics apply. The layer's provenance says "read by node-pg-migrate" so fixes
// can say so.
import path from 'node:path'
import {redactor} from '../../core/redact.js'
import {displayPath, envProvenance} from '../env.js'
import type {ConfigSource, FieldName, MigrationToolInfo, Provenance, SourceContext, SourceLayer} from '../types.js'
import {readJson} from '../util.js'

interface NodePgMigrateProject {
  /** Why we think this is a node-pg-migrate project. */
  detectedBy: string
  /** The variable node-pg-migrate reads the URL from. */
  urlVar: string
  /** config/default.json `db`, when present. */
  db?: unknown
  /** From the package.json scripts (-m/-t/-s/--migrations-schema) or .node-pg-migraterc. */
  migrationsDir?: string
  migrationsTable?: string
  schema?: string
  migrationsSchema?: string
  /** Where these came from ("package.json script migrate"). */
  optionsFrom?: string
  /**
   * `--reject-unauthorized <bool>` (or `--no-reject-unauthorized`) in the script: node-pg-migrate
   * then passes `ssl: {...ssl, rejectUnauthorized}` to pg (bin/node-pg-migrate.js) — an ssl object,
   * so TLS is on even when nothing else asked for it.
   */
  rejectUnauthorized?: {value: boolean; script: string; flag: string}
}

/** The --reject-unauthorized flag of a node-pg-migrate command line, as yargs reads a boolean. */
function rejectUnauthorizedFlag(script: string): {value: boolean; flag: string} | undefined {
  const no = /(?:^|\s)--no-reject-unauthorized(?=\s|$)/.exec(script)
  if (no) return {value: false, flag: '--no-reject-unauthorized'}
  const m = /(?:^|\s)--reject-unauthorized(?:(?:=|\s+)(['"]?)(true|false)\1)?(?=\s|$)/.exec(script)
  if (!m) return undefined
  const value = m[2] !== 'false'
  return {value, flag: m[0].trim()}
}

function flag(script: string, long: string, short?: string): string | undefined {
  const names = short ? `--${long}|-${short}` : `--${long}`
  const m = new RegExp(`(?:^|\\s)(?:${names})(?:\\s+|=)["']?([^\\s"']+)`).exec(script)
  return m?.[1]
}

/** node-pg-migrate's migrations table, schema and folder (bin/node-pg-migrate.ts defaults). */
function nodePgMigrateTool(project: NodePgMigrateProject, cwd: string): MigrationToolInfo {
  const dir = path.resolve(cwd, project.migrationsDir ?? 'migrations')
  const schema = project.migrationsSchema ?? project.schema ?? 'public'
  return {
    name: 'node-pg-migrate',
    detectedBy: project.detectedBy,
    table: project.migrationsTable ?? 'pgmigrations',
    schema,
    schemaSource:
      project.migrationsSchema || project.schema
        ? `${project.migrationsSchema ? '--migrations-schema' : '--schema'} in ${project.optionsFrom ?? 'package.json'}`
        : 'node-pg-migrate default (public)',
    directories: [dir],
    displayDirectories: [displayPath(cwd, dir)],
    directorySource: project.migrationsDir
      ? `--migrations-dir in ${project.optionsFrom ?? 'package.json'}`
      : 'node-pg-migrate default ./migrations',
  }
}

export function detectNodePgMigrate(cwd: string): NodePgMigrateProject | undefined {
  const pkg = readJson(path.join(cwd, 'package.json'))
  const deps = {...(pkg?.dependencies as object), ...(pkg?.devDependencies as object)} as Record<string, unknown>
  const rc = readJson(path.join(cwd, '.node-pg-migraterc')) ?? readJson(path.join(cwd, '.node-pg-migraterc.json'))
  const configDb = readJson(path.join(cwd, 'config', 'default.json'))?.db
  const scripts = Object.values((pkg?.scripts as Record<string, unknown>) ?? {}).filter(
    (s): s is string => typeof s === 'string',
  )
  const inScript = scripts.some((s) => /(?:^|[\s/'"])node-pg-migrate(?:\.js)?(?=[\s'"]|$)/.test(s))
  const detectedBy =
    'node-pg-migrate' in deps
      ? 'package.json dependency'
      : inScript
        ? 'package.json script'
        : rc
          ? '.node-pg-migraterc'
          : configDb !== undefined
            ? 'config/default.json db'
            : undefined
  if (!detectedBy) return undefined
  let urlVar = 'DATABASE_URL'
  for (const s of scripts) {
    if (!/node-pg-migrate/.test(s)) continue
    const m = /(?:--database-url-var|-d)(?:\s+|=)["']?([A-Za-z_][A-Za-z0-9_]*)/.exec(s)
    if (m) {
      urlVar = m[1]
      break
    }
  }
  const rcVar = rc?.['database-url-var'] ?? rc?.databaseUrlVar
  if (typeof rcVar === 'string') urlVar = rcVar
  const out: NodePgMigrateProject = {detectedBy, urlVar, ...(configDb !== undefined ? {db: configDb} : {})}
  for (const [name, s] of Object.entries((pkg?.scripts as Record<string, unknown>) ?? {})) {
    if (typeof s !== 'string' || !/node-pg-migrate/.test(s)) continue
    const dir = flag(s, 'migrations-dir', 'm')
    const table = flag(s, 'migrations-table', 't')
    const schema = flag(s, 'schema', 's')
    const mschema = flag(s, 'migrations-schema')
    if (dir || table || schema || mschema) {
      if (dir) out.migrationsDir = dir
      if (table) out.migrationsTable = table
      if (schema) out.schema = schema
      if (mschema) out.migrationsSchema = mschema
      out.optionsFrom = `package.json script "${name}"`
      break
    }
  }
  for (const [name, s] of Object.entries((pkg?.scripts as Record<string, unknown>) ?? {})) {
    if (typeof s !== 'string' || !/node-pg-migrate/.test(s)) continue
    const flagged = rejectUnauthorizedFlag(s)
    if (flagged) {
      out.rejectUnauthorized = {...flagged, script: name}
      break
    }
  }
  const rcStr = (k: string) => (typeof rc?.[k] === 'string' ? (rc[k] as string) : undefined)
  if (rc) {
    out.migrationsDir ??= rcStr('migrations-dir')
    out.migrationsTable ??= rcStr('migrations-table')
    out.schema ??= rcStr('schema')
    out.migrationsSchema ??= rcStr('migrations-schema')
    if (!out.optionsFrom && (rcStr('migrations-dir') || rcStr('migrations-table') || rcStr('schema')))
      out.optionsFrom = '.node-pg-migraterc'
  }
  return out
}

const DB_FIELDS: Array<[string, FieldName]> = [
  ['host', 'host'],
  ['port', 'port'],
  ['user', 'user'],
  ['password', 'password'],
  ['database', 'database'],
]

export const nodePgMigrateSource: ConfigSource = {
  id: 'node-pg-migrate',
  role: 'primary',
  load(ctx): SourceLayer | null {
    const project = detectNodePgMigrate(ctx.cwd)
    if (!project) return null
    const layer = loadConnection(ctx, project)
    if (layer) layer.tool = nodePgMigrateTool(project, ctx.cwd)
    const ru = project.rejectUnauthorized
    if (layer && ru) {
      // {...databaseUrl.ssl, rejectUnauthorized}: the config's own ssl object, with the flag over it
      const base = layer.appSsl?.value
      const value = {...(base && typeof base === 'object' ? (base as object) : {}), rejectUnauthorized: ru.value}
      layer.appSsl = {
        value,
        source: {
          kind: 'node-pg-migrate',
          name: ru.flag,
          label: ctx.words.rejectUnauthorizedFlag({flag: ru.flag, script: ru.script, value: ru.value}),
        },
      }
    }
    return layer
  },
}

function loadConnection(ctx: SourceContext, project: NodePgMigrateProject): SourceLayer | null {
  {
    const value = ctx.env[project.urlVar]
    if (value !== undefined && value.trim() !== '') {
      const env = envProvenance(ctx.envFileOf, project.urlVar)
      const source: Provenance = {...env, label: `${env.label} (read by node-pg-migrate)`}
      const origin: Provenance = {
        kind: 'node-pg-migrate',
        name: project.urlVar,
        label: `node-pg-migrate (${project.detectedBy}) reading ${env.label}`,
      }
      return {origin, connectionString: {value, source}, fields: {}}
    }
    const db = project.db
    const file = path.join('config', 'default.json')
    if (typeof db === 'string' && db.trim() !== '') {
      redactor.addFromConnectionString(db)
      const source: Provenance = {
        kind: 'node-pg-migrate',
        name: 'db',
        file,
        label: `${file} db (read by node-pg-migrate)`,
      }
      return {origin: source, connectionString: {value: db, source}, fields: {}}
    }
    if (db && typeof db === 'object') {
      const o = db as Record<string, unknown>
      const origin: Provenance = {
        kind: 'node-pg-migrate',
        name: 'db',
        file,
        label: `${file} db (read by node-pg-migrate)`,
      }
      const layer: SourceLayer = {origin, fields: {}}
      for (const [key, field] of DB_FIELDS) {
        const v = o[key]
        if (v === undefined || v === null || v === '') continue
        if (key === 'password') redactor.add(String(v))
        layer.fields[field] = {
          value: String(v),
          source: {...origin, name: `db.${key}`, label: `${file} db.${key} (read by node-pg-migrate)`},
        }
      }
      if (o.ssl !== undefined)
        layer.appSsl = {
          value: o.ssl,
          source: {...origin, name: 'db.ssl', label: `${file} db.ssl (read by node-pg-migrate)`},
        }
      return Object.keys(layer.fields).length || layer.appSsl ? layer : null
    }
    return null
  }
}
