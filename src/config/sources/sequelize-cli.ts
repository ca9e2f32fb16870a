// Source: a sequelize-cli project, read the way sequelize-cli 6 reads it (lib/core/yargs.js,
// lib/helpers/config-helper.js, sequelize 6's postgres connection-manager), see
// src/models/tools/sequelize-cli.ts:
//   - options: the package.json script's flags (--config, --env, --url, --migrations-path,
//     --options-path), else .sequelizerc in the working folder (a JS module, required; its keys are
//     the same options), else the defaults;
//   - config file: --config (resolved from the working folder), else config/config.js when it
//     exists, else config/config.json; a config.js may export a function (called, awaited);
//   - environment: --env, else NODE_ENV, else "development"; the section of that name, else the
//     whole file;
//   - `url`, else `use_env_variable` (process.env[name]), are parsed by url.parse and MERGED over the
//     section: only dialect (the URL's scheme), host, port, database, username, password (decoded)
//     and ssl (true when the query contains "ssl=true") are kept. Every other query parameter —
//     sslmode, sslrootcert, uselibpqcompat — is thrown away;
//   - sequelize hands node-postgres only user, password, host (default "localhost"), database and
//     port, plus dialectOptions.ssl (and a few session options). The section's own `ssl` (and the
//     URL's ssl=true) never reaches pg: TLS comes only from dialectOptions.ssl, else PGSSLMODE;
//   - the CLI never reads .env; its table is SequelizeMeta (migrationStorageTableName,
//     migrationStorageTableSchema).
// LOADING config.js / .sequelizerc RUNS THEIR CODE (as the CLI would), in a child with limits
// (config/app-code.ts).
import {poolIdleOf, poolSizeOf} from '../../models/pool.js'
import fs from 'node:fs'
import path from 'node:path'
import {redactor} from '../../core/redact.js'
import {displayPath, envProvenance} from '../env.js'
import {readScripts, scriptsRunning} from '../launch.js'
import {configProblem} from '../problems.js'
import {intendedUrlValues} from '../connection-string.js'
import {checkUrlEncoding, describeEncoding, splitUrl} from '../url-anatomy.js'
import type {
  ConfigProblem,
  ConfigSource,
  Field,
  FieldName,
  MigrationToolInfo,
  Provenance,
  SourceContext,
  SourceLayer,
} from '../types.js'
import {envVarsWithValue} from '../util.js'
import {appFileLimit, failureOf, loadAppModule, toolConfigFailed} from './app-module.js'
import {AppCodeLimitError} from '../app-code.js'
import {readGuardedText, UnsafeFileError} from '../../core/files.js'
import {verbatim} from '../../core/verbatim.js'

interface SequelizeProject {
  /** The config file the CLI reads (absolute) and how it was chosen. */
  configFile: string
  configHow: string
  /** --env of the script or .sequelizerc, when set. */
  env?: string
  envHow?: string
  /** --url of the script or .sequelizerc. */
  url?: string
  migrationsPath: string
  migrationsHow: string
  /** .sequelizerc, when one was read. */
  rc?: string
  script?: string
}

function flagOf(segment: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|\\s)--${name}(?:=|\\s+)(?:'([^']*)'|"([^"]*)"|(\\S+))`).exec(segment)
  return m ? (m[1] ?? m[2] ?? m[3]) : undefined
}

