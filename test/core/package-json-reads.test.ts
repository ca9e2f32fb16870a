// One diagnosis reads each package.json once (core/files.ts withPackageJsons): the configuration sources, the
// launch and driver models and the checks each read the app's package.json themselves. Counted, not timed.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterEach, describe, expect, it, vi} from 'vitest'
import {readGuardedText, withPackageJsons} from '../../src/core/files.js'
import {resolveTarget} from '../../src/app/diagnose.js'

const dirs: string[] = []
function app(pkg: object): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbd-pkg-reads-'))
  dirs.push(dir)
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg))
  return dir
}
afterEach(() => {
  vi.restoreAllMocks()
  for (const d of dirs.splice(0)) fs.rmSync(d, {recursive: true, force: true})
})

describe('package.json reads', () => {
  it('are read once inside withPackageJsons, and again after it', async () => {
    const file = path.join(app({name: 'a'}), 'package.json')
    await withPackageJsons(async () => {
      expect(readGuardedText(file, 'package.json')).toBe('{"name":"a"}')
      fs.writeFileSync(file, '{"name":"b"}')
      expect(readGuardedText(file, 'package.json')).toBe('{"name":"a"}')
      // other kinds of file are never kept
      expect(readGuardedText(file, 'config file')).toBe('{"name":"b"}')
    })
    expect(readGuardedText(file, 'package.json')).toBe('{"name":"b"}')
  })

  it('a missing one throws the same error each time inside it', async () => {
    const file = path.join(app({}), 'sub', 'package.json')
    await withPackageJsons(async () => {
      let first: unknown
      try {
        readGuardedText(file, 'package.json')
      } catch (error) {
        first = error
      }
      expect(first).toBeInstanceOf(Error)
      expect(() => readGuardedText(file, 'package.json')).toThrow(first as Error)
    })
  })

  it("resolving a configuration opens the app's package.json once (14 times without it)", async () => {
    const cwd = app({name: 'app', private: true, dependencies: {pg: '^8'}})
    const file = path.join(cwd, 'package.json')
    const open = vi.spyOn(fs, 'openSync')
    await withPackageJsons(() =>
      resolveTarget({
        connection: 'postgres://app@db.example.test:5432/appdb',
        cwd,
        env: {},
        options: {timeoutMs: 5000, verbose: false, dnsServers: []},
      }),
    )
    expect(open.mock.calls.filter(([f]) => f === file)).toHaveLength(1)
  })
})
