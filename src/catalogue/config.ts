// Codes of the `config` check, and the check's words: the summaries (which are also the problems'
// messages, ConfigProblem.message) and the fixes, built from the params the resolver records with
// each problem (src/config/resolve.ts and the sources hold data only; so does src/checks/config.ts).
import {DEFAULT_PORT} from '../config/connection-keywords.js'
import {VALID_SSLMODES} from '../config/connection-string.js'
import {scriptWithLoader, type MigrationTool} from '../config/launch.js'
import type {Provenance} from '../config/types.js'
import type {Fix, Snippet} from '../core/types.js'
import {assignment} from '../checks/snippets.js'
import {define, messages, type CatalogueEntry} from './types.js'

const URL_TEMPLATE = 'postgres://USER:PASSWORD@HOST:5432/DATABASE?sslmode=verify-full'

/** Every problem's params name the setting's source (the file or variable to change). */
interface Sourced {
  source: Provenance
}

/** Where to change a setting, as a sentence's object. */
function where(source: Provenance): string {
  if (source.kind === 'env-file') return `${source.name} in ${source.file}`
  if (source.kind === 'env') return `the ${source.name} environment variable (wherever it is exported: shell profile, CI settings, docker-compose, systemd unit…)`
  if (source.kind === 'argument') return 'the CONNECTION argument'
  return source.label
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
  /** `target`: user@host:port/database as configured; `from`: the source that configured it, if any. */
  pass: (p: {target: string; from: string | null}) => `Connecting to ${p.target} as configured by ${p.from ?? 'PG* variables and defaults'}.`,
})

type UrlInvalidParams = Sourced & {
  /** The string (or port) comes from the connection string in play. */
  fromString: boolean
  hint?: string
  /** What the text looks like: url, keyvalue, socket… */
  kind?: string
  dotenvCut?: boolean
  /** The URL as it should read, masked. */
  maskedUrl?: string
} & (
    | {case: 'port-not-a-number' | 'port-out-of-range'; value: string}
    | {case: 'cut-by-dotenv'}
    | {case: 'unparsable'; reason: string; position?: number}
    | {case: 'hostless'; reason: string}
  )

type PasswordNotEncodedParams = Sourced & {
  /** "password", "user name", "user name and password" */
  what: string
  /** The parts, as evidence names them: "password", "user, password". */
  part: string
  characters: string[]
  maskedUrl: string
  /** dotenv cut the unquoted value at "#". */
  dotenvCut: boolean
}

type PasswordLenientParams = Sourced & {
  what: string
  part: string
  characters: string[]
  maskedUrl: string
  /** Characters libpq reads differently: '"@"', '"%"'. */
  libpqBreaks: string[]
}

type SslmodeInvalidParams = Sourced & {
  value: string
  /** The connection string in play, masked, when the setting is in it. */
  maskedString?: string
} & ({param: 'sslmode'; suggestion?: string} | {param: 'ssl'; suggestion: 'sslmode=disable' | 'sslmode=verify-full'})

type AppFileErrorParams = Sourced &
  (
    | {case: 'knexfile-missing'; file: string}
    | {case: 'knex-environment-missing'; file: string; environment: string; environments: string[]}
    | {case: 'knexfile-failed'; file: string; environment: string; error: string; errorName: string | null}
    | {case: 'prisma-env-unset'; file: string; setting: string; variable: string; empty: boolean; directUrl: boolean}
  )

/** What the migration tool does without the env file. */
export type WithoutEnvFile =
  | {kind: 'stops'; problem: ConfigProblemWords}
  | {kind: 'no-password'; target: string | null}
  | {kind: 'other-target'; target: string}

type EnvFileParams = Sourced & {
  tool: MigrationTool
  version: string
  envFile: string
  /** The env file's variables the connection uses (else the fields that differ). */
  variables: string[]
  fields: string[]
  /** The package.json script that runs the tool. */
  script?: {name: string; segment: string}
  /** The file the script's loader loads instead, when it loads another. */
  otherFile?: string
  without: WithoutEnvFile
}

