// The migration tools the checks after the login look at: those found in the project
// (knexfile, Prisma schema, node-pg-migrate in package.json, see config/sources) or the one named
// with --tool (its defaults when the project does not configure it). Pure.
import path from 'node:path'
import type {MigrationToolInfo, MigrationToolName} from '../config/types.js'
import type {CheckContext} from '../core/types.js'

const DEFAULTS: Record<MigrationToolName, {table: string; dir: string; schema?: string}> = {
  knex: {table: 'knex_migrations', dir: 'migrations'},
  prisma: {table: '_prisma_migrations', dir: path.join('prisma', 'migrations'), schema: 'public'},
  'node-pg-migrate': {table: 'pgmigrations', dir: 'migrations', schema: 'public'},
}

export function migrationTools(ctx: Pick<CheckContext, 'config' | 'options' | 'cwd'>): MigrationToolInfo[] {
  const found = ctx.config.tools ?? []
  const named = ctx.options.tool
  if (!named) return found
  const match = found.filter((t) => t.name === named)
  if (match.length) return match
  const d = DEFAULTS[named]
  const dir = path.resolve(ctx.cwd, d.dir)
  return [
    {
      name: named,
      detectedBy: '--tool',
      table: d.table,
      ...(d.schema ? {schema: d.schema, schemaSource: `${named} default (${d.schema})`} : {}),
      directories: [dir],
      displayDirectories: [d.dir],
    },
  ]
}

/** "no migration tool found (no knexfile, Prisma schema or node-pg-migrate in package.json); name one with --tool" */
export const NO_TOOL =
  'no migration tool found here (no knexfile, Prisma schema, or node-pg-migrate in package.json); name one with --tool knex|prisma|node-pg-migrate'
