// The `config` check: reports what the resolver found (every setting with the
// file or variable it came from) and turns ResolvedConfig.problems into one
// outcome, the most severe first; the other problems go into the evidence.
// Pure: no sockets, no file reads (resolution already happened).
import {inspectPgpass} from '../config/sources/pgpass.js'
import {redactUrl} from '../core/redact.js'
import type {Check, CheckContext, CheckOutcome, Evidence, Fix} from '../core/types.js'
import type {ConfigProblem, FieldName, Provenance, ResolvedConfig} from '../config/types.js'
import {VALID_SSLMODES, classifyConnectionString, parseConnectionString, tokenizeKeyValue} from '../config/connection-string.js'
import {sameSource} from '../config/util.js'
import {WARNING_PROBLEMS} from '../config/resolve.js'
import {assignment} from './snippets.js'
import {scriptWithLoader, type MigrationTool} from '../config/launch.js'

const SHOWN: readonly FieldName[] = ['host', 'port', 'database', 'user', 'password', 'sslmode']
const SHOWN_IF_SET: readonly FieldName[] = [
  'sslrootcert',
  'sslcert',
  'sslkey',
  'sslnegotiation',
  'uselibpqcompat',
  'application_name',
  'connect_timeout',
  'options',
]

const URL_TEMPLATE = 'postgres://USER:PASSWORD@HOST:5432/DATABASE?sslmode=verify-full'

export const configCheck: Check = {
  id: 'config',
  title: 'Configuration',
  requires: [],
  provides: [],
  uses: [],
  async run(ctx) {
    return configOutcome(ctx.config, ctx)
  },
}


/** The outcome for a resolved configuration (exported for tests). */
export function configOutcome(config: ResolvedConfig, ctx?: Pick<CheckContext, 'cwd' | 'env'>): CheckOutcome {
  const evidence = configEvidence(config)
  if (ctx && !config.fields.password) {
    const pgpass = pgpassEvidence(config, ctx)
    if (pgpass) evidence.pgpass = pgpass
  }
  const [first, ...rest] = config.problems
  if (rest.length) evidence.otherProblems = rest.map((p) => ({code: p.code, message: p.message, source: p.source.label}))
  if (!first) {
    return {status: 'pass', code: null, summary: passSummary(config), evidence, fix: null}
  }
  if (first.details) evidence.problem = first.details
  const status = WARNING_PROBLEMS.has(first.code) ? 'warn' : 'fail'
  return {status, code: first.code, summary: first.message, evidence, fix: fixFor(first, config)}
}

/** Why ~/.pgpass gave no password, when there is a file to talk about. */
function pgpassEvidence(config: ResolvedConfig, ctx: Pick<CheckContext, 'cwd' | 'env'>): Record<string, string> | undefined {
  const f = config.fields
  const found = inspectPgpass(ctx.env, {host: f.host?.value, port: f.port?.value, database: f.database?.value, user: f.user?.value}, ctx.cwd)
  switch (found.status) {
    case 'insecure-permissions':
      return {file: found.display, status: `ignored by node-postgres and libpq: mode ${found.mode} gives group/other access; run chmod 600 ${found.display}`}
    case 'not-a-file':
      return {file: found.display, status: 'ignored: not a regular file'}
    case 'unreadable':
      return {file: found.display, status: 'ignored: cannot be read'}
    case 'no-match':
      return {file: found.display, status: `no line matches ${f.host?.value ?? '*'}:${f.port?.value ?? '5432'}:${f.database?.value ?? '*'}:${f.user?.value ?? '*'}`}
    default:
      return undefined
  }
}

function target(config: ResolvedConfig): string {
  const f = config.fields
  const host = f.host?.value ?? 'localhost'
  const h = host.includes(':') && !host.startsWith('/') ? `[${host}]` : host
  return `${f.user?.value ?? '?'}@${h}:${f.port?.value ?? '5432'}/${f.database?.value ?? '?'}`
}

function passSummary(config: ResolvedConfig): string {
  const from = config.primary ? config.primary.label : 'PG* variables and defaults'
  return `Connecting to ${target(config)} as configured by ${from}.`
}

