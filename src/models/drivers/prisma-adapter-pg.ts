// @prisma/adapter-pg 7 (Prisma 7's driver adapter for PostgreSQL), read in the installed
// dist/index.js (7.10): `new PrismaPg(poolOrConfig)` keeps a pg.Pool it is given, turns a string
// into {connectionString}, and otherwise passes the config object as is; connect() then runs
// `new pg.Pool(config)` — nothing of its own on TLS, timeouts or URL parameters. So node-postgres'
// rules apply, at the version of `pg` that Node resolves from the adapter's own folder (its
// dependency "pg": "^8.16.3"): sslmode=require verifies the certificate (verify-full), URL ssl
// parameters replace an ssl object, PGSSLMODE only when nothing sets ssl.
//
// Only the app's runtime connects through it: the Prisma 7 CLI (migrate, db push) runs the schema engine
// with `datasource.url` of prisma.config.ts (config/sources/prisma.ts, models/drivers/prisma-engine.ts),
// while the app's PrismaClient gets the adapter built in its own code, usually
// `new PrismaPg({connectionString: process.env.DATABASE_URL})` — the stack's `runtime`, and the ssl-config
// check's SSL_PRISMA_RUNTIME_DIFFERS when the two read the same URL differently. A TLS failure surfaces as a
// DriverAdapterError of kind TlsConnectionError, printed by Prisma Client as P1010 "… (not available)".
// Proven against the real adapter in test/differential/prisma7.test.ts and test/models/stack.test.ts.
import {findPackageDir} from '../packages.js'
import type {DriverAdapterModel} from './types.js'

export const prismaAdapterPg: DriverAdapterModel = {
  package: '@prisma/adapter-pg',
  currentRelease: '7.0.0',
  wraps: 'node-postgres',
  // the URL and options reach node-postgres unchanged
  merge: 'new PrismaPg({connectionString}) → new pg.Pool(config)',
  // Node's resolution from the adapter's folder (node_modules walking up, no realpath): its own
  // nested pg first, else the app's
  driverDir: (adapterDir, cwd) => findPackageDir('pg', adapterDir ?? cwd),
  errors: {tls: 'TlsConnectionError (Prisma Client: P1010 … (not available))'},
}
