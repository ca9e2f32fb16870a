// The tool registry: one model per tool (./<tool>.ts), by name (./names.ts). Data only, no driver
// code: config/launch.ts reads it without pulling the driver models in.
import {drizzleKit} from './drizzle-kit.js'
import {knex} from './knex.js'
import type {ToolName} from './names.js'
import {nodePgMigrate} from './node-pg-migrate.js'
import {prisma} from './prisma.js'
import {sequelizeCli} from './sequelize-cli.js'
import type {ToolModel} from './types.js'
import {typeorm} from './typeorm.js'

export const TOOLS: Record<ToolName, ToolModel> = {
  knex,
  prisma,
  'node-pg-migrate': nodePgMigrate,
  'drizzle-kit': drizzleKit,
  typeorm,
  'sequelize-cli': sequelizeCli,
}
