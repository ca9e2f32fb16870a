// Resolves the effective connection settings, with provenance, by walking the
// ordered sources in config/sources/index.ts:
//   - 'primary' sources compete; the first that answers supplies the connection,
//     the later ones that also answer are recorded as shadowed;
//   - 'fill' sources (PG*, defaults, pgpass) fill what is still missing.
// Problems (bad URL, unencoded password, bad sslmode, nothing configured) are
// collected in ResolvedConfig.problems; the config check reports them.
//
// Secrets: every password seen is registered with the redactor before anything
// else happens, including passwords inside strings that fail to parse.
import fs from 'node:fs'
import path from 'node:path'
import {capturedMark, dropCapturedSince} from './app-output.js'
import type {ConfigProblemWords, EnvFileParams, WithoutEnvFile} from './problem-params.js'
import {isSecretName, redactUrl, redactor} from '../core/redact.js'
import {dotenvCut, rawEnvFileValue} from './env.js'
import {
  DEFAULT_PORT,
  POSTGRES_SCHEME,
  VALID_SSLMODES,
  isUrlConnectionString,
  pgUrlParams,
  type ConnectionStringResult,
  checkUrlEncoding,
  classifyConnectionString,
  intendedUrlValues,
  keyValueSecrets,
  parseConnectionString,
  splitUrl,
  type ConnectionValues,
} from './connection-string.js'
import {describeEncoding} from './url-anatomy.js'
import {manifestInstances} from './replicas.js'
import {readScripts, resolveLaunch, type LaunchModelled, type MigrationTool, type ScriptLaunch} from './launch.js'
import {resolveStack} from '../models/tools/index.js'
import {postgresJs, postgresJsUrlCredentials} from '../models/drivers/postgres-js.js'
import {serverAcceptsStartupParam} from '../models/drivers/pg-settings.js'
import {isToolName} from '../models/tools/names.js'
import {unmodelledTools} from '../models/tools/unmodelled.js'
import {configProblem, problemIsWarning} from './problems.js'
import {connectionGivenIn, findKnexfile} from './sources/knexfile.js'
import {assertSafeFile, FILE_CAPS, UnsafeFileError} from '../core/files.js'
import {SSL_FILE_PARAMS} from './connection-keywords.js'
import {sources as registry} from './sources/index.js'
import type {PgpassInspection} from './pgpass.js'
import {attachTarget, type TargetedConfig} from './target.js'
import {readJson, sameSource} from './util.js'
import type {
  ConfigProblem,
  ConfigSource,
  Field,
  FieldName,
  MigrationToolInfo,
  Provenance,
  ResolvedConfig,
  Shadowed,
  SourceContext,
  SourceLayer,
} from './types.js'

type Fields = Partial<Record<FieldName, Field<string>>>

/** The settings the password file is matched on. */
const PGPASS_KEYS: readonly FieldName[] = ['host', 'port', 'database', 'user']

/** Fields a connection string always decides in node-postgres (parse() returns them, even empty). */
const CONNECTION_STRING_FIELDS: readonly FieldName[] = ['host', 'port', 'database', 'user', 'password']

/** Order of problems: failures first (the config check reports the first one), warnings last. */
const SEVERITY: Record<ConfigProblem['code'], number> = {
  CONFIG_ENV_FILE_NOT_LOADED: 0,
  CONFIG_ENV_FILE_LOADER_UNKNOWN: 3,
  CONFIG_APP_FILE_ERROR: 0,
  CONFIG_APP_FILE_LIMIT: 0,
  CONFIG_URL_INVALID: 0,
  CONFIG_PASSWORD_NOT_ENCODED: 1,
  CONFIG_SSLMODE_INVALID: 2,
  CONFIG_PASSWORD_ENCODING_LENIENT: 3,
  CONFIG_NOT_FOUND: 3,
  CONFIG_KNEXFILE_NOT_FOUND: 0,
  CONFIG_TOOL_CONFIG_NOT_READ: 0,
  CONFIG_PRISMA_URL_IN_SCHEMA: 0,
  CONFIG_PRISMA_CONFIG_URL_MISSING: 0,
  CONFIG_UNKNOWN_SERVER_PARAMETER: 1,
  CONFIG_DRIVER_UNMODELLED: 3,
  CONFIG_TOOL_UNMODELLED: 3,
}

/** Failures first (the config check reports the first one), warnings last. */
function severity(p: ConfigProblem): number {
  return p.status === 'warn' ? Math.max(3, SEVERITY[p.code]) : SEVERITY[p.code]
}

/** What the sources' layers add up to: the primary's settings, the others' fields under them. */
interface Merged {
  fields: Fields
  shadowed: Shadowed[]
  problems: ConfigProblem[]
  primary: Provenance | null
  connectionString?: Field<string>
  appSsl?: Field<unknown>
  droppedSsl?: Field<unknown>
  pool?: Field<number>
  poolIdle?: ResolvedConfig['poolIdle']
  urlParser?: ResolvedConfig['urlParser']
  tools: MigrationToolInfo[]
  pgpassSeen?: {inspection: PgpassInspection; fields: Fields}
  parsedString?: ConnectionStringResult
}