/** The options sequelize-cli runs with: script flags over .sequelizerc over its defaults. */
export async function findSequelizeProject(ctx: SourceContext): Promise<SequelizeProject | undefined> {
  const {cwd} = ctx
  const scripts = scriptsRunning('sequelize-cli', readScripts(cwd), false)
  const script = scripts[0]
  const seg = script?.segment ?? ''
  const rcPath = path.resolve(cwd, flagOf(seg, 'options-path') ?? '.sequelizerc')
  let rc: Record<string, unknown> = {}
  let rcShown: string | undefined
  if (fs.existsSync(rcPath)) {
    rcShown = displayPath(cwd, rcPath)
    const mod = await loadAppModule(rcPath, {
      label: rcShown,
      cwd,
      env: ctx.env,
      ...(ctx.appTimeoutMs !== undefined ? {timeoutMs: ctx.appTimeoutMs} : {}),
    })
    const v = mod?.default
    if (v && typeof v === 'object') rc = v as Record<string, unknown>
  }
  const opt = (name: string): {value: string; how: string} | undefined => {
    const f = flagOf(seg, name)
    if (f !== undefined) return {value: f, how: `--${name} in script "${script!.name}"`}
    const r = rc[name]
    if (typeof r === 'string' && r) return {value: r, how: `${rcShown} ${name}`}
    return undefined
  }
  const config = opt('config')
  const defaultJs = path.join(cwd, 'config', 'config.js')
  const configFile = config
    ? path.resolve(cwd, config.value)
    : fs.existsSync(defaultJs)
      ? defaultJs
      : path.join(cwd, 'config', 'config.json')
  const configHow = config ? config.how : 'sequelize-cli default'
  const url = opt('url')
  const env = opt('env')
  const migrations = opt('migrations-path')
  const detected = !!script || !!rcShown || fs.existsSync(configFile) || !!url
  if (!detected) return undefined
  // config/config.json alone is a common name: without a script, .sequelizerc or the package, it is not sequelize's
  if (!script && !rcShown && !config && !hasSequelizeDependency(cwd)) return undefined
  return {
    configFile,
    configHow,
    ...(env ? {env: env.value, envHow: env.how} : {}),
    ...(url ? {url: url.value} : {}),
    migrationsPath: path.resolve(cwd, migrations?.value ?? 'migrations'),
    migrationsHow: migrations ? migrations.how : 'sequelize-cli default ./migrations',
    ...(rcShown ? {rc: rcShown} : {}),
    ...(script ? {script: script.name} : {}),
  }
}

function hasSequelizeDependency(cwd: string): boolean {
  try {
    const pkg = JSON.parse(readGuardedText(path.join(cwd, 'package.json'), 'package.json')) as Record<string, unknown>
    const deps = {...(pkg.dependencies as object), ...(pkg.devDependencies as object)} as Record<string, unknown>
    return 'sequelize-cli' in deps
  } catch {
    return false
  }
}

