// The whole catalogue, assembled from the registry (./index.ts: each check declares the catalogue entries of its
// codes): every check's codes in explain's order (src/catalogue/index.ts explainOrder), then the runner's, then
// the codes only explain knows. explain, wait and `npm run docs` (docs/codes.md) read it here; a check emits
// its own entries and needs none of this.
import {explainOrder, type CatalogueEntry} from '../catalogue/index.js'
import {Scanner, type TextMatch} from '../catalogue/match.js'
import {pastedEntries} from '../catalogue/pasted.js'
import {runnerEntries} from '../catalogue/runner.js'
import {checks} from './index.js'

/** Every code, in explain's order (see explainOrder): the checks', the runner's, those only explain knows. */
export const catalogue: readonly CatalogueEntry[] = [...explainOrder(checks), ...runnerEntries, ...pastedEntries]

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

let catalogueScanner: Scanner<CatalogueEntry> | undefined

/** Catalogue entries found in a text. */
export function scanText(text: string): TextMatch<CatalogueEntry>[] {
  catalogueScanner ??= new Scanner(catalogue)
  return catalogueScanner.scan(text)
}
