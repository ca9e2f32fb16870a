// The library entry point: resolve the configuration the app would use, run the
// ordered checks and build the report. No printing here; commands do the I/O.
import {checks as registry} from '../checks/index.js'
import {problemIsWarning} from '../config/problems.js'
import {resolveConfig} from '../config/resolve.js'
import type {ResolvedConfig} from '../config/types.js'
import {flushCapturedOutput} from '../config/app-output.js'
import type {Facts} from './facts.js'
import {redactor} from './redact.js'
import {runChecks, summarize, type RunHooks} from './runner.js'
import type {Check, CheckOptions, Report} from './types.js'

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
  /** Fail a check that touches a fact it does not declare (tests). */
  strictFacts?: boolean
  /** Defaults to the full registry; tests may pass a subset. */
  checks?: readonly Check[]
}

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
  return diagnoseResolved(input, await resolveTarget(input))
}

/** Resolve the configuration the app would use (runs app files; one at a time). */
export function resolveTarget(input: Omit<DiagnoseInput, 'hooks' | 'checks' | 'only' | 'skip' | 'strict' | 'tool'>): Promise<ResolvedConfig> {
  return serialised(async () => {
    const resolved = await resolveConfig({
      cwd: input.cwd,
      env: input.env,
      connection: input.connection,
      envFileOf: input.envFileOf ?? (() => undefined),
      knexEnv: input.options.knexEnv,
      knexfile: input.options.knexfile,
      appTimeoutMs: input.options.timeoutMs,
      envFileExplicit: input.options.envFile !== undefined,
    })
    // What the app's files printed while loading goes to stderr, never into the report's stream.
    flushCapturedOutput()
    return resolved
  })
}

/** Run the checks on a configuration resolveTarget() produced, and build the report. */
export async function diagnoseResolved(input: DiagnoseInput, config: ResolvedConfig): Promise<Report> {
  const facts: Facts = {}
  const results = await runChecks(
    input.checks ?? registry,
    {config, env: input.env, cwd: input.cwd, options: input.options, facts},
    {only: input.only, skip: input.skip, hooks: input.hooks, strictFacts: input.strictFacts},
  )
  return {
    version: 1,
    tool: input.tool,
    target: describeTarget(config),
    checks: results,
    summary: summarize(results, input.strict),
  }
}

function describeTarget(config: ResolvedConfig): Report['target'] {
  // A configuration that failed (a broken URL, a knexfile that throws…) has no target: the defaults that
  // filled the gaps are not what the app was configured to reach, so they are not presented as the target.
  const broken = config.problems.some((p) => !problemIsWarning(p))
  const f = broken ? Object.fromEntries(Object.entries(config.fields).filter(([, v]) => v && v.source.kind !== 'default')) as ResolvedConfig['fields'] : config.fields
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
