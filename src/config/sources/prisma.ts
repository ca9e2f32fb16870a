// Source: a Prisma project's datasource.
//
// Schema: the path in package.json "prisma.schema", else prisma/schema.prisma,
// else schema.prisma (a prisma/schema/ folder of .prisma files works too).
// prisma.config.ts (Prisma 6.5+/7), when present, may name the schema and, since
// Prisma 7, holds `datasource: {url, directUrl}`; it is loaded with jiti (its
// code runs, like a knexfile) with `prisma/config` and `dotenv/config` provided
// virtually, so the project's node_modules are not needed.
//
// The datasource block is read by a small focused reader: provider, url and
// directUrl, each `env("X")` or a literal. Prisma migrations (prisma migrate)
// use directUrl when it is set, so that is the URL checked; the provenance
// label says which one.
//
// Prisma's own URL parameters (sslmode disable|prefer|require, sslcert = the
// server's CA file, resolved from the schema's folder, sslidentity, sslpassword,
// sslaccept=strict|accept_invalid_certs) are Prisma's engine semantics: prisma
// migrate / db run the schema engine in every version, Prisma 7 included. The
// app's PrismaClient through the pg driver adapter (Prisma 7's default) reads
// the URL it is given with node-postgres semantics (models/tools/prisma.ts).
import fs from 'node:fs'
import path from 'node:path'
import {AppCodeLimitError, runAppFile} from '../app-code.js'
import {assertSafeFile, readGuardedText, UnsafeFileError} from '../../core/files.js'
import {redactor, registerSecretsInSource} from '../../core/redact.js'
import {connectionParams} from '../connection-string.js'
import {displayPath, envProvenance} from '../env.js'
import {configProblem} from '../problems.js'
import type {ConfigSource, MigrationToolInfo, Provenance, SourceContext, SourceLayer} from '../types.js'
import type {AppFileFailure} from '../problem-params.js'
import {envVarsWithValue, readJson} from '../util.js'
import {findPackageDir} from '../launch.js'
import {appFileLimit, failureOf, toolConfigFailed} from './app-module.js'
import {PRISMA_CONFIG_FILES, prismaMigrateAdapterRule} from '../../models/tools/prisma.js'

/**
 * The Prisma version the project runs, when known: installed (prisma, else @prisma/client), else the range
 * package.json declares ("6.16.0", or "6" from a range that says only that). Undefined when neither says
 * (then no Prisma 7 rule is applied: a bare schema is read the way every version before 7 reads it).
 */
function prismaVersion(cwd: string): string | undefined {
  for (const name of ['prisma', '@prisma/client']) {
    const dir = findPackageDir(name, cwd)
    const v = dir ? readJson(path.join(dir, 'package.json'))?.version : undefined
    if (typeof v === 'string' && /^\d+/.test(v)) return v
  }
  const pkg = readJson(path.join(cwd, 'package.json'))
  const deps = {...(pkg?.dependencies as object), ...(pkg?.devDependencies as object)} as Record<string, unknown>
  for (const name of ['prisma', '@prisma/client']) {
    const m = typeof deps[name] === 'string' ? /^[\^~>=v\s]*(\d+(?:\.\d+)*)/.exec(deps[name] as string) : null
    if (m) return m[1]
  }
  return undefined
}

interface DatasourceValue {
  /** env("X") → X; undefined for a literal. */
  envVar?: string
  literal?: string
}

interface PrismaDatasource {
  name: string
  provider?: string
  url?: DatasourceValue
  directUrl?: DatasourceValue
  shadowDatabaseUrl?: DatasourceValue
}

/** Remove // and /// comments outside of strings. */
function stripComments(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      let inString = false
      for (let i = 0; i < line.length; i++) {
        const c = line[i]
        if (c === '"' && line[i - 1] !== '\\') inString = !inString
        if (!inString && c === '/' && line[i + 1] === '/') return line.slice(0, i)
      }
      return line
    })
    .join('\n')
}

function readValue(raw: string | undefined): DatasourceValue | undefined {
  if (raw === undefined) return undefined
  const v = raw.trim()
  const env = /^env\(\s*"([^"]+)"\s*\)$/.exec(v)
  if (env) return {envVar: env[1]}
  const lit = /^"((?:[^"\\]|\\.)*)"$/.exec(v)
  if (lit) return {literal: lit[1].replace(/\\(.)/g, '$1')}
  return undefined
}

