// Every migration tool db-doctor models, once. `--tool` accepts exactly these names, the config
// types, the launch model and the checks take their type from here: adding a tool is one name
// here plus one module in this folder (see docs/tools.md).
export const TOOL_NAMES = ['knex', 'prisma', 'node-pg-migrate', 'drizzle-kit', 'typeorm', 'sequelize-cli'] as const

export type ToolName = (typeof TOOL_NAMES)[number]

export function isToolName(name: string): name is ToolName {
  return (TOOL_NAMES as readonly string[]).includes(name)
}

// Tools that share one behaviour, named from the list above: Tools<…> takes only names of TOOL_NAMES (a name
// that is not a tool fails to compile), so the unions of the checks and the catalogue are never written by hand.
type Tools<T extends ToolName> = T

/** The tools that serialise migration runs with a PostgreSQL advisory lock (the migrations check names its holder). */
export type AdvisoryLockTool = Tools<'prisma' | 'node-pg-migrate'>

/** The tools that read every migrations folder before comparing, and stop at a missing one (ENOENT scandir). */
export type ScandirTool = Tools<'knex' | 'node-pg-migrate'>

/** The tools whose CLI reads its config only from certain files or flags (CONFIG_TOOL_CONFIG_NOT_READ names the file it skips). */
export type ConfigNotReadTool = Tools<'drizzle-kit' | 'typeorm'>

/** The tools whose config is a module of the app's own code that db-doctor runs in a child (config/sources/app-module.ts). */
export type AppModuleTool = Tools<'typeorm' | 'sequelize-cli' | 'drizzle-kit'>

/** The tools that require('pg') at run time (Prisma ≤ 6 has its own engine; Prisma 7 needs an adapter package). */
export const PG_LOADING_TOOLS = [
  'knex',
  'node-pg-migrate',
  'typeorm',
  'sequelize-cli',
] as const satisfies readonly ToolName[]
