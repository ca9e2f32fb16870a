// Words live in the catalogue. Every sentence db-doctor shows (summaries, fixes, skip and pass texts,
// snippets, evidence written as sentences) is built in src/catalogue/; the rest of src/ hands it data.
// This contract reads src/ outside src/catalogue with the TypeScript parser and fails on a string
// literal of prose there.
//
// Prose, narrowly: a string literal, `template` or the static text of a template (a ${…} neither counts
// as a word nor breaks a run) holding a run of at least 4 consecutive words, a word being letters (an apostrophe part
// and one trailing , ; : . ! or ? allowed): "the port is not a number", "Skipped: the tcp check failed".
// Not prose: identifiers, codes, paths, URLs, flags, regexes (not string literals), anything with
// fewer than 4 words in a row. Left out on purpose, as they are not db-doctor's own words to a user:
//   - module specifiers (import/export … from '…');
//   - SQL sent to the server (a literal starting with select, with, show, set…, or a `case when` expression);
//   - a command line the user types to run a package's bin (a literal starting with a package runner and the
//     bin: `npx prisma migrate deploy`, `pnpm exec knex migrate:latest`, `npm run migrate`): code for the shell,
//     as SQL is for the server — as long as what follows the runner and the bin is not prose itself ("npx prisma
//     is not installed in the app" is a sentence);
//   - the message of a thrown error object (`new Error('…')`, `new XyzError('…')`): data like a server's
//     error text, worded by the catalogue when shown (INTERNAL_ERROR quotes it as the crash's message);
//   - another program's own words, reproduced exactly, marked verbatim('…') (src/core/verbatim.ts): a tool's
//     error message as the tool prints it ("Error parsing url: undefined"), the OS's strerror ("No route to
//     host"). They are data about that program, compared with what it really prints, not db-doctor's sentences;
//     only a string literal directly inside verbatim(…) is left out;
//   - oclif help in cli/ and commands/ (a flag's or command's `description`, `summary`, `examples`: a key of
//     an object literal, or a command class's static field).
//
// No file outside src/catalogue holds prose: the debt counted here per file since the catalogue step was paid
// on 2026-12-08 (issue 16), and none may come back.
import fs from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import {describe, expect, it} from 'vitest'

const SRC = path.resolve(import.meta.dirname, '../../src')

const WORD = /^[A-Za-z]+(?:'[A-Za-z]+)?[,;:.!?]?$/
const SQL =
  /^\s*(?:select|with|show|set|reset|insert|update|delete|begin|commit|rollback|create|alter|drop|grant|revoke|explain|discard|deallocate|prepare|execute|listen|notify|case\s+when)\b/i
const HELP_KEYS = new Set(['description', 'summary', 'examples'])
/** Where a template's ${…} was: neither a word nor a break between words. */
const HOLE = ' \u0000 '

/** A package runner and the bin it runs: the start of a command line. */
const COMMAND =
  /^\s*(?:npx|bunx|pnpm\s+(?:exec|dlx)|yarn(?:\s+(?:dlx|exec))?|npm\s+(?:run|exec|x))\s+@?[\w.-]+(?:\/[\w.-]+)?(?=\s|$)/

/** Whether a literal's text reads as prose: at least 4 words in a row (after a command's runner and bin). */
export function isProse(text: string): boolean {
  if (SQL.test(text)) return false
  // a command line is code, but only as far as its arguments are not themselves a sentence
  const command = COMMAND.exec(text)
  if (command) return isProse(text.slice(command[0].length))
  let run = 0
  for (const w of text.split(/\s+/)) {
    if (!w || w === HOLE.trim()) continue
    run = WORD.test(w) ? run + 1 : 0
    if (run >= 4) return true
  }
  return false
}

/** The prose literals of a file (path from src/): line and the first 80 characters of each. */
export function proseLiterals(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
  const cliHelp = /^(cli|commands)\/|^cli\.ts$/.test(file)
  const out: string[] = []
  const exempt = (n: ts.Node): boolean => {
    const p = n.parent
    if (!p) return false
    if (ts.isImportDeclaration(p) || ts.isExportDeclaration(p) || ts.isExternalModuleReference(p)) return true
    if (ts.isLiteralTypeNode(p)) return true
    if (ts.isNewExpression(p) && /Error$/.test(p.expression.getText(sf))) return true
    if (ts.isCallExpression(p) && p.expression.getText(sf) === 'verbatim' && p.arguments.includes(n as ts.Expression))
      return true
    if (cliHelp && ts.isPropertyAssignment(p) && HELP_KEYS.has(p.name.getText(sf))) return true
    if (
      cliHelp &&
      ts.isPropertyDeclaration(p) &&
      p.modifiers?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword) &&
      HELP_KEYS.has(p.name.getText(sf))
    )
      return true
    if (
      cliHelp &&
      ts.isArrayLiteralExpression(p) &&
      ts.isPropertyAssignment(p.parent) &&
      HELP_KEYS.has(p.parent.name.getText(sf))
    )
      return true
    return false
  }
  const visit = (n: ts.Node): void => {
    let literal: string | null = null
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) literal = n.text
    else if (ts.isTemplateExpression(n))
      literal = [n.head.text, ...n.templateSpans.map((s) => s.literal.text)].join(HOLE)
    if (literal !== null) {
      if (!exempt(n) && isProse(literal))
        out.push(
          `${file}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1} ${JSON.stringify(literal.replaceAll(HOLE, ' … ').slice(0, 80))}`,
        )
      if (ts.isTemplateExpression(n)) for (const s of n.templateSpans) visit(s.expression)
      return
    }
    ts.forEachChild(n, visit)
  }
  visit(sf)
  return out
}

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, {withFileTypes: true}).flatMap((e) => {
    const p = path.join(dir, e.name)
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : []
  })
}