export async function resolveConfig(
  ctx: SourceContext,
  sources: readonly ConfigSource[] = registry,
  opts: {launch?: boolean} = {},
): Promise<TargetedConfig> {
  registerSecrets(ctx)
  const m = await mergeSources(ctx, sources)
  const {fields, primary, shadowed, problems, connectionString} = m
  problems.push(...settingProblems(m))
  const notFound =
    primary === null &&
    !Object.values(fields).some((f) => f && f.source.kind !== 'default' && f.source.kind !== 'pgpass')
  if (notFound) problems.push(notFoundProblem(ctx, fields))
  assertSafeCertificateFiles(fields, ctx)

  const resolved: ResolvedConfig = {fields, primary, shadowed, problems, notFound}
  if (connectionString) resolved.connectionString = connectionString
  if (m.appSsl) resolved.appSsl = m.appSsl
  if (m.droppedSsl) resolved.droppedSsl = m.droppedSsl
  if (m.pool) resolved.pool = m.pool
  if (m.poolIdle) resolved.poolIdle = m.poolIdle
  if (ctx.instances !== undefined)
    resolved.instances = {
      value: ctx.instances,
      source: {kind: 'flag', name: '--instances', label: `--instances ${ctx.instances}`},
    }
  else if (opts.launch !== false && sources === registry) {
    const declared = await manifestInstances(ctx.cwd)
    if (declared.instances) resolved.instances = declared.instances
    if (declared.templated.length) resolved.templatedReplicas = declared.templated
  }
  if (connectionString) resolved.urlParser = m.urlParser ?? {by: 'pg', dir: ctx.cwd}
  if (opts.launch !== false && sources === registry && (await modelLaunch(ctx, sources, resolved, primary, m.tools)))
    m.parsedString = undefined
  problems.sort((a, b) => severity(a) - severity(b))
  if (m.tools.length) resolved.tools = m.tools
  // The password file was read for these very settings, the string parsed: the checks reuse both.
  const pgpassSeen = m.pgpassSeen
  const samePgpass = pgpassSeen && PGPASS_KEYS.every((k) => pgpassSeen.fields[k]?.value === fields[k]?.value)
  attachTarget(resolved, ctx.env, ctx.cwd, {
    ...(samePgpass ? {pgpass: pgpassSeen.inspection} : {}),
    ...(m.parsedString ? {connection: m.parsedString} : {}),
  })
  return resolved
}

/** Every source's layer, in the registry's order: the first primary decides, the others fill what it leaves. */
async function mergeSources(ctx: SourceContext, sources: readonly ConfigSource[]): Promise<Merged> {
  const m: Merged = {fields: {}, shadowed: [], problems: [], primary: null, tools: []}
  for (const source of sources) {
    let layer: SourceLayer | null
    try {
      layer = await source.load({...ctx, fields: {...m.fields}} as SourceContext)
    } catch (error) {
      if (error instanceof UnsafeFileError) throw error // a FIFO or a device where a file was expected: exit 2
      continue // a source that cannot load contributes nothing; it must classify its own errors
    }
    if (!layer) continue
    if (layer.pgpass) m.pgpassSeen = {inspection: layer.pgpass, fields: {...m.fields}}
    if (layer.tool) m.tools.push(layer.tool)
    if (layer.fields.password) redactor.add(layer.fields.password.value)
    if (layer.connectionString) registerConnectionString(layer.connectionString.value)

    if (source.role === 'primary') {
      if (m.primary) m.shadowed.push(layer.origin)
      else takePrimary(m, layer, ctx)
    } else {
      for (const [name, field] of Object.entries(layer.fields) as Array<[FieldName, Field<string>]>) {
        if (field && m.fields[name] === undefined) m.fields[name] = field
      }
    }
  }
  return m
}

/** The primary layer: its settings; a connection string decides the fields it holds (node-postgres' rule). */
function takePrimary(m: Merged, layer: SourceLayer, ctx: SourceContext): void {
  m.primary = layer.origin
  if (layer.problems) m.problems.push(...layer.problems)
  let fromString: ConnectionValues | null = null
  if (layer.connectionString) {
    m.connectionString = layer.connectionString
    fromString = analyzeConnectionString(layer.connectionString, m.problems, ctx, (r) => (m.parsedString = r))
  }
  for (const [name, field] of Object.entries(layer.fields) as Array<[FieldName, Field<string>]>) {
    if (!field) continue
    // node-postgres: Object.assign({}, config, parse(connectionString)) — the string decides these
    if (layer.connectionString && CONNECTION_STRING_FIELDS.includes(name)) {
      m.shadowed.push({...field.source, stringDecides: name})
      continue
    }
    m.fields[name] = field
  }
  if (fromString && m.connectionString) {
    for (const [name, value] of Object.entries(fromString) as Array<[FieldName, string]>) {
      m.fields[name] = {value, source: m.connectionString.source}
    }
  }
  if (layer.appSsl) m.appSsl = layer.appSsl
  if (layer.droppedSsl) m.droppedSsl = layer.droppedSsl
  if (layer.pool) m.pool = layer.pool
  if (layer.poolIdle) m.poolIdle = layer.poolIdle
  if (layer.connectionString && layer.stringParsedBy) m.urlParser = layer.stringParsedBy
}

