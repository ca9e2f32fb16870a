// src/cli.ts is the binary's runtime and oclif's explicit command registry.
import {execFileSync} from 'node:child_process'
import {cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {COMMANDS} from '../src/commands/index.js'
import {cleanEnv} from './helpers/cli.js'

const root = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url))

describe('cli runtime', () => {
  it('registers every command file under its id', async () => {
    const files = readdirSync(root('src/commands')).filter((f) => f.endsWith('.ts') && f !== 'index.ts')
    expect(Object.keys(COMMANDS).sort()).toEqual(files.map((f) => f.replace(/\.ts$/, '')).sort())
    for (const f of files) {
      const id = f.replace(/\.ts$/, '') as keyof typeof COMMANDS
      const mod = (await import(/* @vite-ignore */ `../src/commands/${f.replace(/\.ts$/, '.js')}`)) as {
        default: unknown
      }
      expect(COMMANDS[id]).toBe(mod.default)
    }
  })

  it('is what package.json tells oclif to load, and what bin/run.js runs', () => {
    const pkg = JSON.parse(readFileSync(root('package.json'), 'utf8')) as {oclif: {commands: unknown}}
    expect(pkg.oclif.commands).toEqual({
      strategy: 'explicit',
      target: './dist/bundle/commands.js',
      identifier: 'COMMANDS',
    })
    expect(readFileSync(root('bin/run.js'), 'utf8')).toContain("import('../dist/bundle/cli.js')")
    expect(readFileSync(root('bin/run.js'), 'utf8')).toContain("import('./load-check.js')")
  })

  it.runIf(existsSync(root('dist/bundle-check-meta.json')))(
    "check's one-file bundle (cli/check-main.ts) holds the fast path and the checks, no oclif, and no other file",
    () => {
      const meta = JSON.parse(readFileSync(root('dist/bundle-check-meta.json'), 'utf8')) as {
        outputs: Record<
          string,
          {imports: {path: string; kind: string; external?: boolean}[]; inputs: Record<string, unknown>}
        >
      }
      expect(Object.keys(meta.outputs)).toEqual(['dist/bundle/check.cjs'])
      const check = meta.outputs['dist/bundle/check.cjs']!
      const inputs = Object.keys(check.inputs)
      for (const i of ['src/cli/fast-check.ts', 'src/app/diagnose.ts', 'src/checks/index.ts', 'src/probes/pg-load.ts'])
        expect(inputs).toContain(i)
      expect(inputs.filter((i) => i.includes('@oclif/core'))).toEqual([])
      // nothing from the split build's chunks: its copies of the modules (the redaction registry among them)
      // are never mixed with these; only the stateless libraries a healthy check never loads, in their own files
      expect(check.imports.filter((i) => !i.external)).toEqual([])
      expect(check.imports.filter((i) => i.path.startsWith('.')).map((i) => i.path)).toEqual([
        './vendor-yaml.cjs',
        './vendor-ora.cjs',
      ])
      expect(inputs.filter((i) => /node_modules\/(yaml|ora|esbuild)\//.test(i))).toEqual([])
    },
  )

  it.runIf(existsSync(root('dist/bundle/check.cache')))(
    'check.cjs loads with the code cache the build made for this Node (V8 accepts it)',
    () => {
      const script = `
        const check = (await import(${JSON.stringify(root('bin/load-check.js'))})).loadCheck()
        console.log(JSON.stringify({main: typeof check.main, rejected: check.codeCacheRejected}))`
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {encoding: 'utf8'})
      expect(JSON.parse(out)).toEqual({main: 'function', rejected: false})
    },
  )

  it.runIf(existsSync(root('dist/bundle/check.cache')))(
    'a check.cjs changed after the build runs as changed: V8 checks only the length, so the cache says which source it was made from',
    () => {
      // V8 accepts cached data for any source of the same length and runs the cached code: a same-length edit
      // of check.cjs (a patched line in node_modules) ran the old code through the old cache
      const dir = mkdtempSync(path.join(os.tmpdir(), 'dbd-code-cache-'))
      try {
        cpSync(root('bin'), path.join(dir, 'bin'), {recursive: true})
        cpSync(root('package.json'), path.join(dir, 'package.json'))
        cpSync(root('dist/bundle'), path.join(dir, 'dist/bundle'), {recursive: true})
        symlinkSync(root('node_modules'), path.join(dir, 'node_modules'), 'dir')
        const file = path.join(dir, 'dist/bundle/check.cjs')
        const before = readFileSync(file, 'utf8')
        expect(before).toContain('CONNECTION argument')
        writeFileSync(file, before.replaceAll('CONNECTION argument', 'CONNECTION ARGUMENT'))
        const args = ['check', '--only', 'config', '--format', 'json', 'postgres://u@127.0.0.1:1/db']
        const report = execFileSync(process.execPath, ['--', path.join(dir, 'bin/run.js'), ...args], {
          encoding: 'utf8',
          cwd: dir,
          // the suite's environment (DB_DOCTOR_STRICT_FACTS=1): its CLI runs take check.cjs, as users' do
          env: cleanEnv(),
        })
        expect(JSON.parse(report).target.sources.host).toBe('CONNECTION ARGUMENT')
      } finally {
        rmSync(dir, {recursive: true, force: true})
      }
    },
  )

  it.runIf(existsSync(root('dist/bundle-meta.json')))(
    'bundles node-postgres only into the chunk loadPg imports, after its Cloudflare-probe shim',
    () => {
      expect(readFileSync(root('dist/bundle/commands.js'), 'utf8')).toContain('COMMANDS')
      const meta = JSON.parse(readFileSync(root('dist/bundle-meta.json'), 'utf8')) as {
        outputs: Record<string, {inputs: Record<string, unknown>}>
      }
      // pg's ConnectionParameters and defaults (config/pg-config.ts validates with them) may sit in a chunk
      // shared with the configuration code; the rest of pg, its client and the probe in lib/stream.js, not
      const sharedWithConfig = ['node_modules/pg/lib/connection-parameters.js', 'node_modules/pg/lib/defaults.js']
      const withPg = Object.entries(meta.outputs)
        .filter(([, o]) =>
          Object.keys(o.inputs).some((i) => i.startsWith('node_modules/pg/') && !sharedWithConfig.includes(i)),
        )
        .map(([out]) => out)
      expect(withPg).toHaveLength(1)
      expect(Object.keys(meta.outputs[withPg[0]]!.inputs)).toContain('src/probes/pg-load.ts')
      // a fresh process: the chunk loads pg without its Cloudflare probe (which loads undici) and leaves no
      // navigator behind
      const script = `
        const pg = (await import(${JSON.stringify(root(withPg[0]))})).default
        console.log(JSON.stringify({
          client: typeof pg.Client,
          navigator: typeof globalThis.navigator,
          undici: process.moduleLoadList.some((m) => m.includes('undici')),
        }))`
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {encoding: 'utf8'})
      expect(JSON.parse(out)).toEqual({client: 'function', navigator: 'undefined', undici: false})
    },
  )

  it.runIf(existsSync(root('dist/bundle-meta.json')))(
    'start-up loads only what the command needs (the static imports of the entry points)',
    () => {
      const meta = JSON.parse(readFileSync(root('dist/bundle-meta.json'), 'utf8')) as {
        outputs: Record<
          string,
          {imports: {path: string; kind: string; external?: boolean}[]; inputs: Record<string, unknown>}
        >
      }
      const loadedBy = (entry: string) => {
        const seen = new Set<string>()
        const todo = [entry]
        while (todo.length) {
          const out = todo.pop()!
          if (seen.has(out)) continue
          seen.add(out)
          for (const i of meta.outputs[out]!.imports)
            if (i.kind === 'import-statement' && !i.external) todo.push(i.path)
        }
        return [...seen].flatMap((o) => Object.keys(meta.outputs[o]!.inputs))
      }
      // --version (and argv planning, redaction): no oclif, no command
      const cli = loadedBy('dist/bundle/cli.js')
      expect(cli.filter((i) => i.includes('node_modules/'))).toEqual([])
      expect(cli.filter((i) => /src\/(commands|checks|catalogue|probes|reporters|explain)\//.test(i))).toEqual([])
      // --help, explain: oclif and the command classes, but no check, probe, catalogue entry or report
      const commands = loadedBy('dist/bundle/commands.js')
      expect(commands.some((i) => i.includes('@oclif/core'))).toBe(true)
      expect(
        commands.filter((i) =>
          /src\/(checks\/|catalogue\/|probes\/|explain\/|app\/diagnose\.ts|fleet\/|wait\/)/.test(i),
        ),
      ).toEqual([])
      expect(commands.filter((i) => /src\/reporters\/(?!index|escape|wrap)/.test(i))).toEqual([])
      // explain's library (imported in run()): the catalogue, which is assembled from the registry of checks
      // (src/checks/catalogue.ts: each check declares its codes), so the checks' modules load with it; but no
      // login (node-postgres's client, src/probes/pg-load.ts), no session and no run (app/diagnose.ts)
      const explain = loadedBy(
        Object.keys(meta.outputs).find((o) => 'src/explain/index.ts' in meta.outputs[o]!.inputs)!,
      )
      expect(explain).toContain('src/checks/catalogue.ts')
      const run =
        /src\/(probes\/(pg-load|pg-session|session)\.ts|app\/diagnose\.ts|core\/runner\.ts)|node_modules\/pg\/lib\/client\.js/
      expect(explain.filter((i) => run.test(i))).toEqual([])
      // `check`'s fast path is not in the split build: bin/run.js runs it from check.cjs (the test above)
      expect(Object.values(meta.outputs).filter((o) => 'src/cli/fast-check.ts' in o.inputs)).toEqual([])
    },
  )
})
