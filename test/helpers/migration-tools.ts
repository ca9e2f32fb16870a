// The differential harness: run the user's real migration tool and db-doctor side by side on
// the same app folder, the same environment and the same database, and compare.
//
//   const app = makeApp({files: {'knexfile.cjs': '…', '.env': '…'}, packages: ['knex', 'pg']})
//   const db = await createScenarioDatabase(pg, 'knex_env_only')      // empty, owned by `app`
//   const tool = await runTool(app, ['knex', 'migrate:latest'])        // or {script: 'migrate'}
//   const doctor = await runDoctor(app, ['check', '--json'])
//   expect(doctor.code === 0).toBe(tool.connected)
//
// What is real here:
// - The app folder is a fresh temp dir (outside this repository, so nothing resolves from our own
//   node_modules by walking up) with its own node_modules holding symlinks to EXACTLY the
//   packages the scenario has (plus their dependency closure, as npm would install them).
//   "dotenv installed in the app" vs "not installed" is therefore a real condition: knexfiles that
//   `require('dotenv')`, `node -r dotenv/config` and node-pg-migrate's `import('dotenv')` find it
//   or not, exactly as in a real project.
// - The tools are the real CLIs installed in this repository (knex 3.3, node-pg-migrate 9), run
//   from the app's node_modules. Every node process runs with --preserve-symlinks (through
//   NODE_OPTIONS), so a package resolves its own requires from the app's node_modules and not
//   from the real path inside this repository: node-pg-migrate sees dotenv only when the app has it.
// - node_modules/.bin/<tool> are small JS launchers (not shell scripts), so package.json scripts
//   such as `node --env-file=.env node_modules/.bin/knex migrate:latest` work as they do after
//   `npm install`. A script is run like `npm run` runs it: `sh -c`, with node_modules/.bin first
//   on PATH, in the app folder.
// - The environment is cleanEnv() (none of the machine's DATABASE_/PG* variables) plus what the
//   scenario passes; db-doctor runs with the same environment in the same folder.
// - Each scenario migrates its own empty database on the shared test server; `connected` is the
//   tool's exit 0 AND its migrations table existing in that database afterwards.
import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, chmodSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {cleanEnv, ROOT, runCli, type CliResult} from './cli.js'
import {APP_USER} from './constants.js'
import type {PgInfo} from './postgres.js'

const MAIN_MODULES = path.join(ROOT, 'node_modules')

/** CLIs the harness can put in node_modules/.bin: bin name -> [package, file inside it]. */
const BINS: Record<string, [string, string]> = {
  knex: ['knex', 'bin/cli.js'],
  'node-pg-migrate': ['node-pg-migrate', 'bin/node-pg-migrate.js'],
  typeorm: ['typeorm', 'cli.js'],
  sequelize: ['sequelize-cli', 'lib/sequelize'],
  'sequelize-cli': ['sequelize-cli', 'lib/sequelize'],
  tsx: ['tsx', 'dist/cli.mjs'],
  'drizzle-kit': ['drizzle-kit', 'bin.cjs'],
}

/** Bins that are ES modules: their launcher imports them. */
const ESM_BINS = new Set(['node-pg-migrate', 'tsx'])

/**
 * Installed under another name in this repository (npm aliases for old versions): the app gets
 * `node_modules/<as>` pointing at it, as `npm install <as>@<old version>` would give it.
 * Write `'typeorm-03 as typeorm'` in `packages`.
 */
function aliasOf(spec: string): {pkg: string; as: string} {
  const m = /^(\S+) as (\S+)$/.exec(spec)
  return m ? {pkg: m[1]!, as: m[2]!} : {pkg: spec, as: spec}
}

export interface App {
  dir: string
  /** Packages installed in the app's node_modules (top level, including the dependency closure). */
  installed: string[]
  cleanup(): void
}

export interface MakeAppOptions {
  /** Relative path -> content. Folders are created as needed. */
  files: Record<string, string>
  /**
   * Packages the app has installed (e.g. ['knex', 'pg'] or ['node-pg-migrate', 'pg', 'dotenv']).
   * Their dependency closure is added as npm would. Default: none.
   */
  packages?: string[]
  /** Create an empty migrations/ folder (both tools' default) unless `files` has one. Default true. */
  migrationsDir?: boolean
}

/** Folder of a package as Node would resolve it from `fromDir` inside this repository's node_modules. */
function resolvePackageDir(name: string, fromDir: string): string | undefined {
  let dir = fromDir
  for (;;) {
    const candidate = path.join(dir, 'node_modules', name)
    if (existsSync(path.join(candidate, 'package.json'))) return candidate
    const parent = path.dirname(dir)
    if (parent === dir || !parent.startsWith(ROOT)) return undefined
    dir = parent
  }
}

