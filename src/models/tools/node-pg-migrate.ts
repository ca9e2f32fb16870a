// node-pg-migrate 9. Config and .env rules live in config/sources/node-pg-migrate.ts and
// config/launch.ts (env.loads 'legacy'); this is its model's face for the framework.
import type {ToolModel} from './types.js'

export const nodePgMigrate: ToolModel = {
  name: 'node-pg-migrate',
  packages: ['node-pg-migrate'],
  currentRelease: '9.0.0',
  config: {
    files: ['.node-pg-migraterc'],
    // DATABASE_URL (or --database-url-var), or a config file named with --config-file; --envPath
    flag: '--database-url-var',
  },
  // loads .env itself when dotenv is installed in the app
  env: {loads: 'legacy'},
  // the URL goes to pg as connectionString
  drivers: [{pkg: 'pg', driver: 'node-postgres'}],
  migrations: {
    table: 'pgmigrations',
    schema: 'public',
    dir: 'migrations',
    command: 'npx node-pg-migrate up',
    // select the names, INSERT INTO pgmigrations (with only SELECT, information_schema hides the primary key
    // and it tries ALTER TABLE … ADD PRIMARY KEY)
    uses: {table: ['SELECT', 'INSERT']},
  },
  // prints the driver's error message
  failure: {exitCode: 1},
  scripts: {
    bin: /(?:^|[\s/'"])node-pg-migrate(?:\.js)?(?=[\s'"]|$)/,
    migrate: /node-pg-migrate(?:\.js)?['"]?\s+(?:up|down|redo)\b|node-pg-migrate(?:\.js)?['"]?\s*$/,
    defaultArgs: 'up',
  },
  // migrations use one client; the app's own pool is in its code
  pool: {setting: 'max', where: 'app-code', default: 'driver'},
}