export function configEvidence(config: ResolvedConfig): Evidence {
  const rows: Array<{field: string; value: string; source: string}> = []
  for (const name of SHOWN) {
    const f = config.fields[name]
    if (name === 'password') {
      rows.push({field: 'password', value: f ? 'set' : 'not set', source: f ? f.source.label : '—'})
      continue
    }
    rows.push({field: name, value: f ? f.value : 'not set', source: f ? f.source.label : '—'})
  }
  for (const name of SHOWN_IF_SET) {
    const f = config.fields[name]
    if (f) rows.push({field: name, value: f.value, source: f.source.label})
  }
  const evidence: Evidence = {settings: rows}
  evidence.configuredBy = config.primary ? config.primary.label : config.notFound ? 'defaults only' : 'PG* variables'
  if (config.connectionString) {
    const cs = config.connectionString
    const cut = config.problems.some((p) => p.details?.dotenvCut === true && sameSource(p.source, cs.source))
    const shown = cut ? maskedCutUrl(cs.value) : maskedConnectionString(cs.value)
    if (shown) evidence.connectionString = shown
    const parsed = parseConnectionString(config.connectionString.value, {allowKeyValue: true})
    if (parsed.ok) {
      const fieldParams = new Set<string>([...SHOWN, ...SHOWN_IF_SET, 'dbname'])
      const other = Object.entries(parsed.params).filter(([k]) => !fieldParams.has(k))
      if (other.length) evidence.parameters = Object.fromEntries(other)
    }
  }
  if (config.appSsl) evidence.appSsl = config.appSsl.source.label
  if (config.shadowed.length) {
    evidence.shadowed = config.shadowed.map((s) => ({source: s.label, kind: s.kind}))
  }
  return evidence
}

const SECRET_KEYS = new Set(['password', 'sslpassword', 'scram_client_key', 'scram_server_key', 'oauth_client_secret'])

/**
 * A URL dotenv cut at a "#" (unquoted value), masked. When the cut falls inside the password,
 * what is left after "user:" is the start of the password, which no parser recognises as one
 * ("postgres://app:start-of-pass" reads as host "app", port "start-of-pass"): mask it all.
 */
export function maskedCutUrl(text: string): string | undefined {
  const m = /^([a-z][a-z0-9+.-]*:\/\/[^:@/?#]*:)[^@]*$/i.exec(text.trim())
  return m ? `${m[1]}****` : maskedConnectionString(text)
}

/** The connection string with its secrets masked; undefined when it cannot be shown safely. */
export function maskedConnectionString(text: string): string | undefined {
  const kind = classifyConnectionString(text)
  if (kind === 'url' || kind === 'socket') return redactUrl(text.trim())
  if (kind !== 'keyvalue') return undefined
  const tokens = tokenizeKeyValue(text)
  if (!tokens.ok) return undefined
  return tokens.pairs
    // quoted mask: the redaction layer's key=value rule then keeps the JSON intact
    .map(({key, value}) => `${key}=${SECRET_KEYS.has(key) ? "'****'" : /[\s'\\]/.test(value) || value === '' ? `'${value.replace(/['\\]/g, '\\$&')}'` : value}`)
    .join(' ')
}

function where(source: Provenance): string {
  if (source.kind === 'env-file') return `${source.name} in ${source.file}`
  if (source.kind === 'env') return `the ${source.name} environment variable (wherever it is exported: shell profile, CI settings, docker-compose, systemd unit…)`
  if (source.kind === 'argument') return 'the CONNECTION argument'
  return source.label
}