/** The settings' own problems: a port that is not one, an unknown sslmode, ssl params a string cannot hold. */
function settingProblems(m: Merged): ConfigProblem[] {
  const {fields, connectionString} = m
  const out: ConfigProblem[] = []
  const port = fields.port
  const portCase = !port
    ? null
    : !m.problems.some((p) => p.code === 'CONFIG_URL_INVALID') && !/^\d+$/.test(port.value.trim())
      ? ('port-not-a-number' as const)
      : Number(port.value) < 1 || Number(port.value) > 65535
        ? ('port-out-of-range' as const)
        : null
  if (port && portCase) {
    out.push(
      configProblem(
        'CONFIG_URL_INVALID',
        port.source,
        {case: portCase, value: port.value, fromString: fromConnectionString(connectionString, port.source)},
        {value: port.value},
      ),
    )
  }
  const sslmode = fields.sslmode
  if (sslmode && !(VALID_SSLMODES as readonly string[]).includes(sslmode.value)) {
    out.push(sslmodeProblem(sslmode, connectionString))
  }
  const sslString = connectionString ? sslParamProblem(connectionString) : null
  if (sslString) out.push(sslString)
  return out
}

/**
 * pg-connection-string reads these with readFileSync while parsing the URL: refuse a FIFO or a
 * device (/dev/zero) before anything parses it. Missing files are the ssl-config check's finding.
 */
function assertSafeCertificateFiles(fields: Fields, ctx: SourceContext): void {
  for (const name of SSL_FILE_PARAMS) {
    const value = fields[name]?.value
    if (value && value !== 'system') assertSafeFile(path.resolve(ctx.cwd, value), name, FILE_CAPS.certificate)
  }
  for (const name of ['PGSSLROOTCERT', 'PGSSLCERT', 'PGSSLKEY', 'NODE_EXTRA_CA_CERTS'] as const) {
    const value = ctx.env[name]
    if (value && value !== 'system') assertSafeFile(path.resolve(ctx.cwd, value), `${name} file`, FILE_CAPS.certificate)
  }
}

/**
 * How the app launches its tool and which driver it uses (resolved.launch, resolved.stack), and the
 * problems they show (driver, tool, env file). True when postgres.js reads the URL: the string parsed
 * as node-postgres parses it is then not the app's.
 */
async function modelLaunch(
  ctx: SourceContext,
  sources: readonly ConfigSource[],
  resolved: ResolvedConfig,
  primary: Provenance | null,
  tools: readonly MigrationToolInfo[],
): Promise<boolean> {
  const problems = resolved.problems
  resolved.launch = resolveLaunch({
    cwd: ctx.cwd,
    tool: toolOf(primary),
    knexfile: findKnexfile(ctx.cwd, ctx.knexfile, {
      toolNamed: ctx.tool === 'knex',
      connectionGiven: connectionGivenIn(ctx.connection, ctx.env),
    }),
    ...(primary?.file && (primary.kind === 'typeorm' || primary.kind === 'sequelize-cli')
      ? {configFile: path.resolve(ctx.cwd, primary.file)}
      : {}),
    envFile: envFileIn(ctx),
    processEnv: processEnvOf(ctx),
  })
  const launchedTool = resolved.launch.tool
  // Prisma 6.6–6.19: prisma.config gives migrate a driver adapter (config/sources/prisma.ts)
  const migrateAdapter = tools.find((t) => t.name === 'prisma')?.migrateAdapter
  resolved.stack = resolveStack({
    cwd: ctx.cwd,
    ...(launchedTool ? {tool: launchedTool.tool, toolVersion: launchedTool.version} : {}),
    ...(migrateAdapter && launchedTool?.tool === 'prisma' ? {migrateAdapter} : {}),
  })
  const postgresJs = postgresJsReadsUrl(resolved, problems)
  problems.push(...driverProblems(resolved, ctx.env), ...toolProblems(resolved, ctx.cwd))
  const problem = await envFileProblem(ctx, resolved, sources)
  if (problem) problems.unshift(problem)
  return postgresJs
}

// ---------------------------------------------------------------------------------------------
// the driver the app really uses (src/models)

/** The URL without the query parameters `drop` (as written, password masked). */
function urlWithout(url: string, drop: string[]): string {
  const q = url.indexOf('?')
  if (q < 0) return redactUrl(url)
  const hash = url.indexOf('#', q)
  const query = url.slice(q + 1, hash < 0 ? undefined : hash)
  const kept = query.split('&').filter((pair) => {
    const key = pair.split('=')[0] ?? ''
    let name = key
    try {
      name = decodeURIComponent(key.replace(/\+/g, ' '))
    } catch {}
    return pair !== '' && !drop.includes(name)
  })
  return redactUrl(url.slice(0, q) + (kept.length ? `?${kept.join('&')}` : '') + (hash < 0 ? '' : url.slice(hash)))
}

