// Source: drizzle.config.* — found and read the way drizzle-kit 0.31 does (src/models/tools/drizzle-kit.ts):
// `--config <path>` in the package.json script that runs drizzle-kit, else drizzle.config.ts, .js,
// .json in the working folder. LOADING IT RUNS ITS CODE (as `drizzle-kit migrate` would), in the
// app-code child with limits (config/app-code.ts), with the app's environment (drizzle-kit loads
// .env itself before the file runs).
//
// What drizzle-kit hands its driver (preparePostgresDB):
//   - dbCredentials.url → the URL alone: an `ssl` key next to it is dropped;
//   - host/port/user/password/database[/ssl] → for pg `{...fields, ssl}` where a missing ssl is {}
//     (TLS WITH verification, PGSSLMODE ignored) and 'require'|'allow'|'prefer' are
//     {rejectUnauthorized: false}; for postgres.js the fields and ssl as written.
import fs from 'node:fs'
import path from 'node:path'
import {AppCodeLimitError} from '../app-code.js'
import {appFileLimit, failureOf, loadAppModule, toolConfigFailed} from './app-module.js'
import {UnsafeFileError} from '../../core/files.js'
import {redactor} from '../../core/redact.js'
import {displayPath, envProvenance} from '../env.js'
import {configProblem} from '../problems.js'
import {readScripts, scriptsRunning, type ToolScript} from '../launch.js'
import {DRIZZLE_CONFIG_FILES, drizzleKit} from '../../models/tools/drizzle-kit.js'
import {findPackageDir} from '../../models/packages.js'
import type {
  ConfigSource,
  Field,
  FieldName,
  MigrationToolInfo,
  Provenance,
  SourceContext,
  SourceLayer,
} from '../types.js'
import {envVarsWithValue} from '../util.js'

/** Config names drizzle-kit never looks for by itself (drizzleConfigFromFile tries only .ts, .js, .json). */
const UNSEEN_CONFIG_FILES = ['drizzle.config.mjs', 'drizzle.config.cjs', 'drizzle.config.mts', 'drizzle.config.cts']

interface DrizzleConfigFile {
  file: string
  how: string
  /** The package.json script that runs drizzle-kit, when one does. */
  script?: ToolScript
  /** The file drizzle-kit does not read: a name it never looks for, or a --config naming nothing. */
  unseen?: 'not-looked-for' | 'named-missing'
}

/**
 * The config file drizzle-kit reads: the script's --config (resolved from the working folder), else
 * drizzle.config.ts, .js, .json in the working folder. When it would find nothing but the folder has a
 * drizzle.config.mjs/.cjs/.mts/.cts, that file, marked unseen (db-doctor still reads it for the connection).
 */
function findDrizzleConfig(cwd: string): DrizzleConfigFile | undefined {
  const script = scriptsRunning('drizzle-kit', readScripts(cwd), false)[0]
  const m = script ? /--config(?:=|\s+)(?:'([^']+)'|"([^"]+)"|(\S+))/.exec(script.segment) : null
  const named = m ? (m[1] ?? m[2] ?? m[3]) : undefined
  if (named) {
    const file = path.resolve(cwd, named)
    const how = `--config in script "${script!.name}"`
    return fs.existsSync(file) ? {file, how, script: script!} : {file, how, script: script!, unseen: 'named-missing'}
  }
  for (const name of DRIZZLE_CONFIG_FILES) {
    const file = path.join(cwd, name)
    if (fs.existsSync(file)) return {file, how: 'drizzle-kit default'}
  }
  for (const name of UNSEEN_CONFIG_FILES) {
    const file = path.join(cwd, name)
    if (fs.existsSync(file))
      return {file, how: 'unseen by drizzle-kit', unseen: 'not-looked-for', ...(script ? {script} : {})}
  }
  return undefined
}

