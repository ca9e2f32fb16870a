// How the app's migration tool is launched, and therefore which environment it sees.
//
// db-doctor reads the env file (.env or --env-file) like an app that loads dotenv. The migration
// tools do not all do that:
//   - the knex CLI never reads .env (only what the shell exports, or a knexfile that loads dotenv);
//   - node-pg-migrate calls dotenv.config({quiet: true}) (path from --envPath) when `dotenv` can
//     be imported, i.e. when the app has it installed; it never reads .env otherwise;
//   - Prisma 6 loads .env itself, except when a prisma.config.* exists; Prisma 7 never does.
// A package.json script can load the file for the tool: `node --env-file=.env …`,
// `node -r dotenv/config …` / `--import dotenv/config` (dotenv installed), dotenv-cli
// (`dotenv -e .env -- …`), env-cmd (`env-cmd -f .env …`), or a shell (`. ./.env`, `set -a`,
// `export $(cat .env …)`). A knexfile / prisma.config can load it itself
// (`require('dotenv').config()`, `import 'dotenv/config'`, `process.loadEnvFile()`).
//
// resolveLaunch() finds, once, which tool the resolved configuration belongs to, its installed
// version (node_modules found by walking up from the working folder, as Node resolves it for an
// app started there; current releases are assumed when a package is absent), the scripts that
// run it and whether the tool process would see the env file. Pure reads, no code is run. What it modelled
// is data (LaunchModelled): src/catalogue/modelled.ts words it where the evidence shows it.
import fs from 'node:fs'
import path from 'node:path'
import {redactor, secretsInText} from '../core/redact.js'
import {TOOLS} from '../models/tools/registry.js'
import {PRISMA_CONFIG_FILES} from '../models/tools/prisma.js'
import type {ToolName} from '../models/tools/names.js'
import {findPackageDir} from '../models/packages.js'
import {readJson} from './util.js'
import {readGuardedText} from '../core/files.js'

export {findPackageDir}

export type MigrationTool = ToolName

type LoaderKind =
  | 'node --env-file'
  | 'dotenv preload'
  | 'dotenv-cli'
  | 'env-cmd'
  | 'shell'
  | 'the tool (dotenv installed)'
  | 'the tool (Prisma 6)'
  | 'the tool'
  | 'config file'

export interface EnvLoader {
  kind: LoaderKind
  /** The env file it loads, as written ('.env' when implicit). */
  file: string
  /** Where it was found: the script text, the config file. */
  where: string
  /** Why it does not actually load anything: a dotenv/config preload without dotenv installed (node stops). */
  broken?: 'dotenv-not-installed'
}

export interface ToolScript {
  name: string
  command: string
  /** The env loader in front of the tool in this script, if any. */
  loader?: EnvLoader
  /** The command line that runs the tool (the segment of the script). */
  segment: string
}

interface InstalledPackages {
  knex?: string
  pg?: string
  /** The pg-connection-string knex uses (its own pinned copy first). */
  knexPgConnectionString?: string
  'pg-connection-string'?: string
  dotenv?: string
  'node-pg-migrate'?: string
  prisma?: string
  '@prisma/client'?: string
  /** The other tools' packages (src/models/tools), by npm name. */
  [pkg: string]: string | undefined
}

/**
 * The tool's own rule for the env file, as modelled: the knex CLI never reads it (`loadsDotenv`: the knexfile,
 * or a module it requires, that loads dotenv); node-pg-migrate loads it (`envPath`, else .env) when dotenv is
 * installed (`dotenv`: its version); Prisma 6 loads .env unless a prisma.config.* exists, Prisma 7 never; the
 * tools of src/models/tools load it 'itself' (`via`: how) or 'never'. `config`: the config file and whether it
 * loads dotenv itself.
 */
export type ToolEnvRule =
  | {rule: 'knex'; loadsDotenv: string | null}
  | {rule: 'node-pg-migrate'; dotenv: string | null; envPath: string | null}
  | {rule: 'prisma'; config: ConfigLoadsDotenv | null}
  | {rule: 'model'; tool: MigrationTool; loads: 'itself' | 'never'; via?: string; config: ConfigLoadsDotenv | null}

