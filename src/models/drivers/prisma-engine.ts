// Prisma's own engines: the schema engine the migration CLI runs in every version (prisma migrate / db,
// Prisma 7 included), and the query engine of Prisma ORM 2–6 without a driver adapter. Rust, quaint over
// tokio-postgres, not a Node driver. Read in prisma-engines' quaint/src/connector/postgres/url.rs
// (parse_query_params) and its native connector (the schema engine's sql-schema-connector
// flavour/postgres/connector/native/mod.rs connects through quaint's PostgresUrl::Native and
// MakeTlsConnectorManager, with statement_cache_size=0); modelled from that source, since the engine
// binaries cannot be downloaded here:
// - sslmode: disable | prefer | require; any other value (verify-full, verify-ca, no-verify…) is logged at
//   debug level and read as prefer. Unset: prefer (TLS when the server offers it, else plaintext; a TLS
//   handshake that fails is not retried in plaintext).
// - sslaccept: strict | accept_invalid_certs, default accept_invalid_certs: without sslaccept the engine
//   verifies neither the chain nor the host name, whatever sslmode says (the connector calls
//   danger_accept_invalid_certs unless the mode is Strict); any other sslaccept value is read as strict.
// - sslcert: the server's CA file (paths relative to the schema's folder, config/target.ts certBase);
//   sslidentity/sslpassword: a PKCS#12 client identity (not used by db-doctor's own connections).
// - connect_timeout: seconds, default 5. Unknown parameters are discarded, never sent to the server.
// The engine never reads PGSSLMODE or other PG* variables.
import os from 'node:os'
import {PRISMA_ENGINE_SSLMODES} from '../../config/connection-string.js'
import type {DriverInput, DriverModel, DriverReading, DriverTls} from './types.js'

const MODES = new Set<string>(PRISMA_ENGINE_SSLMODES)

function prismaEngineTls(input: DriverInput): DriverTls {
  let params: URLSearchParams
  try {
    params = input.url ? new URL(input.url).searchParams : new URLSearchParams()
  } catch {
    params = new URLSearchParams()
  }
  const source = input.urlSource ?? 'the connection URL'
  const given = params.get('sslmode')
  const mode = given && MODES.has(given) ? given : 'prefer'
  const setting = given ? `sslmode=${given}${given === mode ? '' : ' (read as prefer)'}` : 'sslmode unset (prefer)'
  if (mode === 'disable')
    return {encrypt: 'no', verifyChain: false, verifyHostname: false, caFrom: '-', setting, source, tlsOptions: false}
  const accept = params.get('sslaccept')
  const strict = accept !== null && accept !== 'accept_invalid_certs'
  const caFile = params.get('sslcert') ?? undefined
  const caFrom = caFile ? `sslcert=${caFile}` : 'system CA store'
  return {
    encrypt: mode === 'require' ? 'yes' : 'try',
    verifyChain: strict,
    verifyHostname: strict,
    caFrom: strict ? caFrom : `${caFrom}, unchecked (sslaccept not strict)`,
    setting: strict ? `${setting}&sslaccept=${accept}` : setting,
    source,
    tlsOptions: {rejectUnauthorized: strict, servernameCheck: strict, ...(caFile ? {caFile} : {})},
    ...(mode === 'prefer' ? {fallback: {ssl: setting}} : {}),
  }
}

export const prismaEngine: DriverModel = {
  name: 'prisma-engine',
  packages: ['@prisma/client'],
  currentRelease: '6.19.0',
  sslEnv: () => [],
  read(input: DriverInput, version: string): DriverReading {
    let timeout = 5
    try {
      const t = Number(new URL(input.url ?? '').searchParams.get('connect_timeout'))
      if (Number.isFinite(t) && t >= 0 && new URL(input.url ?? '').searchParams.has('connect_timeout')) timeout = t
    } catch {}
    return {
      driver: 'prisma-engine',
      version,
      tls: prismaEngineTls(input),
      startupParams: {},
      connectTimeoutS: timeout || null,
    }
  },
  // P1001 "Can't reach database server", P1017 "Server has closed the connection"
  errors: {timeout: 'P1001', closed: 'P1017'},
  // quaint: connection_limit defaults to num_cpus::get_physical() * 2 + 1 (the connection budget reads the
  // URL's connection_limit for Prisma, src/models/pool.ts); max_idle_connection_lifetime 300 s.
  pool: {
    option: 'connection_limit',
    defaultMax: os.cpus().length * 2 + 1,
    describe: "Prisma's engine (connection_limit, default physical CPUs × 2 + 1)",
    idle: {option: 'max_idle_connection_lifetime', defaultMs: 300_000},
  },
}
