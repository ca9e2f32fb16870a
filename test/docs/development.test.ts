// docs/development.md's "Adding a code" / "Adding a check" lists stay true: every file they name
// exists (`<check>` read as every check of the registry that has a file of its own, `<file>` as
// every catalogue file), and the registry, CHECK_IDS and the catalogue's checks agree (each check's `codes`
// are codes of its own).
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {catalogue} from '../../src/checks/catalogue.js'
import {CHECK_IDS, checks} from '../../src/checks/index.js'
import {ROOT} from '../helpers/cli.js'

const doc = readFileSync(path.join(ROOT, 'docs/development.md'), 'utf8')
const section = doc.slice(doc.indexOf('<!-- adding:start -->'), doc.indexOf('<!-- adding:end -->'))
const named = [...new Set([...section.matchAll(/`((?:src|test)\/[^`\s]+)`/g)].map((m) => m[1]))]

describe('docs/development.md: adding a code or a check', () => {
  it('the section exists and names the files', () => {
    expect(section.length).toBeGreaterThan(100)
    expect(named).toEqual(expect.arrayContaining(['src/checks/index.ts', 'src/checks/catalogue.ts']))
  })

  it('every file it names exists', () => {
    const ids = checks.map((c) => c.id)
    const missing: string[] = []
    for (const p of named) {
      if (p.includes('<check>')) {
        // each check has its check file; its catalogue and test files exist for each check
        for (const id of ids)
          if (!existsSync(path.join(ROOT, p.replace('<check>', id)))) missing.push(p.replace('<check>', id))
      } else if (p.includes('<file>')) {
        expect(existsSync(path.join(ROOT, path.dirname(p))), p).toBe(true)
      } else if (!existsSync(path.join(ROOT, p))) missing.push(p)
    }
    expect(missing).toEqual([])
  })

  it('the registry, CHECK_IDS and the catalogue name the same checks', () => {
    expect([...CHECK_IDS]).toEqual(checks.map((c) => c.id))
    const inCatalogue = new Set(catalogue.map((e) => e.check))
    for (const id of CHECK_IDS) expect(inCatalogue.has(id), id).toBe(true)
    for (const c of checks) for (const e of [c.codes, c.explainLast ?? []].flat(2)) expect(e.check, e.code).toBe(c.id)
  })
})
