// Prisma 6.6–6.19 can run `prisma migrate` through a driver adapter given in prisma.config.ts: the Wasm schema
// engine (SchemaEngineWasm) then queries through the adapter, so node-postgres connects, not the Rust schema
// engine. Which key, by version, is read in prisma/prisma's tags (packages/migrate/src/commands/*.ts,
// packages/config/src/PrismaConfig.ts; src/models/tools/prisma.ts prismaMigrateAdapterRule): modelled, since
// Prisma's CLI and engines cannot be installed here. What runs is real: db-doctor runs the project's real
// prisma.config.ts and calls its adapter function as that version's CLI does, which builds the real
// @prisma/adapter-pg factory (7.10.1, the one installed here; its 6.x factory keeps the pg config the same way);
// and the "migration" beside it is that factory's connect() and a query (what SchemaEngineWasm gets from the
// CLI), against the test server with its private CA: db-doctor exits 0 exactly when it connects.
import {describe, expect, inject, it} from 'vitest'
import {CANARY_PASSWORD} from '../helpers/constants.js'
import {checkOf, reportOf} from '../helpers/cli.js'
import {createScenarioDatabase, makeApp, runDoctor, runTool, type App} from '../helpers/migration-tools.js'
import {prismaMigrateAdapterRule} from '../../src/models/tools/prisma.js'
import {scenarioCleanup} from '../helpers/scenario-cleanup.js'

const pg = inject('pg')
const {apps, dbs} = scenarioCleanup()

