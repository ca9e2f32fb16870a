// TypeORM CLI (`typeorm migration:run -d <data-source>`), read in typeorm 0.3.31 and 1.1 (both pinned in
// devDependencies, test/differential/typeorm.test.ts): the CLI needs -d/--dataSource (yargs demandOption:
// "Missing required argument: dataSource"), never reads ormconfig.* (TypeORM 0.2's) nor .env, hands
// url + ssl + extra to pg.Pool (extra spread last: extra.ssl wins; pg's URL ssl parameters replace both when the
// URL has any), records migrations in `migrations` (migrationsTableName, schema) by class name, takes no lock.
import path from 'node:path'
import type {ToolModel} from './types.js'

export const typeorm: ToolModel = {
  name: 'typeorm',
  packages: ['typeorm'],
  currentRelease: '0.3.27',
  config: {
    // where TypeORM projects keep the data source when no script names it (the CLI itself needs -d)
    files: [
      'data-source.ts',
      'data-source.js',
      'src/data-source.ts',
      'src/data-source.js',
      'src/db/data-source.ts',
      'src/db/data-source.js',
      'src/database/data-source.ts',
      'src/config/data-source.ts',
    ],
    // the CLI reads only the data source named with -d/--dataSource (a script's -d, else db-doctor tries the
    // usual places above); never ormconfig.*; nothing else on the command line changes the connection
    flag: '-d',
  },
  // never reads .env itself
  env: {loads: 'never'},
  // url, ssl and extra go together to pg.Pool, extra spread last (extra.ssl wins); pg's URL ssl parameters
  // (sslmode, sslrootcert…) replace both, but only when the URL has any
  drivers: [{pkg: 'pg', driver: 'node-postgres'}],
  migrations: {
    table: 'migrations',
    dir: path.join('src', 'migrations'),
    command: 'npx typeorm migration:run -d <data-source>',
    // MigrationExecutor: select, insert
    uses: {table: ['SELECT', 'INSERT']},
  },
  // prints "Error during migration run:"
  failure: {exitCode: 1},
  scripts: {
    bin: /(?:^|[\s/'"])typeorm(?:-ts-node-(?:commonjs|esm))?(?:\/cli(?:-ts-node-(?:commonjs|esm))?\.js)?(?=[\s'"]|$)/,
    migrate: /\bmigration:(?:run|revert|show)\b/,
    defaultArgs: 'migration:run',
  },
  // PostgresDriver.createPool: {max: options.poolSize, ...options.extra} → pg.Pool (default 10)
  pool: {setting: 'extra.max', where: 'config', default: 'driver'},
}
