// Prisma 7 (issue 19), at the level that runs here: Prisma's CLI and engines cannot be installed,
// so (1) config discovery is real state — prisma.config.ts and the schema on disk, Prisma 7 declared
// in package.json, db-doctor run on the folder — with the CLI's behaviour modelled from Prisma's
// documentation, its source and its users' pasted errors (docs/tools.md says so); the migration runs the
// schema engine (quaint's URL reading, modelled: db-doctor's own probe and login follow it); (2) the
// runtime is real: the app's PrismaClient connects through @prisma/adapter-pg 7 (new pg.Pool(config)),
// run here against the test server (sslmode=require verifies the certificate: node-postgres rules; the
// adapter reports a TLS failure as TlsConnectionError, which Prisma Client prints as P1010 "… (not
// available)"), and db-doctor names both and warns SSL_PRISMA_RUNTIME_DIFFERS where they read the URL apart.
import {spawnSync} from 'node:child_process'
import {describe, expect, inject, it} from 'vitest'
import {CANARY_PASSWORD} from '../helpers/constants.js'
import {checkOf, cleanEnv, reportOf} from '../helpers/cli.js'
import {createScenarioDatabase, makeApp, runDoctor, runTool, type App} from '../helpers/migration-tools.js'
import {scenarioCleanup} from '../helpers/scenario-cleanup.js'

