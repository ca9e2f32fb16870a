// Declared inputs: every fact a check of the registry uses is provided by an earlier check, every result
// it reads is an earlier check's, and a check that reads or writes a fact, or reads a result or the
// plan, it does not declare fails in a strict run.
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import {describe, expect, it} from 'vitest'
import {checks} from '../../src/checks/index.js'
import {runChecks} from '../helpers/run-checks.js'
import type {Check, CheckContext} from '../../src/checks/types.js'
import type {FactName} from '../../src/core/types.js'

describe('declared facts of the registry', () => {
  it('every check declares what it provides and uses', () => {
    for (const c of checks) {
      expect(Array.isArray(c.provides), `${c.id} provides`).toBe(true)
      expect(Array.isArray(c.uses), `${c.id} uses`).toBe(true)
    }
  })

  it('every fact a check uses is provided by an earlier check', () => {
    const provided = new Set<string>()
    const missing: string[] = []
    for (const c of checks) {
      for (const f of c.uses ?? []) if (!provided.has(f)) missing.push(`${c.id} uses "${f}"`)
      for (const f of c.provides ?? []) provided.add(f)
    }
    expect(missing).toEqual([])
  })

  it("every result a check reads is an earlier check's, and every check it asks the plan about exists", () => {
    const ids = checks.map((c) => c.id)
    const wrong: string[] = []
    checks.forEach((c, i) => {
      for (const id of c.usesResults ?? [])
        if (!ids.slice(0, i).includes(id)) wrong.push(`${c.id} reads results of "${id}"`)
      for (const id of c.usesPlan ?? []) if (!ids.includes(id)) wrong.push(`${c.id} asks the plan about "${id}"`)
    })
    expect(wrong).toEqual([])
  })

  it('a check that plans catalog reads (queries) declares the session', () => {
    expect(checks.filter((c) => c.queries && !c.usesSession).map((c) => c.id)).toEqual([])
  })

  it("each check declares the Facts slots it provides in its own file, and the registry's types load them", () => {
    // a check declares its slot beside it (`declare module '../core/facts.js' { interface Facts {…} }`):
    // src/core/facts.ts holds no slot, no other file declares one, and the slots of checks/<id>.ts are the
    // facts the check provides
    const src = path.resolve(import.meta.dirname, '../../src')
    const slotsOf = (file: string): string[] => {
      const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
      const out: string[] = []
      const visit = (n: ts.Node): void => {
        if (ts.isInterfaceDeclaration(n) && n.name.text === 'Facts')
          for (const m of n.members) if (m.name && ts.isIdentifier(m.name)) out.push(m.name.text)
        ts.forEachChild(n, visit)
      }
      visit(sf)
      return out
    }
    const files = (dir: string): string[] =>
      readdirSync(dir, {withFileTypes: true}).flatMap((e) =>
        e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
      )
    const declared = new Map<string, string[]>()
    for (const f of files(src)) {
      const slots = slotsOf(f)
      if (slots.length) declared.set(path.relative(src, f).split(path.sep).join('/'), slots)
    }
    const expected = new Map(
      checks.filter((c) => c.provides?.length).map((c) => [`checks/${c.id}.ts`, [...(c.provides ?? [])]]),
    )
    expect(Object.fromEntries(declared)).toEqual(Object.fromEntries(expected))
    // the published types: dist/checks/index.d.ts keeps a re-export of each of these modules
    const registry = readFileSync(path.join(src, 'checks/index.ts'), 'utf8')
    const kept = [...registry.matchAll(/^export type \{\} from '\.\/([a-z-]+)\.js'$/gm)].map((m) => `checks/${m[1]}.ts`)
    expect(kept.sort()).toEqual([...expected.keys()].sort())
  })

  it('no two checks provide the same fact', () => {
    const seen = new Map<string, string>()
    for (const c of checks) {
      for (const f of c.provides ?? []) {
        expect(seen.get(f), `${f} provided by ${seen.get(f)} and ${c.id}`).toBeUndefined()
        seen.set(f, c.id)
      }
    }
  })
})

