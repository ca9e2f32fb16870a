// Check ids and codes are a public contract (CI greps them). The catalogue
// (src/catalogue/) is their single source: every code the source emits is in it
// and every entry is emitted, every code is asserted by a test that produces it,
// docs/codes.md is the generated one, and every entry's real example
// messages are recognised by its own matchers.
import {readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {confirmCommand} from '../../src/catalogue/index.js'
import {hintChecks, hints} from '../../src/catalogue/hints.js'
import {renderCodesDoc} from '../../src/catalogue/codes-doc.js'
import {catalogue, scanText} from '../../src/checks/catalogue.js'
import {CHECK_IDS, checks} from '../../src/checks/index.js'
import {ROOT} from '../helpers/cli.js'

/** Error codes of internal helpers that never reach a report. */
const INTERNAL = new Set(['PG_CONFIG_REJECTED'])
const prefixes = [...new Set(catalogue.map((e) => e.code.split('_')[0]))]
const CODE = new RegExp(`'((?:${prefixes.join('|')})_[A-Z0-9_]+|INTERNAL_ERROR)'`, 'g')
/** A check emitting an entry it imports from the catalogue: `PG_NO_RESPONSE.emit(params, evidence)`. */
const EMITTED = new RegExp(`\\b((?:${prefixes.join('|')})_[A-Z0-9_]+)\\.(?:emit|finding)\\(`, 'g')
/** Tests that name codes without producing them (the catalogue's own and explain's pasted-text tests). */
const NOT_PRODUCING = [path.join('test', 'contract'), path.join('test', 'catalogue'), path.join('test', 'explain')]

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name)
    if (statSync(p).isDirectory()) return name === 'fixtures' ? [] : files(p, ext)
    return ext.test(name) ? [p] : []
  })
}

const sourceCodes = new Set<string>()
for (const f of files(path.join(ROOT, 'src'), /\.ts$/)) {
  if (path.relative(ROOT, f).startsWith(path.join('src', 'catalogue'))) continue
  const text = readFileSync(f, 'utf8')
  for (const m of text.matchAll(CODE)) if (!INTERNAL.has(m[1])) sourceCodes.add(m[1])
  for (const m of text.matchAll(EMITTED)) sourceCodes.add(m[1])
}

const catalogued = new Set(catalogue.map((e) => e.code))
const explainOnly = new Set(catalogue.filter((e) => e.explainOnly).map((e) => e.code))
const codesDoc = readFileSync(path.join(ROOT, 'docs/codes.md'), 'utf8')
const tests = files(path.join(ROOT, 'test'), /\.(ts|mjs)$/)
  .filter((f) => !NOT_PRODUCING.some((d) => path.relative(ROOT, f).startsWith(d)))
  .map((f) => readFileSync(f, 'utf8'))
  .join('\n')

