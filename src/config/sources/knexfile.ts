// Source: the app's knexfile, loaded the way the knex CLI loads it.
//
// - file: --knexfile <path>, else the script's --knexfile, else the knex CLI's own search (knexfile.js /
//   .mjs / .ts … in the working folder, then its parents; never knexfile.cjs: see discoverKnexfile);
// - the env file is applied to process.env for the load (knexfiles read
//   process.env.DATABASE_URL at load time) and process.env is restored after;
// - the working folder is the knexfile's folder during the load (the knex CLI chdirs there);
// - environment: --knex-env, else NODE_ENV, else "development"; a config without
//   that environment key is used as a flat config (knex: `config[env] || config`);
// - `connection` may be a string, an object (host/port/user/password/database/ssl),
//   `{connectionString, ssl}`, or a (async) function;
// - only client pg / postgres / postgresql / pg-native.
//
// LOADING A KNEXFILE RUNS ITS CODE (as `knex migrate:latest` would): only when the knex CLI would
// (discoverKnexfile), read through the guarded opener, in a child process with a time budget and a
// memory cap (config/app-code.ts, docs/app-code.md). A knexfile that throws, exits or hits a
// limit becomes a config problem with the (redacted) message.
import {poolIdleOf, poolSizeOf} from '../../models/pool.js'
import fs from 'node:fs'
import path from 'node:path'
import {AppCodeLimitError, runAppFile} from '../app-code.js'
import {failureOf} from './app-module.js'
import {readGuardedText, UnsafeFileError} from '../../core/files.js'
import {redactor, registerSecretsInSource} from '../../core/redact.js'
import {displayPath, envProvenance} from '../env.js'
import {configProblem} from '../problems.js'
import type {
  ConfigProblem,
  ConfigSource,
  FieldName,
  MigrationToolInfo,
  Provenance,
  SourceContext,
  SourceLayer,
} from '../types.js'
import {envVarsWithValue, readJson} from '../util.js'
import {findPackageDir, readScripts, scriptsRunning, type ToolScript} from '../launch.js'

const PG_CLIENTS = new Set(['pg', 'postgres', 'postgresql', 'pg-native'])

/** A layer that may also carry problems found while loading the app's file. */
export interface AppSourceLayer extends SourceLayer {
  problems?: ConfigProblem[]
}

interface LoadedKnexConfig {
  file: string
  /** Relative to cwd when inside it. */
  displayFile: string
  environment: string
  /** True when the knexfile has one key per environment. */
  perEnvironment: boolean
  environments: string[]
  client?: string
  connection: unknown
  /** The environment's `migrations` object, as written. */
  migrations?: unknown
  /** The environment's `pool` object, as written. */
  pool?: unknown
}

/**
 * The names the knex CLI looks for, in its order (knex 3 bin/cli.js `invoke()`:
 * `findUpConfig(cwd, 'knexfile', ['js', 'mjs', 'coffee', 'ts', 'eg', 'ls'])`), in the working folder
 * and then in each parent folder. `knexfile.cjs` is not among them.
 */
const KNEX_CLI_SEARCH = [
  'knexfile.js',
  'knexfile.mjs',
  'knexfile.coffee',
  'knexfile.ts',
  'knexfile.eg',
  'knexfile.ls',
] as const

/** The knexfile in use, found as the knex CLI would find it. */
interface KnexfileDiscovery {
  /** The knexfile db-doctor reads (absolute). */
  file: string
  /**
   * A knexfile the knex CLI does not look for (knexfile.cjs) and nothing names it: `knex migrate:latest`
   * stops with "No configuration file found". `script` is then the script that runs the CLI, if any.
   */
  unseenByCli?: {script?: ToolScript}
}

function findUp(dir: string, names: readonly string[]): string | undefined {
  let d = path.resolve(dir)
  for (;;) {
    let entries: string[] = []
    try {
      entries = fs.readdirSync(d)
    } catch {}
    const hit = names.find((n) => entries.includes(n))
    if (hit) return path.join(d, hit)
    const parent = path.dirname(d)
    if (parent === d) return undefined
    d = parent
  }
}

