// Runs checks in registry order, times each one, turns exceptions into results
// and skips a check whose prerequisite failed. Prints nothing: the command
// observes progress through the hooks and hands the report to a reporter.
import type {CheckOutcome, CheckResult, Report, RunContext, RunnableCheck, RunnerWords, Verdict} from './types.js'
import {findingsOf} from './types.js'
import {redactOutcome} from './redact.js'

export interface RunHooks {
  onStart?(check: RunnableCheck<never>): void
  onEnd?(result: CheckResult): void
}

interface RunOptions {
  /** The words of the outcomes the runner makes (src/catalogue/runner.ts: runnerWords). */
  words: RunnerWords
  only?: string[]
  skip?: string[]
  hooks?: RunHooks
  /**
   * Fail a check (INTERNAL_ERROR) that reads or writes a fact it does not declare in
   * `uses`/`provides`, or reads a result, the plan or the session it does not declare in `usesResults`,
   * `usesPlan` or `usesSession`.
   * Tests turn it on; a normal run does not pay for the proxies.
   */
  strictFacts?: boolean
}

export async function runChecks<C extends RunContext>(
  registry: readonly RunnableCheck<C>[],
  ctx: Omit<C, 'results'>,
  opts: RunOptions,
): Promise<CheckResult[]> {
  const results = new Map<string, CheckResult>()
  // id -> the check that failed on its path (itself when it failed), with its code
  const blocked = new Map<string, {blocker: string; code: string | null}>()
  const out: CheckResult[] = []
  const session = ctx.session
  const planned = new Set(
    registry
      .filter((c) => !(opts.only?.length && !opts.only.includes(c.id)) && !opts.skip?.includes(c.id))
      .map((c) => c.id),
  )
  try {
    await runAll()
  } finally {
    await session?.close()
  }
  return out

  async function runAll(): Promise<void> {
    const selected = registry.filter(
      (check) => !(opts.only?.length && !opts.only.includes(check.id)) && !opts.skip?.includes(check.id),
    )
    // every catalog read of the run in one round trip (probes/session.ts); a check whose queries() throws
    // is left out here and meets its error again in run()
    for (const check of selected) {
      if (!check.queries) continue
      try {
        const inputs = opts.strictFacts
          ? declaredInputs(check, ctx.facts, results, planned)
          : {facts: ctx.facts, results}
        const statements = check.queries({
          ...ctx,
          facts: inputs.facts,
          results: inputs.results,
          session,
        } as unknown as C)
        if (statements?.length) session?.plan(check.id, statements)
      } catch {}
    }
    for (const check of selected) {
      opts.hooks?.onStart?.(check)
      const started = performance.now()
      let outcome: CheckOutcome
      const blocker = check.requires.find((r) => blocked.has(r))
      if (blocker) {
        outcome = {
          status: 'skip',
          code: null,
          summary: opts.words.skipped(blocked.get(blocker)!),
          evidence: {blockedBy: blocker},
          fix: null,
        }
      } else {
        const inputs = opts.strictFacts
          ? declaredInputs(check, ctx.facts, results, planned)
          : {facts: ctx.facts, results, planned}
        const context = {...ctx, ...inputs, session}
        if (opts.strictFacts && !check.usesSession) undeclaredSession(check, context)
        outcome = await runOne(check, context as unknown as C, opts.words)
      }
      const redacted = redactOutcome(outcome)
      const result: CheckResult = {
        id: check.id,
        title: check.title,
        ...redacted,
        durationMs: Math.round(performance.now() - started),
        findings: findingsOf(redacted),
      }
      if (result.status === 'fail') blocked.set(check.id, {blocker: check.id, code: result.code})
      else if (result.status === 'skip' && blocker) blocked.set(check.id, blocked.get(blocker)!)
      results.set(check.id, result)
      out.push(result)
      opts.hooks?.onEnd?.(result)
    }
  }
}

/** What one check may read of the run, as declared: facts, earlier results and the plan, each guarded. */
function declaredInputs(
  check: RunnableCheck<never>,
  facts: RunContext['facts'],
  results: ReadonlyMap<string, CheckResult>,
  planned: ReadonlySet<string>,
): Pick<RunContext, 'facts' | 'results' | 'planned'> {
  return {
    facts: declaredFacts(check, facts),
    results: declaredIds(check, 'results', results, check.usesResults),
    planned: declaredIds(check, 'planned', planned, check.usesPlan),
  }
}