/**
 * What the driver the app uses (resolved.stack) says about these settings before any connection:
 * a driver db-doctor does not model (CONFIG_DRIVER_UNMODELLED), URL parameters postgres.js sends to
 * the server, which rejects them (CONFIG_UNKNOWN_SERVER_PARAMETER).
 */
function driverProblems(resolved: ResolvedConfig, env: Record<string, string | undefined>): ConfigProblem[] {
  const stack = resolved.stack
  if (!stack) return []
  const out: ConfigProblem[] = []
  const source: Provenance = resolved.primary ?? {kind: 'default', name: 'driver', label: 'package.json'}
  if (stack.driver.name === null)
    out.push(
      configProblem(
        'CONFIG_DRIVER_UNMODELLED',
        source,
        {tool: stack.tool?.name ?? null, package: stack.driver.package, why: stack.driver.choice},
        {driver: stack.driver.package, version: stack.driver.version, tool: stack.tool?.name ?? null},
      ),
    )
  const cs = resolved.connectionString
  if (stack.driver.name === 'postgres.js' && cs && isUrlConnectionString(cs.value)) {
    let params: string[]
    try {
      params = Object.keys(postgresJs.read({url: cs.value.trim(), env}, stack.driver.version).startupParams)
    } catch {
      params = [] // a URL postgres.js cannot parse: CONFIG_URL_INVALID says so
    }
    const rejected = params.filter((p) => !serverAcceptsStartupParam(p))
    if (rejected.length) {
      const inCode = !['env', 'env-file', 'argument'].includes(cs.source.kind)
      out.push(
        configProblem(
          'CONFIG_UNKNOWN_SERVER_PARAMETER',
          cs.source,
          {
            driver: 'postgres.js',
            version: stack.driver.version,
            params: rejected,
            ...(inCode ? {} : {maskedUrl: urlWithout(cs.value.trim(), rejected)}),
            ...(stack.tool ? {tool: stack.tool.name} : {}),
          },
          {driver: `postgres.js ${stack.driver.version}`, params: rejected},
        ),
      )
    }
  }
  return out
}

/** node-postgres' readings of a URL's characters that postgres.js does not share. */
const PG_URL_READINGS: ReadonlySet<ConfigProblem['code']> = new Set([
  'CONFIG_PASSWORD_NOT_ENCODED',
  'CONFIG_PASSWORD_ENCODING_LENIENT',
  'CONFIG_URL_INVALID',
])

/**
 * The app connects with postgres.js: its URL's user info, host and database are what postgres.js reads
 * (4.x: user info up to the last '@', '#' kept in the password), not node-postgres. When postgres.js at
 * the installed version reads the user info as written (4.x; 3.4's WHATWG URL cuts it at '#'), node-postgres'
 * encoding problems with it are dropped, the fields
 * become postgres.js' reading, and the connection string db-doctor connects with is the same URL with its
 * user info percent-encoded (true to postgres.js, readable by pg). Returns whether it was rewritten.
 */
function postgresJsReadsUrl(resolved: ResolvedConfig, problems: ConfigProblem[]): boolean {
  const stack = resolved.stack
  const cs = resolved.connectionString
  if (stack?.driver.name !== 'postgres.js' || !cs || !isUrlConnectionString(cs.value)) return false
  const url = cs.value.trim()
  let creds: ReturnType<typeof postgresJsUrlCredentials>
  try {
    creds = postgresJsUrlCredentials(url, stack.driver.version)
  } catch {
    return false // postgres.js rejects it too ("Invalid URL"): node-postgres' finding stands
  }
  // only when postgres.js reads the user info as written (4.x); 3.4's WHATWG URL cuts it at '#'
  const scheme = url.slice(0, url.indexOf('://') + 3)
  const rest = url.slice(scheme.length)
  const end = rest.search(/[/?]/)
  const authority = end === -1 ? rest : rest.slice(0, end)
  const at = authority.lastIndexOf('@')
  const userinfo = at === -1 ? '' : authority.slice(0, at)
  const colon = userinfo.indexOf(':')
  const decoded = (x: string) => {
    try {
      return decodeURIComponent(x)
    } catch {
      return x
    }
  }
  const asWritten =
    colon === -1
      ? {user: userinfo, password: ''}
      : {user: userinfo.slice(0, colon), password: userinfo.slice(colon + 1)}
  if (!creds.host || decoded(asWritten.user) !== creds.user || decoded(asWritten.password) !== creds.password)
    return false
  // An '@' after the authority's end: the password had a raw '/' or '?', where postgres.js (every version) ends
  // the authority too, so it reads a host from inside the password ("getaddrinfo ENOTFOUND <piece>"): the
  // encoding finding is the cause, and stands.
  if (end !== -1 && rest.slice(end).includes('@')) return false
  const mine = (p: ConfigProblem) => PG_URL_READINGS.has(p.code) && sameSource(p.source, cs.source)
  // a value dotenv cut at '#' is cut for every driver
  if (!problems.some(mine) || problems.some((p) => mine(p) && p.details?.dotenvCut === true)) return false
  for (let i = problems.length - 1; i >= 0; i--) if (mine(problems[i]!)) problems.splice(i, 1)
  if (creds.password) redactor.add(creds.password)
  const source = cs.source
  const set = (name: FieldName, value: string) => {
    if (value) resolved.fields[name] = {value, source}
    else if (resolved.fields[name]?.source && sameSource(resolved.fields[name]!.source, source))
      delete resolved.fields[name]
  }
  set('user', creds.user)
  set('password', creds.password)
  set('host', creds.host)
  set('port', creds.port)
  set('database', creds.database)
  // the same URL with the user info encoded: pg parses it into what postgres.js read
  const hostPart = authority.slice(at + 1)
  const encoded = `${encodeURIComponent(creds.user)}${creds.password ? `:${encodeURIComponent(creds.password)}` : ''}`
  resolved.connectionString = {
    value: `${scheme}${encoded ? `${encoded}@` : ''}${hostPart}${end === -1 ? '' : rest.slice(end)}`,
    source,
  }
  registerConnectionString(resolved.connectionString.value)
  return true
}

