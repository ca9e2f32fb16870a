// src/cli.ts is the binary's runtime and oclif's explicit command registry.
import {existsSync, readFileSync, readdirSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {COMMANDS} from '../src/cli.js'

const root = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url))

describe('cli runtime', () => {
  it('registers every command file under its id', async () => {
    const files = readdirSync(root('src/commands')).filter((f) => f.endsWith('.ts'))
    expect(Object.keys(COMMANDS).sort()).toEqual(files.map((f) => f.replace(/\.ts$/, '')).sort())
    for (const f of files) {
      const id = f.replace(/\.ts$/, '') as keyof typeof COMMANDS
      const mod = (await import(/* @vite-ignore */ `../src/commands/${f.replace(/\.ts$/, '.js')}`)) as {default: unknown}
      expect(COMMANDS[id]).toBe(mod.default)
    }
  })

  it('is what package.json tells oclif to load, and what bin/run.js runs', () => {
    const pkg = JSON.parse(readFileSync(root('package.json'), 'utf8')) as {oclif: {commands: unknown}}
    expect(pkg.oclif.commands).toEqual({strategy: 'explicit', target: './dist/bundle/cli.js', identifier: 'COMMANDS'})
    expect(readFileSync(root('bin/run.js'), 'utf8')).toContain("import('../dist/bundle/cli.js')")
  })

  it.runIf(existsSync(root('dist/bundle/cli.js')))('bundles oclif but leaves node-postgres to be loaded by loadPg', () => {
    const bundle = readFileSync(root('dist/bundle/cli.js'), 'utf8')
    expect(bundle).toContain('COMMANDS')
    // pg inside the bundle would run its Cloudflare probe (and load undici) outside loadPg's shim.
    expect(bundle).not.toContain('getCloudflareStreamFuncs')
  })
})
