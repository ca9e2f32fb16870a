import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {loadEnv} from '../../../src/config/env.js'
import {findPrismaSchema, prismaSource, readDatasource} from '../../../src/config/sources/prisma.js'
import {redactor} from '../../../src/core/redact.js'
import {configProblemSummary} from '../../../src/catalogue/config.js'
import {sourceWords} from '../../../src/catalogue/app-files.js'

const FIX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures')

async function load(folder: string, processEnv: NodeJS.ProcessEnv = {}) {
  const cwd = path.join(FIX, folder)
  const loaded = loadEnv({cwd, processEnv})
  // the app's words for labels, as app/diagnose.ts passes them
  return prismaSource.load({cwd, env: loaded.env, envFileOf: loaded.envFileOf, words: sourceWords})
}

describe('prisma datasource reader', () => {
  it('reads provider, url and directUrl, ignoring comments', () => {
    const ds = readDatasource(fs.readFileSync(path.join(FIX, 'prisma-app/prisma/schema.prisma'), 'utf8'))
    expect(ds).toEqual({
      name: 'db',
      provider: 'postgresql',
      url: {envVar: 'DATABASE_URL'},
      directUrl: {envVar: 'DIRECT_URL'},
    })
  })

  it('reads literals and a commented-out url', () => {
    expect(
      readDatasource('datasource db {\n provider = "postgres"\n // url = env("OLD")\n url = "postgres://a@h/d"\n}'),
    ).toEqual({
      name: 'db',
      provider: 'postgres',
      url: {literal: 'postgres://a@h/d'},
    })
    expect(readDatasource('model A { id Int @id }')).toBeNull()
  })

  it('finds the schema through package.json "prisma.schema"', () => {
    expect(findPrismaSchema(path.join(FIX, 'prisma-app'))).toBe(path.join(FIX, 'prisma-app/prisma/schema.prisma'))
    expect(findPrismaSchema(path.join(FIX, 'knex-flat'))).toBeUndefined()
  })
})

describe('prisma source', () => {
  it('checks directUrl (what prisma migrate uses) and says so', async () => {
    const layer = await load('prisma-app')
    expect(layer!.connectionString!.value).toContain(':5432/appdb?sslmode=require')
    expect(layer!.connectionString!.source).toEqual({
      kind: 'env-file',
      name: 'DIRECT_URL',
      file: '.env',
      label: 'DIRECT_URL in .env (via prisma/schema.prisma datasource db.directUrl, used by prisma migrate)',
    })
    expect(layer!.origin).toMatchObject({kind: 'prisma', file: 'prisma/schema.prisma', name: 'datasource db.directUrl'})
    expect(redactor.redact('canary-Pw-7f3a9c1e')).toBe('****')
  })

  it('uses url when DIRECT_URL is not in the schema: literal URL in a root schema.prisma', async () => {
    const layer = await load('prisma-literal')
    expect(layer!.connectionString).toEqual({
      value: 'postgresql://lit@127.0.0.1:5438/litdb',
      source: {
        kind: 'prisma',
        name: 'datasource main.url',
        file: 'schema.prisma',
        label: 'schema.prisma datasource main.url',
      },
    })
  })

  it('prisma.config.ts (Prisma 7): datasource.url with env(), loaded with virtual prisma/config and dotenv/config', async () => {
    const before = {...process.env}
    const layer = await load('prisma-config-app')
    expect(process.env).toEqual(before)
    expect(layer!.connectionString!.value).toMatch(/^postgres:\/\/cfg:.*5437\/cfgdb$/)
    expect(layer!.connectionString!.source.label).toBe('DATABASE_URL in .env (via prisma.config.ts datasource.url)')
  })

  it('an unset env() variable is no connection (other sources may apply)', async () => {
    const cwd = path.join(FIX, 'prisma-literal')
    const layer = await prismaSource.load({
      words: sourceWords,
      cwd: path.join(FIX, 'prisma-mysql'),
      env: {},
      envFileOf: () => undefined,
    })
    expect(layer).toBeNull() // mysql provider: not a source
    expect(await prismaSource.load({words: sourceWords, cwd, env: {}, envFileOf: () => undefined})).not.toBeNull()
  })

  it('env("DIRECT_URL") unset: CONFIG_APP_FILE_ERROR, as prisma migrate stops there (no fallback to DATABASE_URL)', async () => {
    const os = await import('node:os')
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'dbd-prisma-unset-'))
    try {
      fs.writeFileSync(
        path.join(cwd, 'schema.prisma'),
        'datasource db {\n  provider  = "postgresql"\n  url       = env("DATABASE_URL")\n  directUrl = env("DIRECT_URL")\n}\n',
      )
      const layer = await prismaSource.load({
        cwd,
        env: {DATABASE_URL: 'postgres://app@127.0.0.1:5432/appdb'},
        envFileOf: () => undefined,
        words: sourceWords,
      })
      expect(layer!.connectionString).toBeUndefined()
      expect(layer!.origin!.label).toBe('schema.prisma datasource db.directUrl (DIRECT_URL is not set)')
      expect(layer!.problems).toEqual([
        {
          code: 'CONFIG_APP_FILE_ERROR',
          source: {
            kind: 'prisma',
            name: 'datasource db.directUrl',
            file: 'schema.prisma',
            label: 'schema.prisma datasource db.directUrl, used by prisma migrate',
          },
          details: {file: 'schema.prisma', variable: 'DIRECT_URL', tool: 'prisma'},
          // the data the catalogue words the problem from (src/catalogue/config.ts)
          params: {
            case: 'prisma-env-unset',
            file: 'schema.prisma',
            setting: 'datasource db.directUrl',
            variable: 'DIRECT_URL',
            empty: false,
            directUrl: true,
            source: {
              kind: 'prisma',
              name: 'datasource db.directUrl',
              file: 'schema.prisma',
              label: 'schema.prisma datasource db.directUrl, used by prisma migrate',
            },
          },
        },
      ])
      expect(configProblemSummary(layer!.problems![0]!)).toBe(
        'schema.prisma reads datasource db.directUrl from env("DIRECT_URL"), and DIRECT_URL is not set: Prisma stops with "Environment variable not found: DIRECT_URL" (prisma migrate uses directUrl).',
      )
      const {resolveConfig} = await import('../../../src/config/resolve.js')
      const {configCheck} = await import('../../../src/checks/config.js')
      const env = {DATABASE_URL: 'postgres://app@127.0.0.1:5432/appdb', HOME: cwd, PGPASSFILE: path.join(cwd, 'none')}
      const config = await resolveConfig({words: sourceWords, cwd, env, envFileOf: () => undefined})
      const o = await configCheck.run({
        config,
        env,
        cwd,
        options: {timeoutMs: 1000, verbose: false, dnsServers: []},
        facts: {},
        results: new Map(),
      })
      expect(o).toMatchObject({status: 'fail', code: 'CONFIG_APP_FILE_ERROR'})
      expect(o.fix?.summary).toBe(
        'Set DIRECT_URL, which schema.prisma reads, where Prisma reads it (the environment or .env).',
      )
      expect(o.fix?.snippet?.code).toMatch(/^DIRECT_URL="postgres:\/\//)
    } finally {
      fs.rmSync(cwd, {recursive: true, force: true})
    }
  })

  it('no prisma files: null', async () => {
    expect(await load('knex-flat')).toBeNull()
  })
})
