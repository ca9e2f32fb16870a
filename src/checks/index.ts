// The registry: every check, in the order they run. Each check declares its id, the catalogue entries of its codes
// and their place in explain's order; the check ids (CheckId, CHECK_IDS) and the whole catalogue
// (./catalogue.ts: explain, wait, docs/codes.md) are derived from this list. Order matters: later checks build
// on the facts earlier ones establish (addresses → reachable addresses → TLS offer). Ids are a public contract.
// A new check is its file, its catalogue file, one line here and a test (docs/development.md).
import type {RegisteredCheck} from './types.js'
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

const registry = [
  configCheck,
  dnsCheck,
  tcpCheck,
  dockerCheck,
  postgresCheck,
  tlsCheck,
  sslConfigCheck,
  authCheck,
  serverCheck,
  poolerCheck,
  privilegesCheck,
  migrationsCheck,
] as const

/** A check's id: the ids of the registry, as literals. */
type CheckId = (typeof registry)[number]['id']

/** The checks of the registry, in the order they run. */
export const checks: readonly RegisteredCheck[] = registry

/** Their ids, in the same order (explain's confirm lines). */
export const CHECK_IDS: readonly CheckId[] = registry.map((c) => c.id)

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
