// Runs checks in registry order, times each one, turns exceptions into results
// and skips a check whose prerequisite failed. Prints nothing: the command
// observes progress through the hooks and hands the report to a reporter.
import type {Check, CheckContext, CheckOutcome, CheckResult, Report, Verdict} from './types.js'
import {redactor} from './redact.js'

export interface RunHooks {
  onStart?(check: Check): void
  onEnd?(result: CheckResult): void
}

export interface RunOptions {
  only?: string[]
  skip?: string[]
  hooks?: RunHooks
}

export async function runChecks(
  registry: readonly Check[],
  ctx: Omit<CheckContext, 'results'>,
  opts: RunOptions = {},
): Promise<CheckResult[]> {
  const results = new Map<string, CheckResult>()
  const blocked = new Map<string, string>() // id -> why
  const out: CheckResult[] = []
  for (const check of registry) {
    if (opts.only?.length && !opts.only.includes(check.id)) continue
    if (opts.skip?.includes(check.id)) continue
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
      outcome = await runOne(check, {...ctx, results})
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
  return out
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