interface ConfigLoadsDotenv {
  /** Relative to the working folder. */
  file: string
  loadsDotenv: boolean
}

/**
 * How the tool is run, as modelled: a package.json script (with the env loader in front of it, if any); with
 * none, the other files that run it (Makefile, CI workflow…), by hand when none does, or not known (a loader
 * decided without a script).
 */
export type LaunchRun =
  | {by: 'script'; name: string; segment: string; loader?: EnvLoader}
  | {by: 'launchers'; files: string[]}
  | {by: 'hand'}
  | {by: 'unknown'}

/** What db-doctor modelled of the tool's launch (evidence of the env-file problems and the tls check: the catalogue words it). */
export interface LaunchModelled {
  tool: MigrationTool
  version: string
  versionSource: ToolLaunch['versionSource']
  env: ToolEnvRule
  run: LaunchRun
}

interface ToolLaunch {
  tool: MigrationTool
  /** The version modelled: installed in the app, else the current release we model. */
  version: string
  versionSource: 'installed' | 'declared in package.json' | 'assumed (not installed in the app)'
  /** package.json scripts that run the tool (migration commands first). */
  scripts: ToolScript[]
  /** The script taken as "how the tool runs" (the first migration script), when any. */
  script?: ToolScript
  /** What loads the env file for the tool, if anything does. */
  loader?: EnvLoader
  /**
   * Whether the tool process sees the variables of `envFile`: true / false, or 'unknown' when
   * nothing shows how the tool is run and the tool does not load the file itself.
   */
  readsEnvFile: boolean | 'unknown'
  /** The env file db-doctor read, when any. */
  envFile?: string
  /**
   * With no package.json script: the other files that run the tool (Makefile, CI workflow…); [] when none does, so
   * it runs by hand and sees only the shell's environment. Undefined when a script or a loader decided.
   */
  launchers?: string[]
  /** What was modelled, as data (src/catalogue/modelled.ts words it for the evidence). */
  modelled: LaunchModelled
}

/** A package.json script that runs a node file importing the driver (a migration without a tool). */
interface NodeScript extends ToolScript {
  /** The file it runs, relative to the working folder. */
  file: string
  /** The file loads an env file itself (dotenv, process.loadEnvFile): where. */
  selfLoads?: string
}

/**
 * No migration tool: the package.json scripts that run a node file importing pg or postgres themselves, and
 * whether any of them sees the env file db-doctor read (a loader in the script, NODE_OPTIONS, or the file).
 */
export interface ScriptLaunch {
  scripts: NodeScript[]
  readsEnvFile: boolean
  envFile: string
}

export interface AppLaunch {
  /** The tool whose configuration db-doctor resolved (by the primary source), when one. */
  tool?: ToolLaunch
  /** No tool in the folder: the node scripts that connect themselves (only when an env file was read). */
  script?: ScriptLaunch
  /** Every tool the folder shows (knexfile, Prisma schema, package.json dependencies/scripts). */
  detected: MigrationTool[]
  installed: InstalledPackages
  /** Whether `dotenv` can be imported from the working folder. */
  dotenvInstalled: boolean
}

// ---------------------------------------------------------------------------------------------
// installed packages

function versionOf(dir: string | undefined): string | undefined {
  if (!dir) return undefined
  const v = readJson(path.join(dir, 'package.json'))?.version
  return typeof v === 'string' && /^[0-9A-Za-z.+-]{1,40}$/.test(v) ? v : undefined
}

function installedPackages(cwd: string): InstalledPackages {
  const out: InstalledPackages = {}
  const set = (k: keyof InstalledPackages, v: string | undefined) => {
    if (v) out[k] = v
  }
  const knexDir = findPackageDir('knex', cwd)
  set('knex', versionOf(knexDir))
  set('pg', versionOf(findPackageDir('pg', cwd)))
  set('pg-connection-string', versionOf(findPackageDir('pg-connection-string', cwd)))
  if (knexDir) set('knexPgConnectionString', versionOf(findPackageDir('pg-connection-string', knexDir)))
  set('dotenv', versionOf(findPackageDir('dotenv', cwd)))
  set('node-pg-migrate', versionOf(findPackageDir('node-pg-migrate', cwd)))
  set('prisma', versionOf(findPackageDir('prisma', cwd)))
  set('@prisma/client', versionOf(findPackageDir('@prisma/client', cwd)))
  for (const model of Object.values(TOOLS))
    for (const p of model.packages) if (out[p] === undefined) set(p, versionOf(findPackageDir(p, cwd)))
  return out
}

