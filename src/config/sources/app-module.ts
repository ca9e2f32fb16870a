// Loading an app's JS/TS config module the way its tool would (TypeORM's data source, sequelize-cli's
// config.js and .sequelizerc, drizzle.config.ts). LOADING IT RUNS ITS CODE, as the tool's CLI would: it runs in a child
// with limits (config/app-code.ts: --timeout, a memory cap, output captured, the app's environment
// and nothing else), read first through the guarded opener; the packages the tool itself provides
// are stand-ins there (nothing connects and the tool need not be installed), dotenv does nothing
// (db-doctor models who reads .env, config/launch.ts).
import path from 'node:path'
import {AppCodeError, AppCodeLimitError, runAppFile} from '../app-code.js'
import {configProblem} from '../problems.js'
import type {AppFileFailure} from '../problem-params.js'
import type {Provenance, SourceLayer} from '../types.js'
import type {AppModuleTool} from '../../models/tools/names.js'
import {FileReadError, readGuardedText} from '../../core/files.js'
import {redactor, registerSecretsInSource} from '../../core/redact.js'

/**
 * Run `file` in the working folder `cwd` and return `{default}` (its default export, or the module
 * when it has none; `callDefault`: a function called and awaited; `drizzle-config`: awaited, the
 * `drizzle-kit` package a stand-in whose defineConfig returns its argument) — for `kind: 'typeorm'`,
 * `{options}`: the DataSource options it exports. Throws what the file throws, or an
 * AppCodeLimitError.
 */
export async function loadAppModule(
  file: string,
  opts: {
    label: string
    cwd: string
    env: Record<string, string | undefined>
    timeoutMs?: number
    kind?: 'typeorm' | 'drizzle-config' | 'module'
    callDefault?: boolean
  },
): Promise<Record<string, unknown> | undefined> {
  if (file.endsWith('.json')) {
    const v = JSON.parse(readGuardedText(file, 'config file')) as unknown
    return v && typeof v === 'object' ? {default: v} : undefined
  }
  const source = readGuardedText(file, 'config file')
  registerSecretsInSource(source)
  const value = await runAppFile({
    kind: opts.kind ?? 'module',
    file: path.resolve(file),
    source,
    dir: opts.cwd,
    env: opts.env,
    timeoutMs: opts.timeoutMs,
    label: opts.label,
    ...(opts.callDefault ? {callDefault: true} : {}),
  })
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined
}

/** The first line of what loading an app file threw, redacted. */
function firstLineOf(error: unknown): string {
  return redactor.redact(String((error as Error)?.message ?? error).split('\n')[0]!)
}

/**
 * Why loading an app file failed, as CONFIG_APP_FILE_ERROR shows it: the first line of what the file
 * threw (redacted), or data for the catalogue when db-doctor's guarded opener or the child loading the
 * file failed (its reason, how the child ended, the limit it reached).
 */
export function failureOf(error: unknown): AppFileFailure {
  if (error instanceof FileReadError) return {kind: 'unreadable', reason: error.reason}
  if (error instanceof AppCodeLimitError) return {kind: 'limit', limit: error.limit, amount: error.amount}
  if (error instanceof AppCodeError)
    return {
      kind: 'ended',
      end: error.end.how === 'spawn' ? {how: 'spawn', message: firstLineOf(error.end.message)} : error.end,
    }
  return firstLineOf(error)
}

/** The layer of a tool's config file that failed to load: CONFIG_APP_FILE_ERROR, nothing else from it. */
export function toolConfigFailed(
  origin: Provenance,
  file: string,
  tool: string,
  message: AppFileFailure,
  evidence: Record<string, unknown> = {},
): SourceLayer {
  return {
    origin,
    fields: {},
    problems: [
      configProblem(
        'CONFIG_APP_FILE_ERROR',
        origin,
        {case: 'tool-config-failed', file, tool, error: message},
        {file, message, tool, ...evidence},
      ),
    ],
  }
}

/** The layer of an app file stopped at a limit: CONFIG_APP_FILE_LIMIT, nothing else from it. */
export function appFileLimit(
  origin: Provenance,
  file: string,
  tool: AppModuleTool | 'prisma',
  error: AppCodeLimitError,
  environment: string | null = null,
): SourceLayer {
  return {
    origin,
    fields: {},
    problems: [
      configProblem(
        'CONFIG_APP_FILE_LIMIT',
        origin,
        {file, tool, environment, limit: error.limit, amount: error.amount},
        {
          file,
          ...(environment ? {environment} : {}),
          [error.limit === 'time' ? 'budgetMs' : 'memoryCapMiB']: error.amount,
          stopped: true,
          ...(error.lastOutput ? {lastOutput: redactor.redact(error.lastOutput)} : {}),
        },
      ),
    ],
  }
}