/** Top-level packages (hoisted in our node_modules) needed to run `names`: the closure, as npm would install it. */
export function dependencyClosure(names: string[]): string[] {
  const top = new Set<string>()
  const seen = new Set<string>()
  const visit = (name: string, fromDir: string, optional: boolean) => {
    const dir = resolvePackageDir(name, fromDir)
    if (!dir) {
      if (optional) return
      throw new Error(`migration-tools: ${name} is not installed in ${MAIN_MODULES}`)
    }
    if (seen.has(dir)) return
    seen.add(dir)
    if (
      path.dirname(dir) === MAIN_MODULES ||
      (path.dirname(path.dirname(dir)) === MAIN_MODULES && name.startsWith('@'))
    ) {
      top.add(name)
    }
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Record<
      string,
      Record<string, string> | undefined
    >
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, dir, false)
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) visit(dep, dir, true)
  }
  for (const n of names) visit(n, ROOT, false)
  return [...top].sort()
}

/**
 * An app whose migration is a plain script on postgres.js (`npm run migrate` → `node migrate.mjs`): `js` is the
 * file, `driver` the installed package (`postgres`, or `postgres-3 as postgres` for 3.4).
 */
export function postgresJsScriptApp(driver: string, js: string): App {
  return makeApp({
    files: {
      'migrate.mjs': js,
      'package.json': JSON.stringify({
        name: 'app',
        private: true,
        scripts: {migrate: 'node migrate.mjs'},
        dependencies: {postgres: '*'},
      }),
    },
    packages: [driver],
  })
}

export function makeApp(opts: MakeAppOptions): App {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dbd-app-'))
  for (const [rel, content] of Object.entries(opts.files)) {
    const file = path.join(dir, rel)
    mkdirSync(path.dirname(file), {recursive: true})
    writeFileSync(file, content)
  }
  if (opts.migrationsDir !== false) mkdirSync(path.join(dir, 'migrations'), {recursive: true})
  const specs = (opts.packages ?? []).map(aliasOf)
  const aliased = new Map(specs.filter((s) => s.pkg !== s.as).map((s) => [s.pkg, s.as]))
  const closure = dependencyClosure(specs.map((s) => s.pkg))
  // an aliased package takes its alias's name; the package of that name itself is not installed
  const installed = closure
    .filter((n) => ![...aliased.values()].includes(n) || aliased.has(n))
    .map((n) => aliased.get(n) ?? n)
  if (installed.length) {
    const nm = path.join(dir, 'node_modules')
    mkdirSync(path.join(nm, '.bin'), {recursive: true})
    for (const name of closure) {
      if ([...aliased.values()].includes(name) && !aliased.has(name)) continue
      const link = path.join(nm, aliased.get(name) ?? name)
      mkdirSync(path.dirname(link), {recursive: true})
      symlinkSync(path.join(MAIN_MODULES, name), link, 'dir')
    }
    for (const [bin, [pkg, file]] of Object.entries(BINS)) {
      if (!installed.includes(pkg)) continue
      const launcher = path.join(nm, '.bin', bin)
      // CommonJS launcher (no package.json scope inside node_modules): works both as
      // `node node_modules/.bin/knex` and as an executable on PATH.
      const target = JSON.stringify(`../${pkg}/${file}`)
      const body = ESM_BINS.has(pkg) ? `import(require('node:path').join(__dirname, ${target}))` : `require(${target})`
      writeFileSync(launcher, `#!/usr/bin/env node\n${body}\n`)
      chmodSync(launcher, 0o755)
    }
  }
  return {dir, installed, cleanup: () => rmSync(dir, {recursive: true, force: true})}
}

export interface ToolResult {
  code: number | null
  stdout: string
  stderr: string
  /** The tool exited 0 and (when a database was given) its migrations table now exists there. */
  connected: boolean
  /** The tool's own error line when it did not connect (first line that reads like an error). */
  errorLine?: string
  /** What was run, for failure messages. */
  command: string
}

export interface RunOptions {
  /** Extra environment (undefined deletes a variable). Applied over cleanEnv(). */
  env?: Record<string, string | undefined>
  timeoutMs?: number
  /** The scenario database: `connected` also requires the tool's migrations table there. */
  database?: ScenarioDatabase
}

/** An app's package.json with these scripts. */
export function appPackageJson(scripts: Record<string, string>): string {
  return JSON.stringify({name: 'app', private: true, scripts}, null, 2)
}

/** The environment both the tool and db-doctor get. */
export function appEnv(app: App, extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env = cleanEnv(extra)
  const bin = path.join(app.dir, 'node_modules', '.bin')
  env.PATH = [bin, path.dirname(process.execPath), env.PATH ?? ''].join(path.delimiter)
  // Resolve every package from the app's node_modules (see the header). Not a user setting:
  // appended to whatever the scenario passes.
  env.NODE_OPTIONS = [extra.NODE_OPTIONS, '--preserve-symlinks', '--preserve-symlinks-main'].filter(Boolean).join(' ')
  return env
}

function run(cmd: string, args: string[], cwd: string, env: Record<string, string>, timeoutMs: number) {
  return new Promise<{code: number | null; stdout: string; stderr: string}>((resolve, reject) => {
    const child = spawn(cmd, args, {cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL')
      } catch {}
    }, timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, stderr})
    })
  })
}

