// Check ids and failure codes are a public contract (CI greps them): every code the
// source can emit is documented in the README, every documented code exists, and
// every code is asserted by at least one test.
import {readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {checks} from '../../src/checks/index.js'
import {ROOT} from '../helpers/cli.js'

/** Error codes of internal helpers that never reach a report. */
const INTERNAL = new Set(['PG_CONFIG_REJECTED'])
const CODE = /'((?:CONFIG|AUTH|DNS|DOCKER|TCP|PG|TLS|SSL|SSLMODE)_[A-Z0-9_]+)'/g

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name)
    if (statSync(p).isDirectory()) return name === 'fixtures' ? [] : files(p, ext)
    return ext.test(name) ? [p] : []
  })
}

const sourceCodes = new Set<string>()
for (const f of files(path.join(ROOT, 'src'), /\.ts$/)) {
  for (const m of readFileSync(f, 'utf8').matchAll(CODE)) if (!INTERNAL.has(m[1])) sourceCodes.add(m[1])
}
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8')
const documented = new Set([...readme.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \| (?:fail|warn)/gm)].map((m) => m[1]))
const tests = files(path.join(ROOT, 'test'), /\.(ts|mjs)$/)
  .filter((f) => !f.endsWith('codes.test.ts'))
  .map((f) => readFileSync(f, 'utf8'))
  .join('\n')

describe('the code contract', () => {
  it('finds the codes', () => {
    expect(sourceCodes.size).toBeGreaterThan(40)
  })

  it('every code the source emits is documented in the README, and nothing more', () => {
    expect([...sourceCodes].filter((c) => !documented.has(c)).sort()).toEqual([])
    expect([...documented].filter((c) => !sourceCodes.has(c)).sort()).toEqual([])
  })

  it('every code is asserted by a test', () => {
    expect([...sourceCodes].filter((c) => !tests.includes(c)).sort()).toEqual([])
  })

  it('every check id has a section in the README codes table or the checks table', () => {
    for (const c of checks) expect(readme).toContain(`| \`${c.id}\` |`)
  })
})
