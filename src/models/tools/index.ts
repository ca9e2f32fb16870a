// The tool registry (one model per tool, ./<tool>.ts) and the modelled stack of an app: which
// tool runs its migrations, which driver that tool (or the app's own code) really connects
// with, at which installed versions — what the report's header names ("drizzle-kit 0.31 →
// postgres.js 3.4") and what the TLS, authentication and parameter checks judge with.
import {ADAPTERS, DRIVERS, driverOfPackage} from '../drivers/index.js'
import {minor, type DriverName} from '../drivers/types.js'
import {declaredDependencies, findPackageDir, packageVersion} from '../packages.js'
import type {ToolName} from './names.js'
import type {DriverChoice, ModelledStack} from './types.js'
import {TOOLS} from './registry.js'

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
  const {cwd} = input
  let tool: ModelledStack['tool'] = null
  let chosen: {pkg: string; name: DriverName | null; installed?: string; assumed?: string; why: DriverChoice}
  let runtime: ModelledStack['runtime']
  if (input.tool) {
    const model = TOOLS[input.tool]
    const installed = model.packages.map((p) => packageVersion(findPackageDir(p, cwd))).find(Boolean)
    const version = installed ?? input.toolVersion ?? model.currentRelease
    tool = {
      name: input.tool,
      version,
      versionSource: installed || input.toolVersion ? 'installed' : 'assumed (not installed in the app)',
    }
    const list = model.drivers.map((d) => d.pkg)
    const hit = model.drivers.find((d) => findPackageDir(d.pkg, cwd))
    const first = hit ?? model.drivers[0]!
    // an adapter is what the app's runtime connects through when it is installed, or from the release that
    // requires one (Prisma 7)
    const adapterModel = first.adapter && (hit || Number.parseInt(version, 10) >= 7) ? ADAPTERS[first.pkg] : undefined
    if (adapterModel && first.driver) {
      // the adapter wraps the driver: its model applies, at the version the adapter loads
      const adapterDir = findPackageDir(adapterModel.package, cwd)
      const adapterVersion = packageVersion(adapterDir)
      const pkg = DRIVERS[first.driver].packages[0]!
      const driverVersion = packageVersion(adapterModel.driverDir(adapterDir, cwd))
      const a = {
        package: adapterModel.package,
        version: adapterVersion ?? adapterModel.currentRelease,
        versionSource: adapterVersion ? ('installed' as const) : ('assumed (not installed in the app)' as const),
      }
      const d = {
        name: first.driver,
        package: pkg,
        version: driverVersion ?? DRIVERS[first.driver].currentRelease,
        versionSource: driverVersion ? ('installed' as const) : ('assumed (not installed in the app)' as const),
      }
      runtime = {adapter: a, driver: d}
    }
    const through = input.migrateAdapter
    if (model.builtin && through) {
      // Prisma 6.6–6.19 with a driver adapter for migrate: the Wasm schema engine queries through the adapter,
      // so the adapter's driver connects (at the version the adapter loads); an adapter db-doctor does not model
      // is named, unmodelled (CONFIG_DRIVER_UNMODELLED)
      const pkg = through.package ?? 'driver adapter'
      const viaPg = runtime && through.package === runtime.adapter.package
      const why = {
        by: 'migrate-adapter' as const,
        tool: model.name,
        version: minor(version),
        setting: through.setting,
        pkg: through.package,
      }
      chosen = viaPg
        ? {
            pkg: runtime!.driver.package,
            name: runtime!.driver.name,
            ...(runtime!.driver.versionSource === 'installed'
              ? {installed: runtime!.driver.version}
              : {assumed: runtime!.driver.version}),
            why: {...why, through: runtime!.driver.package},
          }
        : {pkg, name: null, why: {...why, through: null}}
    } else if (model.builtin)
      // the migration CLI runs its own engine in every version, whatever the app's runtime connects with
      chosen = {
        pkg: model.builtin.pkg,
        name: model.builtin.driver,
        // the engine ships with the tool: its version is the tool's (assumed with it)
        ...(installed || input.toolVersion ? {installed: version} : {assumed: version}),
        why: {by: 'builtin', tool: model.name, driver: model.builtin.driver},
      }
    else
      chosen = {
        pkg: first.pkg,
        name: first.driver ?? null,
        ...(hit ? {installed: packageVersion(findPackageDir(hit.pkg, cwd))} : {}),
        why:
          list.length > 1
            ? {by: 'first-installed', tool: model.name, candidates: list, installed: hit ? hit.pkg : null}
            : {by: 'only', tool: model.name, pkg: first.pkg},
      }
  } else {
    const deps = declaredDependencies(cwd)
    const has = (p: string) => p in deps || findPackageDir(p, cwd) !== undefined
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
  }
  const model = chosen.name ? DRIVERS[chosen.name] : driverOfPackage(chosen.pkg)
  const version = chosen.installed ?? chosen.assumed ?? model?.currentRelease ?? '?'
  const driver: ModelledStack['driver'] = {
    name: chosen.name,
    package: chosen.pkg,
    version,
    versionSource: chosen.installed ? 'installed' : 'assumed (not installed in the app)',
    choice: chosen.why,
  }
  return {
    tool,
    driver,
    ...(input.migrateAdapter ? {migrateAdapter: input.migrateAdapter} : {}),
    ...(runtime ? {runtime} : {}),
  }
}
