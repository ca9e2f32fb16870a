// Codes of the `config` check, and the check's words: the summaries (configProblemSummary) and the
// fixes, built from the params the resolver records with each problem (src/config/problem-params.ts
// declares them and each code's default status; src/config/resolve.ts, the sources and
// src/checks/config.ts hold data only).
import {DEFAULT_PORT} from '../config/connection-keywords.js'
import {
  POSTGRES_SCHEME,
  VALID_SSLMODES,
  type ConnectionStringProblem,
  type EncodingEffect,
} from '../config/connection-string.js'
import {connectionStringHint, connectionStringReason, encodingEffectText} from './connection-string.js'
import {appFileFailureText} from './app-files.js'
import {scriptWithLoader, type LaunchModelled} from '../config/launch.js'
import {driverChoiceText, launchModelledText, stackText} from './modelled.js'
import type {ModelledStack} from '../models/tools/types.js'
import {
  CONFIG_DEFAULT_STATUS,
  type AppFileFailure,
  type AppFileErrorParams,
  type AppFileLimitParams,
  type ConfigCode,
  type ConfigParams,
  type ConfigProblemWords,
  type DriverUnmodelledParams,
  type ToolUnmodelledParams,
  type EnvFileParams,
  type KnexfileNotFoundParams,
  type ToolConfigNotReadParams,
  type NotFoundParams,
  type PasswordLenientParams,
  type PasswordNotEncodedParams,
  type PrismaConfigUrlMissingParams,
  type PrismaUrlInSchemaParams,
  type Sourced,
  type StartupParamParams,
  type SslmodeInvalidParams,
  type UrlInvalidParams,
  type WithoutEnvFile,
} from '../config/problem-params.js'
import type {Provenance, Shadowed} from '../config/types.js'
import type {Fix, Snippet} from '../core/types.js'
import {assignment} from './snippets.js'
import {define, messages, type CatalogueEntry} from './types.js'

const URL_TEMPLATE = 'postgres://USER:PASSWORD@HOST:5432/DATABASE?sslmode=verify-full'

/** Where to change a setting, as a sentence's object. */
function where(source: Provenance): string {
  if (source.kind === 'env-file') return `${source.name} in ${source.file}`
  if (source.kind === 'env')
    return `the ${source.name} environment variable (wherever it is exported: shell profile, CI settings, docker-compose, systemd unit…)`
  if (source.kind === 'argument') return 'the CONNECTION argument'
  return source.label
}

/** The parts of a URL that hold unencoded characters, as the summaries name them. */
function encodedParts(parts: readonly ('user' | 'password')[]): string {
  return parts.length === 2 ? 'user name and password' : parts[0] === 'user' ? 'user name' : 'password'
}

function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('')
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`
}

function withComment(s: Snippet | undefined, comment: string): Snippet | undefined {
  return s ? {language: s.language, code: `# ${comment}\n${s.code}`} : undefined
}

function snippetOf(s: Snippet | undefined): {snippet?: Snippet} {
  return s ? {snippet: s} : {}
}

/** Pass summary of the config check. */
export const configSays = messages({
  /** the check's title in reports */
  title: () => 'Configuration',
  /** what the check establishes: its line in docs/codes.md's list of checks (`npm run docs`) */
  establishes: () =>
    'the connection settings, each with its source; the connection string parses; passwords are encoded',
  /** `target`: user@host:port/database as configured; `from`: the source that configured it, if any. */
  pass: (p: {target: string; from: string | null}) =>
    `Connecting to ${p.target} as configured by ${p.from ?? 'PG* variables and defaults'}.`,
  /** the evidence's pgpass status: why the password file gave no password */
  pgpassStatus: (
    p:
      | {status: 'insecure-permissions'; mode: string | undefined; file: string}
      | {status: 'not-a-file'}
      | {status: 'unreadable'}
      | {status: 'no-match'; wanted: string},
  ) => {
    switch (p.status) {
      case 'insecure-permissions':
        return `ignored by node-postgres and libpq: mode ${p.mode} gives group/other access; run chmod 600 ${p.file}`
      case 'not-a-file':
        return 'ignored: not a regular file'
      case 'unreadable':
        return 'ignored: cannot be read'
      case 'no-match':
        return `no line matches ${p.wanted}`
    }
  },
})

/**
 * The hint of a CONFIG_URL_INVALID problem (evidence `hint` and a step of the fix): the connection-string
 * parser's own (params.hint), else the one of a case the resolver finds itself.
 */
function urlInvalidHint(p: UrlInvalidParams): string | undefined {
  switch (p.case) {
    case 'unparsable':
    case 'hostless':
      return connectionStringHint(p.problem)
    case 'port-not-a-number':
      return 'The port must be digits only, e.g. 5432.'
    case 'port-out-of-range':
      return 'PostgreSQL listens on 5432 unless configured otherwise.'
    case 'cut-by-dotenv':
      return `Quote the value in ${p.source.file}: ${p.source.name}="…"`
  }
  return undefined
}

/** The hint a problem's evidence shows (CONFIG_URL_INVALID only). */
function configProblemHint(p: ConfigProblemWords): string | undefined {
  return p.code === 'CONFIG_URL_INVALID' ? urlInvalidHint(p.params) : undefined
}

/** A source that lost, as the config check's evidence names it (a field its own connection string decides says so). */
export function shadowedLabel(s: Shadowed): string {
  return s.stringDecides ? `${s.label} (ignored: the connection string decides ${s.stringDecides})` : s.label
}

/**
 * A problem's details as its evidence shows them (undefined without details): the connection-string
 * parser's problem worded in place (reason, position, hint), the effects of unencoded characters and a
 * parse error worded, what was modelled of the tool's launch (`launch`) worded as `modelled`, and for
 * CONFIG_URL_INVALID the hint of the case when the parser gave none.
 */
export function configProblemEvidence(
  p: ConfigProblemWords & {details?: Record<string, unknown>},
): Record<string, unknown> | undefined {
  const details = p.details
  if (!details) return undefined
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(details)) {
    if (key === 'problem') {
      const problem = value as ConnectionStringProblem
      out.reason = connectionStringReason(problem)
      if (details.position !== undefined) out.position = details.position
      const hint = connectionStringHint(problem)
      if (hint) out.hint = hint
    } else if (key === 'position' && 'problem' in details) continue
    else if (key === 'effects') out.effects = (value as EncodingEffect[]).map(encodingEffectText)
    else if (key === 'parseError') out.parseError = connectionStringReason(value as ConnectionStringProblem)
    // why an app file failed to load (CONFIG_APP_FILE_ERROR): data when the words are db-doctor's
    else if (key === 'message' && p.code === 'CONFIG_APP_FILE_ERROR')
      out.message = appFileFailureText(value as AppFileFailure)
    else if (key === 'launch') out.modelled = launchModelledText(value as LaunchModelled)
    else if (key === 'stack') out.modelled = stackText(value as ModelledStack)
    else out[key] = value
  }
  const hint = out.hint === undefined ? configProblemHint(p) : undefined
  return hint ? {...out, hint} : out
}

const CUT = (file: string | undefined) =>
  `${file} does not quote the value, so dotenv treats everything from "#" on as a comment and the app gets a truncated URL`

function encodingFix(
  code: 'CONFIG_PASSWORD_NOT_ENCODED' | 'CONFIG_PASSWORD_ENCODING_LENIENT',
  p: Sourced & {part: string; maskedUrl: string; dotenvCut?: boolean},
): Fix {
  const src = p.source
  const masked = p.maskedUrl
  const steps = [
    `Percent-encode the password. With Node: node -e 'console.log(encodeURIComponent(process.argv[1]))' 'YOUR-PASSWORD' (inside single quotes write a ' as '\\''); or type it unseen: read -rs PW && node -e 'console.log(encodeURIComponent(process.argv[1]))' "$PW".`,
    `With Python: python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' 'YOUR-PASSWORD'`,
    `Put the encoded password in ${where(src)} so that it reads ${masked}, **** being the encoded password.`,
    'When code assembles the URL, pass the user and the password through encodeURIComponent() there.',
  ]
  if (p.part.includes('user')) steps.splice(2, 0, 'The user name needs encoding too; it is shown encoded above.')
  if (p.dotenvCut) {
    steps.unshift(
      `Quote the value in ${src.file}: ${src.name}="…". Unquoted, dotenv treats "#" as the start of a comment and drops the rest.`,
    )
  }
  if (code === 'CONFIG_PASSWORD_ENCODING_LENIENT') {
    steps.push(
      'node-postgres decodes the encoded form to the same password, so the app keeps working after the change.',
    )
  }
  return {
    summary:
      code === 'CONFIG_PASSWORD_ENCODING_LENIENT'
        ? `Percent-encode the ${p.part || 'password'} in ${src.label} so that every tool reads the URL the same way.`
        : `Percent-encode the ${p.part || 'password'} in ${src.label}.`,
    steps,
    ...snippetOf(withComment(assignment(src, masked), '**** = the percent-encoded password')),
  }
}

