// The npm package ships what runs: the bundle (dist/bundle/*.js, *.cjs and check's code cache), the type declarations,
// bin/ and the oclif manifest; no source maps, no unbundled build. Dependencies are only
// what the bundle loads from node_modules at run time.
import {execFileSync} from 'node:child_process'
import {builtinModules} from 'node:module'
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {ROOT} from './helpers/cli.js'

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'))

describe('the npm package', () => {
  it('packs the bundle, declarations, bin and manifest only', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    const files: string[] = JSON.parse(out)[0].files.map((f: {path: string}) => f.path)
    expect(files).toContain('bin/run.js')
    expect(files).toContain('dist/bundle/cli.js')
    expect(files).toContain('dist/bundle/check.cjs')
    expect(files).toContain('dist/bundle/check.cache')
    expect(files).toContain('dist/bundle/index.js')
    expect(files).toContain('oclif.manifest.json')
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([])
    expect(files.filter((f) => f.startsWith('dist/') && !f.startsWith('dist/bundle/') && !f.endsWith('.d.ts'))).toEqual(
      [],
    )
  })

  it('dependencies are what the bundle leaves to node_modules', () => {
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['jiti', 'pg', 'pg-connection-string', 'pgpass'])
    const bundle = readdirSync(path.join(ROOT, 'dist/bundle'))
      .filter((f) => f.endsWith('.js') || f.endsWith('.cjs'))
      .map((f) => readFileSync(path.join(ROOT, 'dist/bundle', f), 'utf8'))
      .join('\n')
    const builtins = new Set(builtinModules)
    const external = new Set<string>()
    for (const m of bundle.matchAll(
      /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)"(@?[a-z0-9][a-z0-9._-]*(?:\/[a-z0-9._-]+)*)"/g,
    )) {
      const name = m[1]!.startsWith('@') ? m[1]!.split('/').slice(0, 2).join('/') : m[1]!.split('/')[0]!
      if (!name.startsWith('node:') && !builtins.has(name)) external.add(name)
    }
    // esbuild writes specifiers in double quotes (single-quoted ones are text, e.g. a fix mentioning require('dotenv'))
    // typescript: oclif looks for it in development only; pg-native: pg's optional native binding
    for (const name of external)
      expect([...Object.keys(pkg.dependencies), 'typescript', 'pg-native'], name).toContain(name)
  })

  it("the build does not let oclif's update check reach the registry", () => {
    expect(pkg.scripts.build).toContain('OCLIF_SKIP_NEW_VERSION_CHECK=true oclif manifest')
  })
})
