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
// sslaccept=strict|accept_invalid_certs) are Prisma's engine semantics; with
// the pg driver adapter (Prisma 7's default) node-postgres semantics apply.
import fs from 'node:fs'
import path from 'node:path'
import {guardAppCode} from '../app-code.js'
import {capturingStdout} from '../app-output.js'
import {redactor, registerSecretsInSource} from '../../core/redact.js'
import {connectionParams} from '../connection-string.js'
import {displayPath, envProvenance} from '../env.js'
import {configProblem} from '../problems.js'
import type {ConfigSource, MigrationToolInfo, Provenance, SourceContext, SourceLayer} from '../types.js'
import {envVarsWithValue, readJson} from '../util.js'

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

const CONFIG_NAMES = ['prisma.config.ts', 'prisma.config.mts', 'prisma.config.js', 'prisma.config.mjs', 'prisma.config.cjs', '.config/prisma.ts']

interface PrismaConfigFile {
  file: string
  schema?: string
  datasource?: {url?: string; directUrl?: string; shadowDatabaseUrl?: string}
}

/** Load prisma.config.* (runs its code), with the app's env applied to process.env for the load. */
async function loadPrismaConfig(cwd: string, env: Record<string, string | undefined>, timeoutMs?: number): Promise<PrismaConfigFile | undefined> {
  const file = CONFIG_NAMES.map((n) => path.join(cwd, n)).find((f) => fs.existsSync(f))
  if (!file) return undefined
  const snapshot = {...process.env}
  for (const [k, v] of Object.entries(env)) if (v !== undefined && process.env[k] !== v) process.env[k] = v
  try {
    const {createJiti} = await import('jiti')
    const envFn = (name: string) => {
      const v = process.env[name]
      if (v === undefined) throw new Error(`Cannot resolve environment variable: ${name}.`)
      return v
    }
    const jiti = createJiti(file, {
      moduleCache: false,
      fsCache: false,
      interopDefault: true,
      virtualModules: {'prisma/config': {defineConfig: (c: unknown) => c, env: envFn}, 'dotenv/config': {}},
    })
    const source = fs.readFileSync(file, 'utf8')
    registerSecretsInSource(source)
    try {
      jiti.transform({source, filename: file, async: true, ts: /\.[cm]?ts$/.test(file)}) // the transpiler loads outside the budget
    } catch {}
    // Untrusted code: bounded by --timeout, no process.exit, async throws become the load's error.
    const mod = (await capturingStdout(displayPath(cwd, file), () =>
      guardAppCode(file, timeoutMs, async (): Promise<unknown> => {
        const m = (await jiti.evalModule(source, {id: file, filename: file, ext: path.extname(file), async: true, forceTranspile: true})) as {default?: unknown} | undefined
        // prisma's defineConfig may be given a promise; wait for it inside the budget too
        if (m && typeof m === 'object' && 'default' in m) return {default: await (m as {default?: unknown}).default}
        return m
      }),
    )) as {default?: unknown} | undefined
    const cfg = (mod && typeof mod === 'object' && 'default' in mod && mod.default !== undefined ? mod.default : mod) as Record<string, unknown> | undefined
    const out: PrismaConfigFile = {file}
    if (cfg && typeof cfg.schema === 'string') out.schema = cfg.schema
    const ds = cfg?.datasource as Record<string, unknown> | undefined
    if (ds && typeof ds === 'object') {
      out.datasource = {}
      if (typeof ds.url === 'string' && ds.url !== '') out.datasource.url = ds.url
      if (typeof ds.directUrl === 'string' && ds.directUrl !== '') out.datasource.directUrl = ds.directUrl
      if (typeof ds.shadowDatabaseUrl === 'string' && ds.shadowDatabaseUrl !== '') out.datasource.shadowDatabaseUrl = ds.shadowDatabaseUrl
    }
    return out
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in snapshot)) delete process.env[k]
    for (const [k, v] of Object.entries(snapshot)) if (process.env[k] !== v) process.env[k] = v
  }
}

