// A target resolved once: what the checks need that is derived from a ResolvedConfig, computed at
// most once per target and run — the connection string parsed, the pg client config node-postgres
// ends up with, the SSL analysis (node-postgres vs libpq) and the password file's answer.
// resolveConfig() attaches it to the configuration it returns, bound to the environment and working
// folder it resolved with; every part is computed on first read (they may read certificate files,
// the password file, the app's installed parser). Checks read `targetOf(ctx)`, never the parsers:
// a configuration built by hand (unit tests) or read with another environment gets its own, cached
// per (config, env, cwd).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  isUrlConnectionString,
  parseConnectionString,
  pgUrlParams,
  type ConnectionStringResult,
} from './connection-string.js'
import {resolvePgClientConfig, type PgClientConfigResult} from './pg-config.js'
import {inspectPgpass, type PgpassInspection} from './pgpass.js'
import {analyzeSsl, type SslAnalysis} from './ssl.js'
import {asAppDriver} from './driver-client.js'
import type {ResolvedConfig} from './types.js'
import {appUrlParser, type UrlParserModel} from './url-parser.js'

/**
 * A configuration as resolveConfig() returns it: with what is derived from it, computed once per target
 * on first read (the parsed connection string, the pg client config, the SSL analysis, the pgpass
 * result). `target` is not enumerable; checks read it through targetOf(ctx), which also serves a
 * configuration built by hand.
 */
export type TargetedConfig = ResolvedConfig & {readonly target?: ResolvedTarget}

interface ResolvedTarget {
  /** The connection string parsed (URL or key=value); undefined when the configuration has none. Holds the password. */
  readonly connection: ConnectionStringResult | undefined
  /**
   * The pg ClientConfig the app's node-postgres ends up with (config/pg-config.ts), with where its ssl
   * came from. Throws the same PgConfigError on every call when node-postgres would refuse the
   * settings. Each call returns a fresh copy (callers may add to it). Holds the password.
   */
  pgClient(): PgClientConfigResult
  /**
   * The query parameters of a URL connection string exactly as pg-connection-string reads them
   * (raw values: ssl=1 stays "1"); null without a URL or when it does not parse.
   */
  readonly urlParams: Record<string, string> | null
  /** The URL parser the app really uses for its connection string (knex's own or pg's); undefined without one. */
  readonly urlParser: UrlParserModel | undefined
  /** The effective SSL settings as node-postgres and as libpq compute them. */
  readonly ssl: SslAnalysis
  /** What node-postgres gets from the password file for the resolved host, port, database and user. */
  readonly pgpass: PgpassInspection
}

/** What the resolver already computed for these very settings (the pgpass source's read, its parse of the string). */
interface Known {
  pgpass?: PgpassInspection
  connection?: ConnectionStringResult
}

interface Bound {
  env: Record<string, string | undefined>
  cwd: string
  target: ResolvedTarget
}

/** The target attached by resolveConfig(), and those made for other (env, cwd) pairs. */
const attached = new WeakMap<ResolvedConfig, Bound[]>()

/** Called by resolveConfig(): the target of `config` as resolved with `env` in `cwd`. */
export function attachTarget(
  config: ResolvedConfig,
  env: Record<string, string | undefined>,
  cwd: string,
  known: Known = {},
): ResolvedTarget {
  const target = createTarget(config, env, cwd, known)
  attached.set(config, [{env, cwd, target}])
  Object.defineProperty(config, 'target', {value: target, enumerable: false, configurable: true})
  return target
}

/** The derived target of the configuration a check runs on, computed once per (config, env, cwd). */
export function targetOf(ctx: {
  config: ResolvedConfig
  env: Record<string, string | undefined>
  cwd: string
}): ResolvedTarget {
  const list = attached.get(ctx.config) ?? []
  const hit = list.find((b) => b.env === ctx.env && b.cwd === ctx.cwd)
  if (hit) return hit.target
  const target = createTarget(ctx.config, ctx.env, ctx.cwd)
  list.push({env: ctx.env, cwd: ctx.cwd, target})
  attached.set(ctx.config, list)
  return target
}