/** config-helper.js urlStringToConfigHash: url.parse, the path's database, auth split at the first ":". */
function sequelizeUrlParts(urlString: string):
  | {
      dialect: string
      host?: string
      port?: string
      database?: string
      username?: string
      password?: string
      ssl: boolean
      /** Query parameters the CLI throws away. */
      dropped: string[]
    }
  | undefined {
  let u: URL
  try {
    u = new URL(urlString)
  } catch {
    // a raw '#', '/' or '?' in the password (passwordCutByUrlParse): the URL as it was meant, for the target
    const meant = intendedUrlValues(urlString)
    if (!meant) return undefined
    return {
      dialect: urlString.slice(0, urlString.indexOf(':')),
      ...(meant.host ? {host: meant.host} : {}),
      ...(meant.port ? {port: meant.port} : {}),
      ...(meant.database ? {database: meant.database} : {}),
      ...(meant.user ? {username: meant.user} : {}),
      ...(meant.password ? {password: meant.password} : {}),
      ssl: urlString.includes('ssl=true'),
      dropped: [],
    }
  }
  // url.parse (legacy) decodes auth; WHATWG keeps it encoded
  const dec = (s: string) => {
    try {
      return decodeURIComponent(s)
    } catch {
      return s
    }
  }
  const query = u.search.replace(/^\?/, '')
  const dropped = [...new URLSearchParams(query).keys()].filter((k) => k !== 'ssl')
  return {
    dialect: u.protocol.replace(/:$/, ''),
    ...(u.hostname ? {host: u.hostname.replace(/^\[(.*)\]$/, '$1')} : {}),
    ...(u.port ? {port: u.port} : {}),
    ...(u.pathname.replace(/^\//, '') ? {database: dec(u.pathname.replace(/^\//, ''))} : {}),
    ...(u.username ? {username: dec(u.username)} : {}),
    ...(u.password ? {password: dec(u.password)} : {}),
    ssl: query.includes('ssl=true'),
    dropped,
  }
}

/**
 * url.parse (legacy), which config-helper.js uses, ends the authority at the first '#', '/' or '?' and takes the
 * user info up to the last '@' before it: a raw '#', '/' or '?' in the password gives it another host (the
 * password's first piece: "getaddrinfo ENOTFOUND <user>"), no user and no password. A raw '@' alone is read
 * as meant. The CONFIG_PASSWORD_NOT_ENCODED problem, or null.
 */
function passwordCutByUrlParse(urlString: string, source: Provenance): ConfigProblem | null {
  const info = splitUrl(urlString.trim())?.userinfo
  const colon = info?.indexOf(':') ?? -1
  if (info === undefined || colon < 0 || !/[#/?]/.test(info.slice(colon + 1))) return null
  const encoding = checkUrlEncoding(urlString)
  if (!encoding) return null
  const {details, words} = describeEncoding(encoding)
  return configProblem('CONFIG_PASSWORD_NOT_ENCODED', source, {...words, dotenvCut: false}, details)
}

function prov(file: string, setting: string, label?: string): Provenance {
  return {kind: 'sequelize-cli', name: setting, file, label: label ?? `${file} ${setting}`}
}

function sequelizeTool(
  ctx: SourceContext,
  p: SequelizeProject,
  shown: string,
  section: Record<string, unknown>,
): MigrationToolInfo {
  const table =
    typeof section.migrationStorageTableName === 'string' && section.migrationStorageTableName
      ? section.migrationStorageTableName
      : 'SequelizeMeta'
  const schema =
    typeof section.migrationStorageTableSchema === 'string' && section.migrationStorageTableSchema
      ? section.migrationStorageTableSchema
      : undefined
  return {
    name: 'sequelize-cli',
    detectedBy: shown,
    table,
    ...(schema ? {schema, schemaSource: `${shown} migrationStorageTableSchema`} : {}),
    directories: [p.migrationsPath],
    displayDirectories: [displayPath(ctx.cwd, p.migrationsPath)],
    directorySource: p.migrationsHow,
  }
}

/** The environment sequelize-cli runs with: --env (script, .sequelizerc), else NODE_ENV, else development. */
function environmentOf(ctx: SourceContext, p: SequelizeProject): string {
  return ctx.knexEnv || p.env || ctx.env.NODE_ENV || 'development'
}

/** The environments of a sequelize config (its top-level object keys whose values are objects). */
export function sequelizeEnvironments(raw: unknown): string[] {
  if (!raw || typeof raw !== 'object') return []
  return Object.entries(raw as Record<string, unknown>)
    .filter(([, v]) => v && typeof v === 'object' && !Array.isArray(v))
    .map(([k]) => k)
}

/** The environment's section of a loaded config, and how to name its settings in provenance. */
interface Section {
  ctx: SourceContext
  /** the config file, as shown */
  shown: string
  environment: string
  origin: Provenance
  tool: MigrationToolInfo
  values: Record<string, unknown>
  /** `key` as the file spells its place: `development.url`, or `url` at the top level */
  at(key: string): string
}

/** The URL of a section (url, else the variable use_env_variable names), split as sequelize-cli splits it. */
interface SectionUrl {
  parts?: ReturnType<typeof sequelizeUrlParts>
  source?: Provenance
  value?: string
  envVar?: string
}

export const sequelizeCliSource: ConfigSource = {
  id: 'sequelize-cli',
  role: 'primary',
  async load(ctx: SourceContext): Promise<SourceLayer | null> {
    let p: SequelizeProject | undefined
    try {
      p = await findSequelizeProject(ctx)
    } catch (error) {
      const origin = prov('.sequelizerc', 'options')
      if (error instanceof UnsafeFileError) throw error
      if (error instanceof AppCodeLimitError) return appFileLimit(origin, '.sequelizerc', 'sequelize-cli', error)
      return toolConfigFailed(origin, '.sequelizerc', 'sequelize-cli', failureOf(error))
    }
    if (!p) return null
    const shown = displayPath(ctx.cwd, p.configFile)
    const environment = environmentOf(ctx, p)
    const origin = prov(shown, environment, `${shown} (${environment} environment)`)
    const loaded = await loadConfig(ctx, p, shown, origin, environment)
    if (!('raw' in loaded)) return loaded.layer
    const raw = loaded.raw
    if (!raw || typeof raw !== 'object')
      return toolConfigFailed(
        origin,
        shown,
        'sequelize-cli',
        verbatim('Config must be an object or a promise for an object'),
      )
    const all = raw as Record<string, unknown>
    const envSection = all[environment]
    const values = (envSection && typeof envSection === 'object' ? envSection : all) as Record<string, unknown>
    const sectionName = envSection && typeof envSection === 'object' ? environment : '(top level)'
    const sec: Section = {
      ctx,
      shown,
      environment,
      origin,
      tool: sequelizeTool(ctx, p, shown, values),
      values,
      at: (key) => (sectionName === '(top level)' ? key : `${environment}.${key}`),
    }
    const url = sectionUrl(sec)
    if ('layer' in url) return url.layer
    const cut = url.value !== undefined && url.source ? passwordCutByUrlParse(url.value, url.source) : null
    const dialect = url.parts?.dialect ?? values.dialect
    if (dialect !== 'postgres' && dialect !== 'postgresql') {
      const environments = sequelizeEnvironments(all)
      if (envSection === undefined && environments.length && values.dialect === undefined && !url.parts)
        return {
          origin,
          fields: {},
          tool: sec.tool,
          problems: [
            configProblem(
              'CONFIG_APP_FILE_ERROR',
              origin,
              {case: 'tool-environment-missing', tool: 'sequelize-cli', file: shown, environment, environments},
              {file: shown, environment, environments, tool: 'sequelize-cli'},
            ),
          ],
        }
      return null
    }
    return sectionLayer(sec, url, cut)
  },
}

/** The config module's export (run in the child, as the CLI runs it), or the layer that says why not. */
async function loadConfig(
  ctx: SourceContext,
  p: SequelizeProject,
  shown: string,
  origin: Provenance,
  environment: string,
): Promise<{raw: unknown} | {layer: SourceLayer | null}> {
  if (p.url) return {raw: {url: p.url}}
  if (!fs.existsSync(p.configFile)) return {layer: null}
  try {
    // in the child (config/app-code.ts); a function export is called there, as the CLI does
    const mod = await loadAppModule(p.configFile, {
      label: shown,
      cwd: ctx.cwd,
      env: ctx.env,
      callDefault: true,
      ...(ctx.appTimeoutMs !== undefined ? {timeoutMs: ctx.appTimeoutMs} : {}),
    })
    return {raw: mod?.default}
  } catch (error) {
    if (error instanceof UnsafeFileError) throw error // a FIFO, a device: a usage error (exit 2)
    if (error instanceof AppCodeLimitError)
      return {layer: appFileLimit(origin, shown, 'sequelize-cli', error, environment)}
    return {layer: toolConfigFailed(origin, shown, 'sequelize-cli', failureOf(error))}
  }
}

/** url, else use_env_variable (merged over the section); a layer with the problem when its variable is unset. */
function sectionUrl(sec: Section): SectionUrl | {layer: SourceLayer} {
  const {ctx, shown, values, at} = sec
  const urlValue = typeof values.url === 'string' && values.url ? values.url : undefined
  const envVar =
    !urlValue && typeof values.use_env_variable === 'string' && values.use_env_variable
      ? values.use_env_variable
      : undefined
  if (urlValue) {
    redactor.addFromConnectionString(urlValue)
    const vars = envVarsWithValue(ctx.env, urlValue)
    const source = vars.length
      ? {
          ...envProvenance(ctx.envFileOf, vars[0]!),
          label: `${envProvenance(ctx.envFileOf, vars[0]!).label} (via ${shown} ${at('url')})`,
        }
      : prov(shown, at('url'))
    return {parts: sequelizeUrlParts(urlValue), source, value: urlValue}
  }
  if (!envVar) return {}
  const value = ctx.env[envVar]
  if (value === undefined)
    return {
      layer: {
        origin: sec.origin,
        fields: {},
        tool: sec.tool,
        problems: [
          configProblem(
            'CONFIG_APP_FILE_ERROR',
            prov(shown, at('use_env_variable')),
            {
              case: 'tool-env-unset',
              tool: 'sequelize-cli',
              file: shown,
              setting: at('use_env_variable'),
              variable: envVar,
              environment: sec.environment,
            },
            {file: shown, variable: envVar, tool: 'sequelize-cli', error: verbatim('Error parsing url: undefined')},
          ),
        ],
      },
    }
  redactor.addFromConnectionString(value)
  const env = envProvenance(ctx.envFileOf, envVar)
  return {
    parts: sequelizeUrlParts(value),
    source: {...env, label: `${env.label} (via ${shown} ${at('use_env_variable')})`},
    value,
    envVar,
  }
}

/** host, port, database, username, password: the URL's when it has them, else the section's. */
function sectionFields(sec: Section, url: SectionUrl): Partial<Record<FieldName, Field<string>>> {
  const {ctx, shown, values, at} = sec
  const fields: Partial<Record<FieldName, Field<string>>> = {}
  const map: Array<[string, FieldName]> = [
    ['host', 'host'],
    ['port', 'port'],
    ['database', 'database'],
    ['username', 'user'],
    ['password', 'password'],
  ]
  for (const [key, name] of map) {
    const fromUrl = url.parts?.[key as 'host']
    if (fromUrl !== undefined && url.source) {
      fields[name] = {value: fromUrl, source: url.source}
      continue
    }
    const v = values[key]
    if (v === undefined || v === null || v === '' || typeof v === 'object') continue
    const value = String(v)
    if (name === 'password') redactor.add(value)
    const vars = envVarsWithValue(ctx.env, value)
    const env = vars.length && name !== 'port' ? envProvenance(ctx.envFileOf, vars[0]!) : undefined
    fields[name] = {
      value,
      source: env ? {...env, label: `${env.label} (via ${shown} ${at(key)})`} : prov(shown, at(key)),
    }
  }
  // Sequelize's own default host: pg never reads PGHOST for a sequelize app
  fields.host ??= {
    value: 'localhost',
    source: {kind: 'default', name: 'host', label: 'sequelize default (localhost)'},
  }
  return fields
}

/** A postgres section's layer: its fields, dialectOptions, pool, and the TLS settings sequelize-cli keeps or drops. */
function sectionLayer(sec: Section, url: SectionUrl, cut: ConfigProblem | null): SourceLayer {
  const {shown, values, at} = sec
  const fields = sectionFields(sec, url)
  const dialectOptions = (
    values.dialectOptions && typeof values.dialectOptions === 'object' ? values.dialectOptions : {}
  ) as Record<string, unknown>
  if (typeof dialectOptions.application_name === 'string')
    fields.application_name = {
      value: dialectOptions.application_name,
      source: prov(shown, at('dialectOptions.application_name')),
    }
  if (typeof dialectOptions.options === 'string')
    fields.options = {value: dialectOptions.options, source: prov(shown, at('dialectOptions.options'))}
  const layer: SourceLayer = {origin: sec.origin, fields, tool: sec.tool, ...(cut ? {problems: [cut]} : {})}
  const pool = values.pool && typeof values.pool === 'object' ? (values.pool as Record<string, unknown>) : {}
  const poolMax = poolSizeOf(pool.max)
  if (poolMax !== undefined) layer.pool = {value: poolMax, source: prov(shown, at('pool.max'))}
  // sequelize's pool.idle is sequelize-pool's idleTimeoutMillis (its defaults: min 0, idle 10 s)
  const idle = poolIdleOf(pool, 'min', 'idle')
  if (idle) layer.poolIdle = {value: idle, source: prov(shown, at('pool'))}
  if (dialectOptions.ssl !== undefined)
    layer.appSsl = {value: dialectOptions.ssl, source: prov(shown, at('dialectOptions.ssl'))}
  // What sequelize-cli throws away: the URL's TLS parameters, and a top-level ssl (never passed to pg)
  const droppedParams = (url.parts?.dropped ?? []).filter((k) => /^ssl|^uselibpqcompat$/.test(k))
  if (droppedParams.length && url.source && url.parts) {
    const q = new URL(url.value!).searchParams
    const value = droppedParams.map((k) => `${k}=${q.get(k)}`).join('&')
    layer.droppedSsl = {value, source: url.source}
  } else if (values.ssl !== undefined && dialectOptions.ssl === undefined) {
    layer.droppedSsl = {value: values.ssl, source: prov(shown, at('ssl'))}
  } else if (url.parts?.ssl && dialectOptions.ssl === undefined && url.source) {
    layer.droppedSsl = {value: 'ssl=true', source: url.source}
  }
  return layer
}