/** In a strict run, the session of a check that does not declare `usesSession`: reading it throws. */
function undeclaredSession(check: RunnableCheck<never>, context: object): void {
  Object.defineProperty(context, 'session', {
    enumerable: true,
    get() {
      throw new Error(`the ${check.id} check reads ctx.session it does not declare (usesSession)`)
    },
  })
}

/**
 * A map or set of check ids as one check may see it: get/has of a declared id; any other id, or
 * reading the whole (size, iteration), throws.
 */
function declaredIds<T extends ReadonlyMap<string, unknown> | ReadonlySet<string>>(
  check: RunnableCheck<never>,
  name: 'results' | 'planned',
  of: T,
  declared: readonly string[] | undefined,
): T {
  const ids = new Set(declared ?? [])
  return new Proxy(of, {
    get(target, key) {
      if (key !== 'get' && key !== 'has')
        throw new Error(`the ${check.id} check reads ctx.${name}.${String(key)}: only get/has of the ids it declares`)
      const method: 'get' | 'has' = key
      return (id: string) => {
        if (!ids.has(id)) throw new Error(`the ${check.id} check reads ctx.${name} of "${id}" it does not declare`)
        return (target as ReadonlyMap<string, unknown>)[method](id)
      }
    },
  })
}

/** ctx.facts as one check may see it: reading or writing an undeclared fact throws. */
function declaredFacts(check: RunnableCheck<never>, facts: RunContext['facts']): RunContext['facts'] {
  const reads = new Set<string>([...(check.uses ?? []), ...(check.provides ?? [])])
  const writes = new Set<string>(check.provides ?? [])
  return new Proxy(facts, {
    get(target, key, receiver) {
      if (typeof key === 'string' && !reads.has(key))
        throw new Error(`the ${check.id} check reads the fact "${key}" it does not declare`)
      return Reflect.get(target, key, receiver)
    },
    set(target, key, value, receiver) {
      if (typeof key === 'string' && !writes.has(key))
        throw new Error(`the ${check.id} check writes the fact "${key}" it does not declare`)
      return Reflect.set(target, key, value, receiver)
    },
  })
}

async function runOne<C extends RunContext>(
  check: RunnableCheck<C>,
  ctx: C,
  words: RunnerWords,
): Promise<CheckOutcome> {
  try {
    const outcome = await check.run(ctx)
    if ((outcome.status === 'warn' || outcome.status === 'fail') && (!outcome.code || !outcome.fix)) {
      return {...outcome, code: outcome.code ?? 'INTERNAL_ERROR', fix: outcome.fix ?? words.internalFix(check.id)}
    }
    return outcome
  } catch (error) {
    return words.crashed({check: check.id, error: (error as Error)?.name ?? 'Error', thrown: error})
  }
}

/**
 * The report of a run cut short before it ended (wait's deadline or a signal during its only attempt,
 * serve's probe timeout): the checks that ended, as they ended. Its verdict is failing whatever they say:
 * the run did not show the target healthy. The target is unknown here (null fields).
 */
export function cutReport(checks: readonly CheckResult[], tool: string): Report {
  return {
    version: 1,
    tool,
    target: {host: null, port: null, database: null, user: null, sslmode: null, sources: {}},
    checks: [...checks],
    summary: {...summarize(checks), verdict: 'failing'},
  }
}

export function summarize(results: readonly CheckResult[], strict = false): Report['summary'] {
  const count = (s: string) => results.filter((r) => r.status === s).length
  const pass = count('pass')
  const warn = count('warn')
  const fail = count('fail')
  const skip = count('skip')
  return {pass, warn, fail, skip, verdict: verdictOf(fail, warn, strict)}
}

/**
 * The verdict rule, once, for a report (its failed and warning checks) and for a fleet (its failing and
 * degraded targets): any failure fails; a warning degrades, or fails under --strict.
 */
export function verdictOf(failures: number, warnings: number, strict: boolean): Verdict {
  return failures > 0 || (strict && warnings > 0) ? 'failing' : warnings > 0 ? 'degraded' : 'healthy'
}