const pg = inject('pg')
const {apps, dbs} = scenarioCleanup()

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

  // The migration (prisma migrate deploy / db push) runs the schema engine in every version (prisma's
  // packages/migrate/src/Migrate.ts: SchemaEngineCLI with prisma.config.ts' datasource.url): quaint's reading,
  // which db-doctor's own probe and login follow (the engine cannot be downloaded here: modelled). The app's
  // runtime is the real adapter. `migrates`: db-doctor's verdict for the migration; `runtime`: the real adapter.
  for (const [label, query, runtimeConnects, differs] of [
    [
      'sslmode=require (private CA): the engine encrypts without verifying, adapter-pg verifies and fails (TlsConnectionError)',
      'sslmode=require',
      false,
      true,
    ],
    [
      'sslmode=verify-full&sslrootcert=<CA>: the adapter verifies and connects, the engine reads prefer without verification',
      `sslmode=verify-full&sslrootcert=${pg.caFile}`,
      true,
      true,
    ],
    // pg ≥ 8.16's libpq compatibility, read by the pg the adapter loads: require only encrypts, as the engine does
    [
      'sslmode=require&uselibpqcompat=true: both encrypt without verifying, no difference',
      'sslmode=require&uselibpqcompat=true',
      true,
      false,
    ],
  ] as const) {
    it(`runtime ${label}; db-doctor agrees`, async () => {
      const db = await createScenarioDatabase(pg, `p7_${runtimeConnects}`)
      dbs.push(db)
      const a = app({'prisma.config.ts': CONFIG(true)})
      const env = {DATABASE_URL: db.url(CANARY_PASSWORD, query)}
      const [rt, d] = await Promise.all([runTool(a, {script: 'runtime'}, {env}), doctor(a, env)])
      const runtime = {code: rt.code, out: `${rt.stdout}\n${rt.stderr}`}
      expect(runtime.code === 0, runtime.out).toBe(runtimeConnects)
      const verdicts = JSON.stringify(d.report.checks.map((c: any) => [c.id, c.status, c.code]))
      // the migration connects in every case (the engine's reading): db-doctor does not fail
      expect(d.code, verdicts).toBe(0)
      expect(checkOf(d.report, 'auth').status, verdicts).toBe('pass')
      // the header names the migration's engine and the app's runtime, with the pg version the adapter really loads
      const loaded = /adapter loads pg (\S+)/.exec(runtime.out)?.[1]
      expect(d.report.modelled.driver).toMatchObject({name: 'prisma-engine', package: '@prisma/client'})
      expect(d.report.modelled.runtime).toMatchObject({
        adapter: {package: '@prisma/adapter-pg', versionSource: 'installed'},
        driver: {name: 'node-postgres', package: 'pg', version: loaded},
      })
      expect(d.report.modelled.text).toMatch(
        /^prisma 7\.0 → prisma-engine 7\.0 \(schema engine; app runtime: @prisma\/adapter-pg 7\.\d+ → node-postgres 8\.\d+\)$/,
      )
      const ssl = checkOf(d.report, 'ssl-config')
      const codes = [ssl.code, ...(ssl.findings ?? []).map((f: any) => f.code)]
      expect(codes.includes('SSL_PRISMA_RUNTIME_DIFFERS'), JSON.stringify(ssl)).toBe(differs)
      const tls = checkOf(d.report, 'tls')
      if (!runtimeConnects) {
        // the runtime half, from the real adapter: it verifies and refuses the private CA
        expect(runtime.out).toContain('adapter error: TlsConnectionError')
        // the migrate half, from db-doctor's probe following the engine: TLS without verification connects
        expect(tls.status).toBe('warn')
        expect(tls.summary).toContain('connects anyway')
        expect(ssl.code).toBe('SSL_PRISMA_RUNTIME_DIFFERS')
        expect(ssl.status).toBe('warn')
        expect(ssl.summary).toContain('migrations run, the app fails with TlsConnectionError')
        // two URLs, each verified by its readers, written where the URL comes from; never verification off
        // (applied and run by every reader in the test below)
        const fix = JSON.stringify(ssl.fix)
        expect(ssl.fix.snippet.code).toMatch(/^export DATABASE_URL='.*sslmode=verify-full&sslrootcert=/m)
        expect(ssl.fix.snippet.code).toMatch(
          /^export MIGRATE_DATABASE_URL='.*sslmode=require&sslaccept=strict&sslcert=/m,
        )
        expect(ssl.fix.snippet.code).not.toContain(CANARY_PASSWORD)
        expect(fix).not.toMatch(/no-verify|accept_invalid_certs|rejectUnauthorized/)
      }
      if (query.startsWith('sslmode=verify-full')) {
        expect(ssl.summary).toContain('TLS when the server offers it, else plaintext, certificate not verified')
        expect(ssl.summary).not.toContain('TlsConnectionError')
      }
    })
  }

  // SSL_PRISMA_RUNTIME_DIFFERS' fix, applied as it is written, then run by every reader of each URL: the fix used
  // to be one URL (sslmode=require&sslaccept=strict&sslcert=<CA>&sslrootcert=<CA>), which psql refuses ("invalid
  // URI query parameter") and, without sslaccept, loads sslcert as a client certificate ("certificate present,
  // but not private key file"). Now: prisma migrate's URL in its own variable, read by prisma.config.ts (the
  // schema engine: modelled, db-doctor's probe follows it), and the adapter's, read by the real adapter and psql.
  it("the fix applied: prisma migrate's URL and the adapter's, each verified by its readers (db-doctor's engine reading, the real adapter, psql)", async () => {
    const db = await createScenarioDatabase(pg, 'p7_split')
    dbs.push(db)
    const before = await doctor(app({'prisma.config.ts': CONFIG(true)}), {
      DATABASE_URL: db.url(CANARY_PASSWORD, 'sslmode=require&schema=public&connection_limit=3'),
    })
    const ssl = checkOf(before.report, 'ssl-config')
    expect(ssl.code).toBe('SSL_PRISMA_RUNTIME_DIFFERS')
    expect(ssl.fix.steps.join('\n')).toContain(
      "prisma.config.ts datasource.url reads env('MIGRATE_DATABASE_URL') instead of env('DATABASE_URL')",
    )
    // the snippet's URLs, with the password and the CA path filled in
    const urls: Record<string, string> = {}
    for (const m of (ssl.fix.snippet.code as string).matchAll(/^export (\w+)='(.*)'$/gm))
      urls[m[1]!] = m[2]!.replace('****', CANARY_PASSWORD).replace('/absolute/path/to/ca.pem', pg.caFile)
    expect(Object.keys(urls).sort()).toEqual(['DATABASE_URL', 'MIGRATE_DATABASE_URL'])
    // Prisma's own parameters stay in prisma migrate's URL and leave the adapter's (psql would refuse them)
    expect(urls.MIGRATE_DATABASE_URL).toContain('schema=public&connection_limit=3')
    expect(urls.DATABASE_URL).not.toMatch(/schema|connection_limit/)
    expect(ssl.fix.steps.join('\n')).toContain("Prisma's own parameters are left out of it (schema, connection_limit)")
    const env = {DATABASE_URL: urls.DATABASE_URL!, MIGRATE_DATABASE_URL: urls.MIGRATE_DATABASE_URL!}
    const a = app({'prisma.config.ts': CONFIG(true).replace("env('DATABASE_URL')", "env('MIGRATE_DATABASE_URL')")})
    const [rt, d] = await Promise.all([runTool(a, {script: 'runtime'}, {env}), doctor(a, env)])
    expect(rt.code, `${rt.stdout}\n${rt.stderr}`).toBe(0)
    expect(rt.stdout).toContain('connected')
    const verdicts = JSON.stringify(d.report.checks.map((c: any) => [c.id, c.status, c.code]))
    expect(d.code, verdicts).toBe(0)
    expect(d.report.target.sources.connectionString).toContain('MIGRATE_DATABASE_URL')
    expect(checkOf(d.report, 'tls').status, verdicts).toBe('pass') // the engine's reading verifies with the CA
    expect(checkOf(d.report, 'ssl-config').status, verdicts).toBe('pass')
    expect(checkOf(d.report, 'auth').status).toBe('pass')
    const psql = (url: string) =>
      spawnSync('psql', [url, '-Atc', 'select ssl from pg_stat_ssl where pid = pg_backend_pid()'], {
        env: {...cleanEnv(), HOME: a.dir},
        encoding: 'utf8',
        timeout: 30_000,
      })
    const runtimeByPsql = psql(urls.DATABASE_URL!)
    expect(runtimeByPsql.status, runtimeByPsql.stderr).toBe(0)
    expect(runtimeByPsql.stdout.trim()).toBe('t')
    const single = `sslmode=require&sslaccept=strict&sslcert=${pg.caFile}&sslrootcert=${pg.caFile}`
    expect(psql(db.url(CANARY_PASSWORD, single)).stderr).toContain('invalid URI query parameter: "sslaccept"')
    expect(psql(db.url(CANARY_PASSWORD, single.replace('&sslaccept=strict', ''))).stderr).toContain(
      'certificate present, but not private key file',
    )
  })
})