/** `--knexfile X` / `--knexfile=X` in a script segment (quotes removed), or undefined. */
function knexfileArg(segment: string): string | undefined {
  const m = /(?:^|\s)--knexfile(?:=|\s+)("[^"]*"|'[^']*'|\S+)/.exec(segment)
  return m ? m[1]!.replace(/^(["'])(.*)\1$/, '$2') : undefined
}

/**
 * Where the knexfile is, modelled on the knex CLI: db-doctor's --knexfile; else the `--knexfile` of
 * the package.json script that runs the knex CLI (the CLI takes it when the file exists, else
 * searches from its folder); else the CLI's search (KNEX_CLI_SEARCH, up the folders). When the CLI
 * finds nothing but the folder has a knexfile.cjs, that file is returned with `unseenByCli`.
 *
 * Loading a knexfile runs its code, so a knexfile found in a PARENT folder is used only when the
 * knex CLI started here would run it too (see knexfileAllowedAbove and docs/app-code.md): a
 * knexfile that anyone could drop in a shared parent (/tmp) never runs just because db-doctor
 * was started below it.
 */
function discoverKnexfile(cwd: string, explicit?: string, policy: KnexfilePolicy = {}): KnexfileDiscovery | undefined {
  if (explicit) return {file: path.resolve(cwd, explicit)}
  const script = scriptsRunning('knex', readScripts(cwd), false)[0]
  const named = script ? knexfileArg(script.segment) : undefined
  if (named) {
    const abs = path.resolve(cwd, named)
    if (fs.existsSync(abs)) return {file: abs}
    const up = findUp(path.dirname(abs), KNEX_CLI_SEARCH)
    return {file: up && allowed(up, path.dirname(abs), cwd, policy) ? up : abs}
  }
  const found = findUp(cwd, KNEX_CLI_SEARCH)
  if (found && allowed(found, cwd, cwd, policy)) return {file: found}
  const cjs = path.join(cwd, 'knexfile.cjs')
  return fs.existsSync(cjs) ? {file: cjs, unseenByCli: script ? {script} : {}} : undefined
}

/** What decides whether a knexfile found in a parent folder may be loaded (its code run). */
interface KnexfilePolicy {
  /** --tool knex, or --all-envs (which asks for the knexfile's environments). */
  toolNamed?: boolean
  /**
   * The connection comes from the command line (CONNECTION) or the environment (DATABASE_URL,
   * POSTGRES_URL, DB_* / DATABASE_* / SUPABASE_DB_*, PGHOST / PGHOSTADDR / PGDATABASE / PGSERVICE).
   */
  connectionGiven?: boolean
}

/** Variables that name a connection on their own: with one set, a parent knexfile needs the tool named or declared. */
const CONNECTION_VARS =
  /^(?:DATABASE_URL|POSTGRES_URL|(?:DB|DATABASE|SUPABASE_DB)_(?:HOST|PORT|NAME|DATABASE|USER|USERNAME|PASSWORD|PASS)|PGHOST|PGHOSTADDR|PGDATABASE|PGSERVICE)$/

export function connectionGivenIn(connection: string | undefined, env: Record<string, string | undefined>): boolean {
  if (connection !== undefined && connection.trim() !== '') return true
  return Object.entries(env).some(([k, v]) => v !== undefined && v.trim() !== '' && CONNECTION_VARS.test(k))
}

/** package.json in `cwd` (that very folder) declares knex or has a script that runs it. */
function knexDeclaredIn(cwd: string): boolean {
  const pkg = readJson(path.join(cwd, 'package.json'))
  const deps = {...(pkg?.dependencies as object), ...(pkg?.devDependencies as object)} as Record<string, unknown>
  return 'knex' in deps || scriptsRunning('knex', readScripts(cwd), false).length > 0
}

/**
 * A knexfile `file` found by searching up from `from`: in that folder itself it is the working
 * folder's own file. Above it, the knex CLI run here would load it only if it can start at all
 * (knex resolvable from here: bin/cli.js checkLocalModule, else "No local knex install found");
 * and when the connection is given on the command line or in the environment, db-doctor needs
 * more than that: the tool named (--tool knex) or declared in this folder's package.json.
 */
function allowed(file: string, from: string, cwd: string, policy: KnexfilePolicy): boolean {
  if (path.dirname(file) === path.resolve(from)) return true
  if (policy.toolNamed || knexDeclaredIn(cwd)) return true
  return !policy.connectionGiven && findPackageDir('knex', cwd) !== undefined
}

export function findKnexfile(cwd: string, explicit?: string, policy?: KnexfilePolicy): string | undefined {
  return discoverKnexfile(cwd, explicit, policy)?.file
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function looksLikeKnexConfig(v: unknown): boolean {
  return isPlainObject(v) && ('client' in v || 'connection' in v || 'dialect' in v)
}

function clientName(client: unknown): string | undefined {
  if (typeof client === 'string') return client
  if (typeof client === 'function') return (client as {name?: string}).name || 'custom client class'
  return undefined
}

/** Load a knexfile and pick the environment, as the knex CLI does. Throws what the knexfile throws. */
export async function loadKnexConfig(opts: {
  file: string
  cwd: string
  env: Record<string, string | undefined>
  knexEnv?: string
  /** Budget for the whole load (module, exported function, connection function). Default 5000 ms. */
  timeoutMs?: number
}): Promise<LoadedKnexConfig> {
  const {file, cwd, env} = opts
  const environment = opts.knexEnv || env.NODE_ENV || 'development'
  // Read through the guarded opener before anything runs: a FIFO or /dev/zero never reaches the child.
  const source = readGuardedText(file, 'knexfile')
  registerSecretsInSource(source)
  // The knex CLI chdirs to the knexfile's folder; the file runs in a child with the app's env.
  const all: unknown = await runAppFile({
    kind: 'knexfile',
    file,
    source,
    dir: path.dirname(file),
    env,
    knexEnv: environment,
    timeoutMs: opts.timeoutMs,
    label: displayPath(cwd, file),
  })
  if (!isPlainObject(all))
    throw new Error(`the knexfile does not export a configuration object (got ${all === null ? 'null' : typeof all})`)
  const perEnvironment = !looksLikeKnexConfig(all) && Object.values(all).some(looksLikeKnexConfig)
  const environments = perEnvironment ? Object.keys(all).filter((k) => looksLikeKnexConfig(all[k] as unknown)) : []
  const config: unknown = (all as Record<string, unknown>)[environment] ?? all
  if (typeof config === 'function') {
    // knex's CLI passes allConfigs[env] to knex() as it is; a function there fails with
    // "knex: Required configuration option 'client' is missing."
    throw new Error(
      `the "${environment}" environment is a function; knex uses it as it is and fails with "Required configuration option 'client' is missing" (export the configuration object, or make the whole module export a function)`,
    )
  }
  if (perEnvironment && !(environment in all)) {
    throw new KnexEnvironmentMissing(environment, environments)
  }
  const c = (isPlainObject(config) ? config : {}) as Record<string, unknown>
  return {
    file,
    displayFile: displayPath(cwd, file),
    environment,
    perEnvironment,
    environments,
    client: clientName(c.client ?? c.dialect),
    connection: c.connection, // a connection function was called in the child
    migrations: c.migrations,
    pool: c.pool,
  }
}

export class KnexEnvironmentMissing extends Error {
  constructor(
    readonly environment: string,
    readonly environments: string[],
  ) {
    // data, worded by the catalogue (CONFIG_APP_FILE_ERROR knex-environment-missing) where it is shown
    super(environment)
    this.name = 'KnexEnvironmentMissing'
  }
}

/** Env vars whose value is exactly `value`, DATABASE_URL first. */

function knexProvenance(
  loaded: Pick<LoadedKnexConfig, 'displayFile' | 'environment' | 'perEnvironment'>,
  setting: string,
  ctx: Pick<SourceContext, 'env' | 'envFileOf'>,
  value?: string,
): Provenance {
  const where = loaded.perEnvironment ? `${loaded.displayFile}, ${loaded.environment}` : loaded.displayFile
  const base: Provenance = {
    kind: 'knexfile',
    name: setting,
    file: loaded.displayFile,
    label: loaded.perEnvironment
      ? `${loaded.displayFile} (${loaded.environment}) ${setting}`
      : `${loaded.displayFile} ${setting}`,
  }
  if (loaded.perEnvironment) base.environment = loaded.environment
  if (value !== undefined && value !== '') {
    // The value is an environment variable read by the knexfile: that variable is what to change.
    const vars = envVarsWithValue(ctx.env, value)
    if (vars.length > 0) {
      const env = envProvenance(ctx.envFileOf, vars[0])
      return {
        ...env,
        ...(loaded.perEnvironment ? {environment: loaded.environment} : {}),
        label: `${env.label} (via ${where})`,
      }
    }
  }
  return base
}

const FIELD_KEYS: Array<[string, FieldName]> = [
  ['host', 'host'],
  ['port', 'port'],
  ['user', 'user'],
  ['password', 'password'],
  ['database', 'database'],
  ['application_name', 'application_name'],
  ['options', 'options'],
]

function registerSecrets(value: unknown): void {
  if (typeof value === 'string') redactor.addFromConnectionString(value)
  if (!isPlainObject(value)) return
  if (typeof value.password === 'string') redactor.add(value.password)
  if (typeof value.connectionString === 'string') redactor.addFromConnectionString(value.connectionString)
  const ssl = value.ssl
  if (isPlainObject(ssl)) {
    if (typeof ssl.passphrase === 'string') redactor.add(ssl.passphrase)
    if (typeof ssl.key === 'string') redactor.add(ssl.key)
    if (Buffer.isBuffer(ssl.key)) redactor.add(ssl.key.toString('utf8'))
  }
}

// knex's defaults (lib/migrations/migrate/migrator-configuration-merger.js, MigrationsLoader.js)
const KNEX_DEFAULT_EXTENSIONS = ['.co', '.coffee', '.eg', '.iced', '.js', '.cjs', '.litcoffee', '.ls', '.ts']

/**
 * What `knex migrate:*` will use: tableName (default knex_migrations), schemaName, directory
 * (default ./migrations, resolved from the knexfile's folder: the CLI chdirs there), loadExtensions.
 */
function knexTool(loaded: LoadedKnexConfig, cwd: string): MigrationToolInfo {
  const m = (isPlainObject(loaded.migrations) ? loaded.migrations : {}) as Record<string, unknown>
  const where = loaded.perEnvironment ? `${loaded.displayFile} (${loaded.environment})` : loaded.displayFile
  const dirs = (Array.isArray(m.directory) ? m.directory : [m.directory ?? './migrations']).filter(
    (d): d is string => typeof d === 'string',
  )
  const base = path.dirname(loaded.file)
  const directories = dirs.map((d) => path.resolve(base, d))
  const tool: MigrationToolInfo = {
    name: 'knex',
    detectedBy: loaded.displayFile,
    table: typeof m.tableName === 'string' && m.tableName ? m.tableName : 'knex_migrations',
    directories,
    displayDirectories: directories.map((d) => displayPath(cwd, d)),
    directorySource:
      m.directory === undefined
        ? `knex default ./migrations beside ${loaded.displayFile}`
        : `${where} migrations.directory`,
    extensions: Array.isArray(m.loadExtensions)
      ? m.loadExtensions.filter((e): e is string => typeof e === 'string')
      : KNEX_DEFAULT_EXTENSIONS,
  }
  if (typeof m.schemaName === 'string' && m.schemaName) {
    tool.schema = m.schemaName
    tool.schemaSource = `${where} migrations.schemaName`
  }
  return tool
}

/** Build the layer from a loaded knexfile (pure apart from the redactor registration). */
function knexLayer(
  loaded: LoadedKnexConfig,
  ctx: Pick<SourceContext, 'env' | 'envFileOf'> & {cwd?: string},
): AppSourceLayer | null {
  if (loaded.client !== undefined && !PG_CLIENTS.has(loaded.client)) return null
  const layer = knexConnectionLayer(loaded, ctx)
  if (layer) layer.tool = knexTool(loaded, ctx.cwd ?? path.dirname(loaded.file))
  const poolMax = isPlainObject(loaded.pool) ? poolSizeOf(loaded.pool.max) : undefined
  if (layer && poolMax !== undefined) layer.pool = {value: poolMax, source: knexProvenance(loaded, 'pool.max', ctx)}
  // tarn keeps pool.min connections however long they idle, the others idleTimeoutMillis (knex: min 2, tarn 30 s)
  const idle = layer && isPlainObject(loaded.pool) ? poolIdleOf(loaded.pool, 'min', 'idleTimeoutMillis') : undefined
  if (layer && idle) layer.poolIdle = {value: idle, source: knexProvenance(loaded, 'pool', ctx)}
  return layer
}

function knexConnectionLayer(
  loaded: LoadedKnexConfig,
  ctx: Pick<SourceContext, 'env' | 'envFileOf'>,
): AppSourceLayer | null {
  const origin = knexProvenance(loaded, 'connection', ctx)
  const conn = loaded.connection
  registerSecrets(conn)
  const layer: AppSourceLayer = {origin, fields: {}}
  if (typeof conn === 'string') {
    if (conn.trim() === '') return emptyConnection(loaded, ctx, origin)
    layer.connectionString = {value: conn, source: knexProvenance(loaded, 'connection', ctx, conn)}
    // knex parses a string connection itself (knex-builder/internal/parse-connection.js), with its own pg-connection-string
    layer.stringParsedBy = {by: 'knex', dir: path.dirname(loaded.file)}
    return layer
  }
  if (!isPlainObject(conn)) return emptyConnection(loaded, ctx, origin)
  if (typeof conn.connectionString === 'string' && conn.connectionString.trim() !== '') {
    layer.connectionString = {
      value: conn.connectionString,
      source: knexProvenance(loaded, 'connection.connectionString', ctx, conn.connectionString),
    }
  }
  for (const [key, field] of FIELD_KEYS) {
    const v = conn[key]
    if (v === undefined || v === null || v === '') continue
    const value = String(v)
    layer.fields[field] = {
      value,
      source: knexProvenance(loaded, `connection.${key}`, ctx, key === 'password' ? undefined : value),
    }
  }
  if (conn.ssl !== undefined) {
    layer.appSsl = {value: conn.ssl, source: knexProvenance(loaded, 'connection.ssl', ctx)}
  }
  if (!layer.connectionString && Object.keys(layer.fields).length === 0 && !layer.appSsl)
    return emptyConnection(loaded, ctx, origin)
  return layer
}

function emptyConnection(
  loaded: LoadedKnexConfig,
  ctx: Pick<SourceContext, 'env' | 'envFileOf'>,
  origin: Provenance,
): AppSourceLayer {
  void ctx
  return {
    origin,
    fields: {},
    problems: [
      configProblem('CONFIG_NOT_FOUND', origin, {
        case: 'empty-knexfile',
        label: origin.label,
        file: loaded.displayFile,
        environment: loaded.perEnvironment ? loaded.environment : null,
      }),
    ],
  }
}

export const knexfileSource: ConfigSource = {
  id: 'knexfile',
  role: 'primary',
  async load(ctx) {
    const found = discoverKnexfile(ctx.cwd, ctx.knexfile, {
      toolNamed: ctx.tool === 'knex',
      connectionGiven: connectionGivenIn(ctx.connection, ctx.env),
    })
    if (!found) return null
    const {file} = found
    const displayFile = displayPath(ctx.cwd, file)
    const environment = ctx.knexEnv || ctx.env.NODE_ENV || 'development'
    const origin: Provenance = {kind: 'knexfile', name: 'connection', file: displayFile, label: displayFile}
    if (!fs.existsSync(file)) {
      return {
        origin,
        fields: {},
        problems: [configProblem('CONFIG_APP_FILE_ERROR', origin, {case: 'knexfile-missing', file: displayFile})],
      } satisfies AppSourceLayer
    }
    let loaded: LoadedKnexConfig
    try {
      loaded = await loadKnexConfig({
        file,
        cwd: ctx.cwd,
        env: ctx.env,
        knexEnv: ctx.knexEnv,
        timeoutMs: ctx.appTimeoutMs,
      })
    } catch (error) {
      if (error instanceof UnsafeFileError) throw error // a FIFO, a device: a usage error (exit 2)
      const err = error as Error
      const failure = failureOf(error)
      const source: Provenance = {...origin, environment}
      const problem =
        err instanceof AppCodeLimitError
          ? configProblem(
              'CONFIG_APP_FILE_LIMIT',
              source,
              {file: displayFile, tool: 'knex', environment, limit: err.limit, amount: err.amount},
              {
                file: displayFile,
                environment,
                [err.limit === 'time' ? 'budgetMs' : 'memoryCapMiB']: err.amount,
                stopped: true,
                ...(err.lastOutput ? {lastOutput: redactor.redact(err.lastOutput)} : {}),
              },
            )
          : err instanceof KnexEnvironmentMissing
            ? configProblem(
                'CONFIG_APP_FILE_ERROR',
                source,
                {case: 'knex-environment-missing', file: displayFile, environment, environments: err.environments},
                {file: displayFile, environment},
              )
            : configProblem(
                'CONFIG_APP_FILE_ERROR',
                source,
                {
                  case: 'knexfile-failed',
                  file: displayFile,
                  environment,
                  error: failure,
                  errorName: err?.name && err.name !== 'Error' ? err.name : null,
                },
                {file: displayFile, environment},
              )
      // The origin's label carries the failure too, so it shows wherever the primary source is named
      return {
        origin: {
          ...origin,
          environment,
          label: ctx.words.knexfileFailed(
            err instanceof KnexEnvironmentMissing
              ? {file: displayFile, missingEnvironment: environment}
              : {file: displayFile, failure},
          ),
        },
        fields: {},
        problems: [problem],
      } satisfies AppSourceLayer
    }
    const layer = knexLayer(loaded, ctx)
    if (layer && found.unseenByCli) {
      // The knex CLI would not find this file (knexfile.cjs, not named by --knexfile): the migration
      // stops before connecting; a failure when a script runs the CLI, else a warning.
      const {script} = found.unseenByCli
      const problem = configProblem(
        'CONFIG_KNEXFILE_NOT_FOUND',
        origin,
        {
          file: displayFile,
          ...(script ? {script: {name: script.name, command: script.command, segment: script.segment}} : {}),
        },
        {file: displayFile, searched: [...KNEX_CLI_SEARCH], script: script?.name ?? null},
        script ? 'fail' : 'warn',
      )
      layer.problems = [...(layer.problems ?? []), problem]
    }
    return layer
  },
}
