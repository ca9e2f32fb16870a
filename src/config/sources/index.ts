// The ordered registry of configuration sources. Adding a source is one file in
// this folder plus one line here.
//
// 'primary' sources compete: the first one (in this order) that returns a layer
// supplies the connection; every later primary that also returns a layer is
// recorded in ResolvedConfig.shadowed. 'fill' sources then fill, in order, the
// fields that are still missing (never overriding).
//
// Precedence (highest first):
//   1. CONNECTION argument
//   1b. the app's own config file (knexfile, then Prisma schema / prisma.config.ts,
//       then node-pg-migrate's variable or config, then drizzle.config.*), because that is what the app actually uses
//   2. DATABASE_URL, then POSTGRES_URL
//   3. DB_*, then DATABASE_*, then SUPABASE_DB_* (first family with any variable set)
//   4. PG* variables (fill), then defaults (fill), then ~/.pgpass / PGPASSFILE (password)
import type {ConfigSource} from '../types.js'
import {argumentSource} from './argument.js'
import {defaultsSource} from './defaults.js'
import {databaseFamilySource, dbFamilySource, supabaseFamilySource} from './env-family.js'
import {databaseUrlSource, postgresUrlSource} from './env-url.js'
import {drizzleKitSource} from './drizzle-kit.js'
import {knexfileSource} from './knexfile.js'
import {nodePgMigrateSource} from './node-pg-migrate.js'
import {pgEnvSource} from './pg-env.js'
import {prismaSource} from './prisma.js'
import {sequelizeCliSource} from './sequelize-cli.js'
import {typeormSource} from './typeorm.js'
import {pgpassSource} from './pgpass.js'

export const sources: readonly ConfigSource[] = [
  // 1. explicit argument
  argumentSource,
  // 1b. the app's own config file
  knexfileSource,
  prismaSource,
  typeormSource,
  sequelizeCliSource,
  nodePgMigrateSource,
  drizzleKitSource,
  // 2. connection URLs in the environment
  databaseUrlSource,
  postgresUrlSource,
  // 3. discrete variable families
  dbFamilySource,
  databaseFamilySource,
  supabaseFamilySource,
  // 4. node-postgres' own environment, then defaults, then the password file
  pgEnvSource,
  defaultsSource,
  pgpassSource,
]
