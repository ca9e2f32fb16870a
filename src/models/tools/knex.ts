// The knex CLI 3.x. Config discovery, environments and .env lie in config/sources/knexfile.ts and
// config/launch.ts (env.loads 'legacy'); this is its model's face for the framework.
import type {ToolModel} from './types.js'

export const knex: ToolModel = {
  name: 'knex',
  packages: ['knex'],
  currentRelease: '3.3.0',
  config: {
    files: ['knexfile.js', 'knexfile.mjs', 'knexfile.ts'],
    flag: '--knexfile',
    describe: 'the knex CLI reads --knexfile <path>, else knexfile.js/.mjs/.ts in the working folder or a parent',
  },
  flags: '--knexfile and --env (else NODE_ENV, else development) choose the file and its environment',
  env: {loads: 'legacy', describe: 'the knex CLI never reads .env itself; a knexfile may load dotenv'},
  merge: 'a string connection is parsed by knex with its pinned pg-connection-string, then handed to pg as an object',
  drivers: [{pkg: 'pg', driver: 'node-postgres'}],
  migrations: {table: 'knex_migrations', dir: 'migrations', command: 'npx knex migrate:latest'},
  failure: {exitCode: 1, firstLine: 'the driver error message'},
  scripts: {
    bin: /(?:^|[\s/'"])knex(?:\/bin\/cli\.js)?(?=[\s'"]|$)/,
    migrate: /\bmigrate:|\bseed:run\b/,
    defaultArgs: 'migrate:latest',
  },
  // knex lib/client.js getPoolSettings: {min: 2, max: 10}
  pool: {setting: 'pool.max', where: 'config', default: 10},
}
