// The library entry point: resolve the configuration the app would use, run the
// ordered checks and build the report. No printing here; commands do the I/O.
import {checks as registry} from '../checks/index.js'
import {problemIsWarning} from '../config/problems.js'
import {resolveConfig} from '../config/resolve.js'
import {isToolName} from '../models/tools/names.js'
import type {ResolvedConfig} from '../config/types.js'
import {flushCapturedOutput} from '../config/app-output.js'
import type {Facts} from '../core/facts.js'
import {redactor, redactReport} from '../core/redact.js'
import {withPackageJsons} from '../core/files.js'
import {runChecks, summarize, type RunHooks} from '../core/runner.js'
import {runnerWords} from '../catalogue/runner.js'
import {modelledStackJson} from '../catalogue/modelled.js'
import {sourceWords} from '../catalogue/app-files.js'
import {createSessionBroker, type SessionOpener} from '../probes/session.js'
import type {Report} from '../core/types.js'
import type {Check, CheckOptions} from '../checks/types.js'

export interface DiagnoseInput {
  /** The CONNECTION argument, when given. */
  connection?: string
  cwd: string
  /** Process env merged with the env file (process wins). */
  env: Record<string, string | undefined>
  envFileOf?: (name: string) => string | undefined
  options: CheckOptions
  only?: string[]
  skip?: string[]
  strict?: boolean
  tool: string
  hooks?: RunHooks
  /**
   * Fail a check that touches a fact, result, plan or session it does not declare (tests). Default: on when
   * DB_DOCTOR_STRICT_FACTS=1, which the test suite sets (vitest.config.ts), so the CLI runs it spawns are strict too.
   */
  strictFacts?: boolean
  /** Defaults to the full registry; tests may pass a subset. */
  checks?: readonly Check[]
}

/** DB_DOCTOR_STRICT_FACTS=1 (the test suite), read once at load: resolving swaps process.env for the app's (below). */
const STRICT_FACTS_FROM_ENV = process.env.DB_DOCTOR_STRICT_FACTS === '1'

// Resolving a configuration may run app code (knexfile, prisma.config.ts) with process.env
// and the working folder swapped in: one resolution at a time, also when targets are
// diagnosed concurrently (fleet/index.ts).
let resolving: Promise<unknown> = Promise.resolve()
function serialised<T>(fn: () => Promise<T>): Promise<T> {
  const run = resolving.then(fn, fn)
  resolving = run.catch(() => undefined)
  return run
}

export async function diagnose(input: DiagnoseInput): Promise<Report> {
  // one diagnosis reads each package.json once (core/files.ts)
  return withPackageJsons(async () => diagnoseResolved(input, await resolveTarget(input)))
}

/** Resolve the configuration the app would use (runs app files; one at a time). */
export function resolveTarget(
  input: Omit<DiagnoseInput, 'hooks' | 'checks' | 'only' | 'skip' | 'strict' | 'tool'>,
): Promise<ResolvedConfig> {
  return serialised(async () => {
    const resolved = await resolveConfig({
      cwd: input.cwd,
      env: input.env,
      connection: input.connection,
      envFileOf: input.envFileOf ?? (() => undefined),
      knexEnv: input.options.knexEnv,
      knexfile: input.options.knexfile,
      ...(input.options.tool && isToolName(input.options.tool) ? {tool: input.options.tool} : {}),
      appTimeoutMs: input.options.timeoutMs,
      envFileExplicit: input.options.envFile !== undefined,
      ...(input.options.instances !== undefined ? {instances: input.options.instances} : {}),
      words: sourceWords,
    })
    // What the app's files printed while loading goes to stderr, never into the report's stream.
    flushCapturedOutput()
    return resolved
  })
}

/** Run the checks on a configuration resolveTarget() produced, and build the report. */
export async function diagnoseResolved(input: DiagnoseInput, config: ResolvedConfig): Promise<Report> {
  const facts: Facts = {}
  const base = {config, env: input.env, cwd: input.cwd, options: input.options}
  // node-postgres (the pg-load chunk, ~110 KB) is read and compiled while the first checks wait on the
  // network (nameserver, connects, the server starting a backend), instead of after them when the login
  // needs it. Nothing runs but pg's own module code; a failure here meets the login again in loadPg().
  if (!input.only?.length || input.only.includes('auth'))
    if (!input.skip?.includes('auth')) void import('../probes/pg-load.js').catch(() => undefined)
  const results = await runChecks(
    input.checks ?? registry,
    {...base, facts, session: createSessionBroker(appSessionOpener({...base, facts}))},
    {
      words: runnerWords,
      only: input.only,
      skip: input.skip,
      hooks: input.hooks,
      strictFacts: input.strictFacts ?? STRICT_FACTS_FROM_ENV,
    },
  )
  return redactReport({
    version: 1,
    tool: input.tool,
    target: describeTarget(config),
    ...(config.stack ? {modelled: modelledStackJson(config.stack)} : {}),
    checks: results,
    summary: summarize(results, input.strict),
  })
}

/** The run's session opener: the app's pg ClientConfig, built the way its node-postgres would build it. */
function appSessionOpener(ctx: {
  config: ResolvedConfig
  env: Record<string, string | undefined>
  cwd: string
  options: {timeoutMs: number}
  facts: Facts
}): SessionOpener {
  return async (given, opts) => {
    const {openSession} = await import('../probes/pg-session.js')
    let config = given
    let plaintextIfNoTls = opts?.plaintextIfNoTls
    if (!config) {
      const {targetOf} = await import('../config/target.js')
      const {withServerAnswer} = await import('../config/driver-client.js')
      try {
        const r = withServerAnswer(targetOf(ctx).pgClient(), ctx.facts.postgres?.answer)
        config = r.config
        plaintextIfNoTls = !!r.sslFallback
      } catch (error) {
        const {normalizePgError} = await import('../probes/pg-session.js')
        return {ok: false, error: normalizePgError(error, 'connect'), ms: 0}
      }
    }
    return openSession(config, {
      timeoutMs: ctx.options.timeoutMs,
      ...(opts?.lookup ? {lookup: opts.lookup} : {}),
      ...(plaintextIfNoTls ? {plaintextIfNoTls} : {}),
      ...(opts?.limitRefusal ? {limitRefusal: opts.limitRefusal} : {}),
    })
  }
}

function describeTarget(config: ResolvedConfig): Report['target'] {
  // A configuration that failed (a broken URL, a knexfile that throws…) has no target: the defaults that
  // filled the gaps are not what the app was configured to reach, so they are not presented as the target.
  const broken = config.problems.some((p) => !problemIsWarning(p))
  const f = broken
    ? (Object.fromEntries(
        Object.entries(config.fields).filter(([, v]) => v && v.source.kind !== 'default'),
      ) as ResolvedConfig['fields'])
    : config.fields
  const sources: Record<string, string> = {}
  for (const [name, field] of Object.entries(f)) {
    if (field) sources[name] = field.source.label
  }
  if (config.connectionString) sources.connectionString = config.connectionString.source.label
  if (config.appSsl) sources.ssl = config.appSsl.source.label
  const port = f.port ? Number.parseInt(f.port.value, 10) : null
  return {
    host: f.host?.value ?? null,
    port: Number.isFinite(port) ? port : null,
    database: f.database?.value ?? null,
    user: f.user?.value ?? null,
    sslmode: f.sslmode?.value ?? null,
    sources: redactor.redactValue(sources),
  }
}