type NotFoundParams = Sourced &
  (
    | {case: 'defaults'; target: string; otherEnvFiles: string[]}
    | {case: 'empty-knexfile'; label: string; file: string; environment: string | null}
  )

type KnexfileNotFoundParams = Sourced & {
  /** The knexfile the knex CLI does not look for (display path, e.g. "knexfile.cjs"). */
  file: string
  /** The package.json script that runs the knex CLI without `--knexfile`, when one does. */
  script?: {name: string; command: string; segment: string}
}

/** The params of each config code. */
export interface ConfigParams {
  CONFIG_KNEXFILE_NOT_FOUND: KnexfileNotFoundParams
  CONFIG_URL_INVALID: UrlInvalidParams
  CONFIG_PASSWORD_NOT_ENCODED: PasswordNotEncodedParams
  CONFIG_PASSWORD_ENCODING_LENIENT: PasswordLenientParams
  CONFIG_SSLMODE_INVALID: SslmodeInvalidParams
  CONFIG_APP_FILE_ERROR: AppFileErrorParams
  CONFIG_ENV_FILE_NOT_LOADED: EnvFileParams
  CONFIG_ENV_FILE_LOADER_UNKNOWN: EnvFileParams
  CONFIG_NOT_FOUND: NotFoundParams
}

export type ConfigCode = keyof ConfigParams

/** A problem's code with its params: what the catalogue words. */
export type ConfigProblemWords = {[C in ConfigCode]: {code: C; params: ConfigParams[C]}}[ConfigCode]

/**
 * The hint (evidence `hint` and the fix's first step) for a CONFIG_URL_INVALID case the resolver finds
 * itself; the connection-string parser's own hints come with its reasons.
 */
export function resolverHint(c: {case: 'port-not-a-number' | 'port-out-of-range'} | {case: 'cut-by-dotenv'; source: Provenance}): string {
  switch (c.case) {
    case 'port-not-a-number':
      return 'The port must be digits only, e.g. 5432.'
    case 'port-out-of-range':
      return 'PostgreSQL listens on 5432 unless configured otherwise.'
    case 'cut-by-dotenv':
      return `Quote the value in ${c.source.file}: ${c.source.name}="…"`
  }
}

const CUT = (file: string | undefined) =>
  `${file} does not quote the value, so dotenv treats everything from "#" on as a comment and the app gets a truncated URL`

function encodingFix(code: 'CONFIG_PASSWORD_NOT_ENCODED' | 'CONFIG_PASSWORD_ENCODING_LENIENT', p: Sourced & {part: string; maskedUrl: string; dotenvCut?: boolean}): Fix {
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
    steps.unshift(`Quote the value in ${src.file}: ${src.name}="…". Unquoted, dotenv treats "#" as the start of a comment and drops the rest.`)
  }
  if (code === 'CONFIG_PASSWORD_ENCODING_LENIENT') {
    steps.push('node-postgres decodes the encoded form to the same password, so the app keeps working after the change.')
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
  const head = `The ${p.what} in ${p.source.label} contains ${list(p.characters)}, which the URL standard requires to be percent-encoded.`
  if (p.libpqBreaks.length === 0) {
    return `${head} node-postgres and psql read ${them} as written, so this works; strict URL parsers (Go's net/url, used by golang-migrate and pgx) reject the URL.`
  }
  const why = [
    p.libpqBreaks.includes('"@"') ? 'libpq splits the URL at the first "@" and takes the rest of the password as part of the host name' : null,
    p.libpqBreaks.includes('"%"') ? 'libpq rejects a "%" not followed by two hex digits ("invalid percent-encoded token")' : null,
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
      return `The connection string in ${label} is not usable: ${p.reason}; node-postgres would silently use localhost:5432 instead.`
    case 'unparsable':
      return `The connection string in ${label} cannot be parsed: ${p.reason}${p.position !== undefined ? ` (at character ${p.position})` : ''}.`
  }
}

