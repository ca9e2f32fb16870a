// The bounded walk over the app's own source (config/app-source.ts), on real files: what it reads, and what
// it never opens or follows (a FIFO, a file over its cap, symbolic links, node_modules, dot and build folders,
// folders deeper than 4).
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import {afterAll, describe, expect, it} from 'vitest'
import {appSourceFiles} from '../../src/config/app-source.js'
import {importsPg, poolsInCode} from '../../src/models/drivers/node-postgres.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'dbd-app-source-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

function put(rel: string, text: string): void {
  mkdirSync(path.dirname(path.join(dir, rel)), {recursive: true})
  writeFileSync(path.join(dir, rel), text)
}

describe('appSourceFiles', () => {
  it('reads the source files that pass the filter, and never opens or follows anything else', () => {
    const pg = "import pg from 'pg'\nexport const pool = new pg.Pool()\n"
    put('src/db.ts', pg)
    put('server.cjs', "const {Pool} = require('pg')\n")
    put('src/other.js', "import postgres from 'postgres'\n")
    put('src/types.d.ts', pg)
    put('node_modules/pg/lib/index.js', pg)
    put('.next/server/db.js', pg)
    put('dist/db.js', pg)
    put('a/b/c/d/db.js', pg) // depth 4: read
    put('a/b/c/d/e/db.js', pg) // depth 5: not
    // a FIFO named like source (nobody writes to it: opening it would block)
    execFileSync('mkfifo', [path.join(dir, 'src/fifo.js')])
    // a sparse 1 GiB file: over the 256 KiB cap, skipped unread
    put('src/huge.js', '')
    truncateSync(path.join(dir, 'src/huge.js'), 1024 ** 3)
    // a link out of the folder, and a loop
    symlinkSync('/etc', path.join(dir, 'src/etc'))
    symlinkSync(dir, path.join(dir, 'src/loop'))
    symlinkSync(path.join(dir, 'src/db.ts'), path.join(dir, 'src/linked.js'))
    const started = Date.now()
    const found = appSourceFiles(dir, importsPg).map((f) => f.display)
    expect(Date.now() - started).toBeLessThan(2000)
    expect(found).toEqual(['server.cjs', path.join('a', 'b', 'c', 'd', 'db.js'), path.join('src', 'db.ts')])
  })

  it('hostile text at the caps (4 MiB of unclosed drizzle({ and of Pools below 256 K lines) is read in bounded time', () => {
    // each `drizzle({` scanned up to 4000 characters for its closing brace, and each Pool's line split the
    // text before it: 17 such files (the walk's 4 MiB) took 6 s of CPU, synchronously, in the server check
    const hostile = mkdtempSync(path.join(os.tmpdir(), 'dbd-app-source-hostile-'))
    try {
      const cap = 256 * 1024 - 100
      for (let i = 0; i < 9; i++)
        writeFileSync(
          path.join(hostile, `d${i}.js`),
          `import {drizzle} from 'drizzle-orm/node-postgres'\n${'drizzle({'.repeat(Math.floor(cap / 9))}`,
        )
      for (let i = 0; i < 9; i++)
        writeFileSync(
          path.join(hostile, `p${i}.js`),
          `import pg from 'pg'\n${'\n'.repeat(cap - 300)}${'new Pool();'.repeat(25)}`,
        )
      const before = process.cpuUsage()
      const pools = appSourceFiles(hostile, importsPg).flatMap((f) => poolsInCode(f.text))
      const used = process.cpuUsage(before)
      expect((used.user + used.system) / 1000).toBeLessThan(1500)
      // the Pools below the newlines are still found, on their line, at most 20 a file
      expect(pools.length).toBeGreaterThan(0)
      expect(pools.every((p) => p.line === cap - 300 + 2)).toBe(true)
    } finally {
      rmSync(hostile, {recursive: true, force: true})
    }
  })

  it('poolsInCode on any repeated unit at the file cap (256 KiB): tens of milliseconds, not seconds', () => {
    // a complexity check with an absolute bound: the scans are bounded per match (linear in the ratio sense), so
    // what matters is the constant (1.3 s of CPU per file for 'drizzle({' before the fix)
    const units = ['drizzle({', 'drizzle(', 'drizzle({connection:{', 'drizzle({client', 'new Pool({', 'new pg.Pool(']
    const more = ['{', '}', '\n', ' ', '.on(', 'idleTimeoutMillis:', 'new ', 'new Pool({idleTimeoutMillis: 1,']
    const prefixes = ['', "import pg from 'pg'\n", "import {drizzle} from 'drizzle-orm/node-postgres'\n"]
    const unit = fc.oneof(fc.constantFrom(...units, ...more), fc.string({minLength: 1, maxLength: 12}))
    fc.assert(
      fc.property(fc.constantFrom(...prefixes), fc.array(unit, {minLength: 1, maxLength: 3}), (prefix, parts) => {
        const piece = parts.join('')
        const text = prefix + piece.repeat(Math.ceil((256 * 1024 - prefix.length) / piece.length))
        let best = Infinity
        for (let i = 0; i < 3 && best > 150; i++) {
          const before = process.cpuUsage()
          poolsInCode(text)
          importsPg(text)
          const used = process.cpuUsage(before)
          best = Math.min(best, (used.user + used.system) / 1000)
        }
        expect(best, JSON.stringify(prefix + piece)).toBeLessThan(150)
      }),
      {seed: Number(process.env.FUZZ_SEED ?? 20261207), numRuns: Number(process.env.FUZZ_RUNS ?? 60)},
    )
  })

  it('a missing folder is no files', () => {
    expect(appSourceFiles(path.join(dir, 'nope'), () => true)).toEqual([])
  })
})
