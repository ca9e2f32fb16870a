// Prisma 7 (issue 19), at the level that runs here: Prisma's CLI and engines cannot be installed,
// so (1) config discovery is real state — prisma.config.ts and the schema on disk, Prisma 7 declared
// in package.json, db-doctor run on the folder — with the CLI's behaviour modelled from Prisma's
// documentation and its users' pasted errors (docs/tools.md says so); (2) the runtime is real: the
// app's PrismaClient connects through @prisma/adapter-pg 7 (new pg.Pool(config)), run here against
// the test server, and db-doctor's verdict must agree with it (sslmode=require verifies the
// certificate: node-postgres rules; the adapter reports a TLS failure as TlsConnectionError, which
// Prisma Client prints as P1010 "… (not available)").
import {afterAll, describe, expect, inject, it} from 'vitest'
import {CANARY_PASSWORD} from '../helpers/constants.js'
import {checkOf, reportOf} from '../helpers/cli.js'
import {
  createScenarioDatabase,
  makeApp,
  runDoctor,
  runTool,
  type App,
  type ScenarioDatabase,
} from '../helpers/migration-tools.js'

const pg = inject('pg')
const apps: App[] = []
const dbs: ScenarioDatabase[] = []
afterAll(async () => {
  for (const a of apps) a.cleanup()
  for (const d of dbs) await d.drop()
})

const PKG = JSON.stringify({
  name: 'app',
  private: true,
  type: 'module',
  scripts: {runtime: 'node runtime.mjs'},
  dependencies: {'@prisma/client': '^7.0.0', '@prisma/adapter-pg': '^7.0.0'},
  devDependencies: {prisma: '^7.0.0'},
})
const SCHEMA = `generator client {\n  provider = "prisma-client"\n  output   = "../generated/prisma"\n}\n\ndatasource db {\n  provider = "postgresql"\n}\n`
const CONFIG = (dotenv: boolean) =>
  `${dotenv ? "import 'dotenv/config'\n" : ''}import {defineConfig, env} from 'prisma/config'\n\nexport default defineConfig({\n  schema: 'prisma/schema.prisma',\n  migrations: {path: 'prisma/migrations'},\n  datasource: {url: env('DATABASE_URL')},\n})\n`
/** The app's runtime: PrismaClient's adapter, as `new PrismaPg({connectionString})` builds it, running one query. */
const RUNTIME = `import {createRequire} from 'node:module'
import {PrismaPg} from '@prisma/adapter-pg'
// the pg the adapter really loads (Node's resolution from the adapter's folder)
console.log('adapter loads pg', createRequire(import.meta.resolve('@prisma/adapter-pg'))('pg/package.json').version)
const adapter = await new PrismaPg({connectionString: process.env.DATABASE_URL}).connect()
try {
  await adapter.queryRaw({sql: 'select 1', args: [], argTypes: []})
  console.log('connected')
} catch (e) {
  console.error('adapter error:', e?.cause?.kind ?? e?.name, e?.cause?.reason ?? e?.message)
  process.exitCode = 1
} finally {
  await adapter.dispose()
}
`

function app(files: Record<string, string>): App {
  const a = makeApp({
    files: {'package.json': PKG, 'prisma/schema.prisma': SCHEMA, 'runtime.mjs': RUNTIME, ...files},
    packages: ['@prisma/adapter-pg', 'pg'],
    migrationsDir: false,
  })
  apps.push(a)
  return a
}

async function doctor(a: App, env: Record<string, string | undefined>) {
  const r = await runDoctor(a, ['check', '--json'], {env})
  expect(r.stdout).not.toContain(CANARY_PASSWORD)
  return {code: r.code, report: reportOf(r)}
}

