// The knex CLI 3.x. Config discovery, environments and .env lie in config/sources/knexfile.ts and
// config/launch.ts (env.loads 'legacy'); this is its model's face for the framework.
import type {ToolModel} from './types.js'

export const knex: ToolModel = {
  name: 'knex',
  packages: ['knex'],
  currentRelease: '3.3.0',
  config: {
    files: ['knexfile.js', 'knexfile.mjs', 'knexfile.ts'],
    // --knexfile <path>, else knexfile.js/.mjs/.ts in the working folder or a parent; --knexfile and --env (else
    // NODE_ENV, else development) choose the file and its environment
    flag: '--knexfile',
  },
  // the knex CLI never reads .env itself; a knexfile may load dotenv
  env: {loads: 'legacy'},
  // a string connection is parsed by knex with its pinned pg-connection-string, then handed to pg as an object
  drivers: [{pkg: 'pg', driver: 'node-postgres'}],
  migrations: {
    table: 'knex_migrations',
    dir: 'migrations',
    command: 'npx knex migrate:latest',
    // Migrator.js: select the names, insert a row per migration; and on every run, even with nothing pending,
    // its lock: update knex_migrations_lock set is_locked = 1 where is_locked = 0, then back to 0
    uses: {table: ['SELECT', 'INSERT'], lock: ['SELECT', 'UPDATE']},
  },
  // prints the driver's error message
  failure: {exitCode: 1},
  scripts: {
    bin: /(?:^|[\s/'"])knex(?:\/bin\/cli\.js)?(?=[\s'"]|$)/,
    migrate: /\bmigrate:|\bseed:run\b/,
    defaultArgs: 'migrate:latest',
  },
  // knex lib/client.js getPoolSettings: {min: 2, max: 10}
  pool: {setting: 'pool.max', where: 'config', default: 10},
}
