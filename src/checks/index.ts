// The registry of checks, in the order of CHECK_IDS (./order.ts, derived from CHECKS in src/catalogue/order.ts:
// the one list of checks, their order and their catalogue files). A new check is its row in CHECKS and one line
// here under its id: the compiler fails on an id without its check, or a check under an id CHECKS does not list
// (a contract test: each check's own id is its key).
import type {Check} from './types.js'
import {CHECK_IDS, type CheckId} from './order.js'
import {authCheck} from './auth.js'
import {configCheck} from './config.js'
import {dnsCheck} from './dns.js'
import {dockerCheck} from './docker.js'
import {migrationsCheck} from './migrations.js'
import {poolerCheck} from './pooler.js'
import {postgresCheck} from './postgres.js'
import {privilegesCheck} from './privileges.js'
import {serverCheck} from './server.js'
import {sslConfigCheck} from './ssl-config.js'
import {tcpCheck} from './tcp.js'
import {tlsCheck} from './tls.js'

const byId = {
  config: configCheck,
  dns: dnsCheck,
  tcp: tcpCheck,
  docker: dockerCheck,
  postgres: postgresCheck,
  tls: tlsCheck,
  'ssl-config': sslConfigCheck,
  auth: authCheck,
  server: serverCheck,
  pooler: poolerCheck,
  privileges: privilegesCheck,
  migrations: migrationsCheck,
} satisfies Record<CheckId, Check>

export const checks: readonly Check[] = CHECK_IDS.map((id) => byId[id])

// The published types (dist/checks/index.d.ts) load the module of every check that declares a slot of Facts
// (declaration merging, beside the check): an import is dropped from a .d.ts when only values use it, a
// re-export is kept. test/contract/facts.test.ts keeps this list complete.
export type {} from './auth.js'
export type {} from './dns.js'
export type {} from './docker.js'
export type {} from './postgres.js'
export type {} from './server.js'
export type {} from './tcp.js'
export type {} from './tls.js'
