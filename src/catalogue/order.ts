// The one list of checks: their ids in the order they run, each with the catalogue files of its codes.
// It sits in the catalogue, below the checks, so that explain has every entry and the order without loading a
// check; src/checks/order.ts takes the ids from here.
import {authEntries} from './auth.js'
import {configEntries} from './config.js'
import {dnsEntries} from './dns.js'
import {dockerEntries} from './docker.js'
import {driverEntries} from './drivers.js'
import {iamEntries} from './iam.js'
import {migrationsEntries} from './migrations.js'
import {migrationFileEntries} from './migration-files.js'
import {poolerEntries} from './pooler.js'
import {postgresEntries} from './postgres.js'
import {privilegesEntries} from './privileges.js'
import {serverEntries} from './server.js'
import {sslConfigEntries} from './ssl-config.js'
import {tcpEntries} from './tcp.js'
import {tlsEntries} from './tls.js'
import type {CatalogueEntry} from './types.js'

/**
 * The checks in the order they run, each with the catalogue files of its codes: the one list of checks.
 * src/checks/order.ts derives CHECK_IDS from it (the checks' registry, explain's confirm lines) and
 * ./index.ts the catalogue, so explain has every entry without loading a check. A new check is one
 * row here and its line in src/checks/index.ts. Order matters: later checks build on the facts earlier ones
 * establish (addresses → reachable addresses → TLS offer). Ids are a public contract.
 */
export const CHECKS = checkList([
  // explainLast: see explainOrder
  {id: 'config', codes: [configEntries], explainLast: [driverEntries, iamEntries]},
  {id: 'dns', codes: [dnsEntries]},
  // after tcp: Docker advice explains a failure (TCP_REFUSED on localhost, a service name that does not
  // resolve) and comes after it, never before (explainBefore: see explainOrder)
  {id: 'tcp', codes: [tcpEntries]},
  {id: 'docker', codes: [dockerEntries], explainBefore: 'tcp'},
  {id: 'postgres', codes: [postgresEntries]},
  {id: 'tls', codes: [tlsEntries]},
  {id: 'ssl-config', codes: [sslConfigEntries]},
  {id: 'auth', codes: [authEntries]},
  {id: 'server', codes: [serverEntries]},
  {id: 'pooler', codes: [poolerEntries]},
  {id: 'privileges', codes: [privilegesEntries]},
  {id: 'migrations', codes: [migrationsEntries, migrationFileEntries]},
])

interface CheckCodes<I extends string = string> {
  id: I
  codes: readonly (readonly CatalogueEntry[])[]
  /** codes of this check that explain's order puts after every check's `codes` */
  explainLast?: readonly (readonly CatalogueEntry[])[]
  /** the check whose codes this check's `codes` precede in explain's order */
  explainBefore?: string
}

/** The rows as written, their ids as a union of literals (CheckId). */
function checkList<const I extends string>(rows: readonly CheckCodes<I>[]): readonly CheckCodes<I>[] {
  return rows
}

/**
 * The catalogue's order is explain's when one line shows several codes (src/catalogue/match.ts reports them in
 * this order) and docs/codes.md's order of rows within a check: every check's codes in the order the checks run,
 * then the runner's, then the codes only explain knows. It departs from the run order in two places, set before
 * the run order was one list and kept so that explain says what it said: the docker check's codes come before
 * the tcp check's (docker ran before tcp until fc050ff), and the config check's driver and IAM codes
 * (drivers.ts, iam.ts) after every check's.
 */
export function explainOrder(rows: readonly CheckCodes[]): CatalogueEntry[] {
  const ordered = rows.filter((r) => !r.explainBefore)
  for (const r of rows)
    if (r.explainBefore)
      ordered.splice(
        ordered.findIndex((o) => o.id === r.explainBefore),
        0,
        r,
      )
  return [...ordered, ...rows.map((r) => ({codes: r.explainLast ?? []}))].flatMap((r) => r.codes.flat())
}
