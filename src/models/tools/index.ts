// The tool registry (one model per tool, ./<tool>.ts) and the modelled stack of an app: which
// tool runs its migrations, which driver that tool (or the app's own code) really connects
// with, at which installed versions — what the report's header names ("drizzle-kit 0.31 →
// postgres.js 3.4") and what the TLS, authentication and parameter checks judge with.
import {ADAPTERS, DRIVERS, driverOfPackage} from '../drivers/index.js'
import {minor, type DriverName} from '../drivers/types.js'
import {declaredDependencies, findPackageDir, packageVersion} from '../packages.js'
import type {ToolName} from './names.js'
import type {DriverChoice, ModelledStack, ToolModel} from './types.js'
import {TOOLS} from './registry.js'

/** The driver chosen, before its version is settled: the report's `driver` once resolveStack has added it. */
interface Chosen {
  pkg: string
  name: DriverName | null
  installed?: string | undefined
  assumed?: string
  why: DriverChoice
}

const ASSUMED = 'assumed (not installed in the app)' as const

/**
 * The stack of the app in `cwd`: the tool's driver is the first of its candidates installed in the
 * app (the order it tries them); without a tool, the driver the app's package.json depends on
 * (postgres.js when it has `postgres` and not `pg`), else node-postgres.
 */
export function resolveStack(input: {
  cwd: string
  tool?: ToolName
  toolVersion?: string
  /**
   * Prisma 6.6–6.19: the driver adapter prisma.config.* gives `prisma migrate` (config/sources/prisma.ts):
   * the migration then connects through it (the Wasm schema engine), not through the Rust schema engine.
   */
  migrateAdapter?: {package: string | null; setting: string}
}): ModelledStack {
  const {tool, chosen, runtime} = input.tool
    ? toolStack(input.tool, input)
    : {tool: null, chosen: appDriver(input.cwd), runtime: undefined}
  const model = chosen.name ? DRIVERS[chosen.name] : driverOfPackage(chosen.pkg)
  const version = chosen.installed ?? chosen.assumed ?? model?.currentRelease ?? '?'
  const driver: ModelledStack['driver'] = {
    name: chosen.name,
    package: chosen.pkg,
    version,
    versionSource: chosen.installed ? 'installed' : ASSUMED,
    choice: chosen.why,
  }
  return {
    tool,
    driver,
    ...(input.migrateAdapter ? {migrateAdapter: input.migrateAdapter} : {}),
    ...(runtime ? {runtime} : {}),
  }
}

/** With a tool: its version, the driver its migration connects with, and the app's runtime when it differs. */
function toolStack(
  name: ToolName,
  input: Parameters<typeof resolveStack>[0],
): {tool: NonNullable<ModelledStack['tool']>; chosen: Chosen; runtime: ModelledStack['runtime']} {
  const {cwd} = input
  const model = TOOLS[name]
  const installed = model.packages.map((p) => packageVersion(findPackageDir(p, cwd))).find(Boolean)
  const version = installed ?? input.toolVersion ?? model.currentRelease
  const known = Boolean(installed || input.toolVersion)
  const tool = {name, version, versionSource: known ? ('installed' as const) : ASSUMED}
  const hit = model.drivers.find((d) => findPackageDir(d.pkg, cwd))
  const first = hit ?? model.drivers[0]!
  const runtime = adapterRuntime(first, Boolean(hit), version, cwd)
  const through = input.migrateAdapter
  let chosen: Chosen
  if (model.builtin && through) chosen = throughMigrateAdapter(model, version, through, runtime)
  else if (model.builtin)
    // the migration CLI runs its own engine in every version, whatever the app's runtime connects with
    chosen = {
      pkg: model.builtin.pkg,
      name: model.builtin.driver,
      // the engine ships with the tool: its version is the tool's (assumed with it)
      ...(known ? {installed: version} : {assumed: version}),
      why: {by: 'builtin', tool: model.name, driver: model.builtin.driver},
    }
  else chosen = firstCandidate(model, first, hit, cwd)
  return {tool, chosen, runtime}
}