/**
 * A migration tool db-doctor does not model that the project's package.json shows (a script running its
 * bin, or a dependency): CONFIG_TOOL_UNMODELLED names it and the model used instead.
 */
function toolProblems(resolved: ResolvedConfig, cwd: string): ConfigProblem[] {
  const stack = resolved.stack
  if (!stack) return []
  const pkg = readJson(path.join(cwd, 'package.json'))
  const deps = {...(pkg?.dependencies as object), ...(pkg?.devDependencies as object)} as Record<string, unknown>
  return unmodelledTools(readScripts(cwd), deps).map((found) =>
    configProblem(
      'CONFIG_TOOL_UNMODELLED',
      {kind: 'default', name: 'package.json', label: 'package.json'},
      {...found, modelled: stack},
      // the stack modelled instead: the catalogue words it as the evidence's `modelled`
      {tool: found.tool, script: found.script, dependency: found.dependency, stack},
    ),
  )
}

// ---------------------------------------------------------------------------------------------
// the migration tool's own environment (config/launch.ts)

/** The setting comes from the connection string in play. */
function fromConnectionString(cs: Field<string> | undefined, source: Provenance): boolean {
  return cs !== undefined && sameSource(cs.source, source)
}

function toolOf(primary: Provenance | null): MigrationTool | undefined {
  if (!primary) return undefined
  if (primary.kind === 'knexfile') return 'knex'
  return isToolName(primary.kind) ? primary.kind : undefined
}

/** The env file that supplied variables (db-doctor's .env or --env-file), when one did. */
function envFileIn(ctx: SourceContext): string | undefined {
  for (const name of Object.keys(ctx.env)) {
    const file = ctx.envFileOf(name)
    if (file !== undefined) return file
  }
  return undefined
}

/** The environment without what the env file added: what a process that does not load it sees. */
function processEnvOf(ctx: SourceContext): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries(ctx.env)) if (ctx.envFileOf(k) === undefined) out[k] = v
  return out
}

const COMPARED: readonly FieldName[] = [
  'host',
  'port',
  'user',
  'password',
  'database',
  'sslmode',
  'sslrootcert',
  'sslcert',
  'sslkey',
]

/**
 * When the migration tool would not load the env file db-doctor read, resolve again with the
 * process environment alone (what the tool sees) and report the settings that only the env file
 * supplies: CONFIG_ENV_FILE_NOT_LOADED (the tool's launch is known and loads nothing) or
 * CONFIG_ENV_FILE_LOADER_UNKNOWN (nothing shows how the tool is run).
 */
