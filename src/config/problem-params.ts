// The config check's codes and the params each problem records: data the resolver and the sources
// build (src/config/problems.ts) and the catalogue words (src/catalogue/config.ts). No words here.
import type {ConnectionStringProblem, EncodingIssue} from './connection-string.js'
import type {Provenance} from './field.js'
import type {MigrationTool} from './launch.js'
import type {ConfigNotReadTool} from '../models/tools/names.js'
import type {DriverChoice, ModelledStack} from '../models/tools/types.js'
import type {AppCodeEnd} from './app-code.js'
import type {FileReason} from '../core/files.js'

/** Every problem's params name the setting's source (the file or variable to change). */
export interface Sourced {
  source: Provenance
}

export type UrlInvalidParams = Sourced & {
  /** The string (or port) comes from the connection string in play. */
  fromString: boolean
  /** What the text looks like: url, keyvalue, socket… */
  kind?: string
  dotenvCut?: boolean
  /** The URL as it should read, masked. */
  maskedUrl?: string
} & (
    | {case: 'port-not-a-number' | 'port-out-of-range'; value: string}
    | {case: 'cut-by-dotenv'}
    | {case: 'unparsable'; problem: ConnectionStringProblem; position?: number}
    | {case: 'hostless'; problem: ConnectionStringProblem}
  )

export type PasswordNotEncodedParams = Sourced & {
  /** The parts that hold the characters (the catalogue says "password", "user name", "user name and password"). */
  parts: EncodingIssue['parts']
  /** The parts, as evidence names them: "password", "user, password". */
  part: string
  characters: string[]
  maskedUrl: string
  /** dotenv cut the unquoted value at "#". */
  dotenvCut: boolean
}

export type PasswordLenientParams = Sourced & {
  parts: EncodingIssue['parts']
  part: string
  characters: string[]
  maskedUrl: string
  /** Characters libpq reads differently: '"@"', '"%"'. */
  libpqBreaks: string[]
}

export type SslmodeInvalidParams = Sourced & {
  value: string
  /** The connection string in play, masked, when the setting is in it. */
  maskedString?: string
} & ({param: 'sslmode'; suggestion?: string} | {param: 'ssl'; suggestion: 'sslmode=disable' | 'sslmode=verify-full'})

/**
 * Why an app file failed to load. Text when the words are not db-doctor's: the first line of what the
 * file threw (redacted), or the tool's own message (verbatim). Else data the catalogue words
 * (catalogue/app-files.ts): the guarded opener's reason, how the child loading it ended, the limit it
 * was stopped at, or (TypeORM) that the file a script names does not exist.
 */
export type AppFileFailure =
  | string
  | {kind: 'unreadable'; reason: FileReason}
  | {kind: 'ended'; end: AppCodeEnd}
  | {kind: 'limit'; limit: 'time' | 'memory'; amount: number}
  | {kind: 'missing'; how: string}

export type AppFileErrorParams = Sourced &
  (
    | {case: 'knexfile-missing'; file: string}
    | {case: 'knex-environment-missing'; file: string; environment: string; environments: string[]}
    | {case: 'knexfile-failed'; file: string; environment: string; error: AppFileFailure; errorName: string | null}
    | {case: 'prisma-env-unset'; file: string; setting: string; variable: string; empty: boolean; directUrl: boolean}
    /** a tool's own config file (drizzle.config.ts, …; src/models/tools) throws while loading */
    | {case: 'tool-config-failed'; file: string; tool: string; error: AppFileFailure}
    /** sequelize-cli's use_env_variable names a variable that is not set: "Error parsing url: undefined". */
    | {
        case: 'tool-env-unset'
        tool: 'sequelize-cli'
        file: string
        setting: string
        variable: string
        environment: string
      }
    /** sequelize-cli: the environment's section is not a postgres one (another dialect, or none). */
    | {
        case: 'tool-environment-missing'
        tool: 'sequelize-cli'
        file: string
        environment: string
        environments: string[]
      }
  )