function urlInvalidFix(p: UrlInvalidParams): Fix {
  const src = p.source
  if (!p.fromString && (p.case === 'port-not-a-number' || p.case === 'port-out-of-range')) {
    return {
      summary: `Set ${src.name} to a port number.`,
      steps: [p.hint ?? resolverHint({case: 'port-not-a-number'}), `Change it in ${where(src)}.`],
      ...snippetOf(assignment(src, String(DEFAULT_PORT))),
    }
  }
  const steps: string[] = []
  if (p.hint) steps.push(p.hint)
  if (p.dotenvCut) steps.unshift(`Quote the value in ${src.file}: ${src.name}="…"; unquoted, dotenv drops everything from "#" on.`)
  if (src.kind === 'argument' && p.kind === 'keyvalue') {
    steps.push("Key=value form: host=HOST port=5432 dbname=DATABASE user=USER password='PASSWORD' sslmode=verify-full (single-quote values with spaces; escape ' and \\ with a backslash).")
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
    suggestion ? `"${value}" most likely means "${suggestion}".` : 'Use verify-full for managed databases, disable only for a local database without TLS.',
    `Change it in ${where(src)}.`,
  ]
  let snippet: Snippet | undefined
  if (src.kind === 'env-file' || src.kind === 'env' || src.kind === 'argument') {
    const newValue = p.maskedString !== undefined ? p.maskedString.replace(`sslmode=${value}`, `sslmode=${wanted}`) : wanted
    snippet = assignment(src, newValue)
  }
  return {summary: `Set sslmode in ${src.label} to a valid mode${suggestion ? ` ("${suggestion}")` : ''}.`, steps, ...snippetOf(snippet)}
}

function appFileSummary(p: AppFileErrorParams): string {
  switch (p.case) {
    case 'knexfile-missing':
      return `The knexfile ${p.file} (--knexfile) does not exist.`
    case 'knex-environment-missing':
      return `${p.file} has no "${p.environment}" environment (it has: ${p.environments.join(', ') || 'none'}); set --knex-env or NODE_ENV.`
    case 'knexfile-failed':
      return `Loading ${p.file} (environment ${p.environment}) failed: ${p.errorName ? `${p.errorName}: ` : ''}${p.error}`
    case 'prisma-env-unset':
      return `${p.file} reads ${p.setting} from env("${p.variable}"), and ${p.variable} is not set${p.empty ? ' (it is empty)' : ''}: Prisma stops with "Environment variable not found: ${p.variable}"${p.directUrl ? ' (prisma migrate uses directUrl)' : ''}.`
  }
}

function appFileFix(p: AppFileErrorParams): Fix {
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
  const environment = p.case === 'knexfile-missing' ? undefined : p.environment || undefined
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
  return p.tool === 'knex' ? 'the knex CLI' : p.tool === 'prisma' ? `Prisma ${Number.parseInt(p.version, 10)}` : 'node-pg-migrate'
}

function consequence(w: WithoutEnvFile): string {
  switch (w.kind) {
    case 'stops':
      return `it stops: ${problemSummary(w.problem)}`
    case 'no-password':
      return `it connects without a password${w.target ? ` to ${w.target}` : ''} (node-postgres fails with "SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string", knex then "Unable to acquire a connection")`
    case 'other-target':
      return `it connects to ${w.target} instead`
  }
}

function envFileSummary(code: 'CONFIG_ENV_FILE_NOT_LOADED' | 'CONFIG_ENV_FILE_LOADER_UNKNOWN', p: EnvFileParams): string {
  const settings = p.variables.length ? p.variables.join(', ') : p.fields.join(', ')
  const comes = p.variables.length > 1 ? 'come' : 'comes'
  if (code === 'CONFIG_ENV_FILE_LOADER_UNKNOWN') {
    return `${settings} ${comes} only from ${p.envFile}, and ${toolName(p)} does not read ${p.envFile} by itself; nothing here (no package.json script runs ${p.tool}) shows what loads it. Run as \`npx ${p.tool === 'prisma' ? 'prisma migrate deploy' : p.tool === 'knex' ? 'knex migrate:latest' : 'node-pg-migrate up'}\`, ${consequence(p.without)}.`
  }
  const how = p.script ? `npm run ${p.script.name} (${p.script.segment})` : `${p.tool}`
  return p.otherFile
    ? `${how} loads ${p.otherFile}, not ${p.envFile}: ${settings} from ${p.envFile} never reach ${p.tool}, and ${consequence(p.without)}.`
    : `${settings} ${comes} only from ${p.envFile}, which ${how} never loads (${toolName(p)} does not read ${p.envFile}${p.tool === 'node-pg-migrate' ? ' without dotenv installed' : ''}, and nothing in the script${p.tool === 'node-pg-migrate' ? '' : ' or the config file'} loads it): ${consequence(p.without)}.`
}

