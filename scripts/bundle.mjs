// Bundles the binary's runtime (src/cli.ts: oclif, the check command and everything it uses)
// into dist/bundle/ after tsc. Start-up is dominated by loading modules: one bundle instead of
// ~150 files. Dynamic imports (reporters, ora, dns-packet) stay lazy as separate chunks.
// External, loaded from node_modules at run time: pg (required on demand, and its own
// optional pg-native), jiti (only to read a knexfile.ts / prisma.config.ts) and typescript
// (which oclif only looks for in development).
import {build} from 'esbuild'
import {rmSync} from 'node:fs'

rmSync('dist/bundle', {recursive: true, force: true})
await build({
  entryPoints: {cli: 'src/cli.ts', index: 'src/index.ts'},
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minifySyntax: true,
  minifyWhitespace: true,
  external: ['pg', 'pg-native', 'jiti', 'typescript'],
  // oclif and its dependencies are CommonJS and call require() for Node built-ins.
  banner: {js: "import {createRequire as __dbdCreateRequire} from 'node:module'; const require = __dbdCreateRequire(import.meta.url);"},
  logLevel: 'warning',
})
