// Which prisma.config.* the Prisma 7 CLI loads when several exist. Prisma's CLI cannot run here (its schema
// engine cannot be downloaded), and @prisma/config is not a devDependency (43 MB with effect and c12), so
// the expected answers were measured once with the real loadConfigFromFile of @prisma/config 7.10.1
// (`npm i @prisma/config@7.10.1` in a scratch folder, then loadConfigFromFile({configRoot}) on these very
// folders: its resolvedPath). Pure file lookup: real files in temp folders, db-doctor's finder.
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {prismaConfigFile} from '../../src/config/sources/prisma.js'

const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, {recursive: true, force: true})))

/** [files in the folder, the one @prisma/config 7.10.1 loaded] */
const MEASURED: Array<[string[], string]> = [
  [['prisma.config.ts', 'prisma.config.js'], 'prisma.config.js'],
  [['prisma.config.ts', 'prisma.config.mts'], 'prisma.config.ts'],
  [['prisma.config.mjs', 'prisma.config.ts'], 'prisma.config.ts'],
  [['prisma.config.cjs', 'prisma.config.mjs'], 'prisma.config.mjs'],
  [['prisma.config.cts', 'prisma.config.mts'], 'prisma.config.mts'],
  [['prisma.config.cts'], 'prisma.config.cts'],
  [['.config/prisma.js'], '.config/prisma.js'],
  [['.config/prisma.ts', 'prisma.config.cjs'], 'prisma.config.cjs'],
  [['.config/prisma.mjs', '.config/prisma.ts'], '.config/prisma.ts'],
  [['.config/prisma.config.ts'], '.config/prisma.config.ts'],
  [['.config/prisma.ts', '.config/prisma.config.ts'], '.config/prisma.ts'],
  [['prisma.config/index.ts'], 'prisma.config/index.ts'],
  [['prisma.config/index.ts', '.config/prisma.ts'], 'prisma.config/index.ts'],
  [['.config/prisma/index.ts', '.config/prisma.config.ts'], '.config/prisma/index.ts'],
  [['prisma7.config.ts', 'prisma.config.ts'], 'prisma7.config.ts'],
]

describe('prisma.config.* as the Prisma 7 CLI finds it', () => {
  for (const [files, loaded] of MEASURED) {
    it(`${files.join(' + ')} → ${loaded}`, () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'dbd-prisma-config-'))
      dirs.push(dir)
      for (const f of files) {
        mkdirSync(path.dirname(path.join(dir, f)), {recursive: true})
        writeFileSync(path.join(dir, f), 'export default {}\n')
      }
      expect(path.relative(dir, prismaConfigFile(dir) ?? dir)).toBe(loaded)
    })
  }
})
