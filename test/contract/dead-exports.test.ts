// Dead exports: every export of src/ is used by another file (src/, test/, scripts/), or it is not
// exported. The finder (scripts/dead-exports.ts, npm run lint:dead) is first tried on a small project:
// what counts as a use, what --fix changes. Pure (the TypeScript compiler over files on disk), no network.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, describe, expect, it} from 'vitest'
import {findDeadExports, removeExportKeywords} from '../../scripts/dead-exports.js'

const repo = fileURLToPath(new URL('../..', import.meta.url))

describe('dead exports', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbd-dead-'))
  afterAll(() => fs.rmSync(dir, {recursive: true, force: true}))
  const write = (file: string, text: string): void => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), {recursive: true})
    fs.writeFileSync(path.join(dir, file), text)
  }
  write(
    'tsconfig.json',
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: true,
        types: [],
      },
      include: ['src/**/*.ts', 'test/**/*.ts'],
    }),
  )
  write(
    'src/lib.ts',
    [
      'export function imported(): number { return 1 }',
      'export function renamed(): number { return 2 }',
      'export const viaEntry = 3',
      'export interface AsImportType { a: number }',
      'export function destructured(): number { return 4 }',
      'export function viaNamespace(): number { return 5 }',
      'export function fromJs(): number { return 6 }',
      'export function onlyHere(): number { return 7 }',
      'export type OnlyHereType = {b: string}',
      'export function nowhere(): number { return 8 }',
      'export const keep = onlyHere() as OnlyHereType | number',
      '',
    ].join('\n'),
  )
  write('src/index.ts', "export {viaEntry} from './lib.js'\nexport function publicApi(): number { return 0 }\n")
  // a facade passing another module's exports on: only the module that declares them is checked
  write('src/facade.ts', "export * from './leaf.js'\n")
  write(
    'src/leaf.ts',
    'export function leafUsed(): number { return 9 }\nexport function leafDead(): number { return leafUsed() }\n',
  )
  write(
    'src/user.ts',
    [
      "import {imported, renamed as other} from './lib.js'",
      'export const a: number = imported() + other()',
      'export async function b(): Promise<number> {',
      "  const {destructured} = await import('./lib.js')",
      "  const ns = await import('./lib.js')",
      '  return destructured() + ns.viaNamespace()',
      '}',
      "export type C = import('./lib.js').AsImportType",
      "import {leafUsed} from './leaf.js'",
      'export const d = leafUsed()',
      '',
    ].join('\n'),
  )
  write(
    'test/user.test.ts',
    "import {a, b, d, type C} from '../src/user.js'\nimport {keep} from '../src/lib.js'\nexport const t: [number, () => Promise<number>, C | null, unknown, number] = [a, b, null, keep, d]\n",
  )
  write('test/lab/run.mjs', "const {fromJs} = await load('../../src/lib.ts')\n")

  it('finds exports no other file uses, and only those', () => {
    const dead = findDeadExports({root: dir})
    expect(dead.map((d) => [d.file, d.name, d.usedInOwnFile])).toEqual([
      ['src/leaf.ts', 'leafDead', false],
      ['src/lib.ts', 'onlyHere', true],
      ['src/lib.ts', 'OnlyHereType', true],
      ['src/lib.ts', 'nowhere', false],
    ])
    expect(dead.map((d) => d.line)).toEqual([2, 8, 9, 10])
  })

  it('--fix drops the export keyword of what its own file still uses, and lists the rest', () => {
    const fixed = removeExportKeywords(dir, findDeadExports({root: dir}))
    expect(fixed.map((d) => d.name).sort()).toEqual(['OnlyHereType', 'onlyHere'])
    const text = fs.readFileSync(path.join(dir, 'src/lib.ts'), 'utf8')
    expect(text).toContain('\nfunction onlyHere(): number')
    expect(text).toContain('\ntype OnlyHereType = {b: string}')
    expect(findDeadExports({root: dir}).map((d) => d.name)).toEqual(['leafDead', 'nowhere'])
  })

  it('src/ has none (npm run lint:dead lists them; --fix un-exports what is used in its own file)', () => {
    const dead = findDeadExports({root: repo})
    const lines = dead.map((d) => `${d.file}:${d.line} ${d.name}${d.usedInOwnFile ? '' : ' (unused: remove the code)'}`)
    expect(lines, 'exports no other file uses: drop the export (npm run lint:dead -- --fix) or the code').toEqual([])
  }, 300_000)
})