async function envFileProblem(
  ctx: SourceContext,
  resolved: ResolvedConfig,
  sources: readonly ConfigSource[],
): Promise<ConfigProblem | undefined> {
  const tool = resolved.launch?.tool ?? nodeScriptLaunch(resolved.launch?.script)
  const envFile = tool?.envFile
  if (!tool || !envFile || tool.readsEnvFile === true || ctx.envFileExplicit) return undefined
  const processEnv = processEnvOf(ctx)
  // What the files print while modelling the tool's environment is not the app's output.
  const mark = capturedMark()
  const without = await resolveConfig({...ctx, env: processEnv, envFileOf: () => undefined}, sources, {launch: false})
  dropCapturedSince(mark)
  const differing: FieldName[] = COMPARED.filter((n) => resolved.fields[n]?.value !== without.fields[n]?.value)
  const stringDiffers = resolved.connectionString?.value !== without.connectionString?.value
  const newFailure = without.problems.find(
    (p) => !problemIsWarning(p) && !resolved.problems.some((q) => q.code === p.code),
  )
  if (differing.length === 0 && !stringDiffers && !newFailure) return undefined

  // The variables of the env file the connection uses.
  const fromFile = Object.keys(ctx.env).filter((k) => ctx.envFileOf(k) !== undefined)
  const used = new Set<string>()
  const sourcesSeen = [...Object.values(resolved.fields).map((f) => f?.source), resolved.connectionString?.source]
  for (const s of sourcesSeen) if (s?.kind === 'env-file' && fromFile.includes(s.name)) used.add(s.name)
  for (const n of differing) {
    const v = resolved.fields[n]?.value
    if (v) for (const k of fromFile) if (ctx.env[k] === v) used.add(k)
  }
  if (resolved.connectionString)
    for (const k of fromFile) if (ctx.env[k] === resolved.connectionString.value) used.add(k)
  const variables = [...used].sort((a, b) =>
    a === 'DATABASE_URL' ? -1 : b === 'DATABASE_URL' ? 1 : a.localeCompare(b),
  )

  const f = without.fields
  const withoutTarget = {
    host: f.host?.value ?? 'not set',
    port: f.port?.value ?? 'not set',
    user: f.user?.value ?? 'not set',
    database: f.database?.value ?? 'not set',
    password: f.password ? 'set' : 'not set',
  }
  // knex with no connection at all (a string connection whose variable is unset): no pool is made
  const emptyKnex = without.problems.find(
    (p) => p.code === 'CONFIG_NOT_FOUND' && p.params.case === 'empty-knexfile' && tool.tool === 'knex',
  )
  const consequence: WithoutEnvFile = newFailure
    ? {kind: 'stops', problem: {code: newFailure.code, params: newFailure.params} as ConfigProblemWords}
    : emptyKnex
      ? {kind: 'no-connection', file: emptyKnex.source.file ?? emptyKnex.source.label}
      : !f.password && resolved.fields.password
        ? {
            kind: 'no-password',
            target: f.host
              ? `${withoutTarget.user}@${withoutTarget.host}:${withoutTarget.port}/${withoutTarget.database}`
              : null,
          }
        : {
            kind: 'other-target',
            target: `${withoutTarget.user}@${withoutTarget.host}:${withoutTarget.port}/${withoutTarget.database}`,
          }
  const source: Provenance = variables.length
    ? {kind: 'env-file', name: variables[0]!, file: envFile, label: `${variables[0]} in ${envFile}`}
    : {kind: 'env-file', name: differing[0] ?? 'connection', file: envFile, label: envFile}
  const details: Record<string, unknown> = {
    tool: tool.tool,
    version: tool.version,
    envFile,
    variables,
    fields: differing,
    withoutEnvFile: withoutTarget,
    ...(tool.script ? {script: tool.script.name, command: tool.script.segment} : {}),
    ...(tool.loader ? {loader: `${tool.loader.kind} (${tool.loader.file})`} : {}),
    ...(tool.launchers?.length ? {launchers: tool.launchers} : {}),
    // what was modelled of the launch: the catalogue words it as the evidence's `modelled`
    ...(tool.modelled ? {launch: tool.modelled} : {}),
  }
  const otherFile = tool.loader && tool.readsEnvFile === false ? tool.loader.file : undefined
  const params = {
    tool: tool.tool,
    version: tool.version,
    envFile,
    variables,
    fields: differing,
    ...(tool.script ? {script: {name: tool.script.name, segment: tool.script.segment}} : {}),
    ...(otherFile ? {otherFile} : {}),
    ...(tool.launchers ? {launchers: tool.launchers} : {}),
    without: consequence,
  }
  return configProblem(
    tool.readsEnvFile === 'unknown' ? 'CONFIG_ENV_FILE_LOADER_UNKNOWN' : 'CONFIG_ENV_FILE_NOT_LOADED',
    source,
    params,
    details,
  )
}

/** What envFileProblem needs of a launch: a migration tool's, or the node scripts of an app without one. */
interface EnvFileLaunch {
  tool: EnvFileParams['tool']
  version: string
  envFile?: string
  readsEnvFile: boolean | 'unknown'
  script?: {name: string; segment: string}
  loader?: {kind: string; file: string}
  launchers?: string[]
  modelled?: LaunchModelled
}

/** The node scripts that connect by themselves, as a launch: the first one is named in the fix. */
function nodeScriptLaunch(script: ScriptLaunch | undefined): EnvFileLaunch | undefined {
  const first = script?.scripts.find((s) => !s.loader) ?? script?.scripts[0]
  if (!script || !first) return undefined
  return {
    tool: 'node',
    version: process.versions.node,
    envFile: script.envFile,
    readsEnvFile: script.readsEnvFile,
    script: {name: first.name, segment: first.segment},
    ...(first.loader ? {loader: first.loader} : {}),
  }
}

/** An environment variable holding a secret: DB_PASSWORD, DB_PASSWORD_PROD, PGPASSWORD, DB_PASS, MYSQL_PWD, *_TOKEN… */
const SECRET_NAME = {test: (name: string) => !/^(?:OLD)?PWD$/i.test(name) && isSecretName(name)}
const URL_NAME = /(_URL|_URI|_DSN|CONNECTION_STRING|_CONN)$/i

/** Register every password-looking value of the environment and the argument, first thing. */
function registerSecrets(ctx: SourceContext): void {
  if (ctx.connection) registerConnectionString(ctx.connection)
  for (const [name, value] of Object.entries(ctx.env)) {
    if (!value) continue
    const isUrl = URL_NAME.test(name) || POSTGRES_SCHEME.test(value) || /(?:^|\s)password\s*=/i.test(value)
    if (SECRET_NAME.test(name)) redactor.add(value)
    if (isUrl) registerConnectionString(value)
    // dotenv cuts an unquoted value at "#": the part after it is a secret too
    const file = ctx.envFileOf(name)
    if (file && (isUrl || SECRET_NAME.test(name))) {
      const raw = rawEnvFileValue(ctx.cwd, file, name)
      if (raw !== undefined && raw !== value) {
        if (SECRET_NAME.test(name)) redactor.add(raw)
        registerConnectionString(raw)
      }
    }
  }
}