const SCHEMA = 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n'
/** What SchemaEngineWasm gets: the adapter factory prisma.config.ts builds; it connects and queries through it. */
const MIGRATE = `import {PrismaPg} from '@prisma/adapter-pg'
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
/** prisma.config.ts in the shape of each version (PrismaConfig.ts of that tag). */
const CONFIGS = {
  '6.10.0':
    "import {defineConfig} from 'prisma/config'\nimport {PrismaPg} from '@prisma/adapter-pg'\n\nexport default defineConfig({\n  earlyAccess: true,\n  schema: 'prisma/schema.prisma',\n  migrate: {adapter: async (env: Record<string, string>) => new PrismaPg({connectionString: env.DATABASE_URL})},\n})\n",
  '6.16.0':
    "import {defineConfig} from 'prisma/config'\nimport {PrismaPg} from '@prisma/adapter-pg'\n\nexport default defineConfig({\n  experimental: {adapter: true},\n  schema: 'prisma/schema.prisma',\n  adapter: async () => new PrismaPg({connectionString: process.env.DATABASE_URL}),\n})\n",
  '6.19.0':
    "import {defineConfig} from 'prisma/config'\nimport {PrismaPg} from '@prisma/adapter-pg'\n\nexport default defineConfig({\n  experimental: {adapter: true},\n  engine: 'js',\n  schema: 'prisma/schema.prisma',\n  adapter: async () => new PrismaPg({connectionString: process.env.DATABASE_URL}),\n})\n",
} as const

function app(version: string, config: string): App {
  const a = makeApp({
    files: {
      'package.json': JSON.stringify({
        name: 'app',
        private: true,
        type: 'module',
        scripts: {migrate: 'node migrate.mjs'},
        dependencies: {'@prisma/client': version, '@prisma/adapter-pg': version},
        devDependencies: {prisma: version},
      }),
      'prisma/schema.prisma': SCHEMA,
      'prisma.config.ts': config,
      'migrate.mjs': MIGRATE,
    },
    packages: ['@prisma/adapter-pg', 'pg'],
    migrationsDir: false,
  })
  apps.push(a)
  return a
}

async function pair(a: App, env: Record<string, string>) {
  const [tool, r] = await Promise.all([
    runTool(a, {script: 'migrate'}, {env}),
    runDoctor(a, ['check', '--json', '--skip', 'migrations,privileges'], {env}),
  ])
  expect(r.stdout + r.stderr).not.toContain(CANARY_PASSWORD)
  const report = reportOf(r)
  const why = `${tool.stdout}\n${tool.stderr}\n--- db-doctor: ${JSON.stringify(report.checks.map((c: any) => [c.id, c.status, c.code]))}`
  expect(r.code === 0, why).toBe(tool.connected)
  return {tool, report, why}
}

describe('the key that gives prisma migrate a driver adapter, by version (read in the tags; modelled)', () => {
  it('6.6–6.11 migrate.adapter, 6.12 adapter, 6.13–6.17 adapter with experimental.adapter, 6.18–6.19 engine js; none before 6.6 or in 7', () => {
    expect(prismaMigrateAdapterRule('6.5.0')).toBeNull()
    expect(prismaMigrateAdapterRule('6.6.0')).toMatchObject({key: 'migrate.adapter', requires: 'none'})
    expect(prismaMigrateAdapterRule('6.11.1')).toMatchObject({key: 'migrate.adapter'})
    expect(prismaMigrateAdapterRule('6.12.0')).toMatchObject({key: 'adapter', requires: 'none'})
    expect(prismaMigrateAdapterRule('6.13.0')).toMatchObject({key: 'adapter', requires: 'experimental'})
    expect(prismaMigrateAdapterRule('6.17.1')).toMatchObject({key: 'adapter', requires: 'experimental'})
    expect(prismaMigrateAdapterRule('6.18.0')).toMatchObject({key: 'adapter', requires: 'engine-js'})
    expect(prismaMigrateAdapterRule('6.19.0')).toMatchObject({key: 'adapter', requires: 'engine-js'})
    expect(prismaMigrateAdapterRule('7.0.0')).toBeNull()
  })
})

describe.concurrent(
  'prisma migrate through @prisma/adapter-pg (Prisma 6.10, 6.16, 6.19 configs): node-postgres connects',
  () => {
    for (const version of Object.keys(CONFIGS) as Array<keyof typeof CONFIGS>) {
      it(`${version}: sslmode=require with a private CA fails as the adapter does (verify-full); verify-full with the CA connects`, async () => {
        const db = await createScenarioDatabase(pg, `p6a_${version.replace(/\./g, '_')}`)
        dbs.push(db)
        const a = app(version, CONFIGS[version])
        const fails = await pair(a, {DATABASE_URL: db.url(CANARY_PASSWORD, 'sslmode=require')})
        expect(fails.tool.connected, fails.why).toBe(false)
        expect(`${fails.tool.stderr}`).toContain('adapter error: TlsConnectionError')
        expect(fails.report.modelled.driver, fails.why).toMatchObject({name: 'node-postgres', package: 'pg'})
        expect(fails.report.modelled.text).toMatch(
          new RegExp(
            `^prisma ${version.slice(0, 4)} → node-postgres 8\\.\\d+ \\(through @prisma/adapter-pg: prisma\\.config `,
          ),
        )
        expect(fails.report.target.sources.connectionString).toContain('used by prisma migrate')
        const tls = checkOf(fails.report, 'tls')
        expect(tls.status, fails.why).toBe('fail')
        expect(tls.code).toMatch(/^TLS_(UNTRUSTED_ISSUER|SELF_SIGNED_CHAIN|SELF_SIGNED_CERT)$/)
        const ok = await pair(a, {
          DATABASE_URL: db.url(CANARY_PASSWORD, `sslmode=verify-full&sslrootcert=${pg.caFile}`),
        })
        expect(ok.tool.connected, ok.why).toBe(true)
        expect(checkOf(ok.report, 'auth').status).toBe('pass')
        expect(checkOf(ok.report, 'tls').status).toBe('pass')
      })
    }

    it('6.16 without experimental.adapter, and 6.19 with engine classic: no adapter for migrate, the schema engine is modelled', async () => {
      const env = {DATABASE_URL: `postgres://app:${CANARY_PASSWORD}@${pg.host}:${pg.port}/appdb?sslmode=require`}
      const noGate = app('6.16.0', CONFIGS['6.16.0'].replace('  experimental: {adapter: true},\n', ''))
      const classic = app(
        '6.19.0',
        CONFIGS['6.19.0']
          .replace("engine: 'js'", "engine: 'classic',\n  datasource: {url: process.env.DATABASE_URL!}")
          .replace(/ {2}adapter: .*\n/, ''),
      )
      for (const a of [noGate, classic]) {
        const r = await runDoctor(a, ['check', '--json', '--only', 'config'], {env})
        expect(reportOf(r).modelled.driver.name, r.stdout).toBe('prisma-engine')
      }
    })
  },
)
