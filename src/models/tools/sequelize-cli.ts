// sequelize-cli (`sequelize-cli db:migrate`), read in sequelize-cli 6.6 (pinned in devDependencies,
// test/differential/sequelize.test.ts): .sequelizerc (or --options-path) names config/migrations paths, else
// config/config.js, else config/config.json; --config / --env, else NODE_ENV, else development; never reads .env; use_env_variable / url
// keep only host, port, database, user and password (the URL's sslmode is thrown away: TLS only from
// dialectOptions.ssl); records file names in SequelizeMeta (migrationStorageTableName/Schema), takes no lock.
// Loading the config is config/sources/sequelize-cli.ts.
import type {ToolModel} from './types.js'

export const sequelizeCli: ToolModel = {
  name: 'sequelize-cli',
  packages: ['sequelize-cli'],
  currentRelease: '6.6.3',
  config: {
    // lib/helpers/config-helper.js getConfigFile: --config (from .sequelizerc or the command line), else
    // config/config.js when it exists, else config/config.json; .sequelizerc only in the working folder
    files: ['.sequelizerc', 'config/config.js', 'config/config.json'],
    // --config / --env (else NODE_ENV, else development)
    flag: '--config',
  },
  // never reads .env itself
  env: {loads: 'never'},
  // use_env_variable keeps host, port, database, user and password of the URL; TLS only from dialectOptions.ssl
  drivers: [{pkg: 'pg', driver: 'node-postgres'}],
  migrations: {
    table: 'SequelizeMeta',
    dir: 'migrations',
    command: 'npx sequelize-cli db:migrate',
    // umzug's SequelizeStorage: select, insert
    uses: {table: ['SELECT', 'INSERT']},
  },
  // prints ERROR: <driver message>
  failure: {exitCode: 1},
  scripts: {
    bin: /(?:^|[\s/'"])sequelize(?:-cli)?(?:\/lib\/sequelize)?(?=[\s'"]|$)/,
    migrate: /\bdb:migrate\b/,
    defaultArgs: 'db:migrate',
  },
  // sequelize 6 lib/dialects/abstract/connection-manager.js: pool {max: 5, min: 0}
  pool: {setting: 'pool.max', where: 'config', default: 5},
}
