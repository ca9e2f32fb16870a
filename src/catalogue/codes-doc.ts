// docs/codes.md's code tables, generated from the catalogue (`npm run docs`). Each table sits between
// `<!-- codes:CHECK -->` and `<!-- /codes:CHECK -->` markers; `codes:explain-only` holds the codes that
// only explain recognises (no check emits them yet). `catalogue`: the whole catalogue, in explain's order
// (src/checks/catalogue.ts, assembled from the registry).
import type {CatalogueEntry} from './types.js'

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ')
}

function codeTable(check: string, catalogue: readonly CatalogueEntry[]): string {
  if (check === 'explain-only') {
    const rows = catalogue
      .filter((e) => e.explainOnly)
      .map((e) => `| \`${e.code}\` | ${cell(e.check)} | ${cell(e.meaning)} | ${cell(e.fixText)} |`)
    return ['| code | check | meaning | fix |', '| --- | --- | --- | --- |', ...rows].join('\n')
  }
  const rows = catalogue
    .filter((e) => e.check === check && !e.explainOnly)
    .map((e) => `| \`${e.code}\` | ${cell(e.statusText ?? e.status)} | ${cell(e.meaning)} | ${cell(e.fixText)} |`)
  return ['| code | status | meaning | fix |', '| --- | --- | --- | --- |', ...rows].join('\n')
}

/** The checks that have entries, in catalogue order. */
function tableChecks(catalogue: readonly CatalogueEntry[]): string[] {
  return [...new Set(catalogue.filter((e) => !e.explainOnly).map((e) => e.check)), 'explain-only']
}

/** docs/codes.md with every marked table regenerated; throws when a check's markers are missing. */
export function renderCodeTables(readme: string, catalogue: readonly CatalogueEntry[]): string {
  let out = readme
  for (const check of tableChecks(catalogue)) {
    const open = `<!-- codes:${check} -->`
    const close = `<!-- /codes:${check} -->`
    const a = out.indexOf(open)
    const b = out.indexOf(close)
    if (a < 0 || b < a) throw new Error(`docs/codes.md lacks the markers ${open} … ${close} for the ${check} codes`)
    out = `${out.slice(0, a + open.length)}\n${codeTable(check, catalogue)}\n${out.slice(b)}`
  }
  return out
}