/** The first `datasource` block of a schema: provider, url, directUrl. */
export function readDatasource(schema: string): PrismaDatasource | null {
  const text = stripComments(schema)
  const m = /(^|\n)\s*datasource\s+(\w+)\s*\{([^}]*)\}/.exec(text)
  if (!m) return null
  const body = m[3]
  const field = (name: string) => new RegExp(`(?:^|\\n)\\s*${name}\\s*=\\s*([^\\n]+)`).exec(body)?.[1]
  const ds: PrismaDatasource = {name: m[2]}
  const provider = readValue(field('provider'))
  if (provider?.literal) ds.provider = provider.literal
  const url = readValue(field('url'))
  if (url) ds.url = url
  const directUrl = readValue(field('directUrl'))
  if (directUrl) ds.directUrl = directUrl
  const shadow = readValue(field('shadowDatabaseUrl'))
  if (shadow) ds.shadowDatabaseUrl = shadow
  return ds
}

interface PrismaConfigFile {
  file: string
  schema?: string
  datasource?: {url?: string; directUrl?: string; shadowDatabaseUrl?: string}
  /**
   * The driver adapter the config gives `prisma migrate` in the installed version (prismaMigrateAdapterRule),
   * called as the CLI calls it: its package (the factory's adapterName) and the connection string the factory
   * was given (`new PrismaPg({connectionString})`, or a pg.Pool's options), or the error the call threw.
   */
  migrateAdapter?: {setting: string; package: string | null; connectionString?: string; error?: string}
}

/**
 * The prisma.config.* the Prisma CLI loads from `cwd`: the first of its candidates that exists and is not a
 * folder. A FIFO or a device there is found too, so that the guarded reader refuses it (exit 2, naming it)
 * rather than db-doctor going on as if there were no config.
 */
export function prismaConfigFile(cwd: string): string | undefined {
  return PRISMA_CONFIG_FILES.map((n) => path.join(cwd, n)).find((f) => {
    try {
      const st = fs.statSync(f, {throwIfNoEntry: false})
      return st !== undefined && !st.isDirectory()
    } catch {
      return false
    }
  })
}

/** Load prisma.config.* (runs its code), with the app's env applied to process.env for the load. */
async function loadPrismaConfig(
  cwd: string,
  env: Record<string, string | undefined>,
  timeoutMs?: number,
  version?: string,
): Promise<PrismaConfigFile | undefined> {
  const file = prismaConfigFile(cwd)
  if (!file) return undefined
  // Read through the guarded opener, then run in a child (config/app-code.ts) with the app's env.
  const source = readGuardedText(file, 'Prisma config')
  registerSecretsInSource(source)
  const rule = prismaMigrateAdapterRule(version)
  const mod = (await runAppFile({
    kind: 'prisma-config',
    file,
    source,
    dir: cwd,
    env,
    timeoutMs,
    label: displayPath(cwd, file),
    ...(rule ? {prismaMigrateAdapter: {key: rule.key, requires: rule.requires}} : {}),
  })) as {default?: unknown; migrateAdapter?: unknown; migrateAdapterError?: unknown} | undefined
  {
    const cfg = (
      mod && typeof mod === 'object' && 'default' in mod && mod.default !== undefined ? mod.default : mod
    ) as Record<string, unknown> | undefined
    const out: PrismaConfigFile = {file}
    if (cfg && typeof cfg.schema === 'string') out.schema = cfg.schema
    const ds = cfg?.datasource as Record<string, unknown> | undefined
    if (ds && typeof ds === 'object') {
      out.datasource = {}
      if (typeof ds.url === 'string' && ds.url !== '') out.datasource.url = ds.url
      if (typeof ds.directUrl === 'string' && ds.directUrl !== '') out.datasource.directUrl = ds.directUrl
      if (typeof ds.shadowDatabaseUrl === 'string' && ds.shadowDatabaseUrl !== '')
        out.datasource.shadowDatabaseUrl = ds.shadowDatabaseUrl
    }
    if (rule && mod && ('migrateAdapter' in mod || 'migrateAdapterError' in mod))
      out.migrateAdapter = migrateAdapterOf(rule.setting, mod.migrateAdapter, mod.migrateAdapterError)
    return out
  }
}