describe('strict facts in the runner', () => {
  const ctx = {
    config: {fields: {}, primary: null, shadowed: [], problems: [], notFound: false},
    env: {},
    cwd: '/',
    options: {timeoutMs: 1000, verbose: false, dnsServers: []},
    facts: {},
  } as Omit<CheckContext, 'results'>
  const ok = {status: 'pass', code: null, summary: 'ok', evidence: {}, fix: null} as const
  /** Facts has no open slot: these made-up facts are reached through an untyped view. */
  const open = (facts: object) => facts as Record<string, unknown>

  it('a check reading an undeclared fact fails with INTERNAL_ERROR naming the fact', async () => {
    const writer: Check = {
      id: 'w',
      title: 'W',
      requires: [],
      provides: ['x' as FactName],
      uses: [],
      run: async (c) => ((open(c.facts).x = 1), ok),
    }
    const sneaky: Check = {
      id: 's',
      title: 'S',
      requires: [],
      provides: [],
      uses: [],
      run: async (c) => (void open(c.facts).x, ok),
    }
    const honest: Check = {
      id: 'h',
      title: 'H',
      requires: [],
      provides: [],
      uses: ['x' as FactName],
      run: async (c) => (expect(open(c.facts).x).toBe(1), ok),
    }
    const results = await runChecks([writer, sneaky, honest], {...ctx, facts: {}}, {strictFacts: true})
    expect(results.map((r) => r.status)).toEqual(['pass', 'fail', 'pass'])
    expect(results[1]).toMatchObject({code: 'INTERNAL_ERROR'})
    expect(results[1]!.summary).toContain('reads the fact "x"')
  })

  it('a check writing an undeclared fact fails', async () => {
    const w: Check = {
      id: 'w',
      title: 'W',
      requires: [],
      provides: [],
      uses: [],
      run: async (c) => ((open(c.facts).y = 1), ok),
    }
    const [r] = await runChecks([w], {...ctx, facts: {}}, {strictFacts: true})
    expect(r).toMatchObject({status: 'fail', code: 'INTERNAL_ERROR'})
    expect(r!.summary).toContain('writes the fact "y"')
  })

  it('a check reads only the results and the plan it declares', async () => {
    const first: Check = {id: 'a', title: 'A', requires: [], provides: [], uses: [], run: async () => ok}
    const reader: Check = {
      id: 'r',
      title: 'R',
      requires: [],
      provides: [],
      uses: [],
      usesResults: ['a'],
      usesPlan: ['z'],
      run: async (c) => (expect(c.results.get('a')?.status).toBe('pass'), expect(c.planned?.has('z')).toBe(false), ok),
    }
    const sneakyResult: Check = {...reader, id: 's', usesResults: [], usesPlan: ['z']}
    const sneakyPlan: Check = {...reader, id: 'p', usesResults: ['a'], usesPlan: []}
    const results = await runChecks([first, reader, sneakyResult, sneakyPlan], {...ctx, facts: {}}, {strictFacts: true})
    expect(results.map((r) => r.status)).toEqual(['pass', 'pass', 'fail', 'fail'])
    expect(results[2]!.summary).toContain('reads ctx.results of "a"')
    expect(results[3]!.summary).toContain('reads ctx.planned of "z"')
  })

  it('a check reads the session only when it declares it', async () => {
    const session = {plan: () => undefined, close: async () => undefined}
    const user: Check = {
      id: 'u',
      title: 'U',
      requires: [],
      provides: [],
      uses: [],
      usesSession: true,
      run: async (c) => (expect(c.session).toBeDefined(), ok),
    }
    const sneaky: Check = {...user, id: 's', usesSession: false}
    const results = await runChecks([user, sneaky], {...ctx, facts: {}, session} as never, {strictFacts: true})
    expect(results.map((r) => r.status)).toEqual(['pass', 'fail'])
    expect(results[1]!.summary).toContain('reads ctx.session')
  })
})