/**
 * The app's runtime through a driver adapter (Prisma's @prisma/adapter-pg), when it is installed, or from the
 * release that requires one (Prisma 7): the adapter wraps the driver, whose model applies at the version the
 * adapter loads.
 */
function adapterRuntime(
  first: ToolModel['drivers'][number],
  hit: boolean,
  version: string,
  cwd: string,
): ModelledStack['runtime'] {
  const adapterModel = first.adapter && (hit || Number.parseInt(version, 10) >= 7) ? ADAPTERS[first.pkg] : undefined
  if (!adapterModel || !first.driver) return undefined
  const adapterDir = findPackageDir(adapterModel.package, cwd)
  const adapterVersion = packageVersion(adapterDir)
  const driverVersion = packageVersion(adapterModel.driverDir(adapterDir, cwd))
  return {
    adapter: {
      package: adapterModel.package,
      version: adapterVersion ?? adapterModel.currentRelease,
      versionSource: adapterVersion ? 'installed' : ASSUMED,
    },
    driver: {
      name: first.driver,
      package: DRIVERS[first.driver].packages[0]!,
      version: driverVersion ?? DRIVERS[first.driver].currentRelease,
      versionSource: driverVersion ? 'installed' : ASSUMED,
    },
  }
}

/**
 * Prisma 6.6–6.19 with a driver adapter for migrate: the Wasm schema engine queries through the adapter, so the
 * adapter's driver connects (at the version the adapter loads); an adapter db-doctor does not model is named,
 * unmodelled (CONFIG_DRIVER_UNMODELLED).
 */
function throughMigrateAdapter(
  model: ToolModel,
  version: string,
  through: {package: string | null; setting: string},
  runtime: ModelledStack['runtime'],
): Chosen {
  const why = {
    by: 'migrate-adapter' as const,
    tool: model.name,
    version: minor(version),
    setting: through.setting,
    pkg: through.package,
  }
  if (!runtime || through.package !== runtime.adapter.package)
    return {pkg: through.package ?? 'driver adapter', name: null, why: {...why, through: null}}
  const {driver} = runtime
  return {
    pkg: driver.package,
    name: driver.name,
    ...(driver.versionSource === 'installed' ? {installed: driver.version} : {assumed: driver.version}),
    why: {...why, through: driver.package},
  }
}

/** The first of the tool's candidates installed in the app (the order it tries them), else its first, assumed. */
function firstCandidate(
  model: ToolModel,
  first: ToolModel['drivers'][number],
  hit: ToolModel['drivers'][number] | undefined,
  cwd: string,
): Chosen {
  const list = model.drivers.map((d) => d.pkg)
  return {
    pkg: first.pkg,
    name: first.driver ?? null,
    ...(hit ? {installed: packageVersion(findPackageDir(hit.pkg, cwd))} : {}),
    why:
      list.length > 1
        ? {by: 'first-installed', tool: model.name, candidates: list, installed: hit ? hit.pkg : null}
        : {by: 'only', tool: model.name, pkg: first.pkg},
  }
}

/**
 * Without a tool: the driver the app's package.json (or node_modules) has — postgres.js when it has `postgres`
 * and not `pg`, Neon's or Vercel's serverless driver without `pg` — else node-postgres.
 */
function appDriver(cwd: string): Chosen {
  const deps = declaredDependencies(cwd)
  const has = (p: string) => p in deps || findPackageDir(p, cwd) !== undefined
  let chosen: Chosen
  if (has('postgres') && !has('pg'))
    chosen = {pkg: 'postgres', name: 'postgres.js', why: {by: 'dependency', pkg: 'postgres'}}
  else if (!has('pg') && (has('@neondatabase/serverless') || has('@vercel/postgres'))) {
    const pkg = has('@neondatabase/serverless') ? '@neondatabase/serverless' : '@vercel/postgres'
    chosen = {pkg, name: null, why: {by: 'dependency', pkg}}
  } else
    chosen = {
      pkg: 'pg',
      name: 'node-postgres',
      why: has('pg') ? {by: 'dependency', pkg: 'pg'} : {by: 'default'},
    }
  const dir = findPackageDir(chosen.pkg, cwd)
  if (dir) chosen.installed = packageVersion(dir)
  return chosen
}