function registerConnectionString(text: string): void {
  redactor.addFromConnectionString(text)
  for (const s of keyValueSecrets(text)) redactor.add(s)
  const parts = splitUrl(text.trim())
  if (parts?.userinfo !== undefined) {
    const colon = parts.userinfo.indexOf(':')
    if (colon >= 0) redactor.add(parts.userinfo.slice(colon + 1))
  }
}

/**
 * Parse one connection string into fields, recording problems. Returns null when
 * the string gives no usable fields (unparseable, or parsed into password fragments).
 */
function analyzeConnectionString(
  cs: Field<string>,
  problems: ConfigProblem[],
  ctx: SourceContext,
  parsed: (result: ConnectionStringResult) => void,
): ConnectionValues | null {
  const text = cs.value
  const source = cs.source
  const kind = classifyConnectionString(text)

  // An unquoted value with "#" in a .env file: dotenv keeps only what precedes it.
  const full =
    source.kind === 'env-file' && source.file ? dotenvCut(ctx.cwd, source.file, source.name, text) : undefined
  if (full !== undefined) return cutByDotenv(full, source, kind, problems)
  const result = parseConnectionString(text, {allowKeyValue: source.kind === 'argument'})
  // the target keeps it (config/target.ts) when it is what a parse allowing key=value gives
  if (source.kind === 'argument' || kind !== 'keyvalue') parsed(result)
  if (result.ok && result.values.password) redactor.add(result.values.password)

  const encoding = kind === 'url' && !(!result.ok && result.unexpanded) ? checkUrlEncoding(text) : null
  if (encoding) return badlyEncoded(text, encoding, result, source, problems)
  if (!result.ok) {
    problems.push(invalidString(text, kind, result, source))
    return null
  }
  return result.values
}

/** The whole value of a .env line dotenv cut at "#": what it was meant to say, or nothing usable. */
function cutByDotenv(
  full: string,
  source: Provenance,
  kind: ReturnType<typeof classifyConnectionString>,
  problems: ConfigProblem[],
): ConnectionValues | null {
  registerConnectionString(full)
  const cutEncoding = checkUrlEncoding(full)
  if (cutEncoding) {
    const {details, words} = describeEncoding(cutEncoding)
    problems.push(
      configProblem('CONFIG_PASSWORD_NOT_ENCODED', source, {...words, dotenvCut: true}, {...details, dotenvCut: true}),
    )
    return intendedUrlValues(full)
  }
  const maskedUrl = redactor.redact(full)
  problems.push(
    configProblem(
      'CONFIG_URL_INVALID',
      source,
      {case: 'cut-by-dotenv', fromString: true, kind, dotenvCut: true, maskedUrl},
      {kind, problem: {id: 'cut-by-dotenv'}, dotenvCut: true, maskedUrl},
    ),
  )
  return null
}

/** A URL whose password is not percent-encoded: lenient (it still works) or breaking; the fields it means. */
function badlyEncoded(
  text: string,
  encoding: NonNullable<ReturnType<typeof checkUrlEncoding>>,
  result: ConnectionStringResult,
  source: Provenance,
  problems: ConfigProblem[],
): ConnectionValues | null {
  const {details, words} = describeEncoding(encoding)
  if (!encoding.breaking && result.ok) {
    // node-postgres and libpq read these characters as written: the connection works as
    // configured, but strict URL parsers (other tools reading the same variable) reject it.
    problems.push(
      configProblem('CONFIG_PASSWORD_ENCODING_LENIENT', source, {...words, libpqBreaks: encoding.libpqBreaks}, details),
    )
    return result.values
  }
  problems.push(
    configProblem(
      'CONFIG_PASSWORD_NOT_ENCODED',
      source,
      {...words, dotenvCut: false},
      {...details, ...(result.ok ? {} : {parseError: result.problem})},
    ),
  )
  // What node-postgres reads may be pieces of the password (a URL cut short by "#", "/"
  // or "?"): then show what the string was meant to say instead; the problem explains.
  if (!result.ok) return intendedUrlValues(text)
  const raw = rawPassword(text)
  if (raw !== undefined) {
    for (const [name, value] of Object.entries(result.values)) {
      if (name !== 'password' && value && raw.includes(value)) return intendedUrlValues(text)
    }
  }
  return result.values
}