/** The script line (with a loader) that makes the migration tool see the env file. */
function envFileFix(code: 'CONFIG_ENV_FILE_NOT_LOADED' | 'CONFIG_ENV_FILE_LOADER_UNKNOWN', p: EnvFileParams): Fix {
  const {tool, envFile} = p
  const scriptName = p.script?.name ?? 'migrate'
  const line = scriptWithLoader(tool, p.script?.segment, envFile)
  const vars = p.variables.length ? p.variables.join(', ') : 'the settings'
  const other = p.otherFile
  const steps: string[] = []
  if (other) steps.push(`If ${other} is the file meant for migrations, check what the tool sees instead: db-doctor check --env-file ${other}.`)
  steps.push(
    p.script
      ? `In package.json, change the "${scriptName}" script to load ${envFile} with Node's own --env-file (Node 20.6 or later): "${scriptName}": "${line}".`
      : `Run ${tool} through a package.json script that loads ${envFile} with Node's own --env-file (Node 20.6 or later): "${scriptName}": "${line}", then npm run ${scriptName}.`,
  )
  if (tool === 'knex') {
    steps.push(`Or load it in the knexfile itself, first line: require('dotenv').config({ quiet: true }) (dotenv installed; quiet keeps dotenv 17 from printing on stdout).`)
  } else if (tool === 'node-pg-migrate') {
    steps.push(`Or install dotenv in the app (npm install --save-dev dotenv): node-pg-migrate then loads ${envFile === '.env' ? '.env' : `${envFile} (with --envPath ${envFile})`} by itself.`)
  } else {
    steps.push(`Or load it in prisma.config.ts, first line: import 'dotenv/config' (dotenv installed), as Prisma documents for Prisma 7.`)
  }
  steps.push(`Other loaders work too: dotenv-cli (dotenv -e ${envFile} -- …), env-cmd (env-cmd -f ${envFile} …), node -r dotenv/config. Or export ${vars} in the shell or CI job that runs the migration.`)
  if (code === 'CONFIG_ENV_FILE_LOADER_UNKNOWN') {
    steps.push(`If whatever runs ${tool} already exports ${vars} (a CI job, docker-compose, a shell profile), this warning does not apply.`)
  }
  steps.push(`db-doctor reads ${envFile} itself; to check exactly what ${tool} sees without it, run db-doctor check --env-file /dev/null.`)
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
  if (others.length) steps.unshift(`Found ${others.join(', ')} here: if your settings live there, run db-doctor check --env-file ${others[0]}.`)
  return {
    summary: 'Tell db-doctor (the way you tell your app) where the database is; it is testing the defaults for now.',
    steps,
    snippet: {language: 'dotenv', code: `# .env\nDATABASE_URL="${URL_TEMPLATE}"`},
  }
}

const CONFIG_URL_INVALID = define<UrlInvalidParams>({
  code: 'CONFIG_URL_INVALID',
  check: 'config',
  status: 'fail',
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
    {source: 'node', text: "TypeError: Invalid URL\n    at new URL (node:internal/url:816:29) { code: 'ERR_INVALID_URL', input: 'postgres://app:${DB_PASSWORD}@db:5432/app' }"},
    {source: 'libpq', text: 'psql: error: invalid integer value "5432abc" for connection option "port"'},
    {source: 'prisma', text: 'error: Error validating datasource `db`: the URL must start with the protocol `postgresql://` or `postgres://`.'},
    {source: 'libpq', text: 'psql: error: invalid URI query parameter: "ssl"'},
    {source: 'libpq', text: 'psql: error: missing "=" after "postgres:" in connection info string'},
    // P1013 InvalidConnectionString (prisma-engines libs/user-facing-errors/src/common.rs), details from
    // quaint.rs invalid_url_description; printed as in https://github.com/linkwarden/linkwarden/issues/519
    {source: 'prisma', text: 'Error: P1013: The provided database string is invalid. invalid port number in database URL. Please refer to the documentation in https://www.prisma.io/docs/reference/database-reference/connection-urls for constructing a correct connection string. In some cases, certain characters must be escaped. Please check the string for any illegal characters.'},
  ],
  summary: urlInvalidSummary,
  buildFix: urlInvalidFix,
})

