// The migration tools the checks after the login look at: those found in the project
// (knexfile, Prisma schema, node-pg-migrate in package.json, see config/sources) or the one named
// with --tool (its defaults when the project does not configure it). Pure.
import path from 'node:path'
import {sessionSays} from '../catalogue/session.js'
import {poolerRefusal} from './pooler-refusal.js'
import type {MigrationToolInfo, MigrationToolName} from '../config/types.js'
import type {DbSession} from '../probes/session.js'
import type {CheckOutcome} from '../core/types.js'
import type {CheckContext} from './types.js'
import {TOOLS} from '../models/tools/registry.js'

/** The tool's default table, schema and folder (src/models/tools/<tool>.ts `migrations`). */
const DEFAULTS = (name: MigrationToolName): {table: string; dir: string; schema?: string} => TOOLS[name].migrations

export function migrationTools(ctx: Pick<CheckContext, 'config' | 'options' | 'cwd'>): MigrationToolInfo[] {
  const found = ctx.config.tools ?? []
  const named = ctx.options.tool
  if (!named) return found
  const match = found.filter((t) => t.name === named)
  if (match.length) return match
  const d = DEFAULTS(named)
  const dir = path.resolve(ctx.cwd, d.dir)
  return [
    {
      name: named,
      detectedBy: '--tool',
      table: d.table,
      ...(d.schema ? {schema: d.schema, schemaSource: `${named} default (${d.schema})`} : {}),
      directories: [dir],
      displayDirectories: [d.dir],
      directorySource: `${named} default ./${d.dir}`,
    },
  ]
}

/**
 * What the checks that read the migration tool's state start with: the tools found (else a skip,
 * naming --tool) and the run's shared read-only session (else a skip pointing at the auth check).
 */
export async function toolSession(
  ctx: CheckContext,
): Promise<{ok: true; tools: MigrationToolInfo[]; session: DbSession} | {ok: false; skip: CheckOutcome}> {
  const skip = (summary: string, evidence: CheckOutcome['evidence']) => ({
    ok: false as const,
    skip: {status: 'skip' as const, code: null, summary, evidence, fix: null},
  })
  const tools = migrationTools(ctx)
  if (!tools.length) return skip(sessionSays.noTool(), {reason: 'no migration tool'})
  if (!ctx.session) return skip(sessionSays.noSession(), {})
  const opened = await ctx.session.open()
  if (!opened.ok) {
    return skip(sessionSays.loginFailed({code: opened.error.code, byPooler: !!poolerRefusal(opened.error)}), {
      loginError: opened.error.code,
    })
  }
  return {ok: true, tools, session: opened.session}
}