// ---------------------------------------------------------------------------------------------
// scripts

/** The tool's bin in a command line (src/models/tools/<tool>.ts `scripts.bin`). */
const TOOL_IN_SEGMENT = (tool: MigrationTool): RegExp => TOOLS[tool].scripts.bin

/** Migration commands of each tool (a script running one is "how migrations run"). */
const MIGRATION_COMMAND = (tool: MigrationTool): RegExp => TOOLS[tool].scripts.migrate

/** Split a shell command into simple commands (&&, ||, ;, |), quotes respected. */
export function splitCommands(script: string): string[] {
  const out: string[] = []
  let cur = ''
  let quote: string | null = null
  for (let i = 0; i < script.length; i++) {
    const c = script[i]!
    if (quote) {
      if (c === quote) quote = null
      cur += c
      continue
    }
    if (c === '"' || c === "'") {
      quote = c
      cur += c
      continue
    }
    if ((c === '&' && script[i + 1] === '&') || (c === '|' && script[i + 1] === '|')) {
      out.push(cur)
      cur = ''
      i++
      continue
    }
    if (c === ';' || c === '|' || c === '\n') {
      out.push(cur)
      cur = ''
      continue
    }
    cur += c
  }
  out.push(cur)
  return out.map((s) => s.trim()).filter(Boolean)
}