const CONFIG_PASSWORD_NOT_ENCODED = define<PasswordNotEncodedParams>({
  code: 'CONFIG_PASSWORD_NOT_ENCODED',
  check: 'config',
  status: 'fail',
  title: 'Password breaks the URL',
  meaning:
    'The user or password contains a character that changes what node-postgres (and knex\'s own parser) read: `#`, `/`, `?`, a tab or line break — or an escape such as `%2F` in a URL that also contains a space or a stray `%` (node-postgres then re-encodes the URL and reads `%2F` as three characters). The report shows the masked, correctly encoded URL — never the password. Later checks are skipped. (`@` and a stray `%` are read as written by node-postgres: CONFIG_PASSWORD_ENCODING_LENIENT.)',
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
    {source: 'node-postgres', text: 'URIError: URI malformed\n    at decodeURIComponent (<anonymous>)\n    at parse (node_modules/pg-connection-string/index.js:31:26)'},
    {source: 'prisma', text: 'Error: P1013: The provided database string is invalid. invalid port number in database URL. Please refer to the documentation in https://www.prisma.io/docs/reference/database-reference/connection-urls for constructing a correct connection string. In some cases, certain characters must be escaped. Please check the string for any illegal characters.'},
  ],
  summary: (p) =>
    `The ${p.what} in ${p.source.label} contains ${list(p.characters)}, which must be percent-encoded in a URL${p.dotenvCut ? `; and ${CUT(p.source.file)}` : ''}.`,
  buildFix: (p) => encodingFix('CONFIG_PASSWORD_NOT_ENCODED', p),
})

const CONFIG_PASSWORD_ENCODING_LENIENT = define<PasswordLenientParams>({
  code: 'CONFIG_PASSWORD_ENCODING_LENIENT',
  check: 'config',
  status: 'warn',
  title: 'Password should be percent-encoded',
  meaning:
    'The user or password contains characters the URL standard wants encoded that node-postgres and knex read as written, so the app connects: a space, `"`, `^`, `[`, `]`, `\\`, `{`, `}`, `|`, non-ASCII… (psql reads them too; strict URL parsers such as Go\'s `net/url` reject the URL), and `@` or a `%` not followed by two hex digits, which break psql, pg_dump and other libpq tools (libpq splits at the first `@`; rejects the stray `%`). The login still runs. `:` in the password is allowed and not reported.',
  causes: ['a generated password with URL-reserved characters, accepted by lenient parsers only', 'an `@` in the password: fine for the Node app, broken for psql'],
  fix: 'Percent-encode the user and password as above; node-postgres decodes them to the same values.',
  transient: false,
  matchers: [
    'net/url: invalid userinfo',
    {re: /parse "postgres(?:ql)?:\/\/[^"]{0,500}": net\/url: invalid/i, needle: 'net/url: invalid'},
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
  status: 'fail',
  title: 'sslmode is not a valid mode',
  meaning:
    '`sslmode` is not one of `disable`, `allow`, `prefer`, `require`, `verify-ca`, `verify-full`, `no-verify`; or a URL says `ssl=<text>` other than `true`, `1`, `0`, `no-verify` (e.g. `ssl=false`): node-postgres keeps the text, which counts as true, asks for SSL and then throws "Cannot use \'in\' operator to search for \'key\' in false" from a socket event (the app crashes).',
  causes: ['a typo (`requre`, `verify_full`)', 'a value from another driver (`true`, `on`, `required`)', '`ssl=false` / `ssl=require` in a URL (JDBC habits)'],
  fix: 'Use a valid mode (the report suggests the likely one) in the variable or file named; for `ssl=false` write `sslmode=disable` (or `ssl=0`).',
  transient: false,
  matchers: [
    {re: /invalid sslmode value: "[^"]{0,100}"/i, needle: 'invalid sslmode value'},
    {re: /invalid value for (?:parameter )?"?sslmode"?/i, needle: 'for parameter'},
    {re: /Cannot use 'in' operator to search for 'key' in [^\s]{1,100}/, needle: "search for 'key' in"},
  ],
  examples: [
    {source: 'libpq', text: 'psql: error: invalid sslmode value: "requre"'},
    {source: 'node-postgres', text: "TypeError: Cannot use 'in' operator to search for 'key' in false\n    at TLSSocket.<anonymous> (node_modules/pg/lib/connection.js:110:17)"},
  ],
  summary: sslmodeSummary,
  buildFix: sslmodeFix,
})

const CONFIG_APP_FILE_ERROR = define<AppFileErrorParams>({
  code: 'CONFIG_APP_FILE_ERROR',
  check: 'config',
  status: 'fail',
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
    {source: 'prisma', text: 'Error: Prisma schema validation - (get-config wasm)\nError code: P1012\nerror: Environment variable not found: DATABASE_URL.\n  -->  prisma/schema.prisma:10\n   | \n 9 |   provider     = "postgresql"\n10 |   url          = env("DATABASE_URL")\n   | \n\nValidation Error Count: 1\n[Context: getConfig]'},
    {source: 'knex', text: "Error: knex: Required configuration option 'client' is missing."},
  ],
  summary: appFileSummary,
  buildFix: appFileFix,
})