describe.concurrent('Prisma 7: config discovery (modelled CLI) and the adapter-pg runtime (real)', () => {
  it('a Prisma 6 schema (url = env("DATABASE_URL")) with Prisma 7: CONFIG_PRISMA_URL_IN_SCHEMA (P1012), the fix is prisma.config.ts', async () => {
    const a = app({
      'prisma/schema.prisma': SCHEMA.replace(
        'provider = "postgresql"',
        'provider = "postgresql"\n  url      = env("DATABASE_URL")',
      ),
    })
    const d = await doctor(a, {DATABASE_URL: 'postgres://app:x@127.0.0.1:1/appdb'})
    expect(d.code).toBe(1)
    const config = checkOf(d.report, 'config')
    expect(config.code).toBe('CONFIG_PRISMA_URL_IN_SCHEMA')
    expect(config.summary).toContain('The datasource property `url` is no longer supported in schema files')
    expect(config.fix.snippet.code).toContain("datasource: {url: env('DATABASE_URL')}")
    expect(d.report.modelled?.tool?.name ?? 'prisma').toBe('prisma')
  })

  it('prisma.config.ts without datasource: CONFIG_PRISMA_CONFIG_URL_MISSING ("The datasource.url property is required …")', async () => {
    const a = app({
      'prisma.config.ts': `import {defineConfig} from 'prisma/config'\nexport default defineConfig({schema: 'prisma/schema.prisma'})\n`,
    })
    const d = await doctor(a, {})
    expect(d.code).toBe(1)
    const config = checkOf(d.report, 'config')
    expect(config.code).toBe('CONFIG_PRISMA_CONFIG_URL_MISSING')
    expect(config.summary).toContain('The datasource.url property is required in your Prisma config file')
  })

  it("env('DATABASE_URL') with DATABASE_URL only in .env and no dotenv import: Prisma 7 never reads .env, the config throws; db-doctor fails CONFIG_ENV_FILE_NOT_LOADED", async () => {
    const a = app({
      'prisma.config.ts': CONFIG(false),
      '.env': 'DATABASE_URL=postgres://app:x@127.0.0.1:1/appdb\n',
      'package.json': PKG.replace('"runtime":', '"migrate":"prisma migrate deploy","runtime":'),
    })
    const d = await doctor(a, {})
    expect(d.code).toBe(1)
    const config = checkOf(d.report, 'config')
    expect(config.code).toBe('CONFIG_ENV_FILE_NOT_LOADED')
    expect(config.summary).toContain('Cannot resolve environment variable: DATABASE_URL')
    expect(JSON.stringify(config.fix)).toContain('node --env-file=.env node_modules/.bin/prisma migrate deploy')
  })

  for (const [label, query, connects] of [
    ['sslmode=require (private CA): adapter-pg verifies and fails (TlsConnectionError)', 'sslmode=require', false],
    ['sslmode=verify-full&sslrootcert=<CA>: both connect', `sslmode=verify-full&sslrootcert=${pg.caFile}`, true],
    // pg ≥ 8.16's libpq compatibility, read by the pg the adapter loads: require only encrypts
    [
      'sslmode=require&uselibpqcompat=true: the installed pg reads it as libpq does, both connect',
      'sslmode=require&uselibpqcompat=true',
      true,
    ],
  ] as const) {
    it(`runtime ${label}; db-doctor agrees`, async () => {
      const db = await createScenarioDatabase(pg, `p7_${connects}`)
      dbs.push(db)
      const a = app({'prisma.config.ts': CONFIG(true)})
      const env = {DATABASE_URL: db.url(CANARY_PASSWORD, query)}
      const [rt, d] = await Promise.all([runTool(a, {script: 'runtime'}, {env}), doctor(a, env)])
      const runtime = {code: rt.code, out: `${rt.stdout}\n${rt.stderr}`}
      expect(runtime.code === 0, runtime.out).toBe(connects)
      expect(d.code === 0, JSON.stringify(d.report.checks.map((c: any) => [c.id, c.status, c.code]))).toBe(connects)
      // the header names the chain, with the pg version the adapter really loads
      const loaded = /adapter loads pg (\S+)/.exec(runtime.out)?.[1]
      expect(d.report.modelled.driver).toMatchObject({
        name: 'node-postgres',
        package: 'pg',
        version: loaded,
        adapter: {package: '@prisma/adapter-pg', versionSource: 'installed'},
      })
      expect(d.report.modelled.text).toMatch(/^prisma 7\.0 → @prisma\/adapter-pg 7\.\d+ → node-postgres 8\.\d+$/)
      if (!connects) {
        expect(runtime.out).toContain('adapter error: TlsConnectionError')
        expect(checkOf(d.report, 'tls').status).toBe('fail')
      }
    })
  }
})
