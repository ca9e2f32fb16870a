// Prisma (≤ 6: the schema engine; 7: prisma.config.ts and @prisma/adapter-pg). Config and .env
// rules live in config/sources/prisma.ts and config/launch.ts (env.loads 'legacy'); this is its
// model's face for the framework.
import path from 'node:path'
import type {ToolModel} from './types.js'

export const prisma: ToolModel = {
  name: 'prisma',
  packages: ['prisma', '@prisma/client'],
  currentRelease: '7.0.0',
  config: {
    files: ['prisma.config.ts', 'prisma/schema.prisma', 'schema.prisma'],
    flag: '--schema',
    describe: 'Prisma reads prisma.config.ts, else the schema named in package.json, else prisma/schema.prisma',
  },
  flags: '--schema / --config choose the files',
  env: {loads: 'legacy', describe: 'Prisma 6 loads .env itself unless a prisma.config.* exists; Prisma 7 never does'},
  merge: 'the datasource URL (directUrl for migrate)',
  // Prisma 7: @prisma/adapter-pg wraps node-postgres (src/models/drivers/prisma-adapter-pg.ts): pg's rules, at
  // the pg version the adapter loads. Prisma ≤ 6 connects with its own engine (libpq-like sslmode), not a Node driver.
  drivers: [{pkg: '@prisma/adapter-pg', driver: 'node-postgres', adapter: true}],
  migrations: {
    table: '_prisma_migrations',
    schema: 'public',
    dir: path.join('prisma', 'migrations'),
    command: 'npx prisma migrate deploy',
  },
  failure: {exitCode: 1, firstLine: 'Error: P1001 / P1000 / P1010 …'},
  scripts: {
    bin: /(?:^|[\s/'"])prisma(?:\/build\/index\.js)?\s+(?:migrate|db)\b/,
    migrate: /\bprisma\s+(?:migrate|db)\b/,
    defaultArgs: 'migrate deploy',
  },
  // Prisma ≤ 6 docs (connection pool): connection_limit, default num_physical_cpus * 2 + 1; Prisma 7's
  // adapter-pg takes the pool size in app code (pg.Pool max)
  pool: {setting: 'connection_limit', where: 'url', default: 'cpus'},
}
