import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {loadEnv} from '../../../src/config/env.js'
import {resolveConfig} from '../../../src/config/resolve.js'
import {detectNodePgMigrate, nodePgMigrateSource} from '../../../src/config/sources/node-pg-migrate.js'
import {redactor} from '../../../src/core/redact.js'
import {sourceWords} from '../../../src/catalogue/app-files.js'

const FIX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures')

function ctx(folder: string) {
  const cwd = path.join(FIX, folder)
  const loaded = loadEnv({cwd, processEnv: {}})
  return {cwd, env: loaded.env, envFileOf: loaded.envFileOf, words: sourceWords}
}

describe('node-pg-migrate source', () => {
  it('detects the dependency and the --database-url-var of the migrate script', () => {
    expect(detectNodePgMigrate(path.join(FIX, 'node-pg-migrate-app'))).toEqual({
      detectedBy: 'package.json dependency',
      urlVar: 'MIGRATIONS_DATABASE_URL',
      // the migrations check reads its folder from the same script (-m)
      migrationsDir: 'db/migrations',
      optionsFrom: 'package.json script "migrate"',
    })
    expect(detectNodePgMigrate(path.join(FIX, 'prisma-app'))).toBeUndefined()
  })

  it('reads the named variable and says node-pg-migrate reads it', async () => {
    const layer = await nodePgMigrateSource.load(ctx('node-pg-migrate-app'))
    expect(layer!.connectionString!.value).toContain(':5439/migdb?sslmode=verify-ca')
    expect(layer!.connectionString!.source).toEqual({
      kind: 'env-file',
      name: 'MIGRATIONS_DATABASE_URL',
      file: '.env',
      label: 'MIGRATIONS_DATABASE_URL in .env (read by node-pg-migrate)',
    })
    expect(layer!.origin).toMatchObject({
      kind: 'node-pg-migrate',
      label: 'node-pg-migrate (package.json dependency) reading MIGRATIONS_DATABASE_URL in .env',
    })
  })

  it('the resolver picks it although DATABASE_URL is not set', async () => {
    const config = await resolveConfig(ctx('node-pg-migrate-app'))
    expect(config.primary?.kind).toBe('node-pg-migrate')
    expect(config.fields.port?.value).toBe('5439')
  })

  it('config/default.json db object: fields and the ssl object', async () => {
    const layer = await nodePgMigrateSource.load(ctx('node-pg-migrate-config'))
    expect(layer!.fields.host).toEqual({
      value: '127.0.0.1',
      source: expect.objectContaining({label: 'config/default.json db.host (read by node-pg-migrate)'}),
    })
    expect(layer!.appSsl!.value).toEqual({rejectUnauthorized: false})
    expect(redactor.redact('canary-Pw-7f3a9c1e')).toBe('****')
  })
})