const found = new Map<string, string[]>()
for (const abs of tsFiles(SRC)) {
  const file = path.relative(SRC, abs).split(path.sep).join('/')
  if (file.startsWith('catalogue/')) continue
  const hits = proseLiterals(file, fs.readFileSync(abs, 'utf8'))
  if (hits.length) found.set(file, hits)
}

describe('words: prose only in the catalogue', () => {
  it('recognises prose, narrowly', () => {
    expect(isProse('The port must be digits only, e.g. 5432.')).toBe(true)
    expect(isProse('Skipped: the tcp check failed')).toBe(true)
    expect(isProse('TLS_UNTRUSTED_ISSUER')).toBe(false)
    expect(isProse('postgres://USER:PASSWORD@HOST:5432/DATABASE')).toBe(false)
    expect(isProse('--sslmode verify-full')).toBe(false)
    expect(isProse('no such file')).toBe(false)
    expect(isProse('select name from knex_migrations order by id')).toBe(false)
    expect(isProse('npx prisma migrate deploy')).toBe(false)
    expect(isProse('pnpm exec drizzle kit migrate now')).toBe(false)
    expect(isProse('run npx prisma migrate deploy first')).toBe(true)
    // a runner and a bin do not make what follows them code
    expect(isProse('yarn is not installed here, so the lockfile decides nothing')).toBe(true)
    expect(isProse('npx prisma is not installed in the app: install it and run the migration again')).toBe(true)
    expect(isProse('npm run it again once the database accepts connections')).toBe(true)
    expect(isProse('case when t is not null then query_to_xml(q, true, false, x) end')).toBe(false)
  })

  it('reads literals, templates and the exemptions by AST', () => {
    const text = [
      "import x from './the module is not prose.js'",
      "const a = 'the check failed at the end'",
      'const b = `the ${x} check failed at ${y}`',
      "throw new Error('the session is closed now')",
      "const c = 'select name from t order by id'",
      "const d = {description: 'Run only these checks here.'}",
      "const e = verbatim('Error parsing url: undefined') + verbatim(`No route to ${host} here`)",
      "const f = quoted('Error parsing the url: undefined')",
    ].join('\n')
    expect(proseLiterals('checks/x.ts', text).map((h) => h.split(' ')[0])).toEqual([
      'checks/x.ts:2',
      'checks/x.ts:3',
      'checks/x.ts:6',
      'checks/x.ts:8',
    ])
    expect(proseLiterals('commands/x.ts', text).map((h) => h.split(' ')[0])).toEqual([
      'commands/x.ts:2',
      'commands/x.ts:3',
      'commands/x.ts:8',
    ])
    // a command class's static help fields are oclif help too (commands/ and cli/ only)
    const command = "class C {\n  static override summary = 'Run only these checks here.'\n}"
    expect(proseLiterals('commands/c.ts', command)).toEqual([])
    expect(proseLiterals('checks/c.ts', command)).toHaveLength(1)
  })

  it('no file outside src/catalogue holds prose', () => {
    const prose = [...found].map(([file, hits]) => `${file}: ${hits.length} prose literals\n  ${hits.join('\n  ')}`)
    expect(prose, 'prose outside src/catalogue: move the words to the catalogue, pass data').toEqual([])
  })

  it('every edited URL is urlWithParams (config/connection-string.ts): the app URL, masked, params edited', () => {
    const editors = tsFiles(SRC)
      .map((abs) => path.relative(SRC, abs).split(path.sep).join('/'))
      .filter(
        (f) =>
          f !== 'config/connection-string.ts' && /\beditUrlParams\b/.test(fs.readFileSync(path.join(SRC, f), 'utf8')),
      )
    expect(editors).toEqual([])
  })
})