const unquote = (s: string) => s.replace(/^['"]|['"]$/g, '')

/**
 * The env loader a command line puts in front of what it runs (before `toolAt`), or that a
 * previous command of the same script set up in the shell.
 */
export function loaderIn(segment: string, before: string[], dotenvInstalled: boolean): EnvLoader | undefined {
  const where = segment
  let m = /--env-file(?:-if-exists)?(?:=|\s+)(\S+)/.exec(segment)
  if (m) return {kind: 'node --env-file', file: unquote(m[1]!), where}
  m = /(?:-r|--require|--import)(?:=|\s+)['"]?dotenv(?:-flow)?\/config\b/.exec(segment)
  if (m) {
    const p = /dotenv_config_path=(\S+)/.exec(segment)
    const loader: EnvLoader = {kind: 'dotenv preload', file: p ? unquote(p[1]!) : '.env', where}
    if (!dotenvInstalled) loader.broken = 'dotenv-not-installed'
    return loader
  }
  m = /(?:^|[\s/])dotenv(?:-cli)?(?=\s)((?:\s+(?:-[a-z]\s+\S+|-[a-z]|--\S+))*)/.exec(segment)
  if (m && !/dotenv\/config/.test(m[0])) {
    const e = /-e\s+(\S+)/.exec(m[1] ?? '')
    return {kind: 'dotenv-cli', file: e ? unquote(e[1]!) : '.env', where}
  }
  m = /(?:^|[\s/])env-cmd(?=\s)((?:\s+(?:-[a-z]\s+\S+|--\S+(?:\s+\S+)?))*)/.exec(segment)
  if (m) {
    const f = /(?:-f|--file)\s+(\S+)/.exec(m[1] ?? '')
    return {kind: 'env-cmd', file: f ? unquote(f[1]!) : '.env', where}
  }
  for (const prev of before) {
    const s =
      /^(?:source|\.)\s+(\S*\.env\S*)/.exec(prev) ?? /export\s+\$\(\s*(?:cat|grep\s+\S+)\s+(\S*\.env\S*)/.exec(prev)
    if (s) return {kind: 'shell', file: unquote(s[1]!).replace(/^\.\//, ''), where: `${prev} && …`}
  }
  return undefined
}

export function readScripts(cwd: string): Record<string, string> {
  const pkg = readJson(path.join(cwd, 'package.json'))
  const scripts = pkg?.scripts
  const out: Record<string, string> = {}
  if (scripts && typeof scripts === 'object') {
    for (const [k, v] of Object.entries(scripts as Record<string, unknown>)) {
      if (typeof v !== 'string') continue
      out[k] = v
      // A script may carry a secret inline (DATABASE_URL=postgres://u:pw@… knex …, PGPASSWORD=…).
      // Only a connection string is read as one: `knex migrate:latest` or `user=app` holds no password.
      if (/:\/\/[^\s]*@|(?:^|\s)\S*password\s*=/i.test(v)) redactor.addFromConnectionString(v)
      for (const s of secretsInText(v)) redactor.add(s)
      for (const m of v.matchAll(/\b[A-Z_]*(?:PASSWORD|PASSWD|_PASS|_PWD|SECRET)=(?:'([^']*)'|"([^"]*)"|(\S+))/g))
        redactor.add(m[1] ?? m[2] ?? m[3])
    }
  }
  return out
}

/** Scripts that run `tool`, following `npm run x` / `yarn x` / `pnpm x` one or two levels. */
export function scriptsRunning(
  tool: MigrationTool,
  scripts: Record<string, string>,
  dotenvInstalled: boolean,
): ToolScript[] {
  const found: ToolScript[] = []
  const visit = (name: string, command: string, inherited: EnvLoader | undefined, depth: number, top: string) => {
    const segments = splitCommands(command)
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i]!
      const loader = loaderIn(seg, segments.slice(0, i), dotenvInstalled) ?? inherited
      if (TOOL_IN_SEGMENT(tool).test(seg)) {
        found.push({name: top, command: scripts[top]!, segment: seg, ...(loader ? {loader} : {})})
        return
      }
      const run = /(?:^|\s)(?:npm\s+run(?:-script)?|yarn(?:\s+run)?|pnpm(?:\s+run)?|bun\s+run)\s+([\w:.-]+)/.exec(seg)
      if (run && depth < 3 && scripts[run[1]!] !== undefined && run[1] !== name)
        visit(run[1]!, scripts[run[1]!]!, loader, depth + 1, top)
    }
  }
  for (const [name, command] of Object.entries(scripts)) visit(name, command, undefined, 0, name)
  // migration commands first (migrate, migrate:latest, db:migrate…), then the rest
  const isMigration = (s: ToolScript) => MIGRATION_COMMAND(tool).test(s.segment) || /migrat/i.test(s.name)
  return [...found.filter(isMigration), ...found.filter((s) => !isMigration(s))]
}

// ---------------------------------------------------------------------------------------------
// config files that load dotenv themselves

const LOADS_DOTENV: RegExp[] = [
  /require\(\s*['"]dotenv(?:-flow)?['"]\s*\)\s*\.config\s*\(/,
  /require\(\s*['"]dotenv(?:-flow)?\/config['"]\s*\)/,
  /import\s+['"]dotenv(?:-flow)?\/config['"]/,
  /import\(\s*['"]dotenv(?:-flow)?\/config['"]\s*\)/,
  /process\.loadEnvFile\s*\(/,
]
const IMPORTS_DOTENV = /(?:from\s+|require\(\s*)['"]dotenv['"]/
const CALLS_CONFIG = /\b(?:dotenv\s*\.\s*)?config\s*\(/

/** Whether a config file (or a local module it requires, two levels) loads an env file itself. */
function fileLoadsDotenv(file: string, depth = 0, seen = new Set<string>()): string | undefined {
  if (seen.has(file) || seen.size > 12) return undefined
  seen.add(file)
  let text: string
  try {
    text = readGuardedText(file, 'config file', 512 * 1024)
  } catch {
    return undefined
  }
  return textLoadsDotenv(file, text, depth, seen)
}

/** fileLoadsDotenv for a file already read (its text): the file itself is not read again. */
function textLoadsDotenv(file: string, text: string, depth = 0, seen = new Set<string>()): string | undefined {
  seen.add(file)
  if (LOADS_DOTENV.some((re) => re.test(text)) || (IMPORTS_DOTENV.test(text) && CALLS_CONFIG.test(text))) return file
  if (depth >= 2) return undefined
  const rel = /(?:require\(\s*|from\s+|import\s+|import\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g
  for (const m of text.matchAll(rel)) {
    const base = path.resolve(path.dirname(file), m[1]!)
    for (const candidate of [
      base,
      ...['.js', '.cjs', '.mjs', '.ts', '.cts', '.mts'].map((e) => base + e),
      path.join(base, 'index.js'),
      path.join(base, 'index.ts'),
    ]) {
      if (!fs.existsSync(candidate)) continue
      const hit = fileLoadsDotenv(candidate, depth + 1, seen)
      if (hit) return hit
      break
    }
  }
  return undefined
}

// ---------------------------------------------------------------------------------------------
// the model

interface LaunchInput {
  cwd: string
  /** The tool whose file supplied the connection (the primary source's kind), if any. */
  tool?: MigrationTool
  /** The knexfile in use (absolute), for knex. */
  knexfile?: string
  /** The tool's config file in use (absolute): TypeORM's data source, sequelize-cli's config. */
  configFile?: string
  /** The env file db-doctor read (display path, e.g. ".env"). */
  envFile?: string
  /** The process environment (not the env file): NODE_OPTIONS may preload dotenv. */
  processEnv: Record<string, string | undefined>
}

function detectTools(cwd: string): MigrationTool[] {
  const pkg = readJson(path.join(cwd, 'package.json'))
  const deps = {...(pkg?.dependencies as object), ...(pkg?.devDependencies as object)} as Record<string, unknown>
  const scripts = Object.values(readScripts(cwd)).join('\n')
  const out: MigrationTool[] = []
  const has = (f: string) => fs.existsSync(path.join(cwd, f))
  if (
    'knex' in deps ||
    ['knexfile.js', 'knexfile.cjs', 'knexfile.mjs', 'knexfile.ts'].some(has) ||
    TOOL_IN_SEGMENT('knex').test(scripts)
  )
    out.push('knex')
  if ('node-pg-migrate' in deps || TOOL_IN_SEGMENT('node-pg-migrate').test(scripts) || has('.node-pg-migraterc'))
    out.push('node-pg-migrate')
  if (
    'prisma' in deps ||
    '@prisma/client' in deps ||
    has('prisma/schema.prisma') ||
    has('schema.prisma') ||
    PRISMA_CONFIG_FILES.some(has)
  )
    out.push('prisma')
  // the tools modelled in src/models/tools with their own rules: a dependency, a config file or a script
  for (const model of Object.values(TOOLS)) {
    if (model.env.loads === 'legacy') continue
    if (model.packages.some((p) => p in deps) || model.config.files.some(has) || model.scripts.bin.test(scripts))
      out.push(model.name)
  }
  return out
}

/** "^6.19.0" / "~6" / "6.x" in package.json dependencies → "6.19.0" / "6.0.0"; undefined for tags, URLs… */
function declaredVersion(cwd: string, names: string[]): string | undefined {
  const pkg = readJson(path.join(cwd, 'package.json'))
  const deps = {...(pkg?.dependencies as object), ...(pkg?.devDependencies as object)} as Record<string, unknown>
  for (const n of names) {
    const range = deps[n]
    if (typeof range !== 'string') continue
    const m = /^[\^~>=v\s]*(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?/.exec(range)
    if (m) return [m[1], /^\d+$/.test(m[2] ?? '') ? m[2] : '0', /^\d+$/.test(m[3] ?? '') ? m[3] : '0'].join('.')
  }
  return undefined
}

function major(version: string): number {
  return Number.parseInt(version, 10)
}

export function resolveLaunch(input: LaunchInput): AppLaunch {
  const {cwd} = input
  const installed = installedPackages(cwd)
  const dotenvInstalled = installed.dotenv !== undefined
  const launch: AppLaunch = {detected: detectTools(cwd), installed, dotenvInstalled}
  if (input.tool) launch.tool = toolLaunch(input, input.tool, installed)
  else {
    const script = launch.detected.length ? undefined : nodeScripts(input, dotenvInstalled)
    if (script) launch.script = script
  }
  return launch
}

/** How `tool` runs: its version, the scripts that run it, what loads the env file for it, and what was modelled. */
function toolLaunch(input: LaunchInput, tool: MigrationTool, installed: InstalledPackages): ToolLaunch {
  const {cwd, envFile} = input
  const dotenvInstalled = installed.dotenv !== undefined
  const {version, versionSource} = toolVersion(cwd, tool, installed)
  const scripts = scriptsRunning(tool, readScripts(cwd), dotenvInstalled)
  const script = scripts[0]
  // What loads the env file for the tool, most specific first: the script's loader, NODE_OPTIONS, the tool itself.
  const loader = script?.loader ?? preloadIn(input.processEnv, dotenvInstalled)
  const own = toolEnvRule(input, tool, version, installed, script)
  const effective = loader && !loader.broken ? loader : own.selfLoads
  const seen = envFileSeen(cwd, tool, envFile, {effective, loader, script})
  const run: LaunchRun = script
    ? {by: 'script', name: script.name, segment: script.segment, ...(script.loader ? {loader: script.loader} : {})}
    : seen.launchers?.length
      ? {by: 'launchers', files: seen.launchers}
      : seen.launchers
        ? {by: 'hand'}
        : {by: 'unknown'}
  const tl: ToolLaunch = {
    tool,
    version,
    versionSource,
    scripts,
    readsEnvFile: seen.readsEnvFile,
    modelled: {tool, version, versionSource, env: own.env, run},
  }
  if (script) tl.script = script
  if (seen.launchers) tl.launchers = seen.launchers
  if (effective) tl.loader = effective
  if (envFile) tl.envFile = envFile
  return tl
}

/** The tool's version: installed in the app, else declared in package.json, else the current release assumed. */
function toolVersion(
  cwd: string,
  tool: MigrationTool,
  installed: InstalledPackages,
): Pick<ToolLaunch, 'version' | 'versionSource'> {
  const model = TOOLS[tool]
  const versionInstalled = model.packages.map((p) => installed[p]).find(Boolean)
  if (versionInstalled) return {version: versionInstalled, versionSource: 'installed'}
  const declared = declaredVersion(cwd, [...model.packages])
  if (declared) return {version: declared, versionSource: 'declared in package.json'}
  return {version: model.currentRelease, versionSource: 'assumed (not installed in the app)'}
}

/** NODE_OPTIONS preloading dotenv/config (broken when dotenv is not installed: node stops). */
function preloadIn(processEnv: LaunchInput['processEnv'], dotenvInstalled: boolean): EnvLoader | undefined {
  if (!/(?:-r|--require|--import)(?:=|\s+)dotenv\/config/.test(processEnv.NODE_OPTIONS ?? '')) return undefined
  const loader: EnvLoader = {kind: 'dotenv preload', file: '.env', where: 'NODE_OPTIONS (environment)'}
  if (!dotenvInstalled) loader.broken = 'dotenv-not-installed'
  return loader
}

/** The tool's own rule for the env file (what it or its config file loads), as data, and the loader that makes. */
function toolEnvRule(
  input: LaunchInput,
  tool: MigrationTool,
  version: string,
  installed: InstalledPackages,
  script: ToolScript | undefined,
): {env: ToolEnvRule; selfLoads?: EnvLoader} {
  const {cwd} = input
  const model = TOOLS[tool]
  const configFile = (hit: string, where = path.relative(cwd, hit)): EnvLoader => ({
    kind: 'config file',
    file: '.env',
    where,
  })
  const loads = (cfg: string, hit: string | undefined) => ({file: path.relative(cwd, cfg), loadsDotenv: !!hit})
  if (tool === 'knex') {
    const hit = input.knexfile ? fileLoadsDotenv(input.knexfile) : undefined
    const env: ToolEnvRule = {rule: 'knex', loadsDotenv: hit ? path.relative(cwd, hit) : null}
    return hit ? {env, selfLoads: configFile(hit, path.relative(cwd, hit) || hit)} : {env}
  }
  if (tool === 'node-pg-migrate') {
    const envPath = script ? /--envPath(?:=|\s+)(\S+)/.exec(script.segment)?.[1] : undefined
    const env: ToolEnvRule = {rule: 'node-pg-migrate', dotenv: installed.dotenv ?? null, envPath: envPath ?? null}
    if (installed.dotenv === undefined) return {env}
    const where = `node-pg-migrate (dotenv ${installed.dotenv} installed)`
    return {env, selfLoads: {kind: 'the tool (dotenv installed)', file: envPath ? unquote(envPath) : '.env', where}}
  }
  if (tool === 'prisma') {
    const cfg = PRISMA_CONFIG_FILES.map((n) => path.join(cwd, n)).find((f) => fs.existsSync(f))
    const hit = cfg ? fileLoadsDotenv(cfg) : undefined
    const env: ToolEnvRule = {rule: 'prisma', config: cfg ? loads(cfg, hit) : null}
    if (hit) return {env, selfLoads: configFile(hit)}
    if (major(version) < 7 && !cfg)
      return {env, selfLoads: {kind: 'the tool (Prisma 6)', file: '.env', where: `Prisma ${version}`}}
    return {env}
  }
  if (tool === 'typeorm' || tool === 'sequelize-cli') {
    const cfg = input.configFile
    const hit = cfg ? fileLoadsDotenv(cfg) : undefined
    const env: ToolEnvRule = {rule: 'model', tool, loads: 'never', config: cfg ? loads(cfg, hit) : null}
    return hit ? {env, selfLoads: configFile(hit, path.relative(cwd, hit) || hit)} : {env}
  }
  // the tools of src/models/tools: the model says which process reads .env
  const cfg = model.config.files.map((n) => path.join(cwd, n)).find((f) => fs.existsSync(f))
  const hit = cfg ? fileLoadsDotenv(cfg) : undefined
  const itself = model.env.loads === 'itself'
  const env: ToolEnvRule = {
    rule: 'model',
    tool,
    loads: itself ? 'itself' : 'never',
    ...(model.env.via ? {via: model.env.via} : {}),
    config: cfg && !itself ? loads(cfg, hit) : null,
  }
  if (itself)
    return {
      env,
      selfLoads: {kind: 'the tool', file: '.env', where: `${tool} ${version} (loads .env of the working folder)`},
    }
  return hit ? {env, selfLoads: configFile(hit)} : {env}
}

/**
 * Whether the tool process sees the env file: as the loader in effect decides; with none, not when a broken
 * loader or a script runs it; with no script, what else runs it (a Makefile, a CI job, a Dockerfile) may load
 * the file db-doctor cannot model ('unknown'), and when nothing does it runs by hand from a shell like this one,
 * which does not have the file's variables.
 */
function envFileSeen(
  cwd: string,
  tool: MigrationTool,
  envFile: string | undefined,
  by: {effective?: EnvLoader | undefined; loader?: EnvLoader | undefined; script?: ToolScript | undefined},
): {readsEnvFile: boolean | 'unknown'; launchers?: string[]} {
  if (!envFile) return {readsEnvFile: false}
  if (by.effective) return {readsEnvFile: sameFile(by.effective.file, envFile)}
  if (by.loader?.broken || by.script) return {readsEnvFile: false}
  const launchers = launcherFiles(cwd, tool)
  return {readsEnvFile: launchers.length ? 'unknown' : false, launchers}
}

/** `node [flags] file.js` (also tsx / ts-node): the file a command runs. */
const NODE_FILE =
  /(?:^|[\s/])(?:node|tsx|ts-node)\s+(?:-{1,2}[\w-]+(?:=\S+)?\s+)*['"]?([\w./-]+\.[cm]?[jt]s)['"]?(?=\s|$)/
/** A file that connects by itself: it imports node-postgres or postgres.js. */
const IMPORTS_DRIVER = /(?:\bfrom\s+|\brequire\(\s*|\bimport\(\s*)['"](?:pg|postgres)['"]/

/** The package.json scripts running a node file that imports the driver, and whether any sees the env file. */
function nodeScripts(input: LaunchInput, dotenvInstalled: boolean): ScriptLaunch | undefined {
  const {cwd, envFile} = input
  if (!envFile) return undefined
  const scripts = readScripts(cwd)
  const preload = /(?:-r|--require|--import)(?:=|\s+)dotenv\/config/.test(input.processEnv.NODE_OPTIONS ?? '')
  const found: NodeScript[] = []
  for (const [name, command] of Object.entries(scripts).slice(0, 200)) {
    const segments = splitCommands(command)
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i]!
      const file = NODE_FILE.exec(seg)?.[1]
      if (!file) continue
      const abs = path.resolve(cwd, file)
      if (!abs.startsWith(cwd + path.sep)) continue
      let text: string
      try {
        text = readGuardedText(abs, 'script file', 512 * 1024)
      } catch {
        continue
      }
      if (!IMPORTS_DRIVER.test(text)) continue
      const loader = loaderIn(seg, segments.slice(0, i), dotenvInstalled)
      const hit = textLoadsDotenv(abs, text)
      found.push({
        name,
        command,
        segment: seg,
        file: path.relative(cwd, abs),
        ...(loader ? {loader} : {}),
        ...(hit ? {selfLoads: path.relative(cwd, hit)} : {}),
      })
    }
  }
  if (!found.length) return undefined
  const reads = (s: NodeScript) =>
    !!s.selfLoads || (s.loader !== undefined && !s.loader.broken && sameFile(s.loader.file, envFile))
  return {scripts: found, readsEnvFile: preload || found.some(reads), envFile}
}

const LAUNCHER_FILES = [
  'Makefile',
  'makefile',
  'GNUmakefile',
  'justfile',
  'Justfile',
  'Taskfile.yml',
  'Taskfile.yaml',
  'Procfile',
  'Dockerfile',
  'docker-compose.yml',
  'docker-compose.yaml',
  'compose.yml',
  'compose.yaml',
  '.gitlab-ci.yml',
  'bitbucket-pipelines.yml',
  '.circleci/config.yml',
  'Jenkinsfile',
]

/** The files besides package.json that run `tool` (its command on one of their lines); bounded reads. */
function launcherFiles(cwd: string, tool: MigrationTool): string[] {
  const files = [...LAUNCHER_FILES]
  try {
    const wf = path.join(cwd, '.github', 'workflows')
    for (const f of fs.readdirSync(wf).slice(0, 50))
      if (/\.ya?ml$/.test(f)) files.push(path.join('.github', 'workflows', f))
  } catch {}
  const out: string[] = []
  for (const f of files) {
    let text: string
    try {
      text = readGuardedText(path.join(cwd, f), 'launcher file', 256 * 1024)
    } catch {
      continue
    }
    if (text.split('\n').some((line) => TOOL_IN_SEGMENT(tool).test(line))) out.push(f)
  }
  return out
}

function sameFile(a: string, b: string): boolean {
  const norm = (s: string) => s.replace(/^\.\//, '')
  return norm(a) === norm(b)
}

/**
 * The script line that makes the tool see the env file: Node's own --env-file in front of the
 * tool's bin (no new dependency), keeping the rest of the command as written.
 */
export function scriptWithLoader(tool: MigrationTool, segment: string | undefined, envFile: string): string {
  const file = envFile.includes(' ') ? `'${envFile}'` : envFile
  const bin = tool === 'prisma' ? 'node_modules/.bin/prisma' : `node_modules/.bin/${tool}`
  let args = TOOLS[tool].scripts.defaultArgs
  if (segment) {
    const m = TOOL_IN_SEGMENT(tool).exec(segment)
    if (m) {
      const after = segment.slice(m.index + m[0].length).trim()
      args =
        tool === 'prisma'
          ? `${/(migrate|db)\b/.exec(m[0])?.[1] ?? 'migrate'}${after ? ` ${after}` : ''}`
          : after || args
    }
  }
  return `node --env-file=${file} ${bin} ${args}`.trim()
}