const CONFIG_ENV_FILE_NOT_LOADED = define<EnvFileParams>({
  code: 'CONFIG_ENV_FILE_NOT_LOADED',
  check: 'config',
  status: 'fail',
  title: 'The migration tool never loads the .env file',
  meaning:
    "A setting the connection needs comes only from the env file db-doctor read (`.env`), and the migration tool, launched the way package.json runs it, never loads that file: the knex CLI never reads `.env`; node-pg-migrate reads it only when dotenv is installed; Prisma 6 skips it when a `prisma.config.ts` exists and Prisma 7 never reads it; and the script has no loader (`node --env-file`, `-r dotenv/config`, dotenv-cli, env-cmd) or loads another file. The evidence names the variables, the file, the script, and what was modelled (tool, version, loader); the fix is the script line with a loader. Later checks are skipped: the tool would not connect with these settings.",
  causes: [
    'a `knex migrate:latest` script with DATABASE_URL / DB_PASSWORD only in `.env`',
    'node-pg-migrate without dotenv installed in the app',
    'Prisma 7, or Prisma 6 with a prisma.config.ts that does not import dotenv/config',
    'a script that loads `.env.production` while the settings are in `.env`',
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
    {source: 'node-pg-migrate', text: 'The DATABASE_URL environment variable is not set or incomplete connection parameters are provided.'},
  ],
  summary: (p) => envFileSummary('CONFIG_ENV_FILE_NOT_LOADED', p),
  buildFix: (p) => envFileFix('CONFIG_ENV_FILE_NOT_LOADED', p),
})

const CONFIG_ENV_FILE_LOADER_UNKNOWN = define<EnvFileParams>({
  code: 'CONFIG_ENV_FILE_LOADER_UNKNOWN',
  check: 'config',
  status: 'warn',
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
  status: 'warn',
  title: 'Nothing configured a connection',
  meaning: 'Nothing configured a connection: the defaults (localhost:5432, OS user) are being tested.',
  causes: ['the variables are set in another shell, CI step or container', 'the .env file is in another folder'],
  fix: 'Pass a URL, set `DATABASE_URL` in `.env`, use `DB_*` or `PG*` variables, or `--env-file`.',
  transient: false,
  matchers: ['environment variable is not set or incomplete connection parameters are provided'],
  examples: [
    {source: 'node-pg-migrate', text: 'The DATABASE_URL environment variable is not set or incomplete connection parameters are provided.'},
    {source: 'db-doctor', text: '! Configuration CONFIG_NOT_FOUND (2 ms)'},
  ],
  summary: notFoundSummary,
  buildFix: notFoundFix,
})