/** CONFIG_PASSWORD_ENCODING_LENIENT: what the app does, and which other clients break. */
function lenientSummary(p: PasswordLenientParams): string {
  const them = p.characters.length > 1 ? 'them' : 'it'
  const head = `The ${encodedParts(p.parts)} in ${p.source.label} contains ${list(p.characters)}, which the URL standard requires to be percent-encoded.`
  if (p.libpqBreaks.length === 0) {
    return `${head} node-postgres and psql read ${them} as written, so this works; strict URL parsers (Go's net/url, used by golang-migrate and pgx) reject the URL.`
  }
  const why = [
    p.libpqBreaks.includes('"@"')
      ? 'libpq splits the URL at the first "@" and takes the rest of the password as part of the host name'
      : null,
    p.libpqBreaks.includes('"%"')
      ? 'libpq rejects a "%" not followed by two hex digits ("invalid percent-encoded token")'
      : null,
  ].filter(Boolean)
  return `${head} node-postgres (and knex) read ${them} as written, so the app connects; psql, pg_dump and other libpq tools do not with this URL (${why.join('; ')}), and strict URL parsers (Go's net/url) reject it.`
}

function urlInvalidSummary(p: UrlInvalidParams): string {
  const label = p.source.label
  switch (p.case) {
    case 'port-not-a-number':
      return `The port "${p.value}" from ${label} is not a number.`
    case 'port-out-of-range':
      return `The port ${p.value} from ${label} is out of range (1-65535).`
    case 'cut-by-dotenv':
      return `The connection string in ${label} is cut short: ${CUT(p.source.file)}.`
    case 'hostless':
      return `The connection string in ${label} is not usable: ${connectionStringReason(p.problem)}; node-postgres would silently use localhost:5432 instead.`
    case 'unparsable':
      return `The connection string in ${label} cannot be parsed: ${connectionStringReason(p.problem)}${p.position !== undefined ? ` (at character ${p.position})` : ''}.`
  }
}

function urlInvalidFix(p: UrlInvalidParams): Fix {
  const src = p.source
  if (!p.fromString && (p.case === 'port-not-a-number' || p.case === 'port-out-of-range')) {
    return {
      summary: `Set ${src.name} to a port number.`,
      steps: [urlInvalidHint(p)!, `Change it in ${where(src)}.`],
      ...snippetOf(assignment(src, String(DEFAULT_PORT))),
    }
  }
  const steps: string[] = []
  const hint = urlInvalidHint(p)
  if (hint) steps.push(hint)
  if (p.dotenvCut)
    steps.unshift(`Quote the value in ${src.file}: ${src.name}="…"; unquoted, dotenv drops everything from "#" on.`)
  if (src.kind === 'argument' && p.kind === 'keyvalue') {
    steps.push(
      "Key=value form: host=HOST port=5432 dbname=DATABASE user=USER password='PASSWORD' sslmode=verify-full (single-quote values with spaces; escape ' and \\ with a backslash).",
    )
  } else {
    steps.push(`Expected form: ${URL_TEMPLATE}; percent-encode special characters in the user and password.`)
  }
  steps.push(`Change it in ${where(src)}.`)
  const fixedExample = p.dotenvCut && p.maskedUrl !== undefined ? p.maskedUrl : URL_TEMPLATE
  return {
    summary: `Fix the connection string in ${src.label}.`,
    steps,
    ...snippetOf(p.kind === 'keyvalue' && src.kind === 'argument' ? undefined : assignment(src, fixedExample)),
  }
}

function sslmodeSummary(p: SslmodeInvalidParams): string {
  if (p.param === 'ssl') {
    const value = p.value
    return `ssl=${value} in ${p.source.label} is not understood by node-postgres: it keeps the text "${value}", which counts as true, so it asks the server for SSL and then throws "Cannot use 'in' operator to search for 'key' in ${value}" from a socket event, which crashes the app (or fails with "The server does not support SSL connections" when the server has no SSL). Only ssl=true, ssl=1, ssl=0 and ssl=no-verify mean something to node-postgres; psql accepts only ssl=true.`
  }
  return `sslmode "${p.value}" from ${p.source.label} is not a valid mode${p.suggestion ? ` (did you mean "${p.suggestion}"?)` : ''}.`
}

