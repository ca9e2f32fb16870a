// The words of what db-doctor modelled of the app: the URL parser it reads the connection string with, the
// driver it connects with and why, how its migration tool is launched. The models (src/config, src/models)
// return these as data; the checks, the config problems and the report's `modelled` field word them here.
import type {EnvLoader, LaunchModelled, LaunchRun, ToolEnvRule} from '../config/launch.js'
import type {ReadingModelled} from '../config/pg-config.js'
import type {UrlParserModelled} from '../config/url-parser.js'
import type {Report} from '../core/types.js'
import {minor, type DriverName} from '../models/drivers/types.js'
import type {DriverChoice, ModelledStack} from '../models/tools/types.js'

/** "knex 3.3.0 → pg-connection-string 2.6.2 (the app's, from node_modules/…)", "pg 8 → … (pg is not installed in …)". */
export function urlParserText(m: UrlParserModelled): string {
  const settings =
    m.fromApp && m.settings
      ? `; what pg ${m.settings.pgVersion} does with it (ConnectionParameters, the TLS options) modelled as ` +
        `pg ${m.settings.modelledAs} does it`
      : ''
  if (m.by === 'knex')
    return m.fromApp
      ? `knex ${m.knexVersion} → pg-connection-string ${m.version} (the app's, from ${m.from})${settings}`
      : `knex 3.x → pg-connection-string ${m.version} (knex is not installed in ${m.dir}: modelled as knex 3.3 parses, no uselibpqcompat)`
  return m.fromApp
    ? `pg ${m.pgVersion} → pg-connection-string ${m.version} (the app's)${settings}`
    : `pg 8 → pg-connection-string ${m.version} (pg is not installed in ${m.dir}: db-doctor's own current release)`
}

/**
 * What an ssl reading was modelled with: the URL parser (urlParserText), or the app's other driver
 * ("postgres.js 3.4.7 (sslmode=require: TLS, not verified)").
 */
export function readingModelledText(m: ReadingModelled): string {
  if (m.by !== 'driver') return urlParserText(m)
  const tls = m.tls === 'verified' ? 'TLS, verified' : m.tls === 'not-verified' ? 'TLS, not verified' : 'no TLS'
  return `${m.driver} ${m.version} (${m.setting}: ${tls})`
}

/** What a tool's own engine is, when the migration CLI runs one whatever the app's runtime uses. */
const BUILTIN: Partial<Record<DriverName, string>> = {
  'prisma-engine': 'prisma migrate|db → schema engine (quaint), every version (src/models/drivers/prisma-engine.ts)',
}

/** Why the app connects with its driver: "drizzle-kit uses the first installed of pg, postgres, …: pg". */
export function driverChoiceText(c: DriverChoice): string {
  switch (c.by) {
    case 'first-installed':
      return `${c.tool} uses the first installed of ${c.candidates.join(', ')}${c.installed ? `: ${c.installed}` : ` (none installed: ${c.candidates[0]} assumed)`}`
    case 'only':
      return `${c.tool} connects with ${c.pkg}`
    case 'builtin':
      return BUILTIN[c.driver] ?? `${c.tool} runs ${c.driver}`
    case 'migrate-adapter':
      return `${c.tool} ${c.version} migrate → SchemaEngineWasm → prisma.config ${c.setting} → ${c.pkg ?? 'driver adapter'}${c.through ? ` → ${c.through}` : ''}`
    case 'dependency':
      return c.pkg === 'pg'
        ? 'the app depends on pg'
        : c.pkg === 'postgres'
          ? 'the app depends on postgres (postgres.js), not pg'
          : `the app depends on ${c.pkg}, not pg`
    case 'default':
      return 'no driver in package.json: node-postgres assumed'
  }
}

/** "postgres.js 3.4", "node-postgres 8.16 (not installed here: assumed)". */
function driverLabel(d: {name: string | null; package: string; version: string; versionSource: string}): string {
  return `${d.name ?? d.package} ${minor(d.version)}${d.versionSource === 'installed' ? '' : ' (not installed here: assumed)'}`
}

/** The app's runtime beside the migration CLI: "@prisma/adapter-pg 7.10 → node-postgres 8.16". */
function runtimeText(r: NonNullable<ModelledStack['runtime']>): string {
  return `${r.adapter.package} ${minor(r.adapter.version)}${r.adapter.versionSource === 'installed' ? '' : ' (not installed here: assumed)'} → ${driverLabel(r.driver)}`
}

/**
 * The stack in one line, as the report's header and `modelled.text` show it: "drizzle-kit 0.31 → postgres.js
 * 3.4", "prisma 7.1 → prisma-engine 7.1 (schema engine; app runtime: @prisma/adapter-pg 7.10 → node-postgres 8.16)".
 */
