// What db-doctor models for an app folder: the tool, the driver that tool really imports (the first
// of its candidates installed in the app's node_modules), their installed versions — in the report
// header and the JSON `modelled` field — and the driver's verdicts that need no server: URL
// parameters postgres.js sends to the server (CONFIG_UNKNOWN_SERVER_PARAMETER), a driver db-doctor
// does not model (CONFIG_DRIVER_UNMODELLED). Real app folders (makeApp), the real built CLI.
import {afterAll, describe, expect, it} from 'vitest'
import {resolveStack} from '../../src/models/tools/index.js'
import {stackText} from '../../src/catalogue/modelled.js'
import {checkOf, reportOf} from '../helpers/cli.js'
import {makeApp, runDoctor, type App} from '../helpers/migration-tools.js'

const apps: App[] = []
afterAll(() => apps.forEach((a) => a.cleanup()))
function app(opts: Parameters<typeof makeApp>[0]): App {
  const a = makeApp(opts)
  apps.push(a)
  return a
}

const DRIZZLE_CONFIG = `import {defineConfig} from 'drizzle-kit'
export default defineConfig({dialect: 'postgresql', out: './drizzle', dbCredentials: {url: process.env.DATABASE_URL!}})
`
const DEAD_URL = 'postgres://app:pw@127.0.0.1:9/appdb'

describe('resolveStack', () => {
  it('drizzle-kit takes the first installed of pg, postgres, @vercel/postgres, @neondatabase/serverless', () => {
    const pgAndPostgres = app({files: {}, packages: ['pg', 'postgres-3 as postgres']})
    expect(resolveStack({cwd: pgAndPostgres.dir, tool: 'drizzle-kit'}).driver).toMatchObject({
      name: 'node-postgres',
      package: 'pg',
      versionSource: 'installed',
    })
    const onlyPostgres = app({files: {}, packages: ['postgres-3 as postgres']})
    const s = resolveStack({cwd: onlyPostgres.dir, tool: 'drizzle-kit'})
    expect(s.driver).toMatchObject({name: 'postgres.js', package: 'postgres', version: '3.4.10'})
    expect(stackText(s)).toMatch(
      /^drizzle-kit 0\.31 → postgres\.js 3\.4 \(not installed here: assumed\)$|^drizzle-kit \S+ → postgres\.js 3\.4$/,
    )
  })

  it("Prisma's migration CLI runs the schema engine in every version; Prisma 7's app runtime connects through @prisma/adapter-pg (node-postgres at the pg version the adapter loads), named beside it", () => {
    const a = app({files: {}, packages: ['@prisma/adapter-pg', 'pg-8-0-2 as pg']})
    const s = resolveStack({cwd: a.dir, tool: 'prisma', toolVersion: '7.0.0'})
    // migrate / db push: Migrate.setup → SchemaEngineCLI (quaint's reading), not the adapter
    expect(s.driver).toMatchObject({name: 'prisma-engine', package: '@prisma/client', version: '7.0.0'})
    expect(s.runtime).toMatchObject({
      adapter: {package: '@prisma/adapter-pg', versionSource: 'installed'},
      driver: {name: 'node-postgres', package: 'pg', version: '8.0.2', versionSource: 'installed'},
    })
    expect(stackText(s)).toMatch(
      /^prisma 7\.0 → prisma-engine 7\.0 \(schema engine; app runtime: @prisma\/adapter-pg 7\.\d+ → node-postgres 8\.0\)$/,
    )
    // Prisma 6 without the adapter: the engine, nothing else named
    const six = app({files: {}, packages: []})
    const s6 = resolveStack({cwd: six.dir, tool: 'prisma', toolVersion: '6.19.0'})
    expect(s6.runtime).toBeUndefined()
    expect(s6.driver).toMatchObject({name: 'prisma-engine', package: '@prisma/client', version: '6.19.0'})
    expect(stackText(s6)).toBe('prisma 6.19 → prisma-engine 6.19')
    // Prisma 6 with the adapter installed: migrate still runs the engine, the adapter is the app's runtime
    const sixWithAdapter = app({files: {}, packages: ['@prisma/adapter-pg']})
    const s6a = resolveStack({cwd: sixWithAdapter.dir, tool: 'prisma', toolVersion: '6.19.0'})
    expect(s6a.driver.name).toBe('prisma-engine')
    expect(s6a.runtime?.driver.name).toBe('node-postgres')
  })

  it('a plain script: the driver package.json depends on', () => {
    const plain = app({
      files: {'package.json': JSON.stringify({dependencies: {postgres: '^4.2.0'}})},
      packages: ['postgres'],
    })
    const s = resolveStack({cwd: plain.dir})
    expect(s.tool).toBeNull()
    expect(stackText(s)).toBe('postgres.js 4.2')
  })
})