/** The script with `--knexfile <file>` added to the segment that runs the knex CLI. */
function scriptWithKnexfile(command: string, segment: string, file: string): string {
  const arg = /[\s'"$`\\]/.test(file) ? `'${file.replace(/'/g, `'\\''`)}'` : file
  return command.replace(segment, `${segment.trimEnd()} --knexfile ${arg}`)
}

const CONFIG_KNEXFILE_NOT_FOUND = define<KnexfileNotFoundParams>({
  code: 'CONFIG_KNEXFILE_NOT_FOUND',
  check: 'config',
  status: 'fail',
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
    {source: 'knex', text: 'Error: No configuration file found and no commandline connection parameters passed\n    at checkConfigurationOptions (node_modules/knex/bin/utils/cli-config-utils.js:109:11)'},
  ],
  summary: (p) =>
    p.script
      ? `The knex CLI does not look for ${p.file}: the script "${p.script.name}" (${p.script.segment}) stops with "No configuration file found and no commandline connection parameters passed" before connecting. db-doctor read ${p.file} to check the connection it configures.`
      : `The knex CLI does not look for ${p.file}: run as \`npx knex migrate:latest\` it stops with "No configuration file found and no commandline connection parameters passed". No package.json script runs the knex CLI, so db-doctor cannot tell how it is run; it read ${p.file} to check the connection.`,
  buildFix: (p) => {
    const fixed = p.script ? scriptWithKnexfile(p.script.command, p.script.segment, p.file) : `knex migrate:latest --knexfile ${p.file}`
    return {
      summary: p.script ? `Pass the knexfile to the CLI in the "${p.script.name}" script: ${fixed}` : `Pass the knexfile to the CLI: ${fixed}`,
      steps: [
        p.script ? `In package.json, set "${p.script.name}": "${fixed}".` : `Run migrations as \`npx ${fixed}\`, or add a script "migrate": "${fixed}" to package.json.`,
        `Or rename ${p.file} to a name the CLI looks for: knexfile.js in a CommonJS package (no "type": "module"), knexfile.mjs with \`export default\` in an ESM one.`,
      ],
      snippet: {language: 'json', code: `"scripts": {\n  "${p.script?.name ?? 'migrate'}": ${JSON.stringify(fixed)}\n}`},
    }
  },
})

export const configEntries = [
  CONFIG_URL_INVALID,
  CONFIG_PASSWORD_NOT_ENCODED,
  CONFIG_PASSWORD_ENCODING_LENIENT,
  CONFIG_SSLMODE_INVALID,
  CONFIG_APP_FILE_ERROR,
  CONFIG_ENV_FILE_NOT_LOADED,
  CONFIG_ENV_FILE_LOADER_UNKNOWN,
  CONFIG_NOT_FOUND,
  CONFIG_KNEXFILE_NOT_FOUND,
]

const BY_CODE: {[C in ConfigCode]: CatalogueEntry<ConfigParams[C]>} = {
  CONFIG_URL_INVALID,
  CONFIG_PASSWORD_NOT_ENCODED,
  CONFIG_PASSWORD_ENCODING_LENIENT,
  CONFIG_SSLMODE_INVALID,
  CONFIG_APP_FILE_ERROR,
  CONFIG_ENV_FILE_NOT_LOADED,
  CONFIG_ENV_FILE_LOADER_UNKNOWN,
  CONFIG_NOT_FOUND,
  CONFIG_KNEXFILE_NOT_FOUND,
}

/** The entry of a config code (its default status, its words). */
export function configEntry<C extends ConfigCode>(code: C): CatalogueEntry<ConfigParams[C]> {
  return BY_CODE[code]
}

/** A problem's summary (ConfigProblem.message): the words of its code for its params. */
function problemSummary(p: ConfigProblemWords): string {
  return (configEntry(p.code) as CatalogueEntry<ConfigParams[ConfigCode]>).summarize(p.params)
}
