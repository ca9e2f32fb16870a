// Prisma (the migration CLI runs the schema engine in every version; 7: prisma.config.ts, and the app's
// runtime through @prisma/adapter-pg). Config and .env
// rules live in config/sources/prisma.ts and config/launch.ts (env.loads 'legacy'); this is its
// model's face for the framework.
import path from 'node:path'
import type {ToolModel} from './types.js'

/**
 * The config files the Prisma 7 CLI looks for, in its order (@prisma/config 7.10 loadConfigFromFile: the
 * prisma7.config.* and .config/prisma7.* candidates first, then c12's lookup of `prisma`: prisma.config.*,
 * prisma.config/index.*, .config/prisma.*, .config/prisma/index.*, .config/prisma.config.*,
 * .config/prisma.config/index.*), each with the extensions .js, .ts, .mjs, .cjs, .mts, .cts in that order.
 * Checked against the real loadConfigFromFile on temp folders (test/config/prisma-config-discovery.test.ts).
 */
const PRISMA_CONFIG_EXTENSIONS = ['.js', '.ts', '.mjs', '.cjs', '.mts', '.cts'] as const
export const PRISMA_CONFIG_FILES: readonly string[] = [
  ...['prisma7.config', path.join('.config', 'prisma7')].flatMap((b) => PRISMA_CONFIG_EXTENSIONS.map((e) => b + e)),
  ...['prisma.config', path.join('.config', 'prisma'), path.join('.config', 'prisma.config')].flatMap((b) => [
    ...PRISMA_CONFIG_EXTENSIONS.map((e) => b + e),
    ...PRISMA_CONFIG_EXTENSIONS.map((e) => path.join(b, `index${e}`)),
  ]),
]

/**
 * Which driver adapter the installed Prisma CLI gives `prisma migrate` / `db` (then the Wasm schema engine,
 * SchemaEngineWasm, connects through it instead of the Rust schema engine): read in prisma/prisma's tags,
 * packages/migrate/src/commands/*.ts and packages/config/src/PrismaConfig.ts (modelled: the engines cannot
 * be run here).
 * - 6.6–6.11: `earlyAccess: true, migrate: {adapter: async (env) => …}` (`await config.migrate?.adapter(process.env)`);
 * - 6.12: `earlyAccess: true, adapter: async () => …` (`await config.adapter?.()`);
 * - 6.13–6.17: the same `adapter`, allowed only with `experimental: {adapter: true}`;
 * - 6.18–6.19: `engine: 'js', adapter: …` with `experimental.adapter` (`config.engine === 'js' ? await config.adapter()`);
 * - before 6.6 and from 7.0: none (Prisma 7's config has no `adapter` or `engine`: migrate runs the schema engine).
 * Null for a version without one.
 */
export function prismaMigrateAdapterRule(
  version: string | undefined,
): {key: 'migrate.adapter' | 'adapter'; requires: 'none' | 'experimental' | 'engine-js'; setting: string} | null {
  const m = version ? /^(\d+)\.(\d+)/.exec(version) : null
  if (!m || Number(m[1]) !== 6) return null
  const minor = Number(m[2])
  if (minor >= 6 && minor <= 11) return {key: 'migrate.adapter', requires: 'none', setting: 'migrate.adapter'}
  if (minor === 12) return {key: 'adapter', requires: 'none', setting: 'adapter'}
  if (minor >= 13 && minor <= 17) return {key: 'adapter', requires: 'experimental', setting: 'adapter'}
  if (minor >= 18) return {key: 'adapter', requires: 'engine-js', setting: "engine: 'js' and adapter"}
  return null
}

export const prisma: ToolModel = {
  name: 'prisma',
  packages: ['prisma', '@prisma/client'],
  currentRelease: '7.0.0',
  config: {
    files: [...PRISMA_CONFIG_FILES, 'prisma/schema.prisma', 'schema.prisma'],
    // prisma.config.* (js before ts), else the schema named in package.json, else prisma/schema.prisma;
    // --schema / --config choose the files
    flag: '--schema',
  },
  // Prisma 6 loads .env itself unless a prisma.config.* exists; Prisma 7 never does
  env: {loads: 'legacy'},
  // the datasource URL (directUrl for migrate)
  // The app's runtime (PrismaClient) in Prisma 7, or with the adapter installed: @prisma/adapter-pg wraps
  // node-postgres (src/models/drivers/prisma-adapter-pg.ts): pg's rules, at the pg version the adapter loads.
  drivers: [{pkg: '@prisma/adapter-pg', driver: 'node-postgres', adapter: true}],
  // The migration CLI (migrate deploy / dev / reset / status, db push / pull / execute) in every version: prisma's
  // packages/migrate/src/Migrate.ts (7.0.x, 7.9.x) Migrate.setup always starts SchemaEngineCLI, the Rust schema
  // engine, with `--datasource {url, shadowDatabaseUrl}` of prisma.config.ts; @prisma/config 7 has no `adapter`
  // or `engine` key any more (6.6–6.19's `migrate.adapter` / `adapter` / `engine: 'js'` run the Wasm engine
  // through the adapter instead: prismaMigrateAdapterRule, resolveStack's migrateAdapter). The engine connects
  // with quaint (prisma-engines' sql-schema-connector flavour/postgres/connector/native: PostgresUrl::Native +
  // MakeTlsConnectorManager): quaint's URL reading.
  builtin: {pkg: '@prisma/client', driver: 'prisma-engine'},
  migrations: {
    table: '_prisma_migrations',
    schema: 'public',
    dir: path.join('prisma', 'migrations'),
    command: 'npx prisma migrate deploy',
    // the schema engine inserts a row per migration, then updates finished_at / applied_steps_count
    uses: {table: ['SELECT', 'INSERT', 'UPDATE']},
  },
  // prints Error: P1001 / P1000 / P1010 …
  failure: {exitCode: 1},
  scripts: {
    bin: /(?:^|[\s/'"])prisma(?:\/build\/index\.js)?\s+(?:migrate|db)\b/,
    migrate: /\bprisma\s+(?:migrate|db)\b/,
    defaultArgs: 'migrate deploy',
  },
  // Prisma ≤ 6 docs (connection pool): connection_limit, default num_physical_cpus * 2 + 1; Prisma 7's
  // adapter-pg takes the pool size in app code (pg.Pool max)
  pool: {setting: 'connection_limit', where: 'url', default: 'cpus'},
}
