// Layers: imports point one way. The import graph of src/ (every static import, `import type`,
// re-export, dynamic import() and import('…') type, read with the TypeScript parser) is mapped to the
// layers below, top first; a file may import its own layer or a lower one, never a higher one, and no
// chain of imports comes back to where it started (no cycle, also within a layer).
//
//   cli (cli.ts, the library entry index.ts, cli/ = argv and the commands' base class, commands/: every
//   file there is a command) → app (app/ = diagnose, fleet/, wait/, serve/, explain/, reporters/)
//   → checks → catalogue → models (models/, config/, network/, tls/, providers/) → probes
//   → core (types, runner, redaction, escaping)
//
// Every file of src/ belongs to a layer: a new folder is placed here before it is used.
import fs from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import {describe, expect, it} from 'vitest'

const ROOT = path.resolve(import.meta.dirname, '../..')

/** Top first. A file belongs to the first layer one of whose prefixes its path (from src/) starts with. */
export const LAYERS: ReadonlyArray<{name: string; prefixes: string[]}> = [
  {name: 'cli', prefixes: ['cli.ts', 'index.ts', 'cli/', 'commands/']},
  {name: 'app', prefixes: ['app/', 'fleet/', 'wait/', 'serve/', 'explain/', 'reporters/']},
  {name: 'checks', prefixes: ['checks/']},
  {name: 'catalogue', prefixes: ['catalogue/']},
  {name: 'models', prefixes: ['models/', 'config/', 'network/', 'tls/', 'providers/']},
  {name: 'probes', prefixes: ['probes/']},
  {name: 'core', prefixes: ['core/']},
]

/**
 * Edges that point up and cannot move yet, each with its reason ("from -> to", paths from src/).
 * Keep it short: an entry here is a debt, not a design.
 */
const ALLOWED: ReadonlyMap<string, string> = new Map<string, string>([])

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, {withFileTypes: true}).flatMap((e) => {
    const p = path.join(dir, e.name)
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : []
  })
}

/** Every module specifier a file names: imports, `import type`, re-exports, import() and import('…') types. */
export function specifiers(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
  const out: string[] = []
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    )
      out.push(node.moduleSpecifier.text)
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const e = node.moduleReference.expression
      if (ts.isStringLiteral(e)) out.push(e.text)
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    )
      out.push(node.arguments[0].text)
    else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    )
      out.push(node.argument.literal.text)
    ts.forEachChild(node, visit)
  }
  visit(sf)
  return out
}

const SRC = path.join(ROOT, 'src')
const files = tsFiles(SRC).map((f) => path.relative(SRC, f).split(path.sep).join('/'))
const layerOf = (file: string): number => LAYERS.findIndex((l) => l.prefixes.some((p) => file.startsWith(p)))

/** The import graph of src/: file → the src/ files it imports (paths from src/). */
const graph = new Map<string, string[]>()
const unresolved: string[] = []
for (const file of files) {
  const targets: string[] = []
  for (const spec of specifiers(file, fs.readFileSync(path.join(SRC, file), 'utf8'))) {
    if (!spec.startsWith('.')) continue
    const abs = path.resolve(path.dirname(path.join(SRC, file)), spec.replace(/\.js$/, '.ts'))
    const rel = path.relative(SRC, abs).split(path.sep).join('/')
    const target = files.includes(rel) ? rel : files.includes(`${rel}/index.ts`) ? `${rel}/index.ts` : null
    if (target) targets.push(target)
    else if (!/\.(json|cjs|mjs)$/.test(spec)) unresolved.push(`${file} -> ${spec}`)
  }
  graph.set(file, [...new Set(targets)])
}

/** Strongly connected components with more than one file, or a file importing itself. */
function cycles(g: Map<string, string[]>): string[][] {
  let index = 0
  const idx = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const on = new Set<string>()
  const out: string[][] = []
  const strong = (v: string): void => {
    idx.set(v, index)
    low.set(v, index++)
    stack.push(v)
    on.add(v)
    for (const w of g.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!))
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = []
      let w: string
      do {
        w = stack.pop()!
        on.delete(w)
        comp.push(w)
      } while (w !== v)
      if (comp.length > 1 || (g.get(v) ?? []).includes(v)) out.push(comp.sort())
    }
  }
  for (const v of g.keys()) if (!idx.has(v)) strong(v)
  return out
}

