// The child process that runs an app file (a knexfile, a prisma.config.ts, a TypeORM data source,
// sequelize-cli's .sequelizerc and config.js) for db-doctor
// (config/app-code.ts starts it; docs/app-code.md says when). It receives the file's text over the
// IPC channel (never its password: argv is `node app-child.js`, the environment is the app's own),
// evaluates it with jiti the way the tool would load it, settles what the tool would settle (an
// exported function, a promise, knex's `connection` function), and sends back the value as JSON
// with functions and buffers encoded (APP_VALUE_TAG). Its stdout and stderr are the parent's to
// capture; its time and memory are the parent's to limit. Self-contained on purpose: it is a
// separate bundle entry and starts in a few tens of milliseconds.
import fs from 'node:fs'
import Module from 'node:module'
import path from 'node:path'

interface AppJob {
  /** module: a tool's JS/TS config module (sequelize-cli); typeorm: a data source, `typeorm` a stand-in. */
  kind: 'knexfile' | 'prisma-config' | 'drizzle-config' | 'typeorm' | 'module'
  file: string
  source: string
  /** knex: the environment whose `connection` function is called. */
  knexEnv?: string
  /** module: a default export that is a function is called and awaited (sequelize-cli's config.js). */
  callDefault?: boolean
  /**
   * prisma-config: the driver adapter the installed Prisma CLI gives `prisma migrate` (6.6–6.19), called
   * and awaited as the CLI calls it; what it returns (the adapter factory, with the config it was given)
   * comes back as `migrateAdapter`. See models/tools/prisma.ts prismaMigrateAdapterRule.
   */
  prismaMigrateAdapter?: {key: 'migrate.adapter' | 'adapter'; requires: 'none' | 'experimental' | 'engine-js'}
}

/** The adapter function prisma.config.* gives `prisma migrate`, when the rule's conditions hold. */
function migrateAdapterFn(
  cfg: unknown,
  rule: NonNullable<AppJob['prismaMigrateAdapter']>,
): ((...args: unknown[]) => unknown) | undefined {
  if (!isPlainObject(cfg)) return undefined
  const experimental = isPlainObject(cfg.experimental) && cfg.experimental.adapter === true
  if (rule.requires === 'experimental' && !experimental) return undefined
  if (rule.requires === 'engine-js' && (!experimental || cfg.engine !== 'js')) return undefined
  const holder = rule.key === 'migrate.adapter' ? cfg.migrate : cfg
  const fn = isPlainObject(holder) ? holder.adapter : undefined
  return typeof fn === 'function' ? (fn as (...args: unknown[]) => unknown) : undefined
}

/** dotenv stubbed for TypeORM and sequelize-cli: db-doctor models who reads .env (config/launch.ts). */
const DOTENV_STUB = {config: () => ({parsed: {}}), default: {config: () => ({parsed: {}})}}

/** A stand-in for the `typeorm` package: DataSource records its options; decorators and the rest do nothing. */
function typeormStandIn(seen: Array<Record<string, unknown>>): Record<string, unknown> {
  class DataSource {
    readonly '@instanceof' = Symbol.for('DataSource')
    options: Record<string, unknown>
    isInitialized = false
    constructor(options: unknown) {
      this.options = options && typeof options === 'object' ? (options as Record<string, unknown>) : {}
      seen.push(this.options)
    }
    setOptions(o: Record<string, unknown>) {
      Object.assign(this.options, o)
      return this
    }
    async initialize() {
      return this
    }
    async destroy() {}
  }
  const inert = function (this: unknown) {
    return () => undefined
  } as unknown as () => unknown
  const target: Record<string, unknown> = {DataSource, Connection: DataSource, __esModule: true}
  target.default = target
  return new Proxy(target, {
    get: (t, k) => (k in t ? t[k as string] : typeof k === 'string' && k !== 'then' ? inert : undefined),
    has: (t, k) => k in t || (typeof k === 'string' && k !== 'then'),
  })
}

/** The DataSource options a module exports: a DataSource instance (the CLI's rule), else the last one created. */
function dataSourceOptions(mod: unknown, seen: Array<Record<string, unknown>>): Record<string, unknown> | undefined {
  const isDs = (v: unknown): v is {options: Record<string, unknown>} =>
    !!v && typeof v === 'object' && (v as Record<string, unknown>)['@instanceof'] === Symbol.for('DataSource')
  if (mod && typeof mod === 'object') {
    const m = mod as Record<string, unknown>
    if (isDs(m.default)) return m.default.options
    for (const v of Object.values(m)) if (isDs(v)) return v.options
    const def = m.default
    if (def && typeof def === 'object') for (const v of Object.values(def)) if (isDs(v)) return v.options
  }
  return seen.at(-1)
}

