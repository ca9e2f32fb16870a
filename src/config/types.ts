// Resolved configuration: every setting with where it came from (provenance),
// because a fix must point at the file or variable to change.
import type {AppFileFailure, ConfigCode, ConfigParams} from './problem-params.js'
import type {AppLaunch} from './launch.js'
import type {PgpassInspection} from './pgpass.js'
import type {ModelledStack} from '../models/tools/types.js'
import type {ToolName} from '../models/tools/names.js'
import type {Field, FieldName, Provenance} from './field.js'

export type {Field, FieldName, Provenance} from './field.js'

/**
 * A problem found while resolving: its code and the params its words are built from (the catalogue,
 * src/catalogue/config.ts, words it: configProblemSummary; build one with `configProblem()` from
 * src/config/problems.ts).
 */
export type ConfigProblem = {
  [C in ConfigCode]: {
    code: C
    params: ConfigParams[C]
    source: Provenance
    /** Extra, secret-free evidence (masked URL, offending characters, position…). */
    details?: Record<string, unknown>
    /** This case's status when it differs from the code's default (the entry's `statusText` says when). */
    status?: 'fail' | 'warn'
  }
}[ConfigCode]

/** Every tool db-doctor models: the one list in src/models/tools/names.ts. */
export type MigrationToolName = ToolName

/** A migration tool found in the project (or named with --tool), with what the checks need of it. */
export interface MigrationToolInfo {
  name: MigrationToolName
  /** What gave it away: "knexfile.cjs", "prisma/schema.prisma", "package.json dependency", "--tool". */
  detectedBy: string
  /** The migrations table, its schema when the tool sets one (else the first schema of search_path). */
  table: string
  schema?: string
  /** Where the setting for the schema comes from ("knexfile.cjs migrations.schemaName", "?schema= in DATABASE_URL"). */
  schemaSource?: string
  /** Absolute migration directories, and the same as the user reads them. */
  directories: string[]
  displayDirectories: string[]
  /** Where the folder is set ("knexfile.js migrations.directory", "knex default ./migrations beside config/knexfile.cjs"). */
  directorySource?: string
  /** knex: loadExtensions. */
  extensions?: string[]
  /** TypeORM: the data source's migrationsTransactionMode, when set. */
  transactionMode?: 'all' | 'each' | 'none'
  /**
   * Prisma 6.6–6.19: prisma.config.* gives `prisma migrate` a driver adapter (models/tools/prisma.ts
   * prismaMigrateAdapterRule): the Wasm schema engine connects through it, not the Rust one. `package` is the
   * adapter's (its factory's adapterName: "@prisma/adapter-pg"), null when the call did not say.
   */
  migrateAdapter?: {package: string | null; setting: string}
  /** Prisma: datasource directUrl / shadowDatabaseUrl set. */
  directUrl?: boolean
  shadowDatabaseUrl?: boolean
  /** Prisma: the url is the pooled one (no directUrl) — what migrate runs through. */
}

/** A source that lost; `stringDecides`: a field its own layer's connection string decides instead. */
export type Shadowed = Provenance & {stringDecides?: FieldName}

export interface ResolvedConfig {
  /** Migration tools found in the project, in source order (knexfile, Prisma, node-pg-migrate). */
  tools?: MigrationToolInfo[]
  /** Effective settings; absent means nobody set it and there is no default. */
  fields: Partial<Record<FieldName, Field<string>>>
  /**
   * The connection string in play, if any. Holds the password: never print it,
   * never put it in evidence. Use redactUrl() from core/redact.
   */
  connectionString?: Field<string>
  /** The source that supplied the connection (URL or family); null when only defaults. */
  primary: Provenance | null
  /**
   * Sources that were present but lost to a higher-precedence one, and (`stringDecides`) the fields of the
   * primary source that its own connection string decides (node-postgres: Object.assign({}, config, parse(url))).
   */
  shadowed: Shadowed[]
  /** The app's own ssl object (knexfile `connection.ssl`, …) when one is configured. */
  appSsl?: Field<unknown>
  /** An ssl setting the tool drops before its driver sees it (drizzle-kit: dbCredentials.ssl next to url). */
  droppedSsl?: Field<unknown>
  /**
   * Who parses `connectionString` in the app: knex parses a string `connection` itself (with the
   * pg-connection-string it pins), everything else reaches pg's own parser; `dir` is where the
   * app's packages are resolved from (the knexfile's folder, else the working folder).
   */
  urlParser?: {by: 'knex' | 'pg'; dir: string}
  /** Problems found while resolving; the config check reports them. */
  problems: ConfigProblem[]
  /** True when no source configured a connection and only defaults apply. */
  notFound: boolean
  /** The app's migration tool, how it is launched and the versions installed (config/launch.ts). */
  launch?: AppLaunch
  /** The tool and driver modelled, at the versions installed in the app (src/models/tools). */
  stack?: ModelledStack
  /** The pool size the app's config file sets (knexfile pool.max, TypeORM extra.max, sequelize pool.max). */
  pool?: Field<number>
  /**
   * How long the app's pool keeps an idle connection, as its config file sets it (knexfile pool.min /
   * idleTimeoutMillis, sequelize pool.min / pool.idle, TypeORM extra.min / extra.idleTimeoutMillis).
   */
  poolIdle?: Field<PoolIdle>
  /**
   * How many app processes share the server (--instances, else the replicas of the Kubernetes
   * manifests in the folder: config/replicas.ts); absent: not stated (one is assumed).
   */
  instances?: Field<number> & {details?: string[]}
  /** Workloads in Helm templates (not rendered, not counted in instances): file and replicas expression as written. */
  templatedReplicas?: {file: string; replicas: string}[]
}