/** One loop through a component, as "a -> b -> … -> a" (the shortest back to the first file). */
function loopOf(comp: string[], g: Map<string, string[]>): string {
  const inComp = new Set(comp)
  const start = comp[0]!
  const prev = new Map<string, string>()
  const queue = [start]
  for (let i = 0; i < queue.length; i++) {
    for (const w of g.get(queue[i]!) ?? []) {
      if (!inComp.has(w)) continue
      if (w === start) {
        const chain = [queue[i]!]
        while (chain[0] !== start) chain.unshift(prev.get(chain[0]!)!)
        return [...chain, start].join(' -> ')
      }
      if (!prev.has(w)) {
        prev.set(w, queue[i]!)
        queue.push(w)
      }
    }
  }
  return comp.join(', ')
}

describe('layers: imports point one way', () => {
  it('reads the import graph of src/', () => {
    expect(files.length).toBeGreaterThan(100)
    expect([...graph.values()].flat().length).toBeGreaterThan(300)
    expect(unresolved).toEqual([])
  })

  it('the parser sees every kind of import', () => {
    const text = [
      "import a from './a.js'",
      "import type {B} from './b.js'",
      "import {type C} from './c.js'",
      "export {d} from './d.js'",
      "export * from './e.js'",
      "export type {F} from './f.js'",
      "const g = await import('./g.js')",
      "type H = import('./h.js').H",
      "import './i.js'",
    ].join('\n')
    expect(specifiers('x.ts', text)).toEqual([
      './a.js',
      './b.js',
      './c.js',
      './d.js',
      './e.js',
      './f.js',
      './g.js',
      './h.js',
      './i.js',
    ])
  })

  it('every file of src/ belongs to a layer', () => {
    expect(files.filter((f) => layerOf(f) < 0)).toEqual([])
  })

  it('no import points to a higher layer', () => {
    const up: string[] = []
    for (const [from, targets] of graph) {
      for (const to of targets) {
        const edge = `${from} -> ${to}`
        if (layerOf(to) < layerOf(from) && !ALLOWED.has(edge))
          up.push(`${edge} (${LAYERS[layerOf(from)]!.name} imports ${LAYERS[layerOf(to)]!.name})`)
      }
    }
    expect(up, 'imports that point up: move the code down, or pass it in from above').toEqual([])
  })

  it('the allow-list holds only edges that exist and point up', () => {
    for (const edge of ALLOWED.keys()) {
      const [from, to] = edge.split(' -> ') as [string, string]
      expect(graph.get(from) ?? [], edge).toContain(to)
      expect(layerOf(to), edge).toBeLessThan(layerOf(from))
    }
  })

  it('no cycle of imports (besides the allowed upward edges)', () => {
    const kept = new Map([...graph].map(([from, to]) => [from, to.filter((t) => !ALLOWED.has(`${from} -> ${t}`))]))
    expect(
      cycles(kept).map((c) => loopOf(c, kept)),
      'import cycles',
    ).toEqual([])
  })

  it('a file of src/checks/ that takes words from the catalogue is named like its catalogue file', () => {
    // the catalogue files every check may use besides its own: entry types, snippets, the session's skip words
    const shared = new Set(['catalogue/types.ts', 'catalogue/snippets.ts', 'catalogue/session.ts'])
    // a part of a check whose codes sit in that check's catalogue file (part → that file); the whole catalogue,
    // assembled from the registry, is no check's part: it takes every check's entries through the registry and
    // the rules of their order from catalogue/index.ts
    const partOf = new Map([
      ['checks/channel-binding.ts', 'catalogue/auth.ts'],
      ['checks/catalogue.ts', 'catalogue/index.ts'],
    ])
    const unpaired: string[] = []
    for (const [from, targets] of graph) {
      if (!from.startsWith('checks/')) continue
      const words = targets.filter((t) => t.startsWith('catalogue/') && !shared.has(t))
      const own = partOf.get(from) ?? from.replace(/^checks\//, 'catalogue/')
      if (words.length && !words.includes(own)) unpaired.push(`${from} takes its words from ${words.join(', ')}`)
    }
    expect(unpaired, 'name the check file like its catalogue file (checks/x.ts ↔ catalogue/x.ts)').toEqual([])
  })

  it('a cycle is found and named', () => {
    const g = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ])
    const found = cycles(g)
    expect(found).toEqual([['a.ts', 'b.ts', 'c.ts']])
    expect(loopOf(found[0]!, g)).toBe('a.ts -> b.ts -> c.ts -> a.ts')
  })
})
