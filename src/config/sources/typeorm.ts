// Source: a TypeORM data source, found and read the way the TypeORM CLI reads it
// (src/models/tools/typeorm.ts): `typeorm migration:run -d <file>` takes the file named by -d /
// --dataSource in the package.json script that runs it; without one, the usual places
// (data-source.ts, src/data-source.ts, …) are tried, and the provenance says the CLI itself needs -d; a
// script that runs `typeorm migration:…` without -d, or a folder whose only config is an ormconfig.* (read
// by TypeORM 0.2, never by the 0.3 / 1.x CLIs), is CONFIG_TOOL_CONFIG_NOT_READ.
// LOADING IT RUNS ITS CODE (as the CLI would), in a child with limits (config/app-code.ts), with
// `typeorm` replaced by a stand-in whose DataSource only records its options (nothing connects).
//
// What TypeORM 0.3 and 1.x hand node-postgres (PostgresDriver.createPool, identical in both):
//   new pg.Pool(Object.assign({connectionString: url, host, user: username, password, database, port,
//     ssl, …}, extra))
// so `extra` wins over everything (extra.ssl over ssl, extra.connectionString over url), and pg then
// lets the URL decide host/port/user/password/database, and its ssl parameters (sslmode, ssl,
// sslrootcert…) replace the ssl object — only when the URL has any. The CLI never reads .env.
import {poolIdleOf, poolSizeOf} from '../../models/pool.js'
import fs from 'node:fs'
import path from 'node:path'
import {redactor} from '../../core/redact.js'
import {displayPath, envProvenance} from '../env.js'
import {readScripts, scriptsRunning, type ToolScript} from '../launch.js'
import {configProblem} from '../problems.js'
import type {
  ConfigSource,
  Field,
  FieldName,
  MigrationToolInfo,
  Provenance,
  SourceContext,
  SourceLayer,
} from '../types.js'
import type {AppFileFailure} from '../problem-params.js'
import {envVarsWithValue} from '../util.js'
import {appFileLimit, failureOf, loadAppModule, toolConfigFailed} from './app-module.js'
import {AppCodeLimitError} from '../app-code.js'
import {UnsafeFileError} from '../../core/files.js'
import {verbatim} from '../../core/verbatim.js'
import {typeorm} from '../../models/tools/typeorm.js'
import {declaredDependencies, findPackageDir, packageVersion} from '../../models/packages.js'

interface DataSourceFile {
  file: string
  /** How it was found: '-d in script "migration:run"', 'usual place (no script names -d)'. */
  how: string
  /** The package.json script that runs the CLI, when one does. */
  script?: ToolScript
  /**
   * 'ormconfig': no data source, only an ormconfig.* the 0.3+ CLI never reads; 'no-data-source-flag': a
   * script runs `typeorm migration:…` without -d (the CLI requires it).
   */
  notRead?: 'ormconfig' | 'no-data-source-flag'
}

const DATA_SOURCE_FLAG = /(?:^|\s)(?:-d|--dataSource|--data-source)(?:=|\s+)(?:'([^']+)'|"([^"]+)"|(\S+))/

/**
 * The names TypeORM 0.2's ConnectionOptionsReader read (ormconfig.env, .js, .mjs, .cjs, .ts, .mts, .cts,
 * .json, .yml, .yaml, .xml): the 0.3 and 1.x CLIs never do (they read only `-d`).
 */
const ORMCONFIG_FILES = ['env', 'js', 'mjs', 'cjs', 'ts', 'mts', 'cts', 'json', 'yml', 'yaml', 'xml'].map(
  (ext) => `ormconfig.${ext}`,
)

/**
 * Whether the app runs a TypeORM whose CLI never reads ormconfig.*: 0.3 or later installed (else declared in
 * package.json, or a script runs the CLI). TypeORM 0.2 (its CLI reads ormconfig.* itself) is not modelled.
 */
function typeormWithoutOrmconfig(cwd: string, scripts: readonly ToolScript[]): boolean {
  const installed = packageVersion(findPackageDir('typeorm', cwd))
  const declared = declaredDependencies(cwd).typeorm
  const version = installed ?? (declared ? /^[\^~>=v\s]*(\d+\.\d+)/.exec(declared)?.[1] : undefined)
  if (version !== undefined) return !/^0\.[0-2](?:\.|$)/.test(version)
  return scripts.length > 0
}

/**
 * The data source the TypeORM CLI would load: the script's -d / --dataSource, else the usual places.
 * Without either, an ormconfig.* is returned marked notRead (the 0.3+ CLI never reads it).
 */
