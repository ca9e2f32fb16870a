import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {loadEnv} from '../../../src/config/env.js'
import {findKnexfile, knexfileSource, type AppSourceLayer} from '../../../src/config/sources/knexfile.js'
import type {SourceContext} from '../../../src/config/types.js'
import {redactor} from '../../../src/core/redact.js'
import {configProblemSummary} from '../../../src/catalogue/config.js'
import {sourceWords} from '../../../src/catalogue/app-files.js'

const FIX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures')
const CANARY = 'canary-Pw-7f3a9c1e'

function ctxFor(folder: string, extra: Partial<SourceContext> = {}, processEnv: NodeJS.ProcessEnv = {}): SourceContext {
  const cwd = path.join(FIX, folder)
  const loaded = loadEnv({cwd, processEnv})
  return {cwd, env: loaded.env, envFileOf: loaded.envFileOf, words: sourceWords, ...extra}
}

async function load(folder: string, extra: Partial<SourceContext> = {}, processEnv: NodeJS.ProcessEnv = {}) {
  return (await knexfileSource.load(ctxFor(folder, extra, processEnv))) as AppSourceLayer | null
}

describe('knexfile source', () => {
  it('seed project: development reads DATABASE_URL from .env through process.env, keeps the ssl object', async () => {
    const before = {...process.env}
    const cwdBefore = process.cwd()
    const layer = await load('knex-seed')
    expect(process.env).toEqual(before) // restored
    expect(process.cwd()).toBe(cwdBefore)
    expect(layer).not.toBeNull()
    expect(layer!.connectionString?.value).toContain('sslmode=require')
    // the variable is what to change; the label says the knexfile reads it
    expect(layer!.connectionString?.source).toEqual({
      kind: 'env-file',
      name: 'DATABASE_URL',
      file: '.env',
      environment: 'development',
      label: 'DATABASE_URL in .env (via knexfile.cjs, development)',
    })
    expect(layer!.origin).toMatchObject({kind: 'knexfile', file: 'knexfile.cjs', environment: 'development'})
    expect(layer!.appSsl).toEqual({
      value: {rejectUnauthorized: false},
      source: expect.objectContaining({label: 'knexfile.cjs (development) connection.ssl', environment: 'development'}),
    })
    expect(JSON.stringify(layer!.origin)).not.toContain(CANARY)
    expect(redactor.redact(`x ${CANARY} y`)).not.toContain(CANARY)
  })

  it('--knex-env production: literal fields with their knexfile keys; password from the environment', async () => {
    const layer = await load('knex-seed', {knexEnv: 'production'}, {PROD_DB_PASSWORD: 'prod-canary-Pw-1'})
    expect(layer!.connectionString).toBeUndefined()
    expect(layer!.fields.host).toEqual({
      value: 'db.prod.invalid',
      source: expect.objectContaining({label: 'knexfile.cjs (production) connection.host'}),
    })
    expect(layer!.fields.port?.value).toBe('6432')
    expect(layer!.fields.password?.value).toBe('prod-canary-Pw-1')
    expect(layer!.appSsl?.value).toBe(true)
    expect(redactor.redact('prod-canary-Pw-1')).toBe('****')
  })

  it('NODE_ENV picks the environment when --knex-env is absent', async () => {
    const layer = await load('knex-seed', {}, {NODE_ENV: 'production'})
    expect(layer!.fields.host?.value).toBe('db.prod.invalid')
  })

  it('an environment the knexfile lacks is a problem naming the ones it has', async () => {
    const layer = await load('knex-seed', {knexEnv: 'staging'})
    expect(configProblemSummary(layer!.problems![0]!)).toMatch(
      /no "staging" environment \(it has: development, production\)/,
    )
  })

  it('ESM knexfile.mjs with a string connection', async () => {
    const layer = await load('knex-esm')
    expect(layer!.connectionString?.value).toMatch(/^postgresql:\/\/esm:/)
    expect(layer!.connectionString?.source.label).toBe('DATABASE_URL in .env (via knexfile.mjs, development)')
  })

  it('TypeScript knexfile.ts', async () => {
    const layer = await load('knex-ts')
    expect(layer!.fields.host?.value).toBe('127.0.0.1')
    expect(layer!.fields.user?.source.label).toBe('knexfile.ts (development) connection.user')
    expect(layer!.appSsl?.value).toEqual({ca: 'not-a-real-ca', rejectUnauthorized: true})
  })

  it('flat knexfile (no environments)', async () => {
    const layer = await load('knex-flat')
    expect(layer!.fields.port).toEqual({
      value: '5435',
      source: expect.objectContaining({label: 'knexfile.js connection.port'}),
    })
    expect(layer!.fields.port?.source.environment).toBeUndefined()
  })

  it('async function connection, URL from a non-standard variable', async () => {
    const layer = await load('knex-function')
    expect(layer!.connectionString?.value).toContain('sslmode=no-verify')
    expect(layer!.connectionString?.source.label).toBe('APP_DB_URL in .env (via knexfile.cjs, development)')
    expect(layer!.appSsl?.value).toEqual({rejectUnauthorized: true})
  })

  it('a knexfile that throws is a problem with the redacted message, not a crash', async () => {
    const layer = await load('knex-throws')
    const p = layer!.problems![0]
    expect(configProblemSummary(p)).toMatch(
      /^Loading knexfile\.js \(environment development\) failed: DATABASE_URL is not set/,
    )
    expect(configProblemSummary(p)).not.toContain(CANARY)
    expect(layer!.origin.label).toMatch(/^knexfile\.js \(failed to load: DATABASE_URL is not set/)
    expect(layer!.origin.label).not.toContain(CANARY)
    expect(layer!.connectionString).toBeUndefined()
  })

  it('an environment that is a function is a problem, as in the knex CLI (which fails with "client is missing")', async () => {
    const layer = await load('knex-env-function')
    const p = layer!.problems![0]
    expect(p.code).toBe('CONFIG_APP_FILE_ERROR')
    expect(configProblemSummary(p)).toBe(
      `Loading knexfile.js (environment development) failed: the "development" environment is a function; knex uses it as it is and fails with "Required configuration option 'client' is missing" (export the configuration object, or make the whole module export a function)`,
    )
    expect(layer!.connectionString).toBeUndefined()
  })

  it('--knexfile <path> relative to the working folder', async () => {
    const layer = await load('knex-throws', {knexfile: '../knex-flat/knexfile.js'})
    expect(layer!.fields.database?.value).toBe('flatdb')
    expect(layer!.fields.database?.source.file).toBe(path.join(FIX, 'knex-flat', 'knexfile.js'))
  })

  it('a missing --knexfile is a problem', async () => {
    const layer = await load('knex-flat', {knexfile: 'nope.js'})
    expect(configProblemSummary(layer!.problems![0]!)).toMatch(/nope\.js \(--knexfile\) does not exist/)
  })

  it('non-PostgreSQL clients are not a source', async () => {
    expect(await load('knex-mysql')).toBeNull()
  })

  it('finds nothing in a folder without a knexfile', () => {
    expect(findKnexfile(path.join(FIX, 'prisma-app'))).toBeUndefined()
  })
})
