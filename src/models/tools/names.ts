// Every migration tool db-doctor models, once. `--tool` accepts exactly these names, the config
// types, the launch model and the checks take their type from here: adding a tool is one name
// here plus one module in this folder (see docs/tools.md).
export const TOOL_NAMES = ['knex', 'prisma', 'node-pg-migrate', 'drizzle-kit', 'typeorm', 'sequelize-cli'] as const

export type ToolName = (typeof TOOL_NAMES)[number]

export function isToolName(name: string): name is ToolName {
  return (TOOL_NAMES as readonly string[]).includes(name)
}