function findDataSource(cwd: string): DataSourceFile | undefined {
  const scripts = scriptsRunning('typeorm', readScripts(cwd), false)
  for (const s of scripts) {
    const m = DATA_SOURCE_FLAG.exec(s.segment)
    const named = m ? (m[1] ?? m[2] ?? m[3]) : undefined
    if (named) {
      const file = path.resolve(cwd, named)
      return {file, how: `-d in script "${s.name}"`, script: s}
    }
  }
  // a script that runs a migration command itself without -d: the CLI stops ("Missing required argument")
  const bare = scripts.find((s) => typeorm.scripts.migrate.test(s.segment))
  for (const name of typeorm.config.files) {
    const file = path.join(cwd, name)
    if (fs.existsSync(file))
      return {
        file,
        how: 'usual place (no package.json script names -d)',
        ...(scripts[0] ? {script: bare ?? scripts[0]} : {}),
        ...(bare ? {notRead: 'no-data-source-flag' as const} : {}),
      }
  }
  if (!typeormWithoutOrmconfig(cwd, scripts)) return undefined
  for (const name of ORMCONFIG_FILES) {
    const file = path.join(cwd, name)
    if (fs.existsSync(file))
      return {file, how: 'ormconfig (TypeORM 0.2)', notRead: 'ormconfig', ...(bare ? {script: bare} : {})}
  }
  return undefined
}

/** CONFIG_TOOL_CONFIG_NOT_READ for a data source the CLI will not load (see DataSourceFile.notRead). */
function notReadProblem(cwd: string, found: DataSourceFile, shown: string, origin: Provenance) {
  const script = found.script
  const version = packageVersion(findPackageDir('typeorm', cwd))
  return configProblem(
    'CONFIG_TOOL_CONFIG_NOT_READ',
    origin,
    {
      tool: 'typeorm',
      case: found.notRead!,
      file: shown,
      ...(version ? {version} : {}),
      ...(script ? {script: {name: script.name, command: script.command, segment: script.segment}} : {}),
      read: found.notRead === 'no-data-source-flag',
    },
    {file: shown, script: script?.name ?? null},
    'fail',
  )
}

function prov(file: string, setting: string): Provenance {
  return {kind: 'typeorm', name: setting, file, label: `${file} ${setting}`}
}

/** The env variable whose value the data source used (DATABASE_URL), else the file's setting. */
function sourceOf(ctx: SourceContext, file: string, setting: string, value: string): Provenance {
  const vars = envVarsWithValue(ctx.env, value)
  if (!vars.length) return prov(file, setting)
  const env = envProvenance(ctx.envFileOf, vars[0]!)
  return {...env, label: `${env.label} (via ${file} ${setting})`}
}