describe('the driver in the report', () => {
  it('drizzle-kit → postgres.js 3.4 with ?schema=: the header names both, the URL parameter fails the config check', async () => {
    const a = app({
      files: {'drizzle.config.ts': DRIZZLE_CONFIG, '.env': `DATABASE_URL=${DEAD_URL}?schema=public&sslmode=require\n`},
      packages: ['drizzle-kit', 'drizzle-orm', 'postgres-3 as postgres'],
    })
    const text = await runDoctor(a, ['check', '--only', 'config'])
    expect(text.stdout).toContain('modelled: drizzle-kit 0.31 → postgres.js 3.4')
    const r = await runDoctor(a, ['check', '--only', 'config', '--json'])
    expect(r.code).toBe(1)
    const report = reportOf(r)
    expect(report.modelled).toMatchObject({
      tool: {name: 'drizzle-kit', versionSource: 'installed'},
      driver: {name: 'postgres.js', package: 'postgres', version: '3.4.10'},
      text: 'drizzle-kit 0.31 → postgres.js 3.4',
    })
    const config = checkOf(report, 'config')
    expect(config.code).toBe('CONFIG_UNKNOWN_SERVER_PARAMETER')
    expect(config.summary).toContain('unrecognized configuration parameter "schema"')
    expect(config.summary).toContain('DATABASE_URL in .env (via drizzle.config.ts dbCredentials.url)')
    // the fix is written for postgres.js: the URL without the parameter, never uselibpqcompat
    expect(config.fix.snippet.code).toBe('DATABASE_URL="postgres://app:****@127.0.0.1:9/appdb?sslmode=require"')
    expect(JSON.stringify(config.fix)).not.toContain('uselibpqcompat=true')
  })

  it('a driver db-doctor does not model is said plainly (warn), not judged silently as node-postgres', async () => {
    const a = app({
      files: {
        'package.json': JSON.stringify({dependencies: {'@neondatabase/serverless': '^1.0.0'}}),
        '.env': `DATABASE_URL=${DEAD_URL}\n`,
      },
    })
    const r = await runDoctor(a, ['check', '--only', 'config', '--json'])
    const report = reportOf(r)
    expect(report.modelled.driver).toMatchObject({name: null, package: '@neondatabase/serverless'})
    const config = checkOf(report, 'config')
    expect(config.status).toBe('warn')
    expect(config.code).toBe('CONFIG_DRIVER_UNMODELLED')
    expect(config.summary).toContain('which db-doctor does not model')
  })

  it('a migration tool db-doctor does not model (kysely-ctl, mikro-orm by their script, umzug by its dependency) is said plainly (warn), naming the model used instead', async () => {
    const env = `DATABASE_URL=${DEAD_URL}\n`
    const kysely = app({
      files: {
        'package.json': JSON.stringify({
          scripts: {'db:migrate': 'kysely migrate:latest'},
          dependencies: {kysely: '*', pg: '*'},
          devDependencies: {'kysely-ctl': '*'},
        }),
        '.env': env,
      },
      packages: ['pg'],
    })
    const mikro = app({
      files: {
        'package.json': JSON.stringify({
          scripts: {migrate: 'npx mikro-orm migration:up'},
          dependencies: {'@mikro-orm/postgresql': '*'},
        }),
        '.env': env,
      },
    })
    const umzug = app({
      files: {
        'package.json': JSON.stringify({
          scripts: {migrate: 'node migrate.js'},
          dependencies: {umzug: '^3.8.0', postgres: '*'},
        }),
        '.env': env,
      },
      packages: ['postgres'],
    })
    const [rk, rm, ru] = await Promise.all(
      [kysely, mikro, umzug].map((a) => runDoctor(a, ['check', '--only', 'config', '--json'])),
    )
    const expected = [
      [rk, 'kysely-ctl', 'script "db:migrate"', /^node-postgres 8\.\d+$/],
      [rm, 'mikro-orm', 'script "migrate"', /^node-postgres /],
      [ru, 'umzug', 'depends on umzug', /^postgres\.js 4\.2$/],
    ] as const
    for (const [r, tool, how, modelled] of expected) {
      const report = reportOf(r)
      expect(report.modelled.tool).toBeNull()
      expect(report.modelled.text).toMatch(modelled)
      const config = checkOf(report, 'config')
      expect(config.status).toBe('warn')
      expect(config.code).toBe('CONFIG_TOOL_UNMODELLED')
      expect(config.summary).toContain(tool)
      expect(config.summary).toContain(how)
      expect(config.summary).toContain(`follow ${report.modelled.text} instead`)
      expect(r.code).toBe(0)
    }
  })
})