/** What the migration tool does without the env file. */
export type WithoutEnvFile =
  | {kind: 'stops'; problem: ConfigProblemWords}
  | {kind: 'no-password'; target: string | null}
  | {kind: 'other-target'; target: string}
  /** knex with an empty connection (undefined / ''): no pool, "Unable to acquire a connection", no server asked. */
  | {kind: 'no-connection'; file: string}

export type EnvFileParams = Sourced & {
  /** The migration tool, or 'node': an app without one whose package.json scripts run node files that connect. */
  tool: MigrationTool | 'node'
  version: string
  envFile: string
  /** The env file's variables the connection uses (else the fields that differ). */
  variables: string[]
  fields: string[]
  /** The package.json script that runs the tool. */
  script?: {name: string; segment: string}
  /** The file the script's loader loads instead, when it loads another. */
  otherFile?: string
  /** No script runs the tool: the other files that do (LOADER_UNKNOWN), or [] when none does (run by hand). */
  launchers?: string[]
  without: WithoutEnvFile
}

export type NotFoundParams = Sourced &
  (
    | {case: 'defaults'; target: string; otherEnvFiles: string[]}
    | {case: 'empty-knexfile'; label: string; file: string; environment: string | null}
  )

export type KnexfileNotFoundParams = Sourced & {
  /** The knexfile the knex CLI does not look for (display path, e.g. "knexfile.cjs"). */
  file: string
  /** The package.json script that runs the knex CLI without `--knexfile`, when one does. */
  script?: {name: string; command: string; segment: string}
}

/**
 * A config file of drizzle-kit or TypeORM that the tool's CLI does not read where db-doctor found it:
 * - 'not-looked-for': drizzle.config.mjs/.cjs/.mts/.cts (drizzle-kit looks only for .ts, .js, .json);
 * - 'named-missing': the script's --config names a file that does not exist;
 * - 'ormconfig': an ormconfig.* and no data source (the TypeORM 0.3+ CLI reads only -d <data source>);
 * - 'no-data-source-flag': a script runs `typeorm migration:…` without -d (the CLI requires it).
 */
export type ToolConfigNotReadParams = Sourced & {
  tool: ConfigNotReadTool
  case: 'not-looked-for' | 'named-missing' | 'ormconfig' | 'no-data-source-flag'
  /** The file found (display path). */
  file: string
  /** drizzle-kit: the absolute path it looks for and reports missing. */
  missingPath?: string
  /** The installed tool's version, when installed. */
  version?: string
  /** The package.json script that runs the CLI, when one does. */
  script?: {name: string; command: string; segment: string}
  /** db-doctor still read the file to check the connection it configures. */
  read: boolean
}

/** Prisma 7: URLs in the schema's datasource are a validation error (P1012) for every command. */
export type PrismaUrlInSchemaParams = Sourced & {
  file: string
  properties: string[]
  major: number
  config: string | null
}
/** Prisma 7: no datasource.url in prisma.config.ts (or no prisma.config.ts): migrate deploy stops. */
export type PrismaConfigUrlMissingParams = Sourced & {file: string; exists: boolean; major: number}

export type DriverUnmodelledParams = Sourced & {
  /** The migration tool that picks the driver, when one does. */
  tool: string | null
  /** The npm package the app connects with. */
  package: string
  /** Why this driver (the catalogue words it: driverChoiceText). */
  why: DriverChoice
}

export type ToolUnmodelledParams = Sourced & {
  /** The migration tool db-doctor does not model ("kysely-ctl", "mikro-orm", "umzug"). */
  tool: string
  /** The package.json script that runs it, when one does. */
  script: string | null
  /** The dependency that shows it, when one does. */
  dependency: string | null
  /** What db-doctor modelled instead (worded "node-postgres 8.16", "knex 3.3 → node-postgres 8.16"). */
  modelled: ModelledStack
}