describe('the code contract', () => {
  it('finds the codes', () => {
    expect(sourceCodes.size).toBeGreaterThan(40)
  })

  it('every code the source emits is in the catalogue, and every entry is emitted', () => {
    expect([...sourceCodes].filter((c) => !catalogued.has(c)).sort()).toEqual([])
    // explain-only entries (src/catalogue/pasted.ts) are recognised in pasted text; no check emits them yet
    expect([...catalogued].filter((c) => !sourceCodes.has(c) && !explainOnly.has(c)).sort()).toEqual([])
    // …and none is emitted yet: once a check emits one, drop its explainOnly
    const checkSources = files(path.join(ROOT, 'src', 'checks'), /\.ts$/).map((f) => readFileSync(f, 'utf8'))
    expect(
      [...explainOnly].filter((c) => checkSources.some((t) => t.includes(`${c}.emit(`) || t.includes(`'${c}'`))),
    ).toEqual([])
  })

  it('codes are unique UPPER_SNAKE', () => {
    expect(catalogued.size).toBe(catalogue.length)
    for (const e of catalogue) expect(e.code).toMatch(/^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/)
  })

  it('every code is asserted by a test that produces it (outside the catalogue and explain tests)', () => {
    // explain-only codes are produced by the explain corpus and its live tests (test/explain/corpus.test.ts)
    expect([...catalogued].filter((c) => !tests.includes(c) && !explainOnly.has(c)).sort()).toEqual([])
  })

  it('the registry is CHECK_IDS in order, and every entry and hint names checks of it', () => {
    // CHECK_IDS are the registry's ids, in its order (src/checks/index.ts)
    expect(checks.map((c) => c.id)).toEqual([...CHECK_IDS])
    for (const e of catalogue) expect([...CHECK_IDS, 'runner'], e.code).toContain(e.check)
    for (const e of catalogue) for (const id of e.confirm ?? []) expect(CHECK_IDS, e.code).toContain(id)
    for (const h of hints) {
      expect(CHECK_IDS, h.id).toContain(h.through)
      const ids = hintChecks(h, CHECK_IDS)
      expect(ids, h.id).toEqual([...new Set(ids)])
      for (const id of ids) expect(CHECK_IDS, h.id).toContain(id)
    }
  })

  it('every entry has its words: title, meaning, likely causes, a generic fix', () => {
    for (const e of catalogue) {
      expect(e.title.length, e.code).toBeGreaterThan(3)
      expect(e.meaning.length, e.code).toBeGreaterThan(10)
      expect(e.causes.length, e.code).toBeGreaterThan(0)
      expect(e.fix().summary, e.code).toBe(e.fixText)
      expect(typeof e.transient, e.code).toBe('boolean')
      expect(confirmCommand(e, CHECK_IDS), e.code).toMatch(/^db-doctor check/)
    }
  })

  it('docs/codes.md equals the one generated from the registry and the catalogue (`npm run docs`)', () => {
    expect(renderCodesDoc(codesDoc, checks, catalogue)).toBe(codesDoc)
  })

  it('`npm run docs` gives a new check its line under "The checks" and its section, where it runs', () => {
    // a check `extra` between privileges and migrations, with one code
    const at = checks.findIndex((c) => c.id === 'migrations')
    const withExtra = [...checks.slice(0, at), {id: 'extra', establishes: 'what the extra check establishes'}]
    const code = {...catalogue.find((e) => e.check === 'privileges')!, code: 'EXTRA_FOUND', check: 'extra'}
    const after = catalogue.findIndex((e) => e.check === 'migrations')
    const render = (doc: string) =>
      renderCodesDoc(
        doc,
        [...withExtra, ...checks.slice(at)],
        [...catalogue.slice(0, after), code, ...catalogue.slice(after)],
      )
    const doc = render(codesDoc)
    const line = '| `extra` | what the extra check establishes |\n'
    expect(doc).toContain(`${line}| \`migrations\` |`)
    const section =
      /### `extra`\n\n<!-- codes:extra -->\n\| code \| status \| meaning \| fix \|\n[^]*?<!-- \/codes:extra -->\n\n/
    const start = doc.search(section)
    expect(start).toBeGreaterThan(doc.indexOf('<!-- /codes:privileges -->'))
    expect(start).toBeLessThan(doc.indexOf('### `migrations`'))
    expect(doc.match(section)![0]).toContain('| `EXTRA_FOUND` |')
    // nothing else changes, and the next run changes nothing
    expect(doc.replace(section, '').replace(line, '')).toBe(codesDoc)
    expect(render(doc)).toBe(doc)
  })

  it('checks hold data, the catalogue the words: no summary or fix text in a check file', () => {
    const checkDir = path.join(ROOT, 'src', 'checks')
    for (const c of checks) {
      const text = readFileSync(path.join(checkDir, `${c.id}.ts`), 'utf8')
      expect(text, c.id).not.toMatch(/\bsummary:\s*['"`]/)
      expect(text, c.id).not.toMatch(/\bsteps:\s*\[/)
      expect(text, c.id).not.toMatch(/\bfix:\s*\{/)
      for (const e of catalogue.filter((x) => x.check === c.id && !x.explainOnly))
        expect(e.hasSummary, `${e.code} builds its summary`).toBe(true)
    }
  })

  it('every check id has a row in the checks table of docs/codes.md', () => {
    for (const c of checks) expect(codesDoc).toContain(`| \`${c.id}\` |`)
  })

  it('every entry has a real example, and its own matchers recognise every example', () => {
    for (const e of catalogue) {
      expect(e.examples.length, e.code).toBeGreaterThan(0)
      for (const ex of e.examples) {
        const found = scanText(ex.text).map((m) => m.item.code)
        expect(found, `${e.code}: ${ex.text}`).toContain(e.code)
      }
    }
  })

  it('entries with matchers have at least one example from outside db-doctor', () => {
    for (const e of catalogue) {
      if (e.matchers.length)
        expect(
          e.examples.some((x) => x.source !== 'db-doctor'),
          e.code,
        ).toBe(true)
    }
  })

  it("a regex matcher's needle is in every example it matches (the prefilter cannot hide a match)", () => {
    for (const e of catalogue) {
      for (const m of e.matchers) {
        if (typeof m === 'string') continue
        for (const x of catalogue.flatMap((o) => o.examples)) {
          for (const line of x.text.split('\n')) {
            if (m.re.test(line)) expect(line.toLowerCase(), `${e.code} ${m.re}`).toContain(m.needle.toLowerCase())
          }
        }
      }
    }
  })

  it('regex matchers have no nested quantifiers (no catastrophic backtracking on hostile logs)', () => {
    for (const e of catalogue) {
      for (const m of e.matchers) {
        if (typeof m === 'string') continue
        expect(m.re.source, e.code).not.toMatch(/\([^()]*[+*}][^()]*\)[+*{]/)
        expect(m.re.flags, e.code).not.toMatch(/[gy]/)
      }
    }
  })
})
