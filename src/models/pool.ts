// The app's connection pool, as its own configuration sizes it (the connection budget of the server
// check): the tool's config when it sets the size (knexfile pool.max, TypeORM extra.max / poolSize,
// sequelize pool.max, read by the config sources from the file they already load), Prisma ≤ 6's
// connection_limit URL parameter, else the tool's or the driver's default. Pure: the caller passes the
// resolved settings and the machine's CPU count.
import {DRIVERS} from './drivers/index.js'
import type {DriverName} from './drivers/types.js'
import type {ToolName} from './tools/names.js'
import {TOOLS} from './tools/registry.js'

export interface AppPool {
  /** Connections one app process opens at most. */
  size: number
  /**
   * 'config': set in the app's config (`source` says where); 'default': the tool's or the driver's
   * default; 'docs': Prisma ≤ 6's default, modelled from its documentation (CPUs × 2 + 1).
   */
  origin: 'config' | 'default' | 'docs'
  /** The setting that sizes it: 'pool.max', 'connection_limit', 'extra.max', 'max'. */
  setting: string
  /** Where the setting lives: the tool's config file, a URL parameter, or the app's own code. */
  where: 'config' | 'url' | 'app-code'
  /** The provenance label of the value when the config sets it. */
  source: string | null
  /** Whose pool: the tool, else the driver package. */
  owner: string
  /** Prisma ≤ 6's default: the CPU count used (db-doctor's machine). */
  cpus?: number
  /** Prisma 7: the pool is the driver adapter's (pg.Pool), sized in app code. */
  prisma7?: boolean
}

interface PoolInput {
  tool: ToolName | null
  driver: {name: DriverName | null; package: string}
  /** The size the app's config file sets (knexfile pool.max…), with its provenance label. */
  configured?: {value: number; label: string}
  /** The query parameters of the connection string, as pg reads them (Prisma's connection_limit). */
  urlParams?: Record<string, string> | null
  /** Where the connection string comes from. */
  urlSource?: string | null
  /** The installed Prisma major, when known. */
  prismaMajor?: number | null
  cpus: number
}

/** A pool size as a config writes it: a positive integer (a numeric string too), else undefined. */
export function poolSizeOf(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value
  return typeof n === 'number' && Number.isInteger(n) && n > 0 && n < 1_000_000 ? n : undefined
}

/**
 * A pool's idle settings as a config writes them: `minKey` (connections kept however long they idle)
 * and `idleKey` (how long one above min may idle, ms), non-negative integers; undefined when neither
 * is set. knexfile pool.min / pool.idleTimeoutMillis, sequelize pool.min / pool.idle, TypeORM
 * extra.min / extra.idleTimeoutMillis (pg.Pool's own options).
 */
export function poolIdleOf(
  obj: Record<string, unknown>,
  minKey: string,
  idleKey: string,
): {min?: number; idleTimeoutMillis?: number} | undefined {
  const count = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined)
  const min = count(obj[minKey])
  const idle = count(obj[idleKey])
  if (min === undefined && idle === undefined) return undefined
  return {...(min !== undefined ? {min} : {}), ...(idle !== undefined ? {idleTimeoutMillis: idle} : {})}
}

export function modelPool(input: PoolInput): AppPool {
  const driverModel = input.driver.name ? DRIVERS[input.driver.name] : undefined
  const driverDefault = driverModel?.pool.defaultMax ?? DRIVERS['node-postgres'].pool.defaultMax
  const tool = input.tool ? TOOLS[input.tool] : undefined
  if (!tool) {
    return {
      size: driverDefault,
      origin: 'default',
      setting: driverModel?.pool.option ?? 'max',
      where: 'app-code',
      source: null,
      owner: input.driver.package,
    }
  }
  const base = {setting: tool.pool.setting, where: tool.pool.where, owner: tool.name}
  if (tool.name === 'prisma') {
    if ((input.prismaMajor ?? 0) >= 7)
      return {
        ...base,
        setting: 'max',
        where: 'app-code',
        // the app's runtime pool: @prisma/adapter-pg's pg.Pool (the modelled driver is the migration's engine)
        size: DRIVERS['node-postgres'].pool.defaultMax,
        origin: 'default',
        source: null,
        prisma7: true,
      }
    const limit = poolSizeOf(input.urlParams?.connection_limit)
    if (limit !== undefined) return {...base, size: limit, origin: 'config', source: input.urlSource ?? null}
    return {...base, size: input.cpus * 2 + 1, origin: 'docs', source: null, cpus: input.cpus}
  }
  if (input.configured) return {...base, size: input.configured.value, origin: 'config', source: input.configured.label}
  return {
    ...base,
    size: tool.pool.default === 'driver' || tool.pool.default === 'cpus' ? driverDefault : tool.pool.default,
    origin: 'default',
    source: null,
  }
}