export type StartupParamParams = Sourced & {
  driver: string
  version: string
  /** The URL parameters the server rejects as startup parameters, as written. */
  params: string[]
  /** The URL without them, password masked (for the snippet), when the URL is in a variable or argument. */
  maskedUrl?: string
  /** The migration tool the URL belongs to, when one. */
  tool?: string
}

/** An app file stopped at a limit of the child that runs it (config/app-code.ts). */
export type AppFileLimitParams = Sourced & {
  /** The app file (display path). */
  file: string
  /** every tool whose config is a file of the app's code (all but node-pg-migrate, configured by flags and env) */
  tool: Exclude<MigrationTool, 'node-pg-migrate'>
  /** knex, sequelize-cli: the environment loaded. */
  environment: string | null
  limit: 'time' | 'memory'
  /** The budget in ms (time) or the cap in MiB (memory). */
  amount: number
}

/** The params of each config code. */
export interface ConfigParams {
  CONFIG_PRISMA_URL_IN_SCHEMA: PrismaUrlInSchemaParams
  CONFIG_PRISMA_CONFIG_URL_MISSING: PrismaConfigUrlMissingParams
  CONFIG_DRIVER_UNMODELLED: DriverUnmodelledParams
  CONFIG_TOOL_UNMODELLED: ToolUnmodelledParams
  CONFIG_UNKNOWN_SERVER_PARAMETER: StartupParamParams
  CONFIG_KNEXFILE_NOT_FOUND: KnexfileNotFoundParams
  CONFIG_TOOL_CONFIG_NOT_READ: ToolConfigNotReadParams
  CONFIG_URL_INVALID: UrlInvalidParams
  CONFIG_PASSWORD_NOT_ENCODED: PasswordNotEncodedParams
  CONFIG_PASSWORD_ENCODING_LENIENT: PasswordLenientParams
  CONFIG_SSLMODE_INVALID: SslmodeInvalidParams
  CONFIG_APP_FILE_ERROR: AppFileErrorParams
  CONFIG_APP_FILE_LIMIT: AppFileLimitParams
  CONFIG_ENV_FILE_NOT_LOADED: EnvFileParams
  CONFIG_ENV_FILE_LOADER_UNKNOWN: EnvFileParams
  CONFIG_NOT_FOUND: NotFoundParams
}

export type ConfigCode = keyof ConfigParams

/** A problem's code with its params: what the catalogue words. */
export type ConfigProblemWords = {[C in ConfigCode]: {code: C; params: ConfigParams[C]}}[ConfigCode]

/**
 * Each code's default status (a problem's own `status` overrides it; the catalogue entry's `statusText`
 * says when): data, so the resolver can tell a failure from a warning without the words.
 */
export const CONFIG_DEFAULT_STATUS: {readonly [C in ConfigCode]: 'fail' | 'warn'} = {
  CONFIG_PRISMA_URL_IN_SCHEMA: 'fail',
  CONFIG_PRISMA_CONFIG_URL_MISSING: 'fail',
  CONFIG_DRIVER_UNMODELLED: 'warn',
  CONFIG_TOOL_UNMODELLED: 'warn',
  CONFIG_UNKNOWN_SERVER_PARAMETER: 'fail',
  CONFIG_KNEXFILE_NOT_FOUND: 'fail',
  CONFIG_TOOL_CONFIG_NOT_READ: 'fail',
  CONFIG_URL_INVALID: 'fail',
  CONFIG_PASSWORD_NOT_ENCODED: 'fail',
  CONFIG_PASSWORD_ENCODING_LENIENT: 'warn',
  CONFIG_SSLMODE_INVALID: 'fail',
  CONFIG_APP_FILE_ERROR: 'fail',
  CONFIG_APP_FILE_LIMIT: 'fail',
  CONFIG_ENV_FILE_NOT_LOADED: 'fail',
  CONFIG_ENV_FILE_LOADER_UNKNOWN: 'warn',
  CONFIG_NOT_FOUND: 'warn',
}