/** What a configuration source contributes. Adding a source is one file in config/sources/. */
export interface SourceLayer {
  /** Provenance of the layer as a whole (used for `primary`). */
  origin: Provenance
  /** A connection string this layer supplies (URL or libpq key=value). */
  connectionString?: Field<string>
  /** Discrete fields this layer supplies. */
  fields: Partial<Record<FieldName, Field<string>>>
  appSsl?: Field<unknown>
  /** Set when the app hands connectionString to knex as a string (knex parses it itself); dir: the knexfile's folder. */
  stringParsedBy?: {by: 'knex'; dir: string}
  /** Problems the source found in its own file (a knexfile that throws, a missing environment…). */
  problems?: ConfigProblem[]
  /** The migration tool this source belongs to, whether or not it supplies the connection. */
  tool?: MigrationToolInfo
  /** The password file's answer for the fields resolved so far (the pgpass source), kept for the checks. */
  pgpass?: PgpassInspection
  /** An ssl setting the tool itself throws away (drizzle-kit drops dbCredentials.ssl next to dbCredentials.url). */
  droppedSsl?: Field<unknown>
  /** The app's pool size as this config file sets it (the connection budget). */
  pool?: Field<number>
  /** The pool's idle settings as this config file sets them (the server's idle_session_timeout). */
  poolIdle?: Field<PoolIdle>
}

/** A pool's idle settings as written (undefined: not set, the pool's default applies). */
interface PoolIdle {
  /** Connections kept however long they idle (knex/tarn, sequelize-pool, pg.Pool: min). */
  min?: number
  /** How long a connection above min may idle, in ms (sequelize's pool.idle). */
  idleTimeoutMillis?: number
}

export interface SourceContext {
  cwd: string
  env: Record<string, string | undefined>
  /** The CONNECTION argument, if given. */
  connection?: string
  /** Which file each env var came from when it came from an env file. */
  envFileOf: (name: string) => string | undefined
  knexEnv?: string
  knexfile?: string
  /** --tool: the migration tool the user named (it lets a knexfile in a parent folder be loaded). */
  tool?: MigrationToolName
  /** Budget for loading an app file (knexfile, prisma.config.ts): --timeout. */
  appTimeoutMs?: number
  /**
   * The env file was named with --env-file: the user says this is the environment the app runs
   * with, so the migration tool's own loading of .env is not second-guessed.
   */
  envFileExplicit?: boolean
  /** --instances: how many app processes run with this configuration. */
  instances?: number
  /**
   * The words a source puts in a label (the knexfile's "knexfile.js (failed to load: …)"): the catalogue's,
   * passed in by the app (app/diagnose.ts), as the runner is given its words. Without them (a source run
   * alone, in a test) takes them from the catalogue too: src/catalogue/app-files.ts sourceWords.
   */
  words: SourceWords
}

/** What the sources word through the app (catalogue/app-files.ts sourceWords). */
export interface SourceWords {
  appFileFailure(f: AppFileFailure): string
  /** The label of a knexfile that failed to load: "knexfile.js (failed to load: …)". */
  knexfileFailed(p: {file: string; failure: AppFileFailure} | {file: string; missingEnvironment: string}): string
  /** What a label adds for the setting `prisma migrate` connects with (directUrl, a migrate adapter). */
  prismaMigrateUse(): string
  /** The label of node-pg-migrate's --reject-unauthorized (or --no-reject-unauthorized) in a package.json script. */
  rejectUnauthorizedFlag(p: {flag: string; script: string; value: boolean}): string
}

/**
 * What the resolver actually passes to load(): the SourceContext plus the fields
 * resolved so far (fill sources such as defaults and pgpass depend on them).
 */
export interface ResolvingContext extends SourceContext {
  fields: Readonly<Partial<Record<FieldName, Field<string>>>>
}

export interface ConfigSource {
  id: string
  /**
   * 'primary' sources compete: the first (in registry order) that returns a layer
   * supplies the connection. 'fill' sources fill what is still missing, in order.
   */
  role: 'primary' | 'fill'
  load(ctx: SourceContext): Promise<SourceLayer | null> | SourceLayer | null
}
