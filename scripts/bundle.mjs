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
import {rmSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'

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
// Libraries a healthy check never loads stay out of it, each in its own file that check.js imports when it needs it
// (as the split build's chunks do): yaml (Kubernetes manifests, src/config/replicas.ts) and ora (the spinner at a
// terminal). About a quarter of the file's bytes, which Node would otherwise compile on every run.
const require = createRequire(import.meta.url)
const VENDOR = {
  // CommonJS: its named exports, listed
  yaml: `import m from 'yaml'; export const {${Object.keys(require('yaml')).join(', ')}} = m; export default m`,
  ora: `export * from 'ora'; export {default} from 'ora'`,
}
const vendorOut = (name) => `vendor-${name}`
for (const [name, contents] of Object.entries(VENDOR))
  await build({
    ...common,
    entryPoints: undefined,
    stdin: {contents, resolveDir: process.cwd(), loader: 'js', sourcefile: `vendor-${name}.js`},
    outdir: undefined,
    outfile: `dist/bundle/${vendorOut(name)}.js`,
    metafile: false,
  })
const vendored = {
  name: 'vendored',
  setup(b) {
    b.onResolve({filter: new RegExp(`^(${Object.keys(VENDOR).join('|')})$`)}, (args) =>
      args.kind === 'dynamic-import' ? {path: `./${vendorOut(args.path)}.js`, external: true} : undefined,
    )
  },
}
const check = await build({
  ...common,
  entryPoints: {check: 'src/cli/check-main.ts'},
  splitting: false,
  plugins: [vendored],
})
writeFileSync('dist/bundle-check-meta.json', JSON.stringify(check.metafile))