/**
 * What the app's pool does when the server ends one of its idle connections (idle_session_timeout,
 * 57P05), as measured against the real drivers (test/checks/server-idle-drivers.test.ts):
 * - 'reconnects': the next query gets a fresh connection, nothing fails. knex (its pg client marks the
 *   connection disposed on 'error'; tarn's validate drops it), sequelize (connection._invalid; validate),
 *   TypeORM (pg.Pool with its own poolErrorHandler, which logs a warning), Prisma 7's @prisma/adapter-pg
 *   (pg.Pool with an 'error' listener) and postgres.js 3 / 4 (reconnects on the next query);
 * - 'error-event': node-postgres' Pool in the app's own code: the Pool emits 'error' for the idle client
 *   it loses, and a Pool without pool.on('error') ends the process (an unhandled 'error' event);
 *   idleMs is its idleTimeoutMillis (10 s by default), below which the Pool closes the client first;
 * - 'not-modelled': Prisma ≤ 6's query engine (its own Rust pool) and drivers db-doctor does not model
 *   (@neondatabase/serverless…), not measured here.
 */
export interface IdleEnd {
  onEnd: 'reconnects' | 'error-event' | 'not-modelled'
  /** Whose pool: the tool's, the driver adapter's, the driver's. */
  owner: 'knex' | 'sequelize' | 'typeorm' | '@prisma/adapter-pg' | 'postgres' | 'pg' | 'prisma-engine' | 'other-driver'
  /** 'error-event': how long the Pool keeps an idle client (ms). */
  idleMs?: number
  /**
   * 'error-event': the Pools the app's own source creates, as read (config/app-source.ts, models/drivers/
   * node-postgres.ts poolsInCode); absent when the source was not read, empty when none was found.
   */
  pools?: AppCodePool[]
}

/** A node-postgres Pool found in the app's source. */
interface AppCodePool {
  /** "src/db.js:4" */
  at: string
  idleTimeoutMillis: number | 'default' | 'unread'
  errorListener: boolean
}

/**
 * The first Pool of the app's code that the server's idle end brings down: it keeps an idle client
 * longer than the timeout (its idleTimeoutMillis; 0 is forever; written as an expression db-doctor
 * does not evaluate, or not at all: pg-pool's 10 s) and its file has no 'error' listener. keptMs null:
 * forever. Pure.
 */
export function appPoolFailing(
  pools: readonly AppCodePool[],
  timeoutMs: number,
): {pool: AppCodePool; keptMs: number | null} | null {
  const fallback = DRIVERS['node-postgres'].pool.idle.defaultMs!
  for (const pool of pools) {
    if (pool.errorListener) continue
    const keptMs =
      typeof pool.idleTimeoutMillis === 'number'
        ? pool.idleTimeoutMillis === 0
          ? null
          : pool.idleTimeoutMillis
        : fallback
    if (keptMs === null || keptMs > timeoutMs) return {pool, keptMs}
  }
  return null
}

export function modelIdleEnd(input: {
  tool: ToolName | null
  driver: DriverName | null
  prismaMajor?: number | null
}): IdleEnd {
  switch (input.tool) {
    case 'knex':
      return {onEnd: 'reconnects', owner: 'knex'}
    case 'sequelize-cli':
      return {onEnd: 'reconnects', owner: 'sequelize'}
    case 'typeorm':
      return {onEnd: 'reconnects', owner: 'typeorm'}
    case 'prisma':
      return (input.prismaMajor ?? 0) >= 7
        ? {onEnd: 'reconnects', owner: '@prisma/adapter-pg'}
        : {onEnd: 'not-modelled', owner: 'prisma-engine'}
    default:
      // drizzle-kit, node-pg-migrate (its runs hold one busy Client) and no tool: the app's own driver
      if (input.driver === 'postgres.js') return {onEnd: 'reconnects', owner: 'postgres'}
      if (input.driver === null) return {onEnd: 'not-modelled', owner: 'other-driver'}
      return {onEnd: 'error-event', owner: 'pg', idleMs: DRIVERS['node-postgres'].pool.idle.defaultMs!}
  }
}
