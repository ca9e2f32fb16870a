// docs/codes.md is generated output (`npm run docs`, scripts/docs.ts): the list of checks under "The checks" (one
// line per check of the registry, its `establishes` text) and a code table per check. Each table sits between
// `<!-- codes:CHECK -->` and `<!-- /codes:CHECK -->` markers, in catalogue order; `codes:explain-only` holds the
// codes that only explain recognises (no check emits them yet). A check without its markers gets a section of
// its own, a heading and its table, before the next check's; text written around the markers of a section
// stays as it is.
import type {CatalogueEntry} from './types.js'

/** A check as docs/codes.md lists it (a check of the registry, src/checks/index.ts). */
interface ListedCheck {
  id: string
  /** its line in the list of checks */
  establishes: string
}

const CHECKS_TABLE = '| id | what it establishes |\n| --- | --- |\n'

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

const markers = (check: string): {open: string; close: string} => ({
  open: `<!-- codes:${check} -->`,
  close: `<!-- /codes:${check} -->`,
})

/** The list of checks: its rows (every line starting with `|` after the table's head) regenerated. */
function renderCheckList(doc: string, checks: readonly ListedCheck[]): string {
  const head = doc.indexOf(CHECKS_TABLE)
  if (head < 0)
    throw new Error(`docs/codes.md lacks the list of checks (a table headed ${JSON.stringify(CHECKS_TABLE)})`)
  const from = head + CHECKS_TABLE.length
  let to = from
  while (doc.startsWith('|', to)) to = doc.indexOf('\n', to) + 1 || doc.length
  const rows = checks.map((c) => `| \`${c.id}\` | ${cell(c.establishes)} |\n`).join('')
  return doc.slice(0, from) + rows + doc.slice(to)
}

/**
 * docs/codes.md regenerated from the registry (`checks`, in the order they run) and the whole catalogue (in
 * explain's order, src/checks/catalogue.ts); a check without a section gets one. Throws when the list of
 * checks, or the runner's or the explain-only markers, are missing.
 */
export function renderCodesDoc(
  doc: string,
  checks: readonly ListedCheck[],
  catalogue: readonly CatalogueEntry[],
): string {
  let out = renderCheckList(doc, checks)
  const order = tableChecks(catalogue)
  order.forEach((check, i) => {
    const {open, close} = markers(check)
    if (!out.includes(open) && !out.includes(close)) {
      // before the heading of the next section that has its markers (the runner's and explain's always do)
      const next = order.slice(i + 1).find((c) => out.includes(markers(c).open))
      const at = next === undefined ? -1 : out.lastIndexOf('\n### ', out.indexOf(markers(next).open)) + 1
      if (at <= 0) throw new Error(`docs/codes.md: no section after which to add the ${check} codes`)
      out = `${out.slice(0, at)}### \`${check}\`\n\n${open}\n${close}\n\n${out.slice(at)}`
    }
    const a = out.indexOf(open)
    const b = out.indexOf(close)
    if (a < 0 || b < a) throw new Error(`docs/codes.md lacks the markers ${open} … ${close} for the ${check} codes`)
    out = `${out.slice(0, a + open.length)}\n${codeTable(check, catalogue)}\n${out.slice(b)}`
  })
  return out
}