/** CONFIG_TOOL_CONFIG_NOT_READ for a config drizzle-kit does not read: fail when a script runs it so. */
function notRead(cwd: string, found: DrizzleConfigFile, shown: string, origin: Provenance, read: boolean) {
  const script = found.script
  const migrates = script !== undefined && drizzleKit.scripts.migrate.test(script.segment)
  return configProblem(
    'CONFIG_TOOL_CONFIG_NOT_READ',
    origin,
    {
      tool: 'drizzle-kit',
      case: found.unseen!,
      file: shown,
      // drizzle-kit resolves the missing name from its working folder and prints it absolute
      missingPath: found.unseen === 'named-missing' ? found.file : path.join(cwd, 'drizzle.config.json'),
      ...(script ? {script: {name: script.name, command: script.command, segment: script.segment}} : {}),
      read,
    },
    {file: shown, looksFor: [...DRIZZLE_CONFIG_FILES], script: script?.name ?? null},
    found.unseen === 'named-missing' || migrates ? 'fail' : 'warn',
  )
}

/** The driver drizzle-kit will import for this app: the first of its candidates installed. */
function drizzleDriverPackage(cwd: string): string {
  return (drizzleKit.drivers.find((d) => findPackageDir(d.pkg, cwd)) ?? drizzleKit.drivers[0]!).pkg
}

/** Run drizzle.config.* in the app-code child (config/app-code.ts) and return its configuration. */
async function loadDrizzleConfig(
  file: string,
  cwd: string,
  env: Record<string, string | undefined>,
  timeoutMs?: number,
): Promise<Record<string, unknown> | undefined> {
  const mod = await loadAppModule(file, {
    kind: 'drizzle-config',
    label: displayPath(cwd, file),
    cwd,
    env,
    ...(timeoutMs !== undefined ? {timeoutMs} : {}),
  })
  const cfg = mod && 'default' in mod && mod.default !== undefined ? mod.default : mod
  return cfg && typeof cfg === 'object' ? (cfg as Record<string, unknown>) : undefined
}

function prov(file: string, setting: string, label?: string): Provenance {
  return {kind: 'drizzle-kit', name: setting, file, label: label ?? `${file} ${setting}`}
}

/** The env variable whose value the config used, when exactly one-to-one (DATABASE_URL), else the file's setting. */
function sourceOf(ctx: SourceContext, file: string, setting: string, value: string): Provenance {
  const vars = envVarsWithValue(ctx.env, value)
  if (!vars.length) return prov(file, setting)
  const env = envProvenance(ctx.envFileOf, vars[0]!)
  return {...env, label: `${env.label} (via ${file} ${setting})`}
}

/** What drizzle-kit passes to pg as `ssl` for host/port credentials. */
function drizzlePgSsl(ssl: unknown): unknown {
  if (ssl === undefined) return {}
  if (ssl === 'prefer' || ssl === 'require' || ssl === 'allow') return {rejectUnauthorized: false}
  if (ssl === 'verify-full') return {}
  return ssl
}

function drizzleTool(ctx: SourceContext, shown: string, cfg: Record<string, unknown>): MigrationToolInfo {
  const m = (cfg.migrations && typeof cfg.migrations === 'object' ? cfg.migrations : {}) as Record<string, unknown>
  const table = typeof m.table === 'string' && m.table ? m.table : drizzleKit.migrations.table
  const schema = typeof m.schema === 'string' && m.schema ? m.schema : drizzleKit.migrations.schema!
  const out = typeof cfg.out === 'string' && cfg.out ? cfg.out : drizzleKit.migrations.dir
  const dir = path.resolve(ctx.cwd, out)
  return {
    name: 'drizzle-kit',
    detectedBy: shown,
    table,
    schema,
    schemaSource:
      typeof m.schema === 'string' && m.schema ? `${shown} migrations.schema` : 'drizzle-kit default (drizzle)',
    directories: [dir],
    displayDirectories: [displayPath(ctx.cwd, dir)],
    directorySource: typeof cfg.out === 'string' ? `${shown} out` : 'drizzle-kit default ./drizzle',
  }
}

