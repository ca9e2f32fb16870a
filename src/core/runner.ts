// Runs checks in registry order, times each one, turns exceptions into results
// and skips a check whose prerequisite failed. Prints nothing: the command
// observes progress through the hooks and hands the report to a reporter.
import type {Check, CheckContext, CheckOutcome, CheckResult, Report, Verdict} from './types.js'
import {redactor} from './redact.js'
import {appSessionOpener, createSessionBroker} from './session.js'

export interface RunHooks {
  onStart?(check: Check): void
  onEnd?(result: CheckResult): void
}

interface RunOptions {
  only?: string[]
  skip?: string[]
  hooks?: RunHooks
  /**
   * Fail a check (INTERNAL_ERROR) that reads or writes a fact it does not declare in
   * `uses`/`provides`. Tests turn it on; a normal run does not pay for the proxy.
   */
  strictFacts?: boolean
}

export async function runChecks(
  registry: readonly Check[],
  ctx: Omit<CheckContext, 'results'>,
  opts: RunOptions = {},
): Promise<CheckResult[]> {
  const results = new Map<string, CheckResult>()
  const blocked = new Map<string, string>() // id -> why
  const out: CheckResult[] = []
  const session = ctx.session ?? createSessionBroker(appSessionOpener(ctx))
  const planned = new Set(registry.filter((c) => !(opts.only?.length && !opts.only.includes(c.id)) && !opts.skip?.includes(c.id)).map((c) => c.id))
  try {
    await runAll()
  } finally {
    await session.close()
  }
  return out

  async function runAll(): Promise<void> {
  const selected = registry.filter((check) => !(opts.only?.length && !opts.only.includes(check.id)) && !opts.skip?.includes(check.id))
  // every catalog read of the run in one round trip (core/session.ts); a check whose queries() throws
  // is left out here and meets its error again in run()
  for (const check of selected) {
    if (!check.queries) continue
    try {
      const facts = opts.strictFacts ? declaredFacts(check, ctx.facts) : ctx.facts
      const statements = check.queries({...ctx, facts, results, session})
      if (statements?.length) session.plan(check.id, statements)
    } catch {}
  }
  for (const check of selected) {
    opts.hooks?.onStart?.(check)
    const started = performance.now()
    let outcome: CheckOutcome
    const blocker = check.requires.find((r) => blocked.has(r))
    if (blocker) {
      const prior = results.get(blocker)
      outcome = {
        status: 'skip',
        code: null,
        summary:
          prior && prior.status === 'fail'
            ? `Skipped: the ${blocker} check failed${prior.code ? ` (${prior.code})` : ''}.`
            : `Skipped: ${blocked.get(blocker)}`,
        evidence: {blockedBy: blocker},
        fix: null,
      }
    } else {
      const facts = opts.strictFacts ? declaredFacts(check, ctx.facts) : ctx.facts
      outcome = await runOne(check, {...ctx, facts, results, session, planned})
    }
    const result: CheckResult = {
      id: check.id,
      title: check.title,
      ...redactor.redactValue(outcome),
      durationMs: Math.round(performance.now() - started),
    }
    if (result.status === 'fail') blocked.set(check.id, `the ${check.id} check failed${result.code ? ` (${result.code})` : ''}.`)
    else if (result.status === 'skip' && blocker) blocked.set(check.id, blocked.get(blocker)!)
    results.set(check.id, result)
    out.push(result)
    opts.hooks?.onEnd?.(result)
  }
  }
}

/** ctx.facts as one check may see it: reading or writing an undeclared fact throws. */
function declaredFacts(check: Check, facts: CheckContext['facts']): CheckContext['facts'] {
  const reads = new Set([...(check.uses ?? []), ...(check.provides ?? [])])
  const writes = new Set(check.provides ?? [])
  return new Proxy(facts, {
    get(target, key, receiver) {
      if (typeof key === 'string' && !reads.has(key)) throw new Error(`the ${check.id} check reads the fact "${key}" it does not declare`)
      return Reflect.get(target, key, receiver)
    },
    set(target, key, value, receiver) {
      if (typeof key === 'string' && !writes.has(key)) throw new Error(`the ${check.id} check writes the fact "${key}" it does not declare`)
      return Reflect.set(target, key, value, receiver)
    },
  })
}

async function runOne(check: Check, ctx: CheckContext): Promise<CheckOutcome> {
  try {
    const outcome = await check.run(ctx)
    if ((outcome.status === 'warn' || outcome.status === 'fail') && (!outcome.code || !outcome.fix)) {
      return {...outcome, code: outcome.code ?? 'INTERNAL_ERROR', fix: outcome.fix ?? internalFix(check)}
    }
    return outcome
  } catch (error) {
    const err = error as Error
    return {
      status: 'fail',
      code: 'INTERNAL_ERROR',
      summary: `The ${check.id} check crashed: ${err?.message ?? String(error)}`,
      evidence: {error: err?.name ?? 'Error', message: err?.message ?? String(error)},
      fix: internalFix(check),
    }
  }
}

function internalFix(check: Check) {
  return {
    summary: 'This is a db-doctor bug, not a problem with your database.',
    steps: [`Re-run with --skip ${check.id} to get the other checks, and report the issue with this report attached.`],
  }
}

export function summarize(results: readonly CheckResult[], strict = false): Report['summary'] {
  const count = (s: string) => results.filter((r) => r.status === s).length
  const pass = count('pass')
  const warn = count('warn')
  const fail = count('fail')
  const skip = count('skip')
  const verdict: Verdict = fail > 0 || (strict && warn > 0) ? 'failing' : warn > 0 ? 'degraded' : 'healthy'
  return {pass, warn, fail, skip, verdict}
}