const ERROR_LINE =
  /error|refused|SASL|password|ENOTFOUND|EAI_AGAIN|timeout|timed out|Unable to acquire|does not exist|certificate|not permitted|no pg_hba|unsupported/i

function errorLineOf(stdout: string, stderr: string): string | undefined {
  const lines = `${stderr}\n${stdout}`
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
  return lines.find((l) => ERROR_LINE.test(l) && !/^at /.test(l)) ?? lines.at(-1)
}

/**
 * Run the real tool in the app folder.
 * - argv: ['knex', 'migrate:latest'] or ['node-pg-migrate', 'up'] runs node_modules/.bin/<tool>
 *   directly with node (no loader: how `npx knex migrate:latest` runs).
 * - {script: 'migrate'}: the package.json script, as `npm run migrate` runs it.
 */
export async function runTool(app: App, what: string[] | {script: string}, opts: RunOptions = {}): Promise<ToolResult> {
  const env = appEnv(app, opts.env)
  const timeoutMs = opts.timeoutMs ?? 60_000
  let res: {code: number | null; stdout: string; stderr: string}
  let command: string
  if (Array.isArray(what)) {
    const [bin, ...rest] = what
    const launcher = path.join(app.dir, 'node_modules', '.bin', bin!)
    if (!existsSync(launcher))
      throw new Error(`migration-tools: ${bin} is not installed in this app (packages: ${app.installed.join(', ')})`)
    command = what.join(' ')
    res = await run(process.execPath, [launcher, ...rest], app.dir, env, timeoutMs)
  } else {
    const pkg = JSON.parse(readFileSync(path.join(app.dir, 'package.json'), 'utf8')) as {
      scripts?: Record<string, string>
    }
    const script = pkg.scripts?.[what.script]
    if (!script) throw new Error(`migration-tools: no "${what.script}" script in package.json`)
    command = script
    res = await run('/bin/sh', ['-c', script], app.dir, {...env, npm_lifecycle_event: what.script}, timeoutMs)
  }
  let connected = res.code === 0
  if (connected && opts.database) connected = await migrationsTableExists(opts.database)
  const result: ToolResult = {...res, connected, command}
  if (!connected) result.errorLine = errorLineOf(res.stdout, res.stderr)
  return result
}

/** db-doctor in the same folder with the same environment as runTool. */
export function runDoctor(
  app: App,
  args: string[],
  opts: {env?: Record<string, string | undefined>; timeoutMs?: number} = {},
): Promise<CliResult> {
  const env: Record<string, string | undefined> = {...appEnv(app, opts.env)}
  // db-doctor itself runs from this repository (bin/run.js), like an npx-installed tool would,
  // without the harness's --preserve-symlinks (only what the scenario set).
  env.NODE_OPTIONS = opts.env?.NODE_OPTIONS
  return runCli(args, {cwd: app.dir, env, timeoutMs: opts.timeoutMs})
}

// ---------------------------------------------------------------------------------------------
// scenario databases

export interface ScenarioDatabase {
  name: string
  pg: PgInfo
  /** postgres://app:…@127.0.0.1:port/name (percent-encoding not needed for the canary). */
  url(password: string, query?: string): string
  drop(): Promise<void>
}

async function superClient(pg: PgInfo, database = 'postgres') {
  const {default: pgLib} = await import('pg')
  const client = new pgLib.Client({
    host: pg.host,
    port: pg.port,
    user: pg.superuser.user,
    password: pg.superuser.password,
    database,
    ssl: {ca: pg.caPem, servername: 'localhost'},
    connectionTimeoutMillis: 10_000,
  })
  await client.connect()
  return client
}

let counter = 0

/** A fresh empty database owned by `owner` (default: the `app` role), for one scenario to migrate. */
export async function createScenarioDatabase(pg: PgInfo, label: string, owner = APP_USER): Promise<ScenarioDatabase> {
  const name = `dif_${label
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 30)}_${process.pid}_${++counter}`
  const client = await superClient(pg)
  try {
    await client.query(`create database "${name}" owner "${owner}"`)
  } finally {
    await client.end()
  }
  return {
    name,
    pg,
    url: (password, query) =>
      `postgres://${owner}:${password}@${pg.host}:${pg.port}/${name}${query ? `?${query}` : ''}`,
    drop: async () => {
      const c = await superClient(pg)
      try {
        await c.query(`drop database if exists "${name}" with (force)`)
      } finally {
        await c.end()
      }
    },
  }
}

/** Whether a migration tool's table (knex, node-pg-migrate, TypeORM, sequelize-cli, drizzle-kit) exists in the database (any schema). */
export async function migrationsTableExists(db: ScenarioDatabase): Promise<boolean> {
  const client = await superClient(db.pg, db.name)
  try {
    const r = await client.query(
      `select 1 from information_schema.tables where table_name in ('knex_migrations', 'pgmigrations', 'migrations', 'SequelizeMeta', '__drizzle_migrations')`,
    )
    return (r.rowCount ?? 0) > 0
  } finally {
    await client.end()
  }
}