/**
 * What the adapter function returned, as the child encoded it: a driver adapter factory (@prisma/adapter-pg's
 * PrismaPgAdapterFactory keeps the pg.Pool config it was given as `config`, a pool's options when given a
 * pg.Pool, and names itself in `adapterName`).
 */
function migrateAdapterOf(
  setting: string,
  value: unknown,
  error: unknown,
): NonNullable<PrismaConfigFile['migrateAdapter']> {
  if (typeof error === 'string') return {setting, package: null, error: redactor.redact(error)}
  const v = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>
  const config = (v.config && typeof v.config === 'object' ? v.config : {}) as Record<string, unknown>
  const out: NonNullable<PrismaConfigFile['migrateAdapter']> = {
    setting,
    package: typeof v.adapterName === 'string' ? v.adapterName : null,
  }
  if (typeof config.connectionString === 'string' && config.connectionString.trim() !== '') {
    redactor.addFromConnectionString(config.connectionString)
    out.connectionString = config.connectionString
  }
  return out
}

/** The schema file Prisma would use (or undefined). */
export function findPrismaSchema(cwd: string, configSchema?: string): string | undefined {
  const candidates: string[] = []
  if (configSchema) candidates.push(path.resolve(cwd, configSchema))
  const pkg = readJson(path.join(cwd, 'package.json'))
  const fromPkg = (pkg?.prisma as {schema?: unknown} | undefined)?.schema
  if (typeof fromPkg === 'string') candidates.push(path.resolve(cwd, fromPkg))
  candidates.push(
    path.join(cwd, 'prisma', 'schema.prisma'),
    path.join(cwd, 'schema.prisma'),
    path.join(cwd, 'prisma', 'schema'),
  )
  for (const c of candidates) {
    assertSafeFile(c, 'Prisma schema') // a FIFO or a device named schema.prisma: a usage error
    try {
      const st = fs.statSync(c)
      if (st.isFile()) return c
      if (st.isDirectory()) {
        // multi-file schema: the file holding the datasource block
        for (const name of fs
          .readdirSync(c)
          .filter((n) => n.endsWith('.prisma'))
          .sort()) {
          const f = path.join(c, name)
          if (/(^|\n)\s*datasource\s+\w+\s*\{/.test(readGuardedText(f, 'Prisma schema'))) return f
        }
      }
    } catch (error) {
      if (error instanceof UnsafeFileError) throw error
    }
  }
  return undefined
}

/** The env variable is what to change; the label says which Prisma setting reads it. */
function viaEnv(ctx: SourceContext, name: string, via: string): Provenance {
  const env = envProvenance(ctx.envFileOf, name)
  return {...env, label: `${env.label} (via ${via})`}
}

/** What a directUrl setting's label adds: prisma migrate connects with it (the app with url); the app's words. */
function migrateUses(ctx: SourceContext): string {
  return ctx.words.prismaMigrateUse()
}

function prov(file: string, setting: string, label: string): Provenance {
  return {kind: 'prisma', name: setting, file, label}
}

/**
 * What `prisma migrate` uses: the `_prisma_migrations` table in the schema named by the URL's
 * `?schema=` (default public), the migrations folder next to the schema file.
 */
function prismaTool(
  ctx: SourceContext,
  schemaFile: string,
  layer: SourceLayer,
  ds: PrismaDatasource | null,
  config?: PrismaConfigFile,
): MigrationToolInfo {
  const dir = path.join(path.dirname(schemaFile), 'migrations')
  const tool: MigrationToolInfo = {
    name: 'prisma',
    detectedBy: displayPath(ctx.cwd, schemaFile),
    table: '_prisma_migrations',
    directories: [dir],
    displayDirectories: [displayPath(ctx.cwd, dir)],
    ...(config?.migrateAdapter && !config.migrateAdapter.error
      ? {migrateAdapter: {package: config.migrateAdapter.package, setting: config.migrateAdapter.setting}}
      : {}),
    directUrl: Boolean(config?.datasource?.directUrl ?? ds?.directUrl),
    shadowDatabaseUrl: Boolean(config?.datasource?.shadowDatabaseUrl ?? ds?.shadowDatabaseUrl),
  }
  const url = layer.connectionString?.value
  const schema = (url ? connectionParams(url)?.schema : undefined) ?? null
  tool.schema = schema || 'public'
  tool.schemaSource = schema ? `?schema= in ${layer.connectionString!.source.label}` : 'Prisma default (public)'
  return tool
}

export const prismaSource: ConfigSource = {
  id: 'prisma',
  role: 'primary',
  async load(ctx: SourceContext): Promise<SourceLayer | null> {
    let config: PrismaConfigFile | undefined
    let loadError: {file: string; message: AppFileFailure} | undefined
    // looked up once: the config's migrate adapter rule and the Prisma 7 rules below both need it
    const version = prismaVersion(ctx.cwd)
    try {
      config = await loadPrismaConfig(ctx.cwd, ctx.env, ctx.appTimeoutMs, version)
    } catch (error) {
      if (error instanceof UnsafeFileError) throw error // a FIFO, a device: a usage error (exit 2)
      if (error instanceof AppCodeLimitError) {
        const file = displayPath(ctx.cwd, prismaConfigFile(ctx.cwd) ?? 'prisma.config.ts')
        const origin: Provenance = {kind: 'prisma', name: 'datasource', file, label: file}
        return appFileLimit(origin, file, 'prisma', error)
      }
      config = undefined
      const file = prismaConfigFile(ctx.cwd)
      if (file)
        loadError = {
          file: displayPath(ctx.cwd, file),
          message: failureOf(error),
        }
    }
    const schemaFile = findPrismaSchema(ctx.cwd, config?.schema)
    const major = version === undefined ? undefined : Number.parseInt(version, 10)
    if (loadError) {
      // Prisma stops before anything else: "Failed to load config file …" (every version that reads the file)
      const origin = prov(loadError.file, 'datasource', `${loadError.file} (loading failed)`)
      const layer = toolConfigFailed(origin, loadError.file, 'prisma', loadError.message)
      if (schemaFile)
        layer.tool = prismaTool(ctx, schemaFile, layer, readDatasource(readGuardedText(schemaFile, 'Prisma schema')))
      return layer
    }
    if (major !== undefined && major >= 7) {
      const seven = prisma7Layer(ctx, config, schemaFile, major)
      if (seven) return seven
    }
    const layer = await loadConnection(ctx, config, schemaFile)
    if (layer && schemaFile) {
      const ds = readDatasource(readGuardedText(schemaFile, 'Prisma schema'))
      layer.tool = prismaTool(ctx, schemaFile, layer, ds, config)
    }
    return layer
  },
}

/**
 * Prisma 7 (prisma.config.ts holds the URLs; the CLI never reads .env):
 *   - a `url` / `directUrl` / `shadowDatabaseUrl` in the schema's datasource is a validation error
 *     (P1012 "The datasource property `url` is no longer supported in schema files") for every command;
 *   - `prisma migrate deploy` needs datasource.url in the config ("The datasource.url property is
 *     required in your Prisma config file when using prisma migrate deploy."); directUrl is gone:
 *     url is what migrate uses.
 * Returns the layer that says so, or null when the project is a valid Prisma 7 one (the config's url
 * is then read by loadConnection).
 */
function prisma7Layer(
  ctx: SourceContext,
  config: PrismaConfigFile | undefined,
  schemaFile: string | undefined,
  major: number,
): SourceLayer | null {
  const ds = schemaFile ? readDatasource(readGuardedText(schemaFile, 'Prisma schema')) : null
  if (ds?.provider && !['postgresql', 'postgres'].includes(ds.provider)) return null
  const schemaShown = schemaFile ? displayPath(ctx.cwd, schemaFile) : undefined
  const inSchema = ds ? (['url', 'directUrl', 'shadowDatabaseUrl'] as const).filter((k) => ds[k]) : []
  const cfgShown = config ? displayPath(ctx.cwd, config.file) : undefined
  const tool = (layer: SourceLayer) => {
    if (schemaFile) layer.tool = prismaTool(ctx, schemaFile, layer, ds, config)
    return layer
  }
  if (inSchema.length && schemaShown) {
    const origin = prov(schemaShown, `datasource ${ds!.name}.${inSchema[0]}`, `${schemaShown} datasource ${ds!.name}`)
    return tool({
      origin,
      fields: {},
      problems: [
        configProblem(
          'CONFIG_PRISMA_URL_IN_SCHEMA',
          origin,
          {file: schemaShown, properties: [...inSchema], major, config: cfgShown ?? null},
          {file: schemaShown, properties: inSchema, tool: 'prisma', version: major},
        ),
      ],
    })
  }
  if (!config?.datasource?.url) {
    if (!schemaShown && !cfgShown) return null
    const where = cfgShown ?? 'prisma.config.ts'
    const origin = prov(where, 'datasource.url', `${where} datasource.url (not set)`)
    return tool({
      origin,
      fields: {},
      problems: [
        configProblem(
          'CONFIG_PRISMA_CONFIG_URL_MISSING',
          origin,
          {file: where, exists: cfgShown !== undefined, major},
          {file: where, tool: 'prisma', version: major},
        ),
      ],
    })
  }
  return null
}

async function loadConnection(
  ctx: SourceContext,
  preloaded: PrismaConfigFile | undefined,
  preSchema: string | undefined,
): Promise<SourceLayer | null> {
  {
    const config = preloaded // a prisma.config.ts that cannot load: the schema alone
    const schemaFile = preSchema
    const ds = schemaFile ? readDatasource(readGuardedText(schemaFile, 'Prisma schema')) : null
    if (ds?.provider && !['postgresql', 'postgres'].includes(ds.provider)) return null
    const schemaShown = schemaFile ? displayPath(ctx.cwd, schemaFile) : undefined
    const dsName = ds?.name ?? 'db'

    // Prisma 6.6–6.19 with a driver adapter for migrate: the adapter's connection string is what it connects with
    const adapter = config?.migrateAdapter
    if (config && adapter?.connectionString) {
      const value = adapter.connectionString
      const cfgShown = displayPath(ctx.cwd, config.file)
      const vars = envVarsWithValue(ctx.env, value)
      const what = `${cfgShown} ${adapter.setting}${adapter.package ? ` (${adapter.package})` : ''}${migrateUses(ctx)}`
      const origin = prov(cfgShown, adapter.setting, what)
      const source = vars.length ? viaEnv(ctx, vars[0], what) : origin
      return {origin, connectionString: {value, source}, fields: {}}
    }

    // Prisma 7: prisma.config.ts datasource wins (the schema no longer holds URLs).
    if (config?.datasource && (config.datasource.url || config.datasource.directUrl)) {
      const which = config.datasource.directUrl ? 'directUrl' : 'url'
      const value = (config.datasource.directUrl ?? config.datasource.url)!
      redactor.addFromConnectionString(value)
      const cfgShown = displayPath(ctx.cwd, config.file)
      const vars = envVarsWithValue(ctx.env, value)
      const setting = `datasource.${which}`
      const use = which === 'directUrl' ? migrateUses(ctx) : ''
      const origin = prov(cfgShown, setting, `${cfgShown} ${setting}${use}`)
      const source = vars.length ? viaEnv(ctx, vars[0], `${cfgShown} ${setting}${use}`) : origin
      return {origin, connectionString: {value, source}, fields: {}}
    }

    if (!ds || !schemaShown) return null
    const which = ds.directUrl ? 'directUrl' : ds.url ? 'url' : undefined
    if (!which) return null
    const v = ds[which]!
    const setting = `datasource ${dsName}.${which}`
    const use = which === 'directUrl' ? migrateUses(ctx) : ''
    const value = v.envVar ? ctx.env[v.envVar] : v.literal
    if (value === undefined || value.trim() === '') {
      // env("X") unset: Prisma stops with "Environment variable not found: X" (prisma migrate for
      // directUrl, every command for url); checking another variable would test the wrong thing.
      const origin = prov(schemaShown, setting, `${schemaShown} ${setting}${use}`)
      const variable = v.envVar ?? setting
      return {
        origin: {...origin, label: `${schemaShown} ${setting} (${variable} is not set)`},
        fields: {},
        problems: [
          configProblem(
            'CONFIG_APP_FILE_ERROR',
            origin,
            {
              case: 'prisma-env-unset',
              file: schemaShown,
              setting,
              variable,
              empty: value !== undefined,
              directUrl: which === 'directUrl',
            },
            {file: schemaShown, variable, tool: 'prisma'},
          ),
        ],
      }
    }
    redactor.addFromConnectionString(value)
    const origin = prov(schemaShown, setting, `${schemaShown} ${setting}${use}`)
    const source = v.envVar ? viaEnv(ctx, v.envVar, `${schemaShown} ${setting}${use}`) : origin
    return {origin, connectionString: {value, source}, fields: {}}
  }
}
