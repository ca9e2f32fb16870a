// The driver registry: one model per driver (./node-postgres.ts, ./postgres-js.ts), the driver
// adapters (./prisma-adapter-pg.ts), and which
// driver an app really uses, read from its node_modules and package.json.
import {nodePostgres} from './node-postgres.js'
import {postgresJs} from './postgres-js.js'
import {prismaAdapterPg} from './prisma-adapter-pg.js'
import {prismaEngine} from './prisma-engine.js'
import type {DriverAdapterModel, DriverModel, DriverName} from './types.js'

export const DRIVERS: Record<DriverName, DriverModel> = {
  'node-postgres': nodePostgres,
  'postgres.js': postgresJs,
  'prisma-engine': prismaEngine,
}

/** Driver adapters by npm package (./prisma-adapter-pg.ts): the driver they wrap applies. */
export const ADAPTERS: Record<string, DriverAdapterModel> = {
  [prismaAdapterPg.package]: prismaAdapterPg,
}

/** The driver model behind an npm package name, when db-doctor models it. */
export function driverOfPackage(pkg: string): DriverModel | undefined {
  return Object.values(DRIVERS).find((d) => d.packages.includes(pkg))
}

export type {DriverModel, DriverName}
