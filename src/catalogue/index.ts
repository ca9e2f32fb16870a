// The code catalogue: every code db-doctor emits, in one place. Checks emit a
// code with params and evidence; the catalogue supplies the words, the README
// code tables (`npm run docs`), `db-doctor explain` and `transient` for `wait`.
// Adding a code: add an entry to the file of its check (with real example
// messages its matchers recognise), run `npm run docs`, and add a test that
// produces the code from a real peer or real state.
import {CHECKS, explainOrder} from './order.js'
import {pastedEntries} from './pasted.js'
import {runnerEntries} from './runner.js'
import type {CatalogueEntry} from './types.js'

export type {CatalogueEntry, EntrySpec, Example, ExampleSource, Finding, Matcher} from './types.js'
export {define, messages} from './types.js'

/** Every code, in explain's order (see explainOrder): the checks' (CHECKS), the runner's, those only explain knows. */
export const catalogue: readonly CatalogueEntry[] = [...explainOrder(CHECKS), ...runnerEntries, ...pastedEntries]

const byCode = new Map(catalogue.map((e) => [e.code, e]))

export function findEntry(code: string): CatalogueEntry | undefined {
  return byCode.get(code)
}

/** The entry of a code; throws for an unknown code (a bug: every emitted code is catalogued). */
export function entry(code: string): CatalogueEntry {
  const e = byCode.get(code)
  if (!e) throw new Error(`unknown code ${code}: add it to src/catalogue/`)
  return e
}

/** Can waiting fix it? Unknown codes are not transient. */
export function isTransient(code: string | null | undefined): boolean {
  return !!code && !!byCode.get(code)?.transient
}

/**
 * The checks of the run up to and including `id` ([] for an unknown id). `order` is the check ids in the
 * order they run (CHECK_IDS of src/checks/order.ts, derived from CHECKS), passed in by the caller.
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