export function stackText(stack: ModelledStack): string {
  const d = driverLabel(stack.driver)
  const chain = stack.tool ? `${stack.tool.name} ${minor(stack.tool.version)} → ${d}` : d
  if (stack.migrateAdapter)
    return `${chain} (through ${stack.migrateAdapter.package ?? 'driver adapter'}: prisma.config ${stack.migrateAdapter.setting})`
  return stack.runtime ? `${chain} (schema engine; app runtime: ${runtimeText(stack.runtime)})` : chain
}

/** The report's `modelled` field: the stack as modelled, worded (driver.why, text), in the order it always had. */
export function modelledStackJson(stack: ModelledStack): NonNullable<Report['modelled']> {
  const {choice, ...driver} = stack.driver
  return {
    tool: stack.tool,
    driver: {...driver, why: driverChoiceText(choice)},
    text: stackText(stack),
    ...(stack.runtime ? {runtime: {...stack.runtime, text: runtimeText(stack.runtime)}} : {}),
  }
}

/** Why an env loader loads nothing. */
export function loaderBrokenText(broken: NonNullable<EnvLoader['broken']>): string {
  switch (broken) {
    case 'dotenv-not-installed':
      return 'dotenv is not installed in the app, so node stops with "Cannot find module \'dotenv/config\'"'
  }
}

/** How db-doctor names the process that runs the tool ("the knex CLI", "Prisma 6"). */
function toolProcess(tool: LaunchModelled['tool'], version: string): string {
  switch (tool) {
    case 'knex':
      return 'the knex CLI'
    case 'prisma':
      return `Prisma ${Number.parseInt(version, 10)}`
    case 'typeorm':
      return 'the TypeORM CLI'
    default:
      return tool
  }
}

const VERSION_NOTE: Record<LaunchModelled['versionSource'], string> = {
  installed: '',
  'declared in package.json': ' (not installed here: the version package.json declares)',
  'assumed (not installed in the app)': ' (not installed here: current release assumed)',
}

const configLoads = (c: {file: string; loadsDotenv: boolean}) =>
  `${c.file} ${c.loadsDotenv ? 'loads' : 'does not load'} dotenv`

/** The tool's own rule for the env file, as facts. */
function envRuleFacts(rule: ToolEnvRule, m: LaunchModelled): string[] {
  switch (rule.rule) {
    case 'knex':
      return [
        'the knex CLI never reads .env itself',
        rule.loadsDotenv !== null ? `${rule.loadsDotenv} loads dotenv` : 'the knexfile does not load dotenv',
      ]
    case 'node-pg-migrate':
      return [
        rule.dotenv !== null
          ? `dotenv ${rule.dotenv} is installed, so node-pg-migrate loads ${rule.envPath ?? '.env'}`
          : 'dotenv is not installed in the app, so node-pg-migrate does not read .env',
      ]
    case 'prisma': {
      const major = Number.parseInt(m.version, 10)
      const own =
        major >= 7
          ? 'Prisma 7 never reads .env itself'
          : rule.config
            ? `Prisma ${major} skips .env because ${rule.config.file} exists`
            : `Prisma ${major} loads .env itself`
      return rule.config ? [own, configLoads(rule.config)] : [own]
    }
    case 'model': {
      const own =
        rule.loads === 'never'
          ? [`${toolProcess(rule.tool, m.version)} never reads .env itself`]
          : rule.via
            ? [`${rule.tool} loads .env of the working folder itself (${rule.via})`]
            : []
      return rule.config ? [...own, configLoads(rule.config)] : own
    }
  }
}

function runFact(run: LaunchRun): string {
  switch (run.by) {
    case 'script': {
      const l = run.loader
      return `script "${run.name}": ${run.segment}${l ? ` (env loader: ${l.kind}${l.broken ? `, broken: ${loaderBrokenText(l.broken)}` : ''})` : ' (no env loader)'}`
    }
    case 'launchers':
      return `no package.json script runs it; ${run.files.join(', ')} ${run.files.length > 1 ? 'do' : 'does'}`
    case 'hand':
      return 'no package.json script, Makefile, CI workflow, Procfile or Dockerfile runs it: run by hand (npx …), it sees only the environment of the shell'
    case 'unknown':
      return 'no package.json script runs it'
  }
}

/**
 * What was modelled of the migration tool's launch, one sentence for the evidence: "Modelled the knex CLI:
 * knex 3.1.0; the knex CLI never reads .env itself; …; script "migrate": knex migrate:latest (no env loader)."
 */
export function launchModelledText(m: LaunchModelled): string {
  const facts = [`${m.tool} ${m.version}${VERSION_NOTE[m.versionSource]}`, ...envRuleFacts(m.env, m), runFact(m.run)]
  return `Modelled ${toolProcess(m.tool, m.version)}: ${facts.join('; ')}.`
}