/** The schema file Prisma would use (or undefined). */
export function findPrismaSchema(cwd: string, configSchema?: string): string | undefined {
  const candidates: string[] = []
  if (configSchema) candidates.push(path.resolve(cwd, configSchema))
  const pkg = readJson(path.join(cwd, 'package.json'))
  const fromPkg = (pkg?.prisma as {schema?: unknown} | undefined)?.schema
  if (typeof fromPkg === 'string') candidates.push(path.resolve(cwd, fromPkg))
  candidates.push(path.join(cwd, 'prisma', 'schema.prisma'), path.join(cwd, 'schema.prisma'), path.join(cwd, 'prisma', 'schema'))
  for (const c of candidates) {
    try {
      const st = fs.statSync(c)
      if (st.isFile()) return c
      if (st.isDirectory()) {
        // multi-file schema: the file holding the datasource block
        for (const name of fs.readdirSync(c).filter((n) => n.endsWith('.prisma')).sort()) {
          const f = path.join(c, name)
          if (/(^|\n)\s*datasource\s+\w+\s*\{/.test(fs.readFileSync(f, 'utf8'))) return f
        }
      }
    } catch {}
  }
  return undefined
}

/** The env variable is what to change; the label says which Prisma setting reads it. */
function viaEnv(ctx: SourceContext, name: string, via: string): Provenance {
  const env = envProvenance(ctx.envFileOf, name)
  return {...env, label: `${env.label} (via ${via})`}
}

function prov(file: string, setting: string, label: string): Provenance {
  return {kind: 'prisma', name: setting, file, label}
}

/**
 * What `prisma migrate` uses: the `_prisma_migrations` table in the schema named by the URL's
 * `?schema=` (default public), the migrations folder next to the schema file.
 */
function prismaTool(ctx: SourceContext, schemaFile: string, layer: SourceLayer, ds: PrismaDatasource | null, config?: PrismaConfigFile): MigrationToolInfo {
  const dir = path.join(path.dirname(schemaFile), 'migrations')
  const tool: MigrationToolInfo = {
    name: 'prisma',
    detectedBy: displayPath(ctx.cwd, schemaFile),
    table: '_prisma_migrations',
    directories: [dir],
    displayDirectories: [displayPath(ctx.cwd, dir)],
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
    try {
      config = await loadPrismaConfig(ctx.cwd, ctx.env, ctx.appTimeoutMs)
    } catch {
      config = undefined
    }
    const schemaFile = findPrismaSchema(ctx.cwd, config?.schema)
    const layer = await loadConnection(ctx, config, schemaFile)
    if (layer && schemaFile) {
      const ds = readDatasource(fs.readFileSync(schemaFile, 'utf8'))
      layer.tool = prismaTool(ctx, schemaFile, layer, ds, config)
    }
    return layer
  },
}

async function loadConnection(ctx: SourceContext, preloaded: PrismaConfigFile | undefined, preSchema: string | undefined): Promise<SourceLayer | null> {
  {
    const config = preloaded // a prisma.config.ts that cannot load: the schema alone
    const schemaFile = preSchema
    const ds = schemaFile ? readDatasource(fs.readFileSync(schemaFile, 'utf8')) : null
    if (ds?.provider && !['postgresql', 'postgres'].includes(ds.provider)) return null
    const schemaShown = schemaFile ? displayPath(ctx.cwd, schemaFile) : undefined
    const dsName = ds?.name ?? 'db'

    // Prisma 7: prisma.config.ts datasource wins (the schema no longer holds URLs).
    if (config?.datasource && (config.datasource.url || config.datasource.directUrl)) {
      const which = config.datasource.directUrl ? 'directUrl' : 'url'
      const value = (config.datasource.directUrl ?? config.datasource.url)!
      redactor.addFromConnectionString(value)
      const cfgShown = displayPath(ctx.cwd, config.file)
      const vars = envVarsWithValue(ctx.env, value)
      const setting = `datasource.${which}`
      const use = which === 'directUrl' ? ', used by prisma migrate' : ''
      const origin = prov(cfgShown, setting, `${cfgShown} ${setting}${use}`)
      const source = vars.length ? viaEnv(ctx, vars[0], `${cfgShown} ${setting}${use}`) : origin
      return {origin, connectionString: {value, source}, fields: {}}
    }

    if (!ds || !schemaShown) return null
    const which = ds.directUrl ? 'directUrl' : ds.url ? 'url' : undefined
    if (!which) return null
    const v = ds[which]!
    const setting = `datasource ${dsName}.${which}`
    const use = which === 'directUrl' ? ', used by prisma migrate' : ''
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
            {case: 'prisma-env-unset', file: schemaShown, setting, variable, empty: value !== undefined, directUrl: which === 'directUrl'},
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