/** Folders of the `migrations` globs ('src/migrations/*.ts' → src/migrations), relative to the working folder. */
function migrationDirs(cwd: string, migrations: unknown): string[] {
  const list = Array.isArray(migrations) ? migrations : typeof migrations === 'string' ? [migrations] : []
  const dirs: string[] = []
  for (const g of list) {
    if (typeof g !== 'string') continue
    const parts = g.split(/[\\/]/)
    const i = parts.findIndex((p) => /[*?{[]/.test(p))
    const dir = path.resolve(cwd, (i < 0 ? parts.slice(0, -1) : parts.slice(0, i)).join('/') || '.')
    if (!dirs.includes(dir)) dirs.push(dir)
  }
  return dirs
}

function typeormTool(ctx: SourceContext, shown: string, o: Record<string, unknown>): MigrationToolInfo {
  const table =
    typeof o.migrationsTableName === 'string' && o.migrationsTableName ? o.migrationsTableName : 'migrations'
  const schema = typeof o.schema === 'string' && o.schema ? o.schema : undefined
  const dirs = migrationDirs(ctx.cwd, o.migrations)
  const mode = o.migrationsTransactionMode
  return {
    name: 'typeorm',
    detectedBy: shown,
    table,
    ...(schema ? {schema, schemaSource: `${shown} schema`} : {}),
    directories: dirs,
    displayDirectories: dirs.map((d) => displayPath(ctx.cwd, d)),
    ...(dirs.length ? {directorySource: `${shown} migrations`} : {}),
    ...(mode === 'all' || mode === 'each' || mode === 'none' ? {transactionMode: mode} : {}),
  }
}

const FIELDS: Array<[string, FieldName]> = [
  ['host', 'host'],
  ['port', 'port'],
  ['username', 'user'],
  ['password', 'password'],
  ['database', 'database'],
]
/** extra is spread last over pg's options: its keys are pg's names. */
const EXTRA_FIELDS: Array<[string, FieldName]> = [
  ['host', 'host'],
  ['port', 'port'],
  ['user', 'user'],
  ['password', 'password'],
  ['database', 'database'],
  ['application_name', 'application_name'],
  ['options', 'options'],
]

export const typeormSource: ConfigSource = {
  id: 'typeorm',
  role: 'primary',
  async load(ctx: SourceContext): Promise<SourceLayer | null> {
    const found = findDataSource(ctx.cwd)
    if (!found) return null
    const shown = displayPath(ctx.cwd, found.file)
    const origin: Provenance = {kind: 'typeorm', name: 'DataSource', file: shown, label: `${shown} (${found.how})`}
    const failed = (message: AppFileFailure): SourceLayer =>
      toolConfigFailed(origin, shown, 'typeorm', message, {how: found.how})
    if (found.notRead === 'ormconfig')
      return {origin, fields: {}, problems: [notReadProblem(ctx.cwd, found, shown, origin)]}
    if (!fs.existsSync(found.file)) return failed({kind: 'missing', how: found.how})
    let o: Record<string, unknown> | undefined
    try {
      // in the child (config/app-code.ts): `typeorm` is a stand-in whose DataSource records its options
      const mod = await loadAppModule(found.file, {
        kind: 'typeorm',
        label: shown,
        cwd: ctx.cwd,
        env: ctx.env,
        ...(ctx.appTimeoutMs !== undefined ? {timeoutMs: ctx.appTimeoutMs} : {}),
      })
      const options = mod?.options
      o = options && typeof options === 'object' ? (options as Record<string, unknown>) : undefined
    } catch (error) {
      if (error instanceof UnsafeFileError) throw error // a FIFO, a device: a usage error (exit 2)
      if (error instanceof AppCodeLimitError) return appFileLimit(origin, shown, 'typeorm', error)
      return failed(failureOf(error))
    }
    if (!o) return failed(verbatim('Given data source file must contain export of a DataSource instance'))
    if (o.type !== 'postgres') return null
    const tool = typeormTool(ctx, shown, o)
    const extra = (o.extra && typeof o.extra === 'object' ? o.extra : {}) as Record<string, unknown>
    const layer: SourceLayer = {origin, fields: {}, tool}
    const url =
      typeof extra.connectionString === 'string' && extra.connectionString
        ? {value: extra.connectionString, setting: 'extra.connectionString'}
        : typeof o.url === 'string' && o.url
          ? {value: o.url, setting: 'url'}
          : undefined
    if (url) {
      redactor.addFromConnectionString(url.value)
      layer.connectionString = {value: url.value, source: sourceOf(ctx, shown, url.setting, url.value)}
    }
    const fields: Partial<Record<FieldName, Field<string>>> = {}
    const put = (obj: Record<string, unknown>, map: Array<[string, FieldName]>, prefix: string) => {
      for (const [key, name] of map) {
        const v = obj[key]
        if (v === undefined || v === null || v === '' || typeof v === 'object') continue
        const value = String(v)
        if (name === 'password') redactor.add(value)
        fields[name] = {value, source: sourceOf(ctx, shown, `${prefix}${key}`, value)}
      }
    }
    put(o, FIELDS, '')
    if (typeof o.applicationName === 'string')
      fields.application_name = {value: o.applicationName, source: prov(shown, 'applicationName')}
    put(extra, EXTRA_FIELDS, 'extra.')
    layer.fields = fields
    // extra.ssl wins over ssl (Object.assign); an ssl set to undefined is no ssl (pg then reads PGSSLMODE)
    if ('ssl' in extra && extra.ssl !== undefined) layer.appSsl = {value: extra.ssl, source: prov(shown, 'extra.ssl')}
    else if (o.ssl !== undefined) layer.appSsl = {value: o.ssl, source: prov(shown, 'ssl')}
    // the pool: {max: poolSize, ...extra} → pg.Pool, whose own fallback is extra.poolSize, then 10
    const size = (
      [
        ['extra.max', extra.max],
        ['poolSize', o.poolSize],
        ['extra.poolSize', extra.poolSize],
      ] as const
    )
      .map(([setting, v]) => ({setting, value: poolSizeOf(v)}))
      .find((x) => x.value !== undefined)
    if (size) layer.pool = {value: size.value!, source: prov(shown, size.setting)}
    // pg.Pool's own idle options, passed through extra (idleTimeoutMillis 10 s and min 0 by default)
    const idle = poolIdleOf(extra, 'min', 'idleTimeoutMillis')
    if (idle) layer.poolIdle = {value: idle, source: prov(shown, 'extra')}
    if (found.notRead) layer.problems = [notReadProblem(ctx.cwd, found, shown, origin)]
    return layer
  },
}