export const drizzleKitSource: ConfigSource = {
  id: 'drizzle-kit',
  role: 'primary',
  async load(ctx: SourceContext): Promise<SourceLayer | null> {
    const found = findDrizzleConfig(ctx.cwd)
    if (!found) return null
    const shown = displayPath(ctx.cwd, found.file)
    const origin = prov(shown, 'dbCredentials', shown)
    if (found.unseen === 'named-missing')
      return {origin, fields: {}, problems: [notRead(ctx.cwd, found, shown, origin, false)]}
    const layer = await loadDrizzleLayer(ctx, found, shown, origin)
    if (layer && found.unseen)
      layer.problems = [...(layer.problems ?? []), notRead(ctx.cwd, found, shown, origin, true)]
    return layer
  },
}

/** The layer of the config file drizzle-kit reads (or of one it does not, read for the connection). */
async function loadDrizzleLayer(
  ctx: SourceContext,
  found: DrizzleConfigFile,
  shown: string,
  origin: Provenance,
): Promise<SourceLayer | null> {
  let cfg: Record<string, unknown> | undefined
  try {
    cfg = await loadDrizzleConfig(found.file, ctx.cwd, ctx.env, ctx.appTimeoutMs)
  } catch (error) {
    if (error instanceof UnsafeFileError) throw error // a FIFO, a device: a usage error (exit 2)
    if (error instanceof AppCodeLimitError) return appFileLimit(origin, shown, 'drizzle-kit', error)
    return toolConfigFailed(origin, shown, 'drizzle-kit', failureOf(error))
  }
  if (!cfg) return null
  const dialect = cfg.dialect
  if (dialect !== undefined && dialect !== 'postgresql') return null
  const tool = drizzleTool(ctx, shown, cfg)
  const creds = (cfg.dbCredentials && typeof cfg.dbCredentials === 'object' ? cfg.dbCredentials : undefined) as
    Record<string, unknown> | undefined
  if (!creds) return {origin, fields: {}, tool}
  if (typeof creds.url === 'string' && creds.url !== '' && typeof creds.host !== 'string') {
    const value = creds.url
    redactor.addFromConnectionString(value)
    const layer: SourceLayer = {
      origin: prov(shown, 'dbCredentials.url'),
      connectionString: {value, source: sourceOf(ctx, shown, 'dbCredentials.url', value)},
      fields: {},
      tool,
    }
    // drizzle-kit's credentials schema keeps {url} alone: an ssl key next to it never reaches the driver
    if ('ssl' in creds) layer.droppedSsl = {value: creds.ssl, source: prov(shown, 'dbCredentials.ssl')}
    return layer
  }
  const fields: Partial<Record<FieldName, Field<string>>> = {}
  const map: Array<[string, FieldName]> = [
    ['host', 'host'],
    ['port', 'port'],
    ['user', 'user'],
    ['password', 'password'],
    ['database', 'database'],
  ]
  for (const [key, name] of map) {
    const v = creds[key]
    if (v === undefined || v === null || v === '') continue
    const value = String(v)
    if (name === 'password') redactor.add(value)
    fields[name] = {value, source: sourceOf(ctx, shown, `dbCredentials.${key}`, value)}
  }
  const driverPkg = drizzleDriverPackage(ctx.cwd)
  const layer: SourceLayer = {origin: prov(shown, 'dbCredentials'), fields, tool}
  const sslProv = prov(shown, 'ssl' in creds ? 'dbCredentials.ssl' : 'dbCredentials (no ssl)')
  if (driverPkg === 'postgres') {
    // postgres.js gets the fields and ssl as written; a missing ssl leaves it to PGSSLMODE/PGSSL
    if ('ssl' in creds && creds.ssl !== undefined) layer.appSsl = {value: creds.ssl, source: sslProv}
  } else {
    layer.appSsl = {value: drizzlePgSsl(creds.ssl), source: sslProv}
  }
  return layer
}
