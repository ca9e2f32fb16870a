// `npm run lint:dead`: lists the exports of src/ that no other file uses (src/, test/, scripts/).
// Uses the TypeScript compiler API (the project's own tsconfig.json), so aliases, re-exports,
// `import('…').Name` types, namespace member access and `const {a} = await import('…')` all count.
// Plain JavaScript files (test/lab/*.mjs load src/ through jiti, bin/) are not type-checked: any
// word in them counts as a use of an export of that name.
// The library entry (src/index.ts) and the binary's entry (src/cli.ts) are roots: their exports
// are the public API. Exit 1 when a dead export is found, 0 otherwise.
// `--fix` drops the `export` keyword of those still used in their own file; what nothing uses at
// all is listed for removal by hand (with what only it used).
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import ts from 'typescript'

export interface DeadExport {
  /** path relative to the root, with forward slashes */
  file: string
  line: number
  name: string
  /** false when nothing uses it at all, in its own file either: the code itself can go */
  usedInOwnFile: boolean
  /** where the `export` keyword is (start, end including the space after it), when --fix can drop it */
  exportKeyword?: {start: number; end: number}
}

export interface DeadExportOptions {
  root: string
  /** tsconfig.json relative to root */
  tsconfig?: string
  /** folder (relative to root) whose exports are checked */
  srcDir?: string
  /** files (relative to root) whose exports are the public API */
  entries?: string[]
  /** folders (relative to root) whose .js/.mjs files count as users, by name */
  jsDirs?: string[]
}

export function findDeadExports(opts: DeadExportOptions): DeadExport[] {
  const root = path.resolve(opts.root)
  const srcDir = path.join(root, opts.srcDir ?? 'src') + path.sep
  const entries = new Set((opts.entries ?? ['src/index.ts', 'src/cli.ts']).map((f) => path.join(root, f)))
  const configPath = path.join(root, opts.tsconfig ?? 'tsconfig.json')
  const read = ts.readConfigFile(configPath, ts.sys.readFile)
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'))
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(configPath))
  const program = ts.createProgram({rootNames: parsed.fileNames, options: {...parsed.options, noEmit: true}})
  const checker = program.getTypeChecker()
  const ours = program
    .getSourceFiles()
    .filter(
      (sf) =>
        !sf.isDeclarationFile &&
        path.resolve(sf.fileName).startsWith(root + path.sep) &&
        !sf.fileName.includes('/node_modules/'),
    )

  // symbol → files that refer to it (other than by declaring it)
  const users = new Map<ts.Symbol, Set<string>>()
  const use = (sym: ts.Symbol | undefined, file: string): void => {
    for (let s = sym, depth = 0; s && depth < 20; depth++) {
      let set = users.get(s)
      if (!set) users.set(s, (set = new Set()))
      if (set.has(file) && !(s.flags & ts.SymbolFlags.Alias)) return
      set.add(file)
      if (!(s.flags & ts.SymbolFlags.Alias)) return
      let next: ts.Symbol | undefined
      try {
        next = checker.getImmediateAliasedSymbol(s)
      } catch {
        next = undefined // an alias without a declaration TypeScript can follow one step (e.g. import = require)
      }
      if (!next || next === s) {
        const final = checker.getAliasedSymbol(s)
        if (final !== s) use(final, file)
        return
      }
      s = next
    }
  }
  const isDeclarationName = (node: ts.Node, sym: ts.Symbol): boolean =>
    (sym.declarations ?? []).some((d) => (d as ts.NamedDeclaration).name === node)

  // Only identifiers spelled like an export of src/ can refer to one: resolving just those keeps
  // the type checker's work (the slow part) small.
  const exported = new Set<string>()
  for (const sf of ours) {
    if (!path.resolve(sf.fileName).startsWith(srcDir)) continue
    const moduleSym = checker.getSymbolAtLocation(sf)
    if (moduleSym) for (const e of checker.getExportsOfModule(moduleSym)) exported.add(e.getName())
  }

  for (const sf of ours) {
    const file = path.resolve(sf.fileName)
    const visit = (node: ts.Node): void => {
      if ((ts.isIdentifier(node) || ts.isPrivateIdentifier(node)) && exported.has(node.text)) {
        const sym = checker.getSymbolAtLocation(node)
        if (sym && !isDeclarationName(node, sym)) use(sym, file)
        // `import {x as y}` / `export {x as y}`: the property name refers to the other module's x
        if (sym && ts.isImportSpecifier(node.parent) && node.parent.name === node) use(sym, file)
        if (sym && ts.isExportSpecifier(node.parent)) use(sym, file)
      }
      // `const {a, b: c} = await import('…')`: a and b are properties of the module's namespace type
      if (ts.isBindingElement(node) && ts.isObjectBindingPattern(node.parent) && !node.dotDotDotToken) {
        const key = node.propertyName ?? node.name
        const name = ts.isIdentifier(key) || ts.isStringLiteral(key) ? key.text : undefined
        if (name && exported.has(name)) {
          const type = checker.getTypeAtLocation(node.parent)
          use(type.getProperty(name), file)
        }
      }
      ts.forEachChild(node, visit)
    }
    visit(sf)
  }

  const jsWords = new Set<string>()
  for (const dir of opts.jsDirs ?? ['test', 'scripts', 'bin']) {
    for (const f of walk(path.join(root, dir))) {
      if (!/\.(mjs|cjs|js)$/.test(f)) continue
      for (const w of fs.readFileSync(f, 'utf8').match(/[A-Za-z_$][\w$]*/g) ?? []) jsWords.add(w)
    }
  }

  const dead: DeadExport[] = []
  for (const sf of ours) {
    const file = path.resolve(sf.fileName)
    if (!file.startsWith(srcDir) || entries.has(file)) continue
    const moduleSym = checker.getSymbolAtLocation(sf)
    if (!moduleSym) continue
    for (const exp of checker.getExportsOfModule(moduleSym)) {
      const name = exp.getName()
      if (jsWords.has(name)) continue
      const declaredHere = (exp.declarations ?? []).some((d) => path.resolve(d.getSourceFile().fileName) === file)
      // `export * from './x.js'` passes x's own exports on: x is checked for them.
      if (!(exp.flags & ts.SymbolFlags.Alias) && !declaredHere) continue
      const targets = [exp]
      if (exp.flags & ts.SymbolFlags.Alias) targets.push(checker.getAliasedSymbol(exp))
      const files = new Set<string>()
      for (const t of targets) for (const f of users.get(t) ?? []) files.add(f)
      const elsewhere = [...files].some((f) => f !== file)
      if (elsewhere) continue
      const decl =
        exp.declarations?.find((d) => path.resolve(d.getSourceFile().fileName) === file) ?? exp.declarations?.[0]
      const line = decl ? decl.getSourceFile().getLineAndCharacterOfPosition(decl.getStart()).line + 1 : 0
      dead.push({
        file: path.relative(root, file).split(path.sep).join('/'),
        line,
        name,
        usedInOwnFile: files.has(file),
        exportKeyword: declaredHere ? exportKeyword(decl) : undefined,
      })
    }
  }
  return dead.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line)
}