/** CONFIG_URL_INVALID for a string that does not parse (or names no host). */
function invalidString(
  text: string,
  kind: ReturnType<typeof classifyConnectionString>,
  result: ConnectionStringResult & {ok: false},
  source: Provenance,
): ConfigProblem {
  const maskedUrl = kind === 'url' ? redactor.redact(text.trim()) : undefined
  const shared = {fromString: true, kind: result.kind, ...(maskedUrl !== undefined ? {maskedUrl} : {})}
  return configProblem(
    'CONFIG_URL_INVALID',
    source,
    result.hostless
      ? {...shared, case: 'hostless', problem: result.problem}
      : {
          ...shared,
          case: 'unparsable',
          problem: result.problem,
          ...(result.position !== undefined ? {position: result.position} : {}),
        },
    {
      kind: result.kind,
      // worded in place (reason, position, hint) by the catalogue's configProblemEvidence
      problem: result.problem,
      ...(result.position !== undefined ? {position: result.position} : {}),
      ...(result.unexpanded ? {unexpanded: result.unexpanded} : {}),
      ...(result.hostless ? {hostless: true} : {}),
      ...(maskedUrl !== undefined ? {maskedUrl} : {}),
    },
  )
}

function rawPassword(text: string): string | undefined {
  const info = splitUrl(text.trim())?.userinfo
  if (info === undefined) return undefined
  const colon = info.indexOf(':')
  return colon >= 0 ? info.slice(colon + 1) : undefined
}

/** The valid mode a mistyped sslmode most likely meant. */
function suggestSslmode(value: string): string | undefined {
  const v = value.trim().toLowerCase().replace(/_/g, '-')
  if ((VALID_SSLMODES as readonly string[]).includes(v)) return v
  const aliases: Record<string, string> = {
    required: 'require',
    true: 'require',
    on: 'require',
    yes: 'require',
    enable: 'require',
    enabled: 'require',
    ssl: 'require',
    tls: 'require',
    false: 'disable',
    off: 'disable',
    no: 'disable',
    disabled: 'disable',
    none: 'disable',
    preferred: 'prefer',
    allowed: 'allow',
    verifyfull: 'verify-full',
    'verify-fully': 'verify-full',
    full: 'verify-full',
    verify: 'verify-full',
    verifyca: 'verify-ca',
    'no-verification': 'no-verify',
    noverify: 'no-verify',
    insecure: 'no-verify',
  }
  return aliases[v]
}

function sslmodeProblem(sslmode: Field<string>, cs: Field<string> | undefined): ConfigProblem {
  const suggestion = suggestSslmode(sslmode.value)
  const inString = cs !== undefined && sameSource(cs.source, sslmode.source)
  return configProblem(
    'CONFIG_SSLMODE_INVALID',
    sslmode.source,
    {
      param: 'sslmode',
      value: sslmode.value,
      ...(suggestion ? {suggestion} : {}),
      ...(inString ? {maskedString: redactUrl(cs.value)} : {}),
    },
    {
      value: sslmode.value,
      valid: VALID_SSLMODES.join(', '),
      ...(suggestion ? {suggestion} : {}),
    },
  )
}

function notFoundProblem(ctx: SourceContext, fields: Fields): ConfigProblem {
  let otherEnvFiles: string[] = []
  try {
    otherEnvFiles = fs
      .readdirSync(ctx.cwd)
      .filter((n) => /^\.env\..+/.test(n) && !/\.(example|sample|template|dist)$/.test(n))
      .sort()
  } catch {}
  const target = `${fields.user?.value ?? '?'}@${fields.host?.value ?? 'localhost'}:${fields.port?.value ?? DEFAULT_PORT}/${fields.database?.value ?? '?'}`
  return configProblem(
    'CONFIG_NOT_FOUND',
    {kind: 'default', name: 'defaults', label: 'default'},
    {case: 'defaults', target, otherEnvFiles},
    otherEnvFiles.length ? {otherEnvFiles} : undefined,
  )
}

/** Words that mean "off" in an ssl= parameter written by hand. */
const SSL_OFF_WORDS = new Set(['false', 'off', 'no', 'disable', 'disabled', 'none', 'n', 'f'])

/**
 * URL `ssl=<text>` that node-postgres does not understand. pg-connection-string turns only "true"
 * and "1" into true and "0" into false (pg itself also knows "no-verify"); any other text stays a
 * string, which is truthy: node-postgres asks the server for SSL and then throws "Cannot use 'in'
 * operator to search for 'key' in false" from a socket event (the app crashes), or fails with
 * "The server does not support SSL connections". sslmode/sslrootcert/sslcert/sslkey in the same
 * URL replace the string with an object, so then it is harmless. libpq accepts only ssl=true.
 */
function sslParamProblem(cs: Field<string>): ConfigProblem | null {
  if (!isUrlConnectionString(cs.value)) return null
  const params = pgUrlParams(cs.value.trim())
  if (!params || !Object.prototype.hasOwnProperty.call(params, 'ssl')) return null
  if (params.sslmode || params.sslrootcert || params.sslcert || params.sslkey) return null
  const value = params.ssl
  if (['true', '1', '0', 'no-verify'].includes(value)) return null
  const off = SSL_OFF_WORDS.has(value.trim().toLowerCase())
  const replacement = off ? 'sslmode=disable' : 'sslmode=verify-full'
  return configProblem(
    'CONFIG_SSLMODE_INVALID',
    cs.source,
    {param: 'ssl', value, suggestion: replacement, maskedString: redactUrl(cs.value.trim())},
    {param: 'ssl', value, suggestion: replacement, meant: off ? 'SSL off' : 'SSL on'},
  )
}