function fixFor(problem: ConfigProblem, config: ResolvedConfig): Fix {
  const d = problem.details ?? {}
  const src = problem.source
  switch (problem.code) {
    case 'CONFIG_PASSWORD_ENCODING_LENIENT':
    case 'CONFIG_PASSWORD_NOT_ENCODED': {
      const masked = String(d.maskedUrl ?? URL_TEMPLATE)
      const steps = [
        `Percent-encode the password. With Node: node -e 'console.log(encodeURIComponent(process.argv[1]))' 'YOUR-PASSWORD' (inside single quotes write a ' as '\\''); or type it unseen: read -rs PW && node -e 'console.log(encodeURIComponent(process.argv[1]))' "$PW".`,
        `With Python: python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' 'YOUR-PASSWORD'`,
        `Put the encoded password in ${where(src)} so that it reads ${masked}, **** being the encoded password.`,
        'When code assembles the URL, pass the user and the password through encodeURIComponent() there.',
      ]
      if (String(d.part ?? '').includes('user')) steps.splice(2, 0, 'The user name needs encoding too; it is shown encoded above.')
      if (d.dotenvCut) {
        steps.unshift(`Quote the value in ${src.file}: ${src.name}="…". Unquoted, dotenv treats "#" as the start of a comment and drops the rest.`)
      }
      if (problem.code === 'CONFIG_PASSWORD_ENCODING_LENIENT') {
        steps.push('node-postgres decodes the encoded form to the same password, so the app keeps working after the change.')
      }
      return {
        summary:
          problem.code === 'CONFIG_PASSWORD_ENCODING_LENIENT'
            ? `Percent-encode the ${String(d.part ?? 'password')} in ${src.label} so that every tool reads the URL the same way.`
            : `Percent-encode the ${String(d.part ?? 'password')} in ${src.label}.`,
        steps,
        ...snippetOf(withComment(assignment(src, masked), '**** = the percent-encoded password')),
      }
    }
    case 'CONFIG_URL_INVALID': {
      const fromString = config.connectionString && sameSource(config.connectionString.source, src)
      if (!fromString && typeof d.value === 'string') {
        return {
          summary: `Set ${src.name} to a port number.`,
          steps: [String(d.hint ?? 'The port must be digits only, e.g. 5432.'), `Change it in ${where(src)}.`],
          ...snippetOf(assignment(src, '5432')),
        }
      }
      const steps: string[] = []
      if (d.hint) steps.push(String(d.hint))
      if (d.dotenvCut) steps.unshift(`Quote the value in ${src.file}: ${src.name}="…"; unquoted, dotenv drops everything from "#" on.`)
      if (src.kind === 'argument' && d.kind === 'keyvalue') {
        steps.push("Key=value form: host=HOST port=5432 dbname=DATABASE user=USER password='PASSWORD' sslmode=verify-full (single-quote values with spaces; escape ' and \\ with a backslash).")
      } else {
        steps.push(`Expected form: ${URL_TEMPLATE}; percent-encode special characters in the user and password.`)
      }
      steps.push(`Change it in ${where(src)}.`)
      const fixedExample = d.dotenvCut && typeof d.maskedUrl === 'string' ? d.maskedUrl : URL_TEMPLATE
      return {
        summary: `Fix the connection string in ${src.label}.`,
        steps,
        ...snippetOf(d.kind === 'keyvalue' && src.kind === 'argument' ? undefined : assignment(src, fixedExample)),
      }
    }
    case 'CONFIG_SSLMODE_INVALID': {
      if (d.param === 'ssl') return sslParamFix(problem, config)
      const value = String(d.value ?? '')
      const suggestion = typeof d.suggestion === 'string' ? d.suggestion : undefined
      const wanted = suggestion ?? 'verify-full'
      const steps = [
        `Valid modes: ${VALID_SSLMODES.join(', ')} (no-verify is node-postgres only). verify-full checks the certificate and the host name; require only encrypts (in node-postgres it currently also verifies, see the ssl-config check).`,
        suggestion ? `"${value}" most likely means "${suggestion}".` : 'Use verify-full for managed databases, disable only for a local database without TLS.',
        `Change it in ${where(src)}.`,
      ]
      let snippet: {language: string; code: string} | undefined
      if (src.kind === 'env-file' || src.kind === 'env' || src.kind === 'argument') {
        const isString = config.connectionString && sameSource(config.connectionString.source, src)
        const newValue = isString ? redactUrl(config.connectionString!.value).replace(`sslmode=${value}`, `sslmode=${wanted}`) : wanted
        snippet = assignment(src, newValue)
      }
      return {summary: `Set sslmode in ${src.label} to a valid mode${suggestion ? ` ("${suggestion}")` : ''}.`, steps, ...snippetOf(snippet)}
    }
    case 'CONFIG_APP_FILE_ERROR': {
      const file = String(d.file ?? src.file ?? 'the file')
      const environment = d.environment ? String(d.environment) : undefined
      if (d.tool === 'prisma' && typeof d.variable === 'string') {
        return {
          summary: `Set ${d.variable}, which ${file} reads, where Prisma reads it (the environment or .env).`,
          steps: [
            `Add ${d.variable} to .env (or export it) with the connection URL Prisma should use.`,
            `Check the name: ${file} says env("${d.variable}").`,
            `Run npx prisma migrate status to see Prisma's own message.`,
          ],
          snippet: {language: 'dotenv', code: `${d.variable}="${URL_TEMPLATE}"`},
        }
      }
      return {
        summary: `Make ${file} load${environment ? ` for the "${environment}" environment` : ''}, as your migration tool would load it.`,
        steps: [
          `Run the migration tool's own command once (for knex: npx knex migrate:status${environment ? ` --env ${environment}` : ''}) to see the same error with its stack.`,
          'A knexfile often reads process.env.DATABASE_URL: make sure the variable is set in the environment or in the .env file db-doctor reads (--env-file).',
          'Pick the environment with --knex-env (or NODE_ENV), or point at another file with --knexfile.',
        ],
      }
    }
    case 'CONFIG_ENV_FILE_NOT_LOADED':
    case 'CONFIG_ENV_FILE_LOADER_UNKNOWN':
      return envFileFix(problem, config)
    case 'CONFIG_NOT_FOUND': {
      const others = Array.isArray(d.otherEnvFiles) ? (d.otherEnvFiles as string[]) : []
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
  }
}

/** The script line (with a loader) that makes the migration tool see the env file. */
function envFileFix(problem: ConfigProblem, config: ResolvedConfig): Fix {
  const d = problem.details ?? {}
  const launch = config.launch?.tool
  const tool = (launch?.tool ?? String(d.tool ?? 'knex')) as MigrationTool
  const envFile = String(d.envFile ?? '.env')
  const scriptName = launch?.script?.name ?? 'migrate'
  const line = scriptWithLoader(tool, launch?.script?.segment, envFile)
  const vars = Array.isArray(d.variables) && d.variables.length ? (d.variables as string[]).join(', ') : 'the settings'
  const other = launch?.loader && launch.readsEnvFile === false ? launch.loader.file : undefined
  const steps: string[] = []
  if (other) steps.push(`If ${other} is the file meant for migrations, check what the tool sees instead: db-doctor check --env-file ${other}.`)
  steps.push(
    launch?.script
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
  if (problem.code === 'CONFIG_ENV_FILE_LOADER_UNKNOWN') {
    steps.push(`If whatever runs ${tool} already exports ${vars} (a CI job, docker-compose, a shell profile), this warning does not apply.`)
  }
  steps.push(`db-doctor reads ${envFile} itself; to check exactly what ${tool} sees without it, run db-doctor check --env-file /dev/null.`)
  return {
    summary:
      problem.code === 'CONFIG_ENV_FILE_LOADER_UNKNOWN'
        ? `Make sure ${envFile} is loaded where ${tool} runs, e.g. "${scriptName}": "${line}".`
        : `Load ${envFile} for ${tool}: "${scriptName}": "${line}".`,
    steps,
    snippet: {language: 'json', code: `"scripts": {\n  "${scriptName}": "${line}"\n}`},
  }
}

function withComment(s: {language: string; code: string} | undefined, comment: string) {
  return s ? {language: s.language, code: `# ${comment}\n${s.code}`} : undefined
}

function snippetOf(s: {language: string; code: string} | undefined): {snippet?: {language: string; code: string}} {
  return s ? {snippet: s} : {}
}


/** ssl=<text> in a URL: write the mode that was meant instead. */
function sslParamFix(problem: ConfigProblem, config: ResolvedConfig): Fix {
  const d = problem.details ?? {}
  const src = problem.source
  const value = String(d.value ?? '')
  const wanted = String(d.suggestion ?? 'sslmode=verify-full')
  const cs = config.connectionString
  const masked = cs ? redactUrl(cs.value.trim()) : undefined
  const fixed = masked ? masked.replace(/([?&])ssl=[^&#]*/, `$1${wanted}`) : undefined
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