const parsedByHand = new WeakMap<ResolvedConfig, ConnectionStringResult | undefined>()

/** The connection string parsed: the attached target's, or parsed once for a configuration built by hand. */
export function connectionOf(config: ResolvedConfig): ConnectionStringResult | undefined {
  const attachedTarget = (config as TargetedConfig).target
  if (attachedTarget) return attachedTarget.connection
  if (!parsedByHand.has(config)) parsedByHand.set(config, parse(config))
  return parsedByHand.get(config)
}

function parse(config: ResolvedConfig): ConnectionStringResult | undefined {
  return config.connectionString
    ? parseConnectionString(config.connectionString.value, {allowKeyValue: true})
    : undefined
}

/** Folder relative certificate paths resolve from for node-postgres: the Prisma schema's for a Prisma app, else the working folder. */
function certBase(config: ResolvedConfig, cwd: string): string {
  const src = config.primary
  if (src?.kind === 'prisma' && src.file && src.file.endsWith('.prisma'))
    return path.dirname(path.resolve(cwd, src.file))
  return cwd
}

function once<T>(compute: () => T): () => T {
  let done = false
  let value: T
  return () => {
    if (!done) {
      value = compute()
      done = true
    }
    return value
  }
}

function copyClient(r: PgClientConfigResult): PgClientConfigResult {
  const ssl = r.config.ssl
  return {...r, config: {...r.config, ...(ssl && typeof ssl === 'object' ? {ssl: {...ssl}} : {})}}
}

function createTarget(
  config: ResolvedConfig,
  env: Record<string, string | undefined>,
  cwd: string,
  known: Known = {},
): ResolvedTarget {
  const connection = once(() => known.connection ?? parse(config))
  const urlParams = once(() => {
    const cs = config.connectionString?.value
    return cs !== undefined && isUrlConnectionString(cs) ? pgUrlParams(cs.trim()) : null
  })
  const client = once((): {ok: true; result: PgClientConfigResult} | {ok: false; error: unknown} => {
    try {
      // certificate files in the URL resolve as the driver resolves them (Prisma: from the schema's folder)
      return {ok: true, result: asAppDriver(config, env, certBase(config, cwd), resolvePgClientConfig(config, env))}
    } catch (error) {
      return {ok: false, error}
    }
  })
  // the parser the app uses (loaded only when there is a URL to parse); the evidence names it when resolveConfig did
  const model = once(() => appUrlParser(config))
  const parser = () => (config.connectionString && config.urlParser ? model() : undefined)
  const ssl = once(() =>
    analyzeSsl({
      connectionString: config.connectionString,
      // The resolver keeps the ssl object of the winning (primary) layer only: the app passes both to pg.
      appSsl: config.appSsl,
      fields: config.fields,
      env,
      cwd,
      homeDir: env.HOME || os.homedir(),
      fileExists: (p) => fs.existsSync(p),
      certBase: certBase(config, cwd),
      // the parser pg-config.ts parses with: the app's (knex's for a knex string), else pg's from the working
      // folder; resolved (the app's module loaded) only when there is a URL to parse
      parse: (url) => model().parse(url),
    }),
  )
  const pgpass = once(() => {
    if (known.pgpass) return known.pgpass
    const f = config.fields
    return inspectPgpass(
      env,
      {host: f.host?.value, port: f.port?.value, database: f.database?.value, user: f.user?.value},
      cwd,
    )
  })
  return {
    get connection() {
      return connection()
    },
    pgClient() {
      const r = client()
      if (!r.ok) throw r.error
      return copyClient(r.result)
    },
    get urlParams() {
      return urlParams()
    },
    get urlParser() {
      return parser()
    },
    get ssl() {
      return ssl()
    },
    get pgpass() {
      return pgpass()
    },
  }
}