/** The key that marks an encoded function, buffer or cut value in the JSON sent back. */
const TAG = '\u0000dbd'
const MAX_NODES = 20_000
const MAX_DEPTH = 24
const MAX_STRING = 256 * 1024

function send(message: unknown): void {
  process.send?.(message, () => process.exit(0))
}

function firstLine(e: unknown): {name: string; message: string} {
  const err = e as {name?: unknown; message?: unknown}
  const message = e instanceof Error || (err && typeof err === 'object' && 'message' in err) ? err.message : e
  const name = e instanceof Error && typeof err.name === 'string' ? err.name : 'Error'
  return {name: name.slice(0, 100), message: String(message).split('\n')[0]!.slice(0, 2000)}
}

let replied = false
function fail(e: unknown): void {
  if (replied) return
  replied = true
  send({ok: false, error: firstLine(e)})
}

/** Whether a checkServerIdentity function accepts a certificate for another host (a no-op). */
function acceptsAnyHost(fn: (...a: unknown[]) => unknown): boolean {
  try {
    const cert = {subject: {CN: 'other.invalid'}, subjectaltname: 'DNS:other.invalid', raw: Buffer.alloc(0)}
    return fn('db-doctor-check.invalid', cert) === undefined
  } catch {
    return false
  }
}

function encode(value: unknown): unknown {
  let nodes = 0
  const seen = new Set<unknown>()
  const walk = (v: unknown, depth: number, key: string): unknown => {
    if (++nodes > MAX_NODES || depth > MAX_DEPTH) return {[TAG]: 'cut'}
    if (typeof v === 'string') return v.length > MAX_STRING ? v.slice(0, MAX_STRING) : v
    if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return v
    if (typeof v === 'bigint') return String(v)
    if (typeof v === 'symbol') return undefined
    if (typeof v === 'function') {
      const fn = v as (...a: unknown[]) => unknown
      return {
        [TAG]: 'function',
        name: typeof fn.name === 'string' ? fn.name.slice(0, 200) : '',
        ...(key === 'checkServerIdentity' ? {anyHost: acceptsAnyHost(fn)} : {}),
      }
    }
    if (Buffer.isBuffer(v) || v instanceof Uint8Array)
      return {[TAG]: 'buffer', base64: Buffer.from(v.subarray(0, MAX_STRING)).toString('base64')}
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString()
    if (seen.has(v)) return {[TAG]: 'cut'}
    seen.add(v)
    try {
      if (Array.isArray(v)) return v.slice(0, 1000).map((x) => walk(x, depth + 1, ''))
      const out: Record<string, unknown> = {}
      for (const k of Object.keys(v as object).slice(0, 1000)) {
        let x: unknown
        try {
          x = (v as Record<string, unknown>)[k] // a getter may throw
        } catch {
          continue
        }
        out[k] = walk(x, depth + 1, k)
      }
      return out
    } finally {
      seen.delete(v)
    }
  }
  return walk(value, 0, '')
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * A plain CommonJS file (.js / .cjs, no import/export syntax, not in a "type": "module" package):
 * Node's own loader, as the knex CLI requires it, without loading jiti (most knexfiles).
 */
function plainCommonJs(job: AppJob): boolean {
  if (job.kind !== 'knexfile' || !/\.c?js$/.test(job.file)) return false
  if (/^\s*(?:import\s*[\w{*'"]|export\s)/m.test(job.source)) return false
  if (job.file.endsWith('.cjs')) return true
  try {
    let dir = path.dirname(job.file)
    for (;;) {
      const f = path.join(dir, 'package.json')
      const st = fs.statSync(f, {throwIfNoEntry: false})
      if (st) {
        if (!st.isFile() || st.size > 4 * 1024 * 1024) return false // never block on a FIFO here
        const type = (JSON.parse(fs.readFileSync(f, 'utf8')) as {type?: unknown}).type
        return type !== 'module'
      }
      const parent = path.dirname(dir)
      if (parent === dir) return true
      dir = parent
    }
  } catch {
    return false
  }
}

function loadCommonJs(job: AppJob): unknown {
  const m = new Module(job.file)
  m.filename = job.file
  m.paths = (Module as unknown as {_nodeModulePaths(dir: string): string[]})._nodeModulePaths(path.dirname(job.file))
  ;(m as unknown as {_compile(source: string, file: string): void})._compile(job.source, job.file)
  return m.exports
}

async function settleKnex(job: AppJob, mod: unknown): Promise<unknown> {
  let all: unknown =
    mod && typeof mod === 'object' && 'default' in mod && (mod as {default?: unknown}).default !== undefined
      ? (mod as {default?: unknown}).default
      : mod
  if (typeof all === 'function') all = await (all as () => unknown)()
  all = await all
  if (isPlainObject(all)) {
    // knex: config[env] || config; its connection function is called (copies: the export may be frozen)
    const env = job.knexEnv ?? 'development'
    const key = all[env] !== undefined && all[env] !== null ? env : undefined
    const config = key ? all[key] : all
    if (isPlainObject(config) && typeof config.connection === 'function') {
      const settled = {...config, connection: await (config.connection as () => unknown)()}
      return key ? {...all, [key]: settled} : settled
    }
  }
  return all
}

async function run(job: AppJob): Promise<unknown> {
  if (plainCommonJs(job)) {
    process.send?.({ready: true})
    return settleKnex(job, loadCommonJs(job))
  }
  const {createJiti} = await import('jiti')
  const envFn = (name: string) => {
    const v = process.env[name]
    if (v === undefined) throw new Error(`Cannot resolve environment variable: ${name}.`)
    return v
  }
  const seen: Array<Record<string, unknown>> = []
  const toolModules = {'dotenv/config': {}, dotenv: DOTENV_STUB, 'reflect-metadata': {}}
  const jiti = createJiti(job.file, {
    moduleCache: false,
    fsCache: false,
    interopDefault: job.kind === 'knexfile' || job.kind === 'prisma-config' || job.kind === 'drizzle-config',
    ...(job.kind === 'prisma-config'
      ? {virtualModules: {'prisma/config': {defineConfig: (c: unknown) => c, env: envFn}, 'dotenv/config': {}}}
      : job.kind === 'drizzle-config'
        ? // drizzle-kit loads .env itself before the file runs: the app's env is already the child's
          {virtualModules: {...toolModules, 'drizzle-kit': {defineConfig: (c: unknown) => c}}}
        : job.kind === 'typeorm'
          ? {virtualModules: {...toolModules, typeorm: typeormStandIn(seen)}}
          : job.kind === 'module'
            ? {virtualModules: toolModules}
            : {}),
  })
  try {
    // the transpiler loads before the budget starts: --timeout bounds the file's code, not this
    jiti.transform({source: job.source, filename: job.file, async: true, ts: /\.[cm]?ts$/.test(job.file)})
  } catch {
    // a syntax error: evalModule below reports it
  }
  process.send?.({ready: true})
  const mod = (await jiti.evalModule(job.source, {
    id: job.file,
    filename: job.file,
    ext: path.extname(job.file),
    async: true,
    forceTranspile: true,
  })) as {default?: unknown} | undefined
  if (job.kind === 'typeorm' || job.kind === 'module') {
    // every export awaited (a data source may be exported as a promise)
    const out: Record<string, unknown> = {}
    if (mod && (typeof mod === 'object' || typeof mod === 'function'))
      for (const [k, v] of Object.entries(mod as Record<string, unknown>)) out[k] = await v
    if (!('default' in out)) out.default = mod
    if (job.kind === 'typeorm') return {options: dataSourceOptions(out, seen)}
    if (job.callDefault && typeof out.default === 'function') out.default = await (out.default as () => unknown)()
    return {default: out.default}
  }
  if (job.kind === 'prisma-config' || job.kind === 'drizzle-config') {
    // defineConfig may be given a promise
    const settled = mod && typeof mod === 'object' && 'default' in mod ? {default: await mod.default} : mod
    const fn = job.prismaMigrateAdapter
      ? migrateAdapterFn((settled as {default?: unknown} | undefined)?.default ?? settled, job.prismaMigrateAdapter)
      : undefined
    if (!fn) return settled
    // as the CLI does: 6.6–6.11 `await config.migrate?.adapter(process.env)`, 6.12+ `await config.adapter()`
    try {
      const migrateAdapter: unknown = await (job.prismaMigrateAdapter!.key === 'migrate.adapter'
        ? fn(process.env)
        : fn())
      return {...(settled as object), migrateAdapter}
    } catch (error) {
      return {...(settled as object), migrateAdapterError: String((error as Error)?.message ?? error).split('\n')[0]}
    }
  }
  return settleKnex(job, mod)
}

// Keep the child alive while the file's promises are pending: a promise that never settles is the
// budget's to end (CONFIG_APP_FILE_LIMIT), not an empty event loop's (a silent exit 0).
const keepAlive = setInterval(() => {}, 60_000)
void keepAlive
process.on('uncaughtException', fail)
process.on('unhandledRejection', fail)
process.once('message', (job: AppJob) => {
  run(job).then((value) => {
    if (replied) return
    replied = true
    let encoded: unknown
    try {
      encoded = encode(value)
    } catch (error) {
      replied = false
      return fail(error)
    }
    send({ok: true, value: encoded})
  }, fail)
})
