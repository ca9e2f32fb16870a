// The runner as tests call it: with the catalogue's runner words (as the app passes them) and strict
// facts on, so a check that reads or writes a fact it does not declare fails with INTERNAL_ERROR.
import {runnerWords} from '../../src/catalogue/runner.js'
import {runChecks as run} from '../../src/core/runner.js'
import type {CheckResult, RunContext, RunnableCheck} from '../../src/core/types.js'

type Options = Omit<NonNullable<Parameters<typeof run>[2]>, 'words'>

export function runChecks<C extends RunContext>(
  registry: readonly RunnableCheck<C>[],
  ctx: Omit<C, 'results'>,
  opts: Options = {},
): Promise<CheckResult[]> {
  return run(registry, ctx, {words: runnerWords, strictFacts: true, ...opts})
}
