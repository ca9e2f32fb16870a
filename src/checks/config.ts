// The `config` check: reports what the resolver found (every setting with the
// file or variable it came from) and turns ResolvedConfig.problems into one
// outcome, the most severe first; the other problems go into the evidence.
// Pure: no sockets, no file reads (resolution already happened). Data only: the words of every
// outcome are in src/catalogue/config.ts (problems carry a code and params, src/config/problems.ts).
import {connectionOf, targetOf} from '../config/target.js'
import {MASK, redact} from '../core/redact.js'
import type {CheckOutcome, Evidence} from '../core/types.js'
import type {CheckContext, RegisteredCheck} from './types.js'
import type {ConfigProblem, FieldName, ResolvedConfig} from '../config/types.js'
import {
  DEFAULT_PORT,
  SSL_FILE_PARAMS,
  isSecretKeyword,
  isUnixSocketHost,
  maskConnectionString,
  maskCutUrl,
} from '../config/connection-string.js'
import {sameSource} from '../config/util.js'
import {
  configEntry,
  configProblemEvidence,
  configProblemSummary,
  configSays,
  shadowedLabel,
  configEntries,
} from '../catalogue/config.js'
import type {CatalogueEntry} from '../catalogue/types.js'
import {driverFindings} from './drivers.js'
import {iamTokenFindings} from './iam.js'
import {failsFirst, foldFindings, type Finding} from './findings.js'
import {driverEntries} from '../catalogue/drivers.js'
import {iamEntries} from '../catalogue/iam.js'

const SHOWN: readonly FieldName[] = ['host', 'port', 'database', 'user', 'password', 'sslmode']
const SHOWN_IF_SET: readonly FieldName[] = [
  ...SSL_FILE_PARAMS,
  'sslnegotiation',
  'uselibpqcompat',
  'application_name',
  'connect_timeout',
  'options',
]

/** A problem as one finding among others (folded with the app-state findings). */
function problemFinding(problem: ConfigProblem): Finding {
  const entry = configEntry(problem.code) as CatalogueEntry<ConfigProblem['params']>
  return entry.finding(problem.params, {}, problem.status ? {status: problem.status} : undefined)
}

/** The outcome of a problem: its entry's status and words, from the params the resolver recorded. */
function emitProblem(problem: ConfigProblem, evidence: Evidence): CheckOutcome {
  // one entry per code; the params were recorded for that code (src/config/problems.ts)
  const entry = configEntry(problem.code) as CatalogueEntry<ConfigProblem['params']>
  return entry.emit(problem.params, evidence, problem.status ? {status: problem.status} : undefined)
}

export const configCheck: RegisteredCheck<'config'> = {
  id: 'config',
  title: configSays.title(),
  establishes: configSays.establishes(),
  codes: [configEntries],
  // the driver and IAM codes come after every check's in explain's order (see explainOrder)
  explainLast: [driverEntries, iamEntries],
  requires: [],
  provides: [],
  uses: [],
  async run(ctx) {
    return configOutcome(ctx.config, ctx, {node: process.versions.node, now: Date.now()})
  },
}

/** The outcome for a resolved configuration (exported for tests). */
export function configOutcome(
  config: ResolvedConfig,
  ctx?: Pick<CheckContext, 'cwd' | 'env'>,
  app?: {node: string; now: number},
): CheckOutcome {
  const evidence = configEvidence(config)
  if (ctx && !config.fields.password) {
    const pgpass = pgpassEvidence(config, ctx)
    if (pgpass) evidence.pgpass = pgpass
  }
  const [first, ...rest] = config.problems
  if (rest.length)
    evidence.otherProblems = rest.map((p) => ({code: p.code, message: configProblemSummary(p), source: p.source.label}))
  // the app's files beyond the connection settings: its driver, an IAM token used as the password
  // (an IAM token is the password itself: it goes before the problem it causes, e.g. an unparsable URL)
  const iam = app ? iamTokenFindings(config, app.now) : []
  const driver = app ? driverFindings(config, app.node) : []
  if (iam.length || driver.length) {
    const shown = first && configProblemEvidence(first)
    if (shown) evidence.problem = shown
    const problem = first ? [problemFinding(first)] : []
    return foldFindings([...iam, ...problem, ...driver].sort(failsFirst), evidence)
  }
  if (!first) {
    return {
      status: 'pass',
      code: null,
      summary: configSays.pass({target: target(config), from: config.primary ? config.primary.label : null}),
      evidence,
      fix: null,
    }
  }
  const shown = configProblemEvidence(first)
  if (shown) evidence.problem = shown
  return emitProblem(first, evidence)
}

/** Why ~/.pgpass gave no password, when there is a file to talk about. */
function pgpassEvidence(
  config: ResolvedConfig,
  ctx: Pick<CheckContext, 'cwd' | 'env'>,
): Record<string, string> | undefined {
  const f = config.fields
  const found = targetOf({config, env: ctx.env, cwd: ctx.cwd}).pgpass
  switch (found.status) {
    case 'insecure-permissions':
      return {
        file: found.display,
        status: configSays.pgpassStatus({status: found.status, mode: found.mode, file: found.display}),
      }
    case 'not-a-file':
    case 'unreadable':
      return {file: found.display, status: configSays.pgpassStatus({status: found.status})}
    case 'no-match': {
      const wanted = `${f.host?.value ?? '*'}:${f.port?.value ?? DEFAULT_PORT}:${f.database?.value ?? '*'}:${f.user?.value ?? '*'}`
      return {file: found.display, status: configSays.pgpassStatus({status: 'no-match', wanted})}
    }
    default:
      return undefined
  }
}

function target(config: ResolvedConfig): string {
  const f = config.fields
  const host = f.host?.value ?? 'localhost'
  const h = host.includes(':') && !isUnixSocketHost(host) ? `[${host}]` : host
  return `${f.user?.value ?? '?'}@${h}:${f.port?.value ?? DEFAULT_PORT}/${f.database?.value ?? '?'}`
}

function configEvidence(config: ResolvedConfig): Evidence {
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
    const shown = cut ? maskCutUrl(cs.value) : maskConnectionString(cs.value)
    if (shown) evidence.connectionString = shown
    const parsed = connectionOf(config)
    if (parsed?.ok) {
      const fieldParams = new Set<string>([...SHOWN, ...SHOWN_IF_SET, 'dbname'])
      // a secret keyword's value is never shown; a parameter whose NAME is a piece of the password
      // (`?password=A&B=C` typed raw: the parser reads "B" as a parameter) is shown masked whole
      const other = Object.entries(parsed.params)
        .filter(([k]) => !fieldParams.has(k))
        .map(([k, v]): [string, string] => (isSecretKeyword(k) ? [k, MASK] : redact(k) !== k ? [MASK, MASK] : [k, v]))
      if (other.length) evidence.parameters = Object.fromEntries(other)
    }
  }
  if (config.appSsl) evidence.appSsl = config.appSsl.source.label
  if (config.shadowed.length) {
    evidence.shadowed = config.shadowed.map((s) => ({source: shadowedLabel(s), kind: s.kind}))
  }
  return evidence
}