function sslmodeFix(p: SslmodeInvalidParams): Fix {
  const src = p.source
  const value = p.value
  if (p.param === 'ssl') {
    // ssl=<text> in a URL: write the mode that was meant instead.
    const wanted = p.suggestion
    const fixed = p.maskedString ? p.maskedString.replace(/([?&])ssl=[^&#]*/, `$1${wanted}`) : undefined
    const off = wanted === 'sslmode=disable'
    return {
      summary: off
        ? `Replace ssl=${value} with sslmode=disable (or ssl=0) in ${src.label}.`
        : `Replace ssl=${value} with sslmode=verify-full in ${src.label} (add sslrootcert=/path/to/ca.pem when the server certificate is not from a public CA).`,
      steps: [
        off
          ? 'sslmode=disable (or ssl=0) turns SSL off in node-postgres and in psql; only do that when the server accepts unencrypted connections and the network path is trusted.'
          : 'sslmode=verify-full encrypts and verifies the certificate and host name, in node-postgres and in psql alike.',
        `node-postgres reads ssl=true, ssl=1, ssl=0 and ssl=no-verify; any other text (here "${value}") is kept as a string, which counts as "on" and breaks the connection.`,
        `Change it in ${where(src)}.`,
      ],
      ...snippetOf(fixed ? assignment(src, fixed) : undefined),
    }
  }
  const suggestion = p.suggestion
  const wanted = suggestion ?? 'verify-full'
  const steps = [
    `Valid modes: ${VALID_SSLMODES.join(', ')} (no-verify is node-postgres only). verify-full checks the certificate and the host name; require only encrypts (in node-postgres it currently also verifies, see the ssl-config check).`,
    suggestion
      ? `"${value}" most likely means "${suggestion}".`
      : 'Use verify-full for managed databases, disable only for a local database without TLS.',
    `Change it in ${where(src)}.`,
  ]
  let snippet: Snippet | undefined
  if (src.kind === 'env-file' || src.kind === 'env' || src.kind === 'argument') {
    const newValue =
      p.maskedString !== undefined ? p.maskedString.replace(`sslmode=${value}`, `sslmode=${wanted}`) : wanted
    snippet = assignment(src, newValue)
  }
  return {
    summary: `Set sslmode in ${src.label} to a valid mode${suggestion ? ` ("${suggestion}")` : ''}.`,
    steps,
    ...snippetOf(snippet),
  }
}

function appFileSummary(p: AppFileErrorParams): string {
  switch (p.case) {
    case 'knexfile-missing':
      return `The knexfile ${p.file} (--knexfile) does not exist.`
    case 'knex-environment-missing':
      return `${p.file} has no "${p.environment}" environment (it has: ${p.environments.join(', ') || 'none'}); set --knex-env or NODE_ENV.`
    case 'knexfile-failed':
      return `Loading ${p.file} (environment ${p.environment}) failed: ${p.errorName ? `${p.errorName}: ` : ''}${appFileFailureText(p.error)}`
    case 'prisma-env-unset':
      return `${p.file} reads ${p.setting} from env("${p.variable}"), and ${p.variable} is not set${p.empty ? ' (it is empty)' : ''}: Prisma stops with "Environment variable not found: ${p.variable}"${p.directUrl ? ' (prisma migrate uses directUrl)' : ''}.`
    case 'tool-config-failed':
      return `Loading ${p.file} (as ${p.tool} loads it) failed: ${appFileFailureText(p.error)}`
    case 'tool-env-unset':
      return `${p.file} (environment "${p.environment}") says use_env_variable: "${p.variable}", and ${p.variable} is not set: sequelize-cli stops with "ERROR: Error parsing url: undefined".`
    case 'tool-environment-missing':
      return `${p.file} has no postgres settings for the environment "${p.environment}" (it has: ${p.environments.join(', ') || 'none'}); sequelize-cli takes --env, else NODE_ENV, else development.`
  }
}

function appFileFix(p: AppFileErrorParams): Fix {
  if (p.case === 'tool-env-unset') {
    return {
      summary: `Set ${p.variable} where sequelize-cli runs: it never reads .env by itself.`,
      steps: [
        `Export ${p.variable} in the shell or CI job that runs sequelize-cli, or load the env file in the script: "migrate": "node --env-file=.env node_modules/.bin/sequelize-cli db:migrate".`,
        `Check the name: ${p.file} says "use_env_variable": "${p.variable}" for the "${p.environment}" environment.`,
      ],
      snippet: {language: 'bash', code: `export ${p.variable}='${URL_TEMPLATE}'`},
    }
  }
  if (p.case === 'tool-environment-missing') {
    return {
      summary: `Add a "${p.environment}" section to ${p.file}, or run sequelize-cli with the environment that has one (--env, NODE_ENV).`,
      steps: [
        `sequelize-cli picks the section by --env, else NODE_ENV, else "development"; ${p.file} has: ${p.environments.join(', ') || 'none'}.`,
        'db-doctor takes the same environment from --knex-env or NODE_ENV.',
      ],
    }
  }
  if (p.case === 'tool-config-failed' && (p.tool === 'typeorm' || p.tool === 'sequelize-cli')) {
    const cmd = p.tool === 'typeorm' ? `npx typeorm migration:show -d ${p.file}` : 'npx sequelize-cli db:migrate:status'
    return {
      summary: `Make ${p.file} load the way ${p.tool === 'typeorm' ? 'the TypeORM CLI' : 'sequelize-cli'} loads it.`,
      steps: [
        `Run ${cmd} once to see the same error with its stack.`,
        p.tool === 'typeorm'
          ? 'A TypeScript data source needs a loader: typeorm-ts-node-commonjs / typeorm-ts-node-esm (ts-node), or tsx ./node_modules/typeorm/cli.js.'
          : 'A config.js must export an object (or a function returning one) keyed by environment.',
      ],
    }
  }
  if (p.case === 'prisma-env-unset') {
    return {
      summary: `Set ${p.variable}, which ${p.file} reads, where Prisma reads it (the environment or .env).`,
      steps: [
        `Add ${p.variable} to .env (or export it) with the connection URL Prisma should use.`,
        `Check the name: ${p.file} says env("${p.variable}").`,
        `Run npx prisma migrate status to see Prisma's own message.`,
      ],
      snippet: {language: 'dotenv', code: `${p.variable}="${URL_TEMPLATE}"`},
    }
  }
  const environment =
    p.case === 'knexfile-missing' || p.case === 'tool-config-failed' || !('environment' in p)
      ? undefined
      : p.environment || undefined
  return {
    summary: `Make ${p.file} load${environment ? ` for the "${environment}" environment` : ''}, as your migration tool would load it.`,
    steps: [
      `Run the migration tool's own command once (for knex: npx knex migrate:status${environment ? ` --env ${environment}` : ''}) to see the same error with its stack.`,
      'A knexfile often reads process.env.DATABASE_URL: make sure the variable is set in the environment or in the .env file db-doctor reads (--env-file).',
      'Pick the environment with --knex-env (or NODE_ENV), or point at another file with --knexfile.',
    ],
  }
}

function toolName(p: EnvFileParams): string {
  switch (p.tool) {
    case 'knex':
      return 'the knex CLI'
    case 'prisma':
      return `Prisma ${Number.parseInt(p.version, 10)}`
    case 'typeorm':
      return 'the TypeORM CLI'
    case 'node':
      return p.script ? `\`${p.script.segment}\`` : 'node'
    default:
      return p.tool
  }
}

/** The command a user types to run the tool's migrations by hand. */
function byHandCommand(p: EnvFileParams): string {
  switch (p.tool) {
    case 'prisma':
      return 'npx prisma migrate deploy'
    case 'knex':
      return 'npx knex migrate:latest'
    case 'typeorm':
      return 'npx typeorm migration:run -d <data source>'
    case 'sequelize-cli':
      return 'npx sequelize-cli db:migrate'
    case 'drizzle-kit':
      return 'npx drizzle-kit migrate'
    case 'node':
      return p.script?.segment ?? 'node <script>'
    default:
      return 'npx node-pg-migrate up'
  }
}

/** A node command line with Node's own --env-file in front of the file it runs. */
function nodeWithEnvFile(segment: string, envFile: string): string {
  const file = envFile.includes(' ') ? `'${envFile}'` : envFile
  return segment.replace(/(^|[\s/])(node|tsx|ts-node)(\s)/, `$1$2 --env-file=${file}$3`)
}

function consequence(w: WithoutEnvFile): string {
  switch (w.kind) {
    case 'stops':
      return `it stops: ${configProblemSummary(w.problem)}`
    case 'no-password':
      return `it connects without a password${w.target ? ` to ${w.target}` : ''} (node-postgres fails with "SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string", knex then "Unable to acquire a connection")`
    case 'other-target':
      return `it connects to ${w.target} instead`
    case 'no-connection':
      return `the connection in ${w.file} is empty, so knex creates no pool and stops with "Unable to acquire a connection" (lib/client.js acquireConnection) without asking any server`
  }
}

function envFileSummary(
  code: 'CONFIG_ENV_FILE_NOT_LOADED' | 'CONFIG_ENV_FILE_LOADER_UNKNOWN',
  p: EnvFileParams,
): string {
  const settings = p.variables.length ? p.variables.join(', ') : p.fields.join(', ')
  const comes = p.variables.length > 1 ? 'come' : 'comes'
  if (code === 'CONFIG_ENV_FILE_LOADER_UNKNOWN') {
    return `${settings} ${comes} only from ${p.envFile}, and ${toolName(p)} does not read ${p.envFile} by itself; no package.json script runs ${p.tool}${p.launchers?.length ? ` and db-doctor does not model what ${p.launchers.join(', ')} ${p.launchers.length > 1 ? 'load' : 'loads'} for it` : ', and nothing here shows what loads it'}. Run as \`${byHandCommand(p)}\`, ${consequence(p.without)}.`
  }
  if (p.launchers && !p.script && !p.otherFile) {
    return `${settings} ${comes} only from ${p.envFile}, and ${toolName(p)} does not read ${p.envFile} by itself${p.tool === 'node-pg-migrate' ? ' without dotenv installed' : ''}; no package.json script, Makefile, CI workflow, Procfile or Dockerfile runs it, so it runs by hand (\`${byHandCommand(p)}\`) with this shell's environment, which does not have them: ${consequence(p.without)}.`
  }
  const how = p.script ? `npm run ${p.script.name} (${p.script.segment})` : `${p.tool}`
  return p.otherFile
    ? `${how} loads ${p.otherFile}, not ${p.envFile}: ${settings} from ${p.envFile} never reach ${p.tool}, and ${consequence(p.without)}.`
    : p.tool === 'node'
      ? `${settings} ${comes} only from ${p.envFile}, which ${how} never loads: node does not read ${p.envFile} by itself, and neither the script line nor the file it runs loads it (dotenv, process.loadEnvFile, --env-file): ${consequence(p.without)}.`
      : `${settings} ${comes} only from ${p.envFile}, which ${how} never loads (${toolName(p)} does not read ${p.envFile}${p.tool === 'node-pg-migrate' ? ' without dotenv installed' : ''}, and nothing in the script${p.tool === 'node-pg-migrate' ? '' : ' or the config file'} loads it): ${consequence(p.without)}.`
}

/** The script line (with a loader) that makes the migration tool see the env file. */
function envFileFix(code: 'CONFIG_ENV_FILE_NOT_LOADED' | 'CONFIG_ENV_FILE_LOADER_UNKNOWN', p: EnvFileParams): Fix {
  const {tool, envFile} = p
  const scriptName = p.script?.name ?? 'migrate'
  const line =
    tool === 'node'
      ? nodeWithEnvFile(p.script?.segment ?? 'node <script>', envFile)
      : scriptWithLoader(tool, p.script?.segment, envFile)
  const vars = p.variables.length ? p.variables.join(', ') : 'the settings'
  const other = p.otherFile
  const steps: string[] = []
  if (other)
    steps.push(
      `If ${other} is the file meant for migrations, check what the tool sees instead: db-doctor check --env-file ${other}.`,
    )
  steps.push(
    p.script
      ? `In package.json, change the "${scriptName}" script to load ${envFile} with Node's own --env-file (Node 20.6 or later): "${scriptName}": "${line}".`
      : `Run ${tool} through a package.json script that loads ${envFile} with Node's own --env-file (Node 20.6 or later): "${scriptName}": "${line}", then npm run ${scriptName}.`,
  )
  if (tool === 'knex') {
    steps.push(
      `Or load it in the knexfile itself, first line: require('dotenv').config({ quiet: true }) (dotenv installed; quiet keeps dotenv 17 from printing on stdout).`,
    )
  } else if (tool === 'node') {
    steps.push(
      `Or load it in the file the script runs, first line: process.loadEnvFile() (Node 20.12 or later), or import 'dotenv/config' (dotenv installed).`,
    )
  } else if (tool === 'node-pg-migrate') {
    steps.push(
      `Or install dotenv in the app (npm install --save-dev dotenv): node-pg-migrate then loads ${envFile === '.env' ? '.env' : `${envFile} (with --envPath ${envFile})`} by itself.`,
    )
  } else {
    steps.push(
      `Or load it in prisma.config.ts, first line: import 'dotenv/config' (dotenv installed), as Prisma documents for Prisma 7.`,
    )
  }
  steps.push(
    `Other loaders work too: dotenv-cli (dotenv -e ${envFile} -- …), env-cmd (env-cmd -f ${envFile} …), node -r dotenv/config. Or export ${vars} in the shell or CI job that runs the migration.`,
  )
  if (code === 'CONFIG_ENV_FILE_LOADER_UNKNOWN') {
    steps.push(
      `If whatever runs ${tool} already exports ${vars} (a CI job, docker-compose, a shell profile), this warning does not apply.`,
    )
  }
  steps.push(
    `db-doctor reads ${envFile} itself; to check exactly what ${tool} sees without it, run db-doctor check --env-file /dev/null.`,
  )
  return {
    summary:
      code === 'CONFIG_ENV_FILE_LOADER_UNKNOWN'
        ? `Make sure ${envFile} is loaded where ${tool} runs, e.g. "${scriptName}": "${line}".`
        : `Load ${envFile} for ${tool}: "${scriptName}": "${line}".`,
    steps,
    snippet: {language: 'json', code: `"scripts": {\n  "${scriptName}": "${line}"\n}`},
  }
}

function notFoundSummary(p: NotFoundParams): string {
  if (p.case === 'empty-knexfile') {
    return `${p.label} is empty: the ${p.environment !== null ? `"${p.environment}" environment of ` : ''}${p.file} configures no connection (an unset environment variable?).`
  }
  return `No connection settings found (no argument, DATABASE_URL, POSTGRES_URL, DB_*, DATABASE_*, SUPABASE_DB_* or PG* variables); using the defaults ${p.target}.`
}

function notFoundFix(p: NotFoundParams): Fix {
  const others = p.case === 'defaults' ? p.otherEnvFiles : []
  const steps = [
    `Pass the connection as an argument: db-doctor check '${URL_TEMPLATE}' (or "host=HOST port=5432 dbname=DATABASE user=USER").`,
    'Or put DATABASE_URL (or POSTGRES_URL) in a .env file in this folder, as most apps read it.',
    'Or set discrete variables: DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD (DATABASE_* and SUPABASE_DB_* work too).',
    'Or the libpq/node-postgres variables: PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE.',
  ]
  if (others.length)
    steps.unshift(
      `Found ${others.join(', ')} here: if your settings live there, run db-doctor check --env-file ${others[0]}.`,
    )
  return {
    summary: 'Tell db-doctor (the way you tell your app) where the database is; it is testing the defaults for now.',
    steps,
    snippet: {language: 'dotenv', code: `# .env\nDATABASE_URL="${URL_TEMPLATE}"`},
  }
}

const CONFIG_URL_INVALID = define<UrlInvalidParams>({
  code: 'CONFIG_URL_INVALID',
  check: 'config',
  status: CONFIG_DEFAULT_STATUS.CONFIG_URL_INVALID,
  title: 'Connection string cannot be parsed',
  meaning:
    'The connection string (or a port variable) cannot be parsed, or names no host (`postgres://`, `postgres:///db`: node-postgres would silently use localhost:5432); the report names its source and where it breaks (unexpanded `${VAR}`, quotes inside the value, a `#` cut by dotenv, bad port…). The report header then shows no target rather than the defaults.',
  causes: [
    'a variable reference such as ${DB_HOST} that nothing expanded',
    'a URL assembled from variables that are empty where the app runs (`postgres://:@/`)',
    'quotes or spaces kept inside the value (docker --env-file, CI secrets)',
    'an unquoted `#` in .env: dotenv cuts the value there',
    'a port that is not a number, or a misspelt scheme',
  ],
  fix: 'Correct it where it is set, in the form `postgres://USER:PASSWORD@HOST:5432/DB?sslmode=verify-full`; quote `.env` values containing `#`.',
  transient: false,
  matchers: [
    'Invalid URL',
    'ERR_INVALID_URL',
    'invalid URI query parameter',
    'invalid connection option',
    {re: /invalid integer value "[^"]{0,200}" for connection option "port"/i, needle: 'for connection option "port"'},
    {re: /invalid port number: "[^"]{0,200}"/i, needle: 'invalid port number'},
    {re: /missing "=" after "[^"]{0,200}" in connection info string/i, needle: 'in connection info string'},
    'P1013',
    'The provided database string is invalid',
    // Prisma's datasource validation (a P1012 line; an empty or non-postgres URL): prisma-engines psl,
    // PostgresDatamodelConnector validate_url ("must start with the protocol `postgresql://` or `postgres://`.")
    {re: /the URL must start with the protocol `[a-z]{1,20}:/i, needle: 'the url must start with the protocol'},
    'invalid connection string',
    'invalid database url',
  ],
  examples: [
    {
      source: 'node',
      text: "TypeError: Invalid URL\n    at new URL (node:internal/url:816:29) { code: 'ERR_INVALID_URL', input: 'postgres://app:${DB_PASSWORD}@db:5432/app' }",
    },
    {source: 'libpq', text: 'psql: error: invalid integer value "5432abc" for connection option "port"'},
    {
      source: 'prisma',
      text: 'error: Error validating datasource `db`: the URL must start with the protocol `postgresql://` or `postgres://`.',
    },
    {source: 'libpq', text: 'psql: error: invalid URI query parameter: "ssl"'},
    {source: 'libpq', text: 'psql: error: missing "=" after "postgres:" in connection info string'},
    // P1013 InvalidConnectionString (prisma-engines libs/user-facing-errors/src/common.rs), details from
    // quaint.rs invalid_url_description; printed as in https://github.com/linkwarden/linkwarden/issues/519
    {
      source: 'prisma',
      text: 'Error: P1013: The provided database string is invalid. invalid port number in database URL. Please refer to the documentation in https://www.prisma.io/docs/reference/database-reference/connection-urls for constructing a correct connection string. In some cases, certain characters must be escaped. Please check the string for any illegal characters.',
    },
  ],
  summary: urlInvalidSummary,
  buildFix: urlInvalidFix,
})

const CONFIG_PASSWORD_NOT_ENCODED = define<PasswordNotEncodedParams>({
  code: 'CONFIG_PASSWORD_NOT_ENCODED',
  check: 'config',
  status: CONFIG_DEFAULT_STATUS.CONFIG_PASSWORD_NOT_ENCODED,
  title: 'Password breaks the URL',
  meaning:
    "The user or password contains a character that changes what node-postgres (and knex's own parser) read: `#`, `/`, `?`, a tab or line break — or an escape such as `%2F` in a URL that also contains a space or a stray `%` (node-postgres then re-encodes the URL and reads `%2F` as three characters). The report shows the masked, correctly encoded URL — never the password. Later checks are skipped. (`@` and a stray `%` are read as written by node-postgres: CONFIG_PASSWORD_ENCODING_LENIENT.)",
  causes: [
    'a generated password with `#`, `/` or `?` pasted into the URL unencoded',
    'a URL mixing percent-escapes and a raw space or `%`',
  ],
  fix: "Encode it (`node -e 'console.log(encodeURIComponent(process.argv[1]))' 'PASSWORD'`) and quote the value in `.env`.",
  transient: false,
  // Prisma: a raw '/', '#' or '?' in the password ends the authority early and the rest is read as the
  // port ("invalid port number in database URL", https://github.com/PatchMon/PatchMon/issues/394): shown
  // next to CONFIG_URL_INVALID, which P1013 also names.
  matchers: ['URI malformed', 'URIError', 'invalid port number in database URL'],
  examples: [
    {
      source: 'node-postgres',
      text: 'URIError: URI malformed\n    at decodeURIComponent (<anonymous>)\n    at parse (node_modules/pg-connection-string/index.js:31:26)',
    },
    {
      source: 'prisma',
      text: 'Error: P1013: The provided database string is invalid. invalid port number in database URL. Please refer to the documentation in https://www.prisma.io/docs/reference/database-reference/connection-urls for constructing a correct connection string. In some cases, certain characters must be escaped. Please check the string for any illegal characters.',
    },
  ],
  summary: (p) =>
    `The ${encodedParts(p.parts)} in ${p.source.label} contains ${list(p.characters)}, which must be percent-encoded in a URL${p.dotenvCut ? `; and ${CUT(p.source.file)}` : ''}.`,
  buildFix: (p) => encodingFix('CONFIG_PASSWORD_NOT_ENCODED', p),
})

const CONFIG_PASSWORD_ENCODING_LENIENT = define<PasswordLenientParams>({
  code: 'CONFIG_PASSWORD_ENCODING_LENIENT',
  check: 'config',
  status: CONFIG_DEFAULT_STATUS.CONFIG_PASSWORD_ENCODING_LENIENT,
  title: 'Password should be percent-encoded',
  meaning:
    'The user or password contains characters the URL standard wants encoded that node-postgres and knex read as written, so the app connects: a space, `"`, `^`, `[`, `]`, `\\`, `{`, `}`, `|`, non-ASCII… (psql reads them too; strict URL parsers such as Go\'s `net/url` reject the URL), and `@` or a `%` not followed by two hex digits, which break psql, pg_dump and other libpq tools (libpq splits at the first `@`; rejects the stray `%`). The login still runs. `:` in the password is allowed and not reported.',
  causes: [
    'a generated password with URL-reserved characters, accepted by lenient parsers only',
    'an `@` in the password, which the Node app reads and psql does not',
  ],
  fix: 'Percent-encode the user and password as above; node-postgres decodes them to the same values.',
  transient: false,
  matchers: [
    'net/url: invalid userinfo',
    {
      re: new RegExp(`parse "${POSTGRES_SCHEME.source}[^"]{0,500}": net\\/url: invalid`, 'i'),
      needle: 'net/url: invalid',
    },
    'invalid percent-encoded token',
  ],
  examples: [
    {source: 'golang-migrate', text: 'error: parse "postgres://app:****@db:5432/app": net/url: invalid userinfo'},
    {source: 'libpq', text: 'psql: error: invalid percent-encoded token: "pa%zz"'},
  ],
  summary: lenientSummary,
  buildFix: (p) => encodingFix('CONFIG_PASSWORD_ENCODING_LENIENT', p),
})

const CONFIG_SSLMODE_INVALID = define<SslmodeInvalidParams>({
  code: 'CONFIG_SSLMODE_INVALID',
  check: 'config',
  status: CONFIG_DEFAULT_STATUS.CONFIG_SSLMODE_INVALID,
  title: 'sslmode is not a valid mode',
  meaning:
    "`sslmode` is not one of `disable`, `allow`, `prefer`, `require`, `verify-ca`, `verify-full`, `no-verify`; or a URL says `ssl=<text>` other than `true`, `1`, `0`, `no-verify` (e.g. `ssl=false`): node-postgres keeps the text, which counts as true, asks for SSL and then throws \"Cannot use 'in' operator to search for 'key' in false\" from a socket event (the app crashes).",
  causes: [
    'a typo (`requre`, `verify_full`)',
    'a value from another driver (`true`, `on`, `required`)',
    '`ssl=false` / `ssl=require` in a URL (JDBC habits)',
  ],
  fix: 'Use a valid mode (the report suggests the likely one) in the variable or file named; for `ssl=false` write `sslmode=disable` (or `ssl=0`).',
  transient: false,
  matchers: [
    {re: /invalid sslmode value: "[^"]{0,100}"/i, needle: 'invalid sslmode value'},
    {re: /invalid value for (?:parameter )?"?sslmode"?/i, needle: 'for parameter'},
    {re: /Cannot use 'in' operator to search for 'key' in [^\s]{1,100}/, needle: "search for 'key' in"},
  ],
  examples: [
    {source: 'libpq', text: 'psql: error: invalid sslmode value: "requre"'},
    {
      source: 'node-postgres',
      text: "TypeError: Cannot use 'in' operator to search for 'key' in false\n    at TLSSocket.<anonymous> (node_modules/pg/lib/connection.js:110:17)",
    },
  ],
  summary: sslmodeSummary,
  buildFix: sslmodeFix,
})

const CONFIG_APP_FILE_ERROR = define<AppFileErrorParams>({
  code: 'CONFIG_APP_FILE_ERROR',
  check: 'config',
  status: CONFIG_DEFAULT_STATUS.CONFIG_APP_FILE_ERROR,
  title: "The app's configuration file fails",
  meaning:
    'The knexfile threw while loading (message shown, redacted), lacks the environment, or `--knexfile` does not exist; or the Prisma schema reads its `url` / `directUrl` from `env("X")` and X is not set (Prisma stops with "Environment variable not found"; db-doctor does not fall back to another variable).',
  causes: [
    'a variable the file reads is not set where the tool runs (the knex CLI and Prisma 7 do not read `.env`)',
    'the environment (NODE_ENV / --env) has no section in the knexfile',
    'the file throws (syntax error, missing module)',
  ],
  fix: 'Fix the file, set the variables it reads, or choose the environment with `--knex-env` / `NODE_ENV`.',
  transient: false,
  matchers: [
    {re: /Environment variable not found: [A-Z_][A-Z0-9_]{0,100}/i, needle: 'environment variable not found'},
    'P1012',
    'Failed to load datasource config',
    {re: /knex: required configuration option 'client' is missing/i, needle: "'client' is missing"},
    'No configuration for environment',
    'Failed to resolve environment',
  ],
  examples: [
    // Prisma 5 schema validation (P1012), as printed in https://github.com/mickasmt/next-saas-stripe-starter/issues/68
    {
      source: 'prisma',
      text: 'Error: Prisma schema validation - (get-config wasm)\nError code: P1012\nerror: Environment variable not found: DATABASE_URL.\n  -->  prisma/schema.prisma:10\n   | \n 9 |   provider     = "postgresql"\n10 |   url          = env("DATABASE_URL")\n   | \n\nValidation Error Count: 1\n[Context: getConfig]',
    },
    {source: 'knex', text: "Error: knex: Required configuration option 'client' is missing."},
  ],
  summary: appFileSummary,
  buildFix: appFileFix,
})

const APP_TOOL_CLI: Record<AppFileLimitParams['tool'], string> = {
  knex: 'knex CLI',
  prisma: 'Prisma CLI',
  typeorm: 'TypeORM CLI',
  'sequelize-cli': 'sequelize-cli',
  'drizzle-kit': 'drizzle-kit CLI',
}

function appToolCommand(p: AppFileLimitParams): string {
  const env = p.environment ? ` --env ${p.environment}` : ''
  switch (p.tool) {
    case 'knex':
      return `npx knex migrate:status${env}`
    case 'prisma':
      return 'npx prisma migrate status'
    case 'typeorm':
      return `npx typeorm migration:show -d ${p.file}`
    case 'sequelize-cli':
      return `npx sequelize-cli db:migrate:status${env}`
    case 'drizzle-kit':
      return `npx drizzle-kit check --config ${p.file}`
  }
}

const CONFIG_APP_FILE_LIMIT = define<AppFileLimitParams>({
  code: 'CONFIG_APP_FILE_LIMIT',
  check: 'config',
  status: CONFIG_DEFAULT_STATUS.CONFIG_APP_FILE_LIMIT,
  title: "The app's configuration file did not finish loading within db-doctor's limits",
  meaning:
    "db-doctor runs the app's knexfile, prisma.config.ts, drizzle.config.ts, TypeORM data source or sequelize-cli config.js / .sequelizerc (when the tool would run it, see docs/app-code.md) in a child process with a time budget (--timeout) and a memory cap. The file's code was still running when the budget ran out (a synchronous endless loop, a promise that never settles, a `connection` function that never returns, a network call at load time), or it used more memory than the cap: the child was stopped. The migration tool would hang or run out of memory the same way, before connecting. What the file printed before it was stopped is shown on stderr, redacted.",
  causes: [
    'a loop or a blocking wait in the knexfile / prisma.config.ts / drizzle.config.ts / data source / config.js at load time',
    'a secret fetched over the network at load time (a vault, a cloud secret manager) that does not answer',
    'a file that builds something huge while loading (or is not a configuration file at all)',
  ],
  fix: 'Make the file return its configuration without waiting on anything; fetch secrets in the `connection` function with a timeout, or raise --timeout when a slow load is expected.',
  transient: false,
  matchers: [],
  examples: [{source: 'db-doctor', text: '✗ Configuration CONFIG_APP_FILE_LIMIT (5012 ms)'}],
  summary: (p) =>
    p.limit === 'time'
      ? `${p.file}${p.environment ? ` (environment ${p.environment})` : ''} was still running after ${p.amount} ms and was stopped: the ${APP_TOOL_CLI[p.tool]} would hang the same way before connecting.`
      : `${p.file}${p.environment ? ` (environment ${p.environment})` : ''} used more than ${p.amount} MiB of memory while loading and was stopped: the ${APP_TOOL_CLI[p.tool]} would run out of memory the same way.`,
  buildFix: (p) => ({
    summary: `Make ${p.file} return its configuration without ${p.limit === 'time' ? 'waiting on anything at load time' : 'building large data at load time'}.`,
    steps: [
      `Run the tool's own command once (${appToolCommand(p)}) to see it hang or fail the same way.`,
      p.limit === 'time'
        ? 'Look for a loop, a busy wait, or a network call at the top level of the file (or of a module it requires); a secret fetched from a vault belongs in an async `connection` function with its own timeout.'
        : 'Look for data built at the top level of the file (or a module it requires); a configuration is a few small values.',
      p.limit === 'time'
        ? `If the load is slow but finishes (a slow secret store), give it more time: --timeout ${Math.max(p.amount * 3, 15000)}.`
        : 'Check that the path points at the configuration file and not at a data file.',
    ],
  }),
})

const CONFIG_ENV_FILE_NOT_LOADED = define<EnvFileParams>({
  code: 'CONFIG_ENV_FILE_NOT_LOADED',
  check: 'config',
  status: CONFIG_DEFAULT_STATUS.CONFIG_ENV_FILE_NOT_LOADED,
  title: 'The migration tool never loads the .env file',
  meaning:
    'A setting the connection needs comes only from the env file db-doctor read (`.env`), and the migration tool, launched the way package.json runs it, never loads that file: the knex CLI never reads `.env`; node-pg-migrate reads it only when dotenv is installed; Prisma 6 skips it when a `prisma.config.ts` exists and Prisma 7 never reads it; an app without a migration tool whose package.json scripts run node files importing `pg` or `postgres` (`node migrate.mjs`) reads it only when the script line or the file loads it; and the script has no loader (`node --env-file`, `-r dotenv/config`, dotenv-cli, env-cmd) or loads another file. The evidence names the variables, the file, the script, and what was modelled (tool, version, loader); the fix is the script line with a loader. Later checks are skipped: the tool would not connect with these settings.',
  causes: [
    'a `knex migrate:latest` script with DATABASE_URL / DB_PASSWORD only in `.env`',
    'node-pg-migrate without dotenv installed in the app',
    'Prisma 7, or Prisma 6 with a prisma.config.ts that does not import dotenv/config',
    'a script that loads `.env.production` while the settings are in `.env`',
    'a plain `node migrate.mjs` script (postgres.js or node-postgres, no migration tool) that never calls dotenv or `process.loadEnvFile()`',
  ],
  fix: 'Load the file for the tool: `"migrate": "node --env-file=.env node_modules/.bin/knex migrate:latest"` (or dotenv in the knexfile / prisma.config.ts, dotenv-cli, env-cmd, or dotenv installed for node-pg-migrate).',
  transient: false,
  matchers: [
    // pg/lib/crypto/sasl.js: a password variable that is not set reaches node-postgres as undefined
    'client password must be a string',
    // node-pg-migrate 9 bin/node-pg-migrate.js (the variable named by --database-url-var, DATABASE_URL by default)
    'environment variable is not set or incomplete connection parameters',
  ],
  examples: [
    {source: 'knex', text: 'Error: SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string'},
    {
      source: 'node-pg-migrate',
      text: 'The DATABASE_URL environment variable is not set or incomplete connection parameters are provided.',
    },
  ],
  summary: (p) => envFileSummary('CONFIG_ENV_FILE_NOT_LOADED', p),
  buildFix: (p) => envFileFix('CONFIG_ENV_FILE_NOT_LOADED', p),
})

const CONFIG_ENV_FILE_LOADER_UNKNOWN = define<EnvFileParams>({
  code: 'CONFIG_ENV_FILE_LOADER_UNKNOWN',
  check: 'config',
  status: CONFIG_DEFAULT_STATUS.CONFIG_ENV_FILE_LOADER_UNKNOWN,
  title: 'Nothing shows that the migration tool loads .env',
  meaning:
    'A setting the connection needs comes only from the env file db-doctor read, the migration tool does not load that file by itself (knex CLI, node-pg-migrate without dotenv, Prisma 7 or Prisma 6 with prisma.config.ts), and no package.json script shows how the tool is run. Run as `npx knex migrate:latest`, it would not see those settings; a CI job or shell that exports them would.',
  causes: ['migrations run by hand (`npx knex migrate:latest`) or from a CI step db-doctor cannot see'],
  fix: 'Run the tool through a script that loads the file (`node --env-file=.env node_modules/.bin/knex migrate:latest`), or make sure whatever runs it exports the variables.',
  transient: false,
  matchers: [],
  examples: [{source: 'db-doctor', text: '! Configuration CONFIG_ENV_FILE_LOADER_UNKNOWN (3 ms)'}],
  summary: (p) => envFileSummary('CONFIG_ENV_FILE_LOADER_UNKNOWN', p),
  buildFix: (p) => envFileFix('CONFIG_ENV_FILE_LOADER_UNKNOWN', p),
})

const CONFIG_NOT_FOUND = define<NotFoundParams>({
  code: 'CONFIG_NOT_FOUND',
  check: 'config',
  status: CONFIG_DEFAULT_STATUS.CONFIG_NOT_FOUND,
  title: 'Nothing configured a connection',
  meaning: 'Nothing configured a connection: the defaults (localhost:5432, OS user) are being tested.',
  causes: ['the variables are set in another shell, CI step or container', 'the .env file is in another folder'],
  fix: 'Pass a URL, set `DATABASE_URL` in `.env`, use `DB_*` or `PG*` variables, or `--env-file`.',
  transient: false,
  matchers: ['environment variable is not set or incomplete connection parameters are provided'],
  examples: [
    {
      source: 'node-pg-migrate',
      text: 'The DATABASE_URL environment variable is not set or incomplete connection parameters are provided.',
    },
    {source: 'db-doctor', text: '! Configuration CONFIG_NOT_FOUND (2 ms)'},
  ],
  summary: notFoundSummary,
  buildFix: notFoundFix,
})

const CONFIG_TOOL_UNMODELLED = define<ToolUnmodelledParams>({
  code: 'CONFIG_TOOL_UNMODELLED',
  check: 'config',
  status: CONFIG_DEFAULT_STATUS.CONFIG_TOOL_UNMODELLED,
  title: 'The migration tool the project runs is not modelled',
  meaning:
    "package.json shows a migration tool db-doctor knows by name but does not model (kysely-ctl, MikroORM's CLI, umzug): how it finds its config, loads `.env` and builds the driver's options is not predicted. The verdicts follow the driver model named in the report's `modelled` field instead.",
  causes: [
    'migrations run with `kysely migrate:latest` (kysely-ctl), `mikro-orm migration:up`, or an umzug script',
    'the project uses such a tool beside one db-doctor models',
  ],
  fix: "Point db-doctor at the same settings the tool reads (pass the URL, or --env-file with the tool's env file) and confirm with the tool's own migrate command.",
  transient: false,
  matchers: [],
  examples: [{source: 'db-doctor', text: '! Configuration CONFIG_TOOL_UNMODELLED (2 ms)'}],
  summary: (p) =>
    `package.json ${p.script ? `runs ${p.tool} (script "${p.script}")` : `depends on ${p.dependency ?? p.tool}`}, a migration tool db-doctor does not model: how it reads its config and .env is not predicted. The verdicts below follow ${stackText(p.modelled)} instead.`,
  buildFix: (p) => ({
    summary: `Give db-doctor the settings ${p.tool} uses, and confirm with ${p.tool} itself.`,
    steps: [
      `Pass db-doctor the connection ${p.tool} really uses (db-doctor check "postgres://…", or --env-file with the file ${p.tool} loads).`,
      `Run ${p.tool}'s own migrate command once to confirm; db-doctor modelled ${stackText(p.modelled)}.`,
    ],
  }),
})

const CONFIG_DRIVER_UNMODELLED = define<DriverUnmodelledParams>({
  code: 'CONFIG_DRIVER_UNMODELLED',
  check: 'config',
  status: CONFIG_DEFAULT_STATUS.CONFIG_DRIVER_UNMODELLED,
  title: 'The driver the app uses is not modelled',
  meaning:
    'The app (or its migration tool) connects with a driver db-doctor does not model: the TLS, authentication and parameter verdicts follow node-postgres rules, which may not be what that driver does.',
  causes: [
    'the migration tool picks a serverless driver (@neondatabase/serverless, @vercel/postgres) that is installed before pg',
    'the app depends on a driver other than pg and postgres',
  ],
  fix: 'Confirm TLS and login with the app itself; install pg (or postgres) if that is the driver you meant the tool to use.',
  transient: false,
  matchers: [],
  examples: [{source: 'db-doctor', text: '! Configuration CONFIG_DRIVER_UNMODELLED (2 ms)'}],
  summary: (p) =>
    `${p.tool ?? 'The app'} connects with ${p.package} (${driverChoiceText(p.why)}), which db-doctor does not model: the TLS and login verdicts below follow node-postgres rules and may differ from what ${p.package} does.`,
  buildFix: (p) => ({
    summary: `Check the connection with ${p.package} itself; db-doctor's verdicts are node-postgres's.`,
    steps: [
      `${driverChoiceText(p.why)}.`,
      `Run the app's own connection once (for a migration tool: its migrate command) to confirm what ${p.package} does.`,
      p.tool
        ? `If ${p.tool} should use pg or postgres (postgres.js), install that driver: ${p.tool} picks the first one installed.`
        : 'If the app should use pg or postgres (postgres.js), depend on that driver.',
    ],
  }),
})

function startupParamFix(p: StartupParamParams): Fix {
  const schema = p.params.find((x) => x.toLowerCase() === 'schema')
  const steps = [
    `${p.driver} ${p.version} sends every URL parameter it does not use itself to the server; PostgreSQL has no setting named ${list(p.params.map((x) => `"${x}"`))}.`,
    `Remove ${list(p.params.map((x) => `${x}=…`))} from the URL in ${where(p.source)}.`,
  ]
  if (schema)
    steps.push(
      'To choose the schema, use search_path, which PostgreSQL accepts as a startup parameter: ?search_path=<schema>.',
    )
  if (p.params.some((x) => x.toLowerCase() === 'uselibpqcompat'))
    steps.push(
      `${p.driver} does not need uselibpqcompat: with it, sslmode=require already means TLS without verification (sslmode=verify-full verifies).`,
    )
  const snippet = p.maskedUrl !== undefined ? assignment(p.source, p.maskedUrl) : undefined
  return {
    summary: `Remove ${list(p.params)} from the connection URL: ${p.driver} sends ${p.params.length > 1 ? 'them' : 'it'} to the server, which rejects ${p.params.length > 1 ? 'them' : 'it'}.`,
    steps,
    ...snippetOf(snippet),
  }
}

const CONFIG_UNKNOWN_SERVER_PARAMETER = define<StartupParamParams>({
  code: 'CONFIG_UNKNOWN_SERVER_PARAMETER',
  check: 'config',
  status: CONFIG_DEFAULT_STATUS.CONFIG_UNKNOWN_SERVER_PARAMETER,
  title: 'The app sends a setting the server does not know (42704)',
  meaning:
    'The server refuses a configuration parameter it does not know: `unrecognized configuration parameter "…"`. postgres.js sends every URL query parameter it does not use itself as a startup setting, so a Prisma-style `?schema=public` or `?connection_limit=5` (or `uselibpqcompat=true`, a node-postgres option) fails every connection; a `SET` in a migration for a setting of a newer server or a missing extension fails the same way.',
  causes: [
    'a Prisma-only URL parameter (`schema`, `connection_limit`, `pool_timeout`, `pgbouncer`) in a URL postgres.js or drizzle reads',
    'uselibpqcompat=true (a node-postgres option) in a postgres.js URL; postgres.js 3.4 with sslrootcert/sslcert/sslkey in the URL (only 4.x reads them)',
    'a setting of a newer PostgreSQL (or of an extension not loaded) in the URL `options=-c …` or in a migration',
  ],
  fix: 'Remove the parameter from the URL that postgres.js/drizzle reads (use `search_path` for a schema: `?search_path=app` or `connection.search_path`), or give each tool its own URL.',
  transient: false,
  matchers: [
    {re: /unrecognized configuration parameter "[^"\n]{1,200}"/i, needle: 'unrecognized configuration parameter'},
  ],
  examples: [
    // postgres.js 3.2+ forwards URL parameters, https://github.com/porsager/postgres/issues/367
    {source: 'postgres.js', text: 'PostgresError: unrecognized configuration parameter "schema"'},
  ],
  summary: (p) =>
    `${p.driver} ${p.version}${p.tool ? ` (used by ${p.tool})` : ''} sends ${list(p.params.map((x) => `${x}=`))} in ${p.source.label} to the server as ${p.params.length > 1 ? 'startup parameters' : 'a startup parameter'}, and PostgreSQL refuses the login: unrecognized configuration parameter "${p.params[0]}".`,
  buildFix: startupParamFix,
})

/** The script with `--knexfile <file>` added to the segment that runs the knex CLI. */
function scriptWithKnexfile(command: string, segment: string, file: string): string {
  const arg = /[\s'"$`\\]/.test(file) ? `'${file.replace(/'/g, `'\\''`)}'` : file
  return command.replace(segment, `${segment.trimEnd()} --knexfile ${arg}`)
}

const CONFIG_KNEXFILE_NOT_FOUND = define<KnexfileNotFoundParams>({
  code: 'CONFIG_KNEXFILE_NOT_FOUND',
  check: 'config',
  status: CONFIG_DEFAULT_STATUS.CONFIG_KNEXFILE_NOT_FOUND,
  statusText: 'fail when a package.json script runs the knex CLI without `--knexfile` (warn otherwise)',
  title: 'The knex CLI does not find the knexfile',
  meaning:
    'The knex CLI looks only for knexfile.js, .mjs, .coffee, .ts, .eg and .ls, in the working folder and then in its parents (knex 3 bin/cli.js); it never looks for knexfile.cjs. With only a knexfile.cjs and no `--knexfile`, `knex migrate:latest` stops with "No configuration file found and no commandline connection parameters passed" before connecting. db-doctor still reads the file to check the connection it configures.',
  causes: [
    'a knexfile renamed to .cjs (a package with "type": "module") and the script left as `knex migrate:latest`',
    'the knexfile in another folder than the one the CLI runs in, without `--knexfile`',
  ],
  fix: 'Name the file for the CLI: `knex migrate:latest --knexfile knexfile.cjs` in the script (or rename it to a name the CLI looks for, such as knexfile.js in a CommonJS package).',
  transient: false,
  matchers: ['No configuration file found and no commandline connection parameters passed'],
  examples: [
    // knex 3 bin/utils/cli-config-utils.js checkConfigurationOptions()
    {
      source: 'knex',
      text: 'Error: No configuration file found and no commandline connection parameters passed\n    at checkConfigurationOptions (node_modules/knex/bin/utils/cli-config-utils.js:109:11)',
    },
  ],
  summary: (p) =>
    p.script
      ? `The knex CLI does not look for ${p.file}: the script "${p.script.name}" (${p.script.segment}) stops with "No configuration file found and no commandline connection parameters passed" before connecting. db-doctor read ${p.file} to check the connection it configures.`
      : `The knex CLI does not look for ${p.file}: run as \`npx knex migrate:latest\` it stops with "No configuration file found and no commandline connection parameters passed". No package.json script runs the knex CLI, so db-doctor cannot tell how it is run; it read ${p.file} to check the connection.`,
  buildFix: (p) => {
    const fixed = p.script
      ? scriptWithKnexfile(p.script.command, p.script.segment, p.file)
      : `knex migrate:latest --knexfile ${p.file}`
    return {
      summary: p.script
        ? `Pass the knexfile to the CLI in the "${p.script.name}" script: ${fixed}`
        : `Pass the knexfile to the CLI: ${fixed}`,
      steps: [
        p.script
          ? `In package.json, set "${p.script.name}": "${fixed}".`
          : `Run migrations as \`npx ${fixed}\`, or add a script "migrate": "${fixed}" to package.json.`,
        `Or rename ${p.file} to a name the CLI looks for: knexfile.js in a CommonJS package (no "type": "module"), knexfile.mjs with \`export default\` in an ESM one.`,
      ],
      snippet: {
        language: 'json',
        code: `"scripts": {\n  "${p.script?.name ?? 'migrate'}": ${JSON.stringify(fixed)}\n}`,
      },
    }
  },
})

/** What the CLI prints and exits 1 with (drizzle-kit 0.31 bin.cjs drizzleConfigFromFile; yargs 17's demandOption). */
function toolConfigCliError(p: ToolConfigNotReadParams): string {
  if (p.tool === 'drizzle-kit') return `${p.missingPath ?? 'drizzle.config.json'} file does not exist`
  return 'Missing required argument: dataSource'
}

/** The script with `add` appended to the segment that runs the CLI. */
function scriptWithArg(command: string, segment: string, add: string): string {
  return command.replace(segment, `${segment.trimEnd()} ${add}`)
}

const CONFIG_TOOL_CONFIG_NOT_READ = define<ToolConfigNotReadParams>({
  code: 'CONFIG_TOOL_CONFIG_NOT_READ',
  check: 'config',
  status: CONFIG_DEFAULT_STATUS.CONFIG_TOOL_CONFIG_NOT_READ,
  statusText:
    'fail when a package.json script runs the CLI that way, or the CLI can read no config at all (warn otherwise)',
  title: "The tool's CLI does not read this config file",
  meaning:
    'The migration CLI looks for its config only where its own lookup looks, and db-doctor follows that lookup: drizzle-kit 0.31 reads `--config <path>`, else drizzle.config.ts, .js, .json in the working folder (never .mjs, .cjs, .mts, .cts: it stops with "<folder>/drizzle.config.json file does not exist"); the TypeORM 0.3+ CLI reads only the data source file named by `-d` (without it: "Missing required argument: dataSource") and never ormconfig.* (read by TypeORM 0.2). When db-doctor can still read the file, it checks the connection it configures and says the CLI will not see it.',
  causes: [
    'drizzle.config.mjs (or .cjs) in an ESM project: drizzle-kit only looks for .ts, .js and .json',
    "a script's --config naming a file that moved",
    'a TypeORM 0.2 project upgraded to 0.3+ with its ormconfig.json kept',
    'a `typeorm migration:run` script without `-d <data source>`',
  ],
  fix: 'Give the CLI a file it reads: drizzle.config.ts (or `--config <file>`) for drizzle-kit; a data source file passed with `-d` for TypeORM.',
  transient: false,
  matchers: [
    'Missing required argument: dataSource',
    {re: /drizzle\.config\.json file does not exist/, needle: 'file does not exist'},
  ],
  examples: [
    // yargs 17 demandOption of typeorm 0.3 / 1.x MigrationRunCommand; drizzle-kit 0.31 bin.cjs drizzleConfigFromFile,
    // printed by the real CLIs in test/differential/config-discovery.test.ts (temp folder shown as /srv/app)
    {source: 'typeorm', text: 'Missing required argument: dataSource'},
    {source: 'drizzle-kit', text: '/srv/app/drizzle.config.json file does not exist'},
  ],
  summary: (p) => {
    const run = p.script
      ? `the script "${p.script.name}" (${p.script.segment})`
      : `run as \`npx ${p.tool === 'typeorm' ? 'typeorm migration:run' : 'drizzle-kit migrate'}\`, it`
    const stops = `${run} stops with "${toolConfigCliError(p)}" before connecting`
    const read = p.read ? ` db-doctor read ${p.file} to check the connection it configures.` : ''
    switch (p.case) {
      case 'not-looked-for':
        return `drizzle-kit looks for drizzle.config.ts, .js and .json only, not ${p.file}: ${stops}.${read}`
      case 'named-missing':
        return `--config in ${run} names ${p.file}, which does not exist: drizzle-kit stops with "${toolConfigCliError(p)}".`
      case 'ormconfig':
        return `The TypeORM${p.version ? ` ${p.version}` : ''} CLI never reads ${p.file} (ormconfig.* was TypeORM 0.2's; 0.3 and later read only the data source file named by -d), and there is no data source file: ${stops}. db-doctor does not read ${p.file} either.`
      case 'no-data-source-flag':
        return `The TypeORM CLI reads only the data source named by -d, and ${run} does not pass one: it stops with "${toolConfigCliError(p)}".${read}`
    }
  },
  buildFix: (p) => {
    if (p.tool === 'drizzle-kit') {
      if (p.case === 'named-missing')
        return {
          summary: `Point --config in the script at the config file that exists.`,
          steps: [
            `In package.json, fix the path after --config in "${p.script?.name ?? 'the script'}" (resolved from the folder the script runs in).`,
          ],
        }
      const fixed = p.script ? scriptWithArg(p.script.command, p.script.segment, `--config ${p.file}`) : null
      return {
        summary: `Rename ${p.file} to drizzle.config.ts (drizzle-kit compiles it, ESM syntax included), or name it with --config.`,
        steps: [
          `mv ${p.file} drizzle.config.ts`,
          fixed
            ? `Or, in package.json: "${p.script!.name}": "${fixed}".`
            : `Or run: npx drizzle-kit migrate --config ${p.file}`,
        ],
        snippet: {language: 'bash', code: `mv ${p.file} drizzle.config.ts`},
      }
    }
    const file = p.case === 'ormconfig' ? 'src/data-source.ts' : p.file
    const fixed = p.script
      ? scriptWithArg(p.script.command, p.script.segment, `-d ${file}`)
      : `typeorm migration:run -d ${file}`
    const steps =
      p.case === 'ormconfig'
        ? [
            `Create ${file} exporting a DataSource with the options of ${p.file}: export const AppDataSource = new DataSource({type: 'postgres', url: process.env.DATABASE_URL, migrations: ['src/migrations/*.ts']}).`,
            p.script ? `In package.json: "${p.script.name}": "${fixed}".` : `Run: npx ${fixed}`,
          ]
        : [p.script ? `In package.json: "${p.script.name}": "${fixed}".` : `Run: npx ${fixed}`]
    return {
      summary: `Pass the data source to the CLI: ${fixed}`,
      steps,
      snippet: p.script
        ? {language: 'json', code: `"scripts": {\n  "${p.script.name}": ${JSON.stringify(fixed)}\n}`}
        : {language: 'bash', code: `npx ${fixed}`},
    }
  },
})

function prisma7Fix(p: PrismaUrlInSchemaParams | PrismaConfigUrlMissingParams): Fix {
  const inSchema = 'properties' in p
  const snippet = [
    `// prisma.config.ts (Prisma ${p.major} never reads .env itself: load it here, or export the variable)`,
    `import 'dotenv/config'`,
    `import {defineConfig, env} from 'prisma/config'`,
    ``,
    `export default defineConfig({`,
    `  schema: 'prisma/schema.prisma',`,
    `  datasource: {url: env('DATABASE_URL')},`,
    `})`,
  ].join('\n')
  return {
    summary: inSchema
      ? `Move the URL from ${p.file} to ${p.config ?? 'prisma.config.ts'} (datasource.url) and delete ${p.properties.join(', ')} from the schema's datasource block.`
      : `Set datasource.url in ${p.exists ? p.file : 'a prisma.config.ts at the project root'}: that is the URL prisma migrate uses in Prisma ${p.major}.`,
    steps: [
      ...(inSchema
        ? [`In ${p.file} keep only provider in the datasource block (datasource db { provider = "postgresql" }).`]
        : []),
      `In prisma.config.ts: datasource: {url: env('DATABASE_URL')} (a directUrl, for a pooled runtime URL, becomes this url: migrate needs the direct connection).`,
      'The app itself connects through its driver adapter: new PrismaClient({adapter: new PrismaPg({connectionString: process.env.DATABASE_URL})}) — node-postgres rules, so sslmode=require verifies the certificate there, while prisma migrate (its schema engine) encrypts without verifying.',
    ],
    snippet: {language: 'ts', code: snippet},
  }
}

const CONFIG_PRISMA_URL_IN_SCHEMA = define<PrismaUrlInSchemaParams>({
  code: 'CONFIG_PRISMA_URL_IN_SCHEMA',
  check: 'config',
  status: CONFIG_DEFAULT_STATUS.CONFIG_PRISMA_URL_IN_SCHEMA,
  title: 'Prisma 7 no longer reads the URL from schema.prisma (P1012)',
  meaning:
    'Prisma ORM 7 removed `url`, `directUrl` and `shadowDatabaseUrl` from the datasource block of schema.prisma: the CLI reads the URL from prisma.config.ts (`datasource.url`), and the client gets an adapter. A schema written for Prisma 6 fails validation with P1012.',
  causes: ['an upgrade to Prisma 7 (often unpinned: `npx prisma` installs the latest) with a Prisma 6 schema'],
  fix: 'Move the URL to prisma.config.ts (`datasource: {url: env("DATABASE_URL")}`, with `import "dotenv/config"`: Prisma 7 loads no .env itself) and remove it from schema.prisma; or pin prisma and @prisma/client to 6.',
  transient: false,
  matchers: [
    {
      re: /datasource property `?(?:url|directUrl|shadowDatabaseUrl)`? is no longer supported/i,
      needle: 'is no longer supported',
    },
  ],
  examples: [
    // Prisma CLI 7.1.0, https://github.com/Chainlit/chainlit-datalayer/issues/15
    {
      source: 'prisma',
      text: 'Error: Prisma schema validation - (get-config wasm)\nError code: P1012\nerror: The datasource property `url` is no longer supported in schema files. Move connection URLs for Migrate to `prisma.config.ts` and pass either `adapter` for a direct database connection or `accelerateUrl` for Accelerate to the `PrismaClient` constructor. See https://pris.ly/d/config-datasource and https://pris.ly/d/prisma7-client-config',
    },
  ],
  summary: (p) =>
    `${p.file} sets ${p.properties.map((x) => `\`${x}\``).join(', ')} in its datasource block, which Prisma ${p.major} no longer accepts: every prisma command stops with P1012 "The datasource property \`${p.properties[0]}\` is no longer supported in schema files. Move connection URLs for Migrate to \`prisma.config.ts\`…".`,
  buildFix: prisma7Fix,
})

const CONFIG_PRISMA_CONFIG_URL_MISSING = define<PrismaConfigUrlMissingParams>({
  code: 'CONFIG_PRISMA_CONFIG_URL_MISSING',
  check: 'config',
  status: CONFIG_DEFAULT_STATUS.CONFIG_PRISMA_CONFIG_URL_MISSING,
  title: 'prisma.config.ts gives migrate no datasource URL',
  meaning:
    'Prisma 7 takes the URL for `migrate` and `db push` from prisma.config.ts: the file has no `datasource.url`, or it is empty because the variable it reads is not set where the command runs (Prisma 7 loads no .env file; a Docker build has no runtime variables).',
  causes: [
    'prisma.config.ts without `datasource: {url: …}`',
    'the variable it reads is unset: no `import "dotenv/config"` in prisma.config.ts, or `prisma migrate deploy` run in a Docker build step',
  ],
  fix: 'Set `datasource: {url: env("DATABASE_URL")}` in prisma.config.ts, load .env there (`import "dotenv/config"`), and run migrate where the variable exists (at container start, not in `docker build`).',
  transient: false,
  matchers: [
    'datasource.url property is required in your Prisma config',
    'datasource property is required in your Prisma config',
  ],
  examples: [
    // https://github.com/prisma/orm/issues/28983 (Prisma 7 in a Docker build)
    {
      source: 'prisma',
      text: 'Error: The datasource.url property is required in your Prisma config file when using prisma migrate deploy.',
    },
    // Prisma 7.0.0, https://github.com/prisma/orm/issues/28576
    {
      source: 'prisma',
      text: 'Error: The datasource property is required in your Prisma config file when using prisma db push.',
    },
  ],
  summary: (p) =>
    p.exists
      ? `${p.file} has no datasource.url: Prisma ${p.major} stops with "The datasource.url property is required in your Prisma config file when using prisma migrate deploy."`
      : `There is no prisma.config.ts, and Prisma ${p.major} reads the migration URL only from it: prisma migrate deploy stops with "The datasource.url property is required in your Prisma config file when using prisma migrate deploy."`,
  buildFix: prisma7Fix,
})

export const configEntries = [
  CONFIG_PRISMA_URL_IN_SCHEMA,
  CONFIG_PRISMA_CONFIG_URL_MISSING,
  CONFIG_URL_INVALID,
  CONFIG_PASSWORD_NOT_ENCODED,
  CONFIG_PASSWORD_ENCODING_LENIENT,
  CONFIG_SSLMODE_INVALID,
  CONFIG_APP_FILE_ERROR,
  CONFIG_APP_FILE_LIMIT,
  CONFIG_ENV_FILE_NOT_LOADED,
  CONFIG_ENV_FILE_LOADER_UNKNOWN,
  CONFIG_NOT_FOUND,
  CONFIG_KNEXFILE_NOT_FOUND,
  CONFIG_TOOL_CONFIG_NOT_READ,
  CONFIG_DRIVER_UNMODELLED,
  CONFIG_TOOL_UNMODELLED,
  CONFIG_UNKNOWN_SERVER_PARAMETER,
]

const BY_CODE: {[C in ConfigCode]: CatalogueEntry<ConfigParams[C]>} = {
  CONFIG_PRISMA_URL_IN_SCHEMA,
  CONFIG_PRISMA_CONFIG_URL_MISSING,
  CONFIG_DRIVER_UNMODELLED,
  CONFIG_TOOL_UNMODELLED,
  CONFIG_UNKNOWN_SERVER_PARAMETER,
  CONFIG_URL_INVALID,
  CONFIG_PASSWORD_NOT_ENCODED,
  CONFIG_PASSWORD_ENCODING_LENIENT,
  CONFIG_SSLMODE_INVALID,
  CONFIG_APP_FILE_ERROR,
  CONFIG_APP_FILE_LIMIT,
  CONFIG_ENV_FILE_NOT_LOADED,
  CONFIG_ENV_FILE_LOADER_UNKNOWN,
  CONFIG_NOT_FOUND,
  CONFIG_KNEXFILE_NOT_FOUND,
  CONFIG_TOOL_CONFIG_NOT_READ,
}

/** The entry of a config code (its default status, its words). */
export function configEntry<C extends ConfigCode>(code: C): CatalogueEntry<ConfigParams[C]> {
  return BY_CODE[code]
}

/** A problem's summary: the words of its code for its params (the config check's summary of it). */
export function configProblemSummary(p: ConfigProblemWords): string {
  return (configEntry(p.code) as CatalogueEntry<ConfigParams[ConfigCode]>).summarize(p.params)
}
