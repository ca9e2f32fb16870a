// The explicit, ordered registry of checks. Order matters: later checks build on
// the facts earlier ones establish (addresses → reachable addresses → TLS offer).
// Ids are a public contract.
import type {Check} from './types.js'
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

export const checks: readonly Check[] = [
  configCheck,
  dnsCheck,
  // after tcp: Docker advice explains a failure (TCP_REFUSED on localhost, a service name that does not
  // resolve) and comes after it, never before
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
]
