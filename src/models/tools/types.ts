// What a tool model says: how one migration CLI, at the version installed in the app, finds its
// config, gets its environment, hands settings to its driver, what its first migration needs and
// how it fails. One module per tool in this folder, registered in ./index.ts; the name list is
// ./names.ts. Data and pure functions only: loading the tool's config file is a config source
// (src/config/sources/), the checks read the model through the resolved configuration.
import type {DriverName} from '../drivers/types.js'
import type {ToolName} from './names.js'

/** One driver the tool can use: the npm package it imports, and db-doctor's model of it (undefined: not modelled). */
interface DriverCandidate {
  pkg: string
  driver?: DriverName
  /** `pkg` is a driver adapter (src/models/drivers, ADAPTERS) wrapping `driver`: '@prisma/adapter-pg'. */
  adapter?: true
}

export interface ToolModel {
  name: ToolName
  /** npm packages whose installed version is the tool's version, first found wins: ['drizzle-kit']. */
  packages: readonly string[]
  /** The release modelled when the app has none installed (and package.json declares none). */
  currentRelease: string

  /** How its CLI finds its config. */
  config: {
    /** The files it looks for by itself, in its order, relative to the working folder. */
    files: readonly string[]
    /** The flag that names another file, when there is one: '--config' (the precedence of its flags: a comment). */
    flag?: string
  }

  /**
   * Which process reads .env: 'itself' (the CLI loads `.env` of the working folder, as drizzle-kit
   * does with dotenv), 'never' (only what the shell exports or a config file that loads dotenv).
   * knex / node-pg-migrate / Prisma keep their own rules in config/launch.ts ('legacy').
   */
  env: {
    loads: 'itself' | 'never' | 'legacy'
    /** How a tool that loads .env itself does it ('dotenv/config'), for the evidence (config/launch.ts). */
    via?: string
  }

  // How the config becomes the driver's options (merge rules): a comment in the model, the code in its config source.

  /**
   * The drivers it can use, in the order it tries them: the first one installed in the app is the
   * one it uses (drizzle-kit: pg, postgres, @vercel/postgres, @neondatabase/serverless).
   */
  drivers: readonly DriverCandidate[]
  /**
   * What the migration CLI itself connects with, whatever the app's runtime uses: Prisma's schema engine
   * (every version; `drivers` then name the app's runtime, PrismaClient through its driver adapter).
   */
  builtin?: {pkg: string; driver: DriverName}

  /** What its first migration needs, and its defaults. */
  migrations: {
    table: string
    /** The schema of its table, when the tool fixes one (else the first schema of search_path). */
    schema?: string
    /** Default migrations folder, relative to the working folder. */
    dir: string
    /**
     * 'every-run': the tool runs CREATE SCHEMA IF NOT EXISTS on every run, which needs CREATE on the
     * database even when the schema exists (PostgreSQL checks the privilege before IF NOT EXISTS).
     */
    createsSchema?: 'every-run'
    /**
     * The privileges it uses to apply migrations (MIGRATION_TABLE_NO_ACCESS), read from its source and proven
     * with the real CLI where it runs here (test/differential/migration-table-access.test.ts): on its table, on
     * knex's lock table, on its schema. USAGE on the table's own id sequence is read for every tool.
     */
    uses: {table: readonly string[]; lock?: readonly string[]; schema?: readonly string[]}
    /** The command that runs migrations, for fixes: "npx drizzle-kit migrate". */
    command: string
  }

  /** How it fails: exit code (what it prints first: a comment beside it). */
  failure: {exitCode: number}

  /** How package.json scripts run it: the bin in a command line, and its migration commands. */
  scripts: {bin: RegExp; migrate: RegExp; defaultArgs: string}

  /**
   * The app's connection pool as this tool's config sizes it (the connection budget): the setting,
   * where it lives ('config': the tool's config file, 'url': a URL parameter, 'app-code': the app's own
   * driver pool, not in any file db-doctor reads), and its default: a number, 'driver' (the driver's
   * pool default) or 'cpus' (Prisma ≤ 6: physical CPUs × 2 + 1, from Prisma's docs).
   */
  pool: {setting: string; where: 'config' | 'url' | 'app-code'; default: number | 'driver' | 'cpus'}
}

type VersionSource = 'installed' | 'assumed (not installed in the app)'

/**
 * Why the app connects with a driver: the tool tries its candidates in order (the first installed, else the
 * first assumed), knows only one, or runs its own engine (`builtin`); Prisma 6.6–6.19's migrate goes through the
 * driver adapter prisma.config gives it (`through`: the driver that adapter loads, when db-doctor models it);
 * without a tool, the driver the app depends on, else node-postgres assumed.
 */
export type DriverChoice =
  | {by: 'first-installed'; tool: ToolName; candidates: string[]; installed: string | null}
  | {by: 'only'; tool: ToolName; pkg: string}
  | {by: 'builtin'; tool: ToolName; driver: DriverName}
  | {
      by: 'migrate-adapter'
      tool: ToolName
      version: string
      setting: string
      pkg: string | null
      through: string | null
    }
  | {by: 'dependency'; pkg: string}
  | {by: 'default'}

/**
 * The tool and driver db-doctor modelled for a target: the report's `modelled` field once the catalogue has
 * worded `driver.choice` and the stack's `text` ("drizzle-kit 0.31 → postgres.js 3.4": src/catalogue/modelled.ts
 * modelledStackJson, stackText).
 */
export interface ModelledStack {
  /** The migration tool, when the configuration is a tool's (or --tool names one). */
  tool: {name: ToolName; version: string; versionSource: VersionSource} | null
  driver: {
    /** db-doctor's driver model; null when the driver in use is one db-doctor does not model. */
    name: DriverName | null
    /** The npm package the app connects with: "pg", "postgres", "@neondatabase/serverless". */
    package: string
    version: string
    versionSource: VersionSource
    /** Why this driver, as data (src/catalogue/modelled.ts words it as the report's `modelled.driver.why`). */
    choice: DriverChoice
  }
  /**
   * The app's runtime when it connects otherwise than the migration tool: Prisma's PrismaClient through its
   * driver adapter (@prisma/adapter-pg → node-postgres, at the pg version the adapter loads), while the
   * migration CLI runs the schema engine. Absent for every other tool.
   */
  runtime?: {
    adapter: {package: string; version: string; versionSource: VersionSource}
    driver: {name: DriverName; package: string; version: string; versionSource: VersionSource}
  }
  /**
   * Prisma 6.6–6.19: the driver adapter prisma.config gives `prisma migrate` (its package, null when none is
   * named, and the setting), which the migration then connects through.
   */
  migrateAdapter?: {package: string | null; setting: string}
}