/** The `export` modifier of a declaration that declares only this name, or undefined. */
function exportKeyword(decl: ts.Declaration | undefined): {start: number; end: number} | undefined {
  if (!decl) return undefined
  let holder: ts.Node = decl
  if (ts.isVariableDeclaration(decl)) {
    const list = decl.parent
    if (!ts.isVariableDeclarationList(list) || list.declarations.length !== 1 || !ts.isVariableStatement(list.parent))
      return undefined
    holder = list.parent
  }
  if (!ts.canHaveModifiers(holder)) return undefined
  const mods = ts.getModifiers(holder) ?? []
  if (mods.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)) return undefined
  const kw = mods.find((m) => m.kind === ts.SyntaxKind.ExportKeyword)
  if (!kw) return undefined
  const text = kw.getSourceFile().text
  let end = kw.end
  while (text[end] === ' ') end++
  return {start: kw.getStart(), end}
}

/** Drops the `export` keyword of each dead export that is still used in its own file. */
export function removeExportKeywords(root: string, dead: DeadExport[]): DeadExport[] {
  const byFile = new Map<string, DeadExport[]>()
  for (const d of dead) if (d.usedInOwnFile && d.exportKeyword) byFile.set(d.file, [...(byFile.get(d.file) ?? []), d])
  const done: DeadExport[] = []
  for (const [file, list] of byFile) {
    const full = path.join(root, file)
    let text = fs.readFileSync(full, 'utf8')
    for (const d of [...list].sort((a, b) => b.exportKeyword!.start - a.exportKeyword!.start)) {
      text = text.slice(0, d.exportKeyword!.start) + text.slice(d.exportKeyword!.end)
      done.push(d)
    }
    fs.writeFileSync(full, text)
  }
  return done
}

function walk(dir: string, out: string[] = []): string[] {
  if (!fs.existsSync(dir)) return out
  for (const e of fs.readdirSync(dir, {withFileTypes: true})) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue
    const p = path.join(dir, e.name)
    if (e.isDirectory()) walk(p, out)
    else out.push(p)
  }
  return out
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dead = findDeadExports({root: process.cwd()})
  if (process.argv.includes('--fix')) {
    const fixed = new Set(removeExportKeywords(process.cwd(), dead))
    for (const d of fixed) console.log(`${d.file}:${d.line}  ${d.name}: export removed`)
    dead.splice(0, dead.length, ...dead.filter((d) => !fixed.has(d)))
  }
  for (const d of dead) {
    console.log(`${d.file}:${d.line}  ${d.name}${d.usedInOwnFile ? '' : '  (unused: remove the code)'}`)
  }
  console.log(dead.length ? `${dead.length} export(s) used nowhere else` : 'no dead exports')
  process.exitCode = dead.length ? 1 : 0
}
