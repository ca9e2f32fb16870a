// The code catalogue: every code db-doctor emits is an entry in the catalogue file of its check (or the
// runner's, or explain's), with its words. This module holds what the catalogue files share and the pure rules
// of order; the whole catalogue, in explain's order, is assembled from the registry of checks (each check
// declares the entries of its codes) in src/checks/catalogue.ts, which gives the README code tables
// (`npm run docs`), `db-doctor explain` and `transient` for `wait`.
// Adding a code: add an entry to the file of its check (with real example messages its matchers recognise),
// run `npm run docs`, and add a test that produces the code from a real peer or real state.
import type {CatalogueEntry, CheckCodes} from './types.js'

export type {CatalogueEntry, EntrySpec, Example, ExampleSource, Finding, Matcher} from './types.js'
export {define, messages} from './types.js'

/**
 * The checks' entries in explain's order (`checks`: the registry, in the order the checks run). It is explain's
 * order when one line shows several codes (src/catalogue/match.ts reports them in this order) and
 * docs/codes.md's order of sections and of rows within a check: every check's codes in the order the checks
 * run (the runner's and the codes only explain knows follow them, src/checks/catalogue.ts). It departs from the
 * run order in two places, set before the run order was one list and kept so that explain says what it said:
 * the docker check's codes come before the tcp check's (docker ran before tcp until fc050ff: `explainBefore`),
 * and the config check's driver and IAM codes (drivers.ts, iam.ts) after every check's (`explainLast`).
 */
export function explainOrder(checks: readonly CheckCodes[]): CatalogueEntry[] {
  const ordered = checks.filter((c) => !c.explainBefore)
  for (const c of checks)
    if (c.explainBefore) {
      const at = ordered.findIndex((o) => o.id === c.explainBefore)
      if (at < 0) throw new Error(`${c.id}: explainBefore names no check of the registry: ${c.explainBefore}`)
      ordered.splice(at, 0, c)
    }
  return [...ordered, ...checks.map((c) => ({codes: c.explainLast ?? []}))].flatMap((c) => c.codes.flat())
}

/**
 * The checks of the run up to and including `id` ([] for an unknown id). `order` is the check ids in the
 * order they run (CHECK_IDS of the registry, src/checks/index.ts, which sits above the catalogue).
 */
export function checksThrough(id: string, order: readonly string[]): string[] {
  const i = order.indexOf(id)
  return i < 0 ? [] : order.slice(0, i + 1)
}

/** The checks a `db-doctor check --only …` needs to confirm a code. */
function confirmChecks(e: CatalogueEntry, order: readonly string[]): string[] {
  return e.confirm ?? checksThrough(e.check, order)
}

/** The exact command line that confirms a code against the real database (`order`: as for checksThrough). */
export function confirmCommand(e: CatalogueEntry, order: readonly string[]): string {
  const ids = confirmChecks(e, order)
  return ids.length === 0 || ids.length === order.length ? 'db-doctor check' : `db-doctor check --only ${ids.join(',')}`
}
