// Bundles the binary's runtime into dist/bundle/ after tsc. Start-up is dominated by loading
// modules: a few chunks instead of ~150 files, and each command loads only what it uses:
// cli.js (argv planning, redaction, --version) imports oclif and commands.js (the command
// classes and their flags) only to run a command, and the commands import the checks, pg,
// the explain library and the reporters in run(). Dynamic imports stay separate chunks.
// node-postgres is bundled into the chunk of src/probes/pg-load.ts (loaded on the first login,
// after its Cloudflare-probe shim): one file instead of ~40 CommonJS files resolved in node_modules.
// External, loaded from node_modules at run time: pg's optional pg-native, jiti (only to read a
// knexfile.ts / prisma.config.ts) and typescript (which oclif only looks for in development).
import {build} from 'esbuild'
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {execFileSync} from 'node:child_process'

rmSync('dist/bundle', {recursive: true, force: true})
const common = {
  outdir: 'dist/bundle',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minifySyntax: true,
  minifyWhitespace: true,
  external: ['pg-native', 'jiti', 'typescript'],
  // oclif and its dependencies are CommonJS and call require() for Node built-ins.
  banner: {
    js: "import {createRequire as __dbdCreateRequire} from 'node:module'; const require = __dbdCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
  metafile: true,
}
const result = await build({
  ...common,
  // app-child: the child process that runs an app file (src/config/app-code.ts starts it by this name)
  entryPoints: {
    cli: 'src/cli.ts',
    commands: 'src/commands/index.ts',
    index: 'src/index.ts',
    'app-child': 'src/config/app-child.ts',
  },
  splitting: true,
})
// What each output holds and imports: test/cli.test.ts reads it to keep start-up lazy.
writeFileSync('dist/bundle-meta.json', JSON.stringify(result.metafile))
// `db-doctor check` in one file, without splitting (src/cli/check-main.ts; bin/run.js runs it): a healthy
// check loaded ~45 chunks of the split build above, and Node's ES module loader pays per file. Dynamic
// imports are inlined (evaluated when first imported, as before); oclif is not reachable from it.
// CommonJS, so that bin/run.js can compile it with V8's code cache (dist/bundle/check.cache, made below):
// Node 20 has no code cache for ES modules, and compiling this file was about a fifth of a check's CPU time.
// Libraries a healthy check never loads stay out of it, each in its own file that check.cjs requires when it
// needs it (as the split build's chunks are loaded): yaml (Kubernetes manifests, src/config/replicas.ts) and
// ora (the spinner at a terminal). About a quarter of the bytes Node would otherwise compile on every run.
const cjs = {
  ...common,
  format: 'cjs',
  // import.meta.url in CommonJS: this file's URL
  define: {'import.meta.url': '__dbdImportMetaUrl'},
  banner: {js: "const __dbdImportMetaUrl = require('node:url').pathToFileURL(__filename).href;"},
  // import() as require(): a script compiled by vm.Script has no loader for import()
  supported: {'dynamic-import': false},
}
const VENDOR = {yaml: `module.exports = require('yaml')`, ora: `export * from 'ora'; export {default} from 'ora'`}
for (const [name, contents] of Object.entries(VENDOR))
  await build({
    ...cjs,
    stdin: {contents, resolveDir: process.cwd(), loader: 'js', sourcefile: `vendor-${name}.js`},
    outdir: undefined,
    outfile: `dist/bundle/vendor-${name}.cjs`,
    metafile: false,
  })
const vendored = {
  name: 'vendored',
  setup(b) {
    b.onResolve({filter: new RegExp(`^(${Object.keys(VENDOR).join('|')})$`)}, (args) =>
      args.kind === 'dynamic-import' ? {path: `./vendor-${args.path}.cjs`, external: true} : undefined,
    )
  },
}
const check = await build({
  ...cjs,
  entryPoints: {check: 'src/cli/check-main.ts'},
  outExtension: {'.js': '.cjs'},
  plugins: [vendored],
})
writeFileSync('dist/bundle-check-meta.json', JSON.stringify(check.metafile))
// In CommonJS output every `import x from 'node:fs'` (86 of them) is __toESM(require('node:fs')), which copies
// every export of the module onto a new object with a getter each: the same module copied again at each import
// site. The same (module, mode) now gives the same object, whose getters still read the module's live exports
// (measured: 7–12 ms less CPU per healthy check at load 16). esbuild's helper is replaced by its text: when a
// new esbuild writes it differently, the build stops here.
const TO_ESM =
  'var __toESM=(mod,isNodeMode,target2)=>(target2=mod!=null?__create(__getProtoOf(mod)):{},__copyProps(isNodeMode||!mod||!mod.__esModule?__defProp(target2,"default",{value:mod,enumerable:!0}):target2,mod)),'
const TO_ESM_ONCE =
  'var __toESMs=[new WeakMap,new WeakMap],__toESM=(mod,isNodeMode,target2)=>{let seen=mod!==null&&(typeof mod=="object"||typeof mod=="function")?__toESMs[isNodeMode?1:0]:void 0,hit=seen?.get(mod);return hit||(target2=mod!=null?__create(__getProtoOf(mod)):{},target2=__copyProps(isNodeMode||!mod||!mod.__esModule?__defProp(target2,"default",{value:mod,enumerable:!0}):target2,mod),seen?.set(mod,target2),target2)},'
const checkCjs = readFileSync('dist/bundle/check.cjs', 'utf8')
if (checkCjs.split(TO_ESM).length !== 2)
  throw new Error("scripts/bundle.mjs: esbuild's __toESM helper not found once in check.cjs")
writeFileSync('dist/bundle/check.cjs', checkCjs.replace(TO_ESM, TO_ESM_ONCE))
// V8's code cache of check.cjs, every function compiled (bin/load-check.js), for this Node: V8 rejects it on
// any other version or flags, and the file is then compiled as without it. In a child process, so that the V8
// flag it sets for its compile touches nothing else.
execFileSync(
  process.execPath,
  ['--input-type=module', '-e', "(await import('./bin/load-check.js')).makeCheckCodeCache()"],
  {
    stdio: 'inherit',
  },
)
